// The floor of any Node UDP server on this machine, for the transaction benchmark: a dgram socket
// that answers each MESSAGE of bench/scenarios/uac-message.xml with a 200 made by copying the
// request's lines from Via up to Content-Type, with no parsing, no transaction and no timer. What
// it costs is the event loop, dgram and the kernel, which Parley's UDP transport pays as well.
// Not a SIP server: it only answers the benchmark's own requests. Prints "ready PORT" when bound.
// WORK_US > 0 busy-waits that long per request before answering: how the tail grows with what a
// request costs, in the same place as Parley's own work (hot code, nothing allocated).
// Run: npx node bench/udp-floor.ts PORT [WORK_US]
import { createSocket } from 'node:dgram';

const port = Number(process.argv[2] ?? 5060);
const workNs = BigInt(Math.round(Number(process.argv[3] ?? 0) * 1000));
const socket = createSocket({ type: 'udp4', recvBufferSize: 8 * 1024 * 1024, sendBufferSize: 8 * 1024 * 1024 });
const VIA = Buffer.from('\r\nVia:');
const CONTENT_TYPE = Buffer.from('\r\nContent-Type:');
const START = Buffer.from('SIP/2.0 200 OK');
const END = Buffer.from('\r\nContent-Length: 0\r\n\r\n');

socket.on('message', (req, peer) => {
  if (workNs > 0n) for (const until = process.hrtime.bigint() + workNs; process.hrtime.bigint() < until;);
  const from = req.indexOf(VIA);
  const to = req.indexOf(CONTENT_TYPE, from);
  if (from < 0 || to < 0) return;
  socket.send([START, req.subarray(from, to), END], peer.port, peer.address);
});
socket.bind(port, '127.0.0.1', () => { process.stdout.write(`ready ${port}\n`); });
process.on('SIGTERM', () => { socket.close(() => process.exit(0)); });
