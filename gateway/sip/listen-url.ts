// Listen addresses ("udp://127.0.0.1:5060", "tcp://[::1]:5060", "tls://…:5061", "ws://…", "wss://…")
// and next-hop targets taken from SIP URIs (outbound proxy or Request-URI: host, port, transport
// parameter).
import { isIP } from 'node:net';
import { isSipUri, parseUri, UriError, uriParam } from './uri.ts';
import type { TransportName } from './transport.ts';

export interface ListenSpec { transport: TransportName; host: string; port: number; family: 4 | 6 }
export interface Target {
  transport: TransportName;
  host: string;
  port: number;
  /** The URI's host (a domain or IP literal): the name a TLS peer's certificate must carry. */
  name: string;
}

const LISTEN = /^(udp|tcp|tls|ws|wss):\/\/(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/;
const TRANSPORTS = new Set(['udp', 'tcp', 'tls', 'ws', 'wss']);

export function parseListenUrl(url: string): ListenSpec {
  const m = LISTEN.exec(url);
  const host = m?.[2] ?? m?.[3] ?? '';
  const port = Number(m?.[4]);
  const family = isIP(host);
  if (!m || family === 0 || port > 65535) throw new Error(`invalid SIP listen address "${url}" (expected e.g. udp://127.0.0.1:5060 or tcp://[::1]:5060)`);
  return { transport: m[1] as TransportName, host, port, family: family as 4 | 6 };
}

/**
 * Next hop for a SIP URI: its host (maddr when present), port and transport parameter. Defaults:
 * udp and 5060 for sip:, tls and 5061 for sips: ("a SIPS URI ... MUST be sent over TLS", §26.2.2).
 */
export function targetOf(uri: string): Target | UriError {
  const u = parseUri(uri);
  if (u instanceof UriError) return u;
  if (!isSipUri(u)) return new UriError(`cannot send to a ${u.scheme} URI`);
  const secure = u.scheme === 'sips';
  const t = (uriParam(u, 'transport') ?? (secure ? 'tls' : 'udp')).toLowerCase();
  if (!TRANSPORTS.has(t)) return new UriError(`unsupported transport "${t}"`);
  if (secure && (t === 'udp' || t === 'ws')) return new UriError(`a sips: URI cannot be sent over ${t}`);
  // RFC 3261 §26.2.2: a SIPS URI over transport=tcp means TLS over TCP.
  const transport = (secure && t === 'tcp' ? 'tls' : t) as TransportName;
  const port = u.port ?? (transport === 'tls' ? 5061 : 5060);
  return { transport, host: uriParam(u, 'maddr') ?? u.host, port, name: u.host };
}
