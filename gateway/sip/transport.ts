// What the endpoint needs from a transport (the consumer defines the interface). Implementations:
// udp-transport.ts, tcp-transport.ts and tls-transport.ts (both on stream-transport.ts),
// ws-transport.ts.
import type { SipMessage } from './message.ts';
import type { ParseError } from './parse-error.ts';

export type TransportName = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

export interface Peer {
  address: string;
  port: number;
  /**
   * Outgoing only. TLS: the domain the peer's certificate must name, also sent as SNI (RFC 5922
   * §4); a connection is reused only for the name it was verified for. WebSocket: the host of the
   * URI we send to, looked up among the aliases (Via/Contact hosts) of the open connections.
   */
  name?: string;
}

export interface TransportSink {
  /** A whole message arrived from peer. */
  message(msg: SipMessage, peer: Peer, via: Transport): void;
  /**
   * A message could not be parsed. `fatal`: the stream cannot be framed any more; whatever the sink
   * sends to peer synchronously from this call is written before the connection is closed.
   */
  parseError(err: ParseError, peer: Peer, via: Transport, fatal: boolean): void;
}

export interface Transport {
  readonly name: TransportName;
  readonly reliable: boolean;
  readonly family: 4 | 6;
  /** Address and port actually bound (after listen). */
  readonly local: Peer;
  listen(): Promise<void>;
  close(): Promise<void>;
  /**
   * Sends one serialized message. TCP/TLS reuse an open connection to peer (TLS: one verified for
   * peer.name) or open one; WebSocket only uses a connection the peer opened (by address and port,
   * or by peer.name as an alias) and fails otherwise.
   */
  send(bytes: Buffer, peer: Peer): Promise<void>;
  /**
   * send() without a promise, where the transport has it (UDP: a client transaction's request and
   * its retransmissions, thousands a second in a presence fan-out): `failed(err, arg)` hears a
   * failure reported later; a failure known at once throws (TransportError).
   */
  post?<A>(bytes: Buffer, peer: Peer, failed: (err: Error, arg: A) => void, arg: A): void;
}

/** Operational failure of a transport (connection refused, socket closed, ...). */
export class TransportError extends Error {
  override readonly name = 'TransportError';
}

/** "never send to a broadcast address" (RFC 4475 bcast): limited broadcast and multicast. */
export function isForbiddenDestination(address: string): boolean {
  if (address === '255.255.255.255' || address === '0.0.0.0' || address === '::') return true;
  // /^ff/i (IPv6 multicast), without a regular expression or an array per datagram sent
  if ((address.charCodeAt(0) | 0x20) === 0x66 && (address.charCodeAt(1) | 0x20) === 0x66) return true;
  if (address.includes(':')) return false;
  const dot = address.indexOf('.');
  return Number(dot < 0 ? address : address.slice(0, dot)) >= 224;
}
