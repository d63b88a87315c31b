// A null application on Parley's SIP stack, for the transaction-layer benchmark: a SipEndpoint
// whose MESSAGE handler answers 200 at once. Run as its own process so its CPU can be read from
// /proc/PID/stat. Prints "ready PORT" when bound.
// LAYER (diagnostics, UDP only) stops short of the whole stack, to see what each layer costs:
//   parse — parseDatagram, then writeResponse straight back (no checks, no transaction);
//   check — the same with checkRequest (RFC 3261 §8.2) in between.
// Run: npx node bench/null-uas.ts PORT [parse|check]
import { createSocket } from 'node:dgram';
import { idleV8Workers } from '../gateway/background-threads.ts';
import { SipEndpoint } from '../gateway/sip/endpoint.ts';
import { silentLogger } from '../gateway/log.ts';
import { parseDatagram } from '../gateway/sip/parser.ts';
import { ParseError } from '../gateway/sip/parse-error.ts';
import { checkRequest } from '../gateway/sip/request-checks.ts';
import { writeResponse } from '../gateway/sip/response-builder.ts';

const port = Number(process.argv[2] ?? 5060);
const layer = process.argv[3];

if (layer === 'parse' || layer === 'check') {
  const socket = createSocket({ type: 'udp4', recvBufferSize: 8 * 1024 * 1024, sendBufferSize: 8 * 1024 * 1024 });
  socket.on('message', (buf, peer) => {
    const req = parseDatagram(buf);
    if (req instanceof ParseError || req.kind !== 'request') return;
    if (layer === 'check') checkRequest(req, { supported: [], allow: 'MESSAGE' });
    socket.send(writeResponse(req.headers, 200, 'OK', { toTag: 'null', server: 'Parley' }), peer.port, peer.address);
  });
  socket.bind(port, '127.0.0.1', () => { process.stdout.write(`ready ${port}\n`); });
  process.on('SIGTERM', () => { socket.close(() => process.exit(0)); });
} else {
  const ep = new SipEndpoint({
    listen: [`udp://127.0.0.1:${port}`, `tcp://127.0.0.1:${port}`],
    domains: ['*'],
    log: silentLogger,
    // Diagnostics only: PARLEY_BENCH_T1=10 shortens Timer J (64*T1) to see what holding UDP server
    // transactions for 32 s costs.
    ...(process.env.PARLEY_BENCH_T1 !== undefined && { timers: { T1: Number(process.env.PARLEY_BENCH_T1) } }),
  });
  ep.onRequest('MESSAGE', () => ({ status: 200 }));
  // As the gateway does (gateway/main.ts); PARLEY_BENCH_V8_WORKERS=normal leaves them be, for A/B.
  if (process.env.PARLEY_BENCH_V8_WORKERS !== 'normal') {
    const idle = await idleV8Workers();
    if (idle.error !== undefined) throw new Error(idle.error);
  }
  await ep.start();
  process.stdout.write(`ready ${port}\n`);
  process.on('SIGTERM', () => { void ep.stop().then(() => process.exit(0)); });
}
