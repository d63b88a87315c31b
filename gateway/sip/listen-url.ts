// Listen addresses ("udp://127.0.0.1:5060", "tcp://[::1]:5060") and next-hop targets taken from
// SIP URIs (outbound proxy or Request-URI: host, port, transport parameter).
import { isIP } from 'node:net';
import { isSipUri, parseUri, UriError, uriParam } from './uri.ts';
import type { TransportName } from './transport.ts';

export interface ListenSpec { transport: TransportName; host: string; port: number; family: 4 | 6 }
export interface Target { transport: TransportName; host: string; port: number }

const LISTEN = /^(udp|tcp):\/\/(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/;

export function parseListenUrl(url: string): ListenSpec {
  const m = LISTEN.exec(url);
  const host = m?.[2] ?? m?.[3] ?? '';
  const port = Number(m?.[4]);
  const family = isIP(host);
  if (!m || family === 0 || port > 65535) throw new Error(`invalid SIP listen address "${url}" (expected e.g. udp://127.0.0.1:5060 or tcp://[::1]:5060)`);
  return { transport: m[1] as TransportName, host, port, family: family as 4 | 6 };
}

/** Next hop for a SIP URI: its host, port (default 5060) and transport parameter (default udp). */
export function targetOf(uri: string): Target | UriError {
  const u = parseUri(uri);
  if (u instanceof UriError) return u;
  if (!isSipUri(u)) return new UriError(`cannot send to a ${u.scheme} URI`);
  const t = (uriParam(u, 'transport') ?? 'udp').toLowerCase();
  if (t !== 'udp' && t !== 'tcp') return new UriError(`unsupported transport "${t}"`);
  return { transport: t, host: uriParam(u, 'maddr') ?? u.host, port: u.port ?? 5060 };
}
