// Server response time measured on the wire: tcpdump captures the loopback traffic of one SIP
// port, and each request's first transmission is matched by Call-ID to the first final response
// the server sent back. Kernel timestamps in microseconds: SIPp's own -trace_rtt counts whole
// milliseconds (in 4 ms steps on this VM), too coarse for "p99 within 1 ms". The same capture
// measures the reference SIPp UAS and Parley, so the two figures compare.
// Needs tcpdump (Debian `tcpdump`) and CAP_NET_RAW; without them the caller reports "not measured".
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { responseTimes, type WireTimes } from './pcap-times.ts';

export type { WireTimes } from './pcap-times.ts';

export interface Capture {
  stop(): Promise<WireTimes>;
}

export function tcpdumpAvailable(): boolean {
  return spawnSync('tcpdump', ['--version'], { stdio: 'ignore' }).status === 0;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts tcpdump on `lo` for `port` (either direction); resolves once it is capturing. */
export async function startCapture(port: number): Promise<Capture> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-bench-pcap-'));
  const file = join(dir, 'cap.pcap');
  // -B: 64 MiB kernel buffer so a burst is not dropped; -s 1500: whole loopback SIP datagrams.
  const child = spawn('tcpdump', ['-i', 'lo', '-n', '-B', '65536', '-s', '1500', '-U', '-w', file, `port ${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const listening = new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('listening on')) resolve();
    });
    child.on('exit', (code) => { reject(new Error(`tcpdump exited ${String(code)}: ${err}`)); });
  });
  await listening;
  return {
    async stop() {
      // tcpdump hands packets over from the kernel ring in blocks with a 1 s timeout, and on SIGINT
      // it does not drain the ring: wait past one timeout so the last packets are written.
      await sleep(1500);
      const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));
      child.kill('SIGINT');
      await exited;
      try {
        return responseTimes(await readFile(file), port);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
