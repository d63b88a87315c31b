// One transport per listen address: udp, tcp, tls, ws, wss.
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { ListenSpec } from './listen-url.ts';
import { TcpTransport } from './tcp-transport.ts';
import { TlsTransport } from './tls-transport.ts';
import type { TlsOptions } from './tls-transport.ts';
import type { Transport, TransportSink } from './transport.ts';
import { UdpTransport } from './udp-transport.ts';
import { WsTransport } from './ws-transport.ts';

export interface TransportContext {
  sink: TransportSink;
  log: Logger;
  clock: Clock;
  maxMessageBytes: number;
  incompleteMessageMs: number;
  idleTimeoutMs?: number;
  tls?: TlsOptions;
}

export function createTransport(spec: ListenSpec, ctx: TransportContext): Transport {
  const { host, port, family } = spec;
  const stream = {
    maxMessageBytes: ctx.maxMessageBytes, incompleteMessageMs: ctx.incompleteMessageMs,
    ...(ctx.idleTimeoutMs !== undefined && { idleTimeoutMs: ctx.idleTimeoutMs }),
  };
  switch (spec.transport) {
    case 'udp': return new UdpTransport(host, port, family, ctx.sink, ctx.log);
    case 'tcp': return new TcpTransport(host, port, family, ctx.sink, ctx.log, ctx.clock, stream);
    case 'tls':
      if (!ctx.tls) throw new TypeError(`a tls listener needs the tls { cert, key } option`);
      return new TlsTransport(host, port, family, ctx.sink, ctx.log, ctx.clock, stream, ctx.tls);
    case 'ws':
    case 'wss':
      return new WsTransport(spec.transport, host, port, family, ctx.sink, ctx.log, {
        maxMessageBytes: ctx.maxMessageBytes, ...(ctx.tls !== undefined && { tls: ctx.tls }),
      });
  }
}
