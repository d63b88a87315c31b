// A null application on Parley's SIP stack, for the transaction-layer benchmark: a SipEndpoint
// whose MESSAGE handler answers 200 at once. Run as its own process so its CPU can be read from
// /proc/PID/stat. Prints "ready PORT" when bound.
// Run: npx node bench/null-uas.ts PORT
import { SipEndpoint } from '../gateway/sip/endpoint.ts';
import { silentLogger } from '../gateway/log.ts';

const port = Number(process.argv[2] ?? 5060);
const ep = new SipEndpoint({
  listen: [`udp://127.0.0.1:${port}`, `tcp://127.0.0.1:${port}`],
  domains: ['*'],
  log: silentLogger,
  // Diagnostics only: PARLEY_BENCH_T1=10 shortens Timer J (64*T1) to see what holding UDP server
  // transactions for 32 s costs.
  ...(process.env.PARLEY_BENCH_T1 !== undefined && { timers: { T1: Number(process.env.PARLEY_BENCH_T1) } }),
});
ep.onRequest('MESSAGE', () => ({ status: 200 }));
await ep.start();
process.stdout.write(`ready ${port}\n`);
process.on('SIGTERM', () => { void ep.stop().then(() => process.exit(0)); });
