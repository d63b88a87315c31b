// Parley itself as a real process for end-to-end tests: a config file in a temp dir, `node
// gateway/cli.ts start`, wait for /healthz, stop with SIGTERM or kill -9 for crash tests.
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { spawnChild, type Child } from './child.ts';
import { LOOPBACK } from './ports.ts';

const CLI = resolve(import.meta.dirname, '../../gateway/cli.ts');

export interface ParleyHandle {
  readonly dir: string;
  readonly httpPort: number;
  readonly configFile: string;
  /** GET a path on the HTTP listener. */
  get(path: string): Promise<{ status: number; body: string }>;
  /** Value of a metric line (exact name with labels, as printed), or undefined. */
  metric(series: string): Promise<number | undefined>;
  /** Waits until /readyz answers 200. */
  ready(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
  /** kill -9, keeping the data dir; start() again afterwards. */
  kill(): Promise<void>;
  start(): Promise<void>;
  alive(): boolean;
  logs(): Promise<string>;
}

/** `config` is the YAML document as an object (DESIGN.md §4); store.path and log level are filled in. */
/** `nodeArgs`: extra Node flags for the Parley process, e.g. ['--cpu-prof', '--cpu-prof-dir', DIR] (benchmarks). */
export async function startParley(config: Record<string, unknown>, opts: { httpPort: number; keepDir?: boolean; nodeArgs?: readonly string[] }): Promise<ParleyHandle> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-e2e-'));
  const configFile = join(dir, 'parley.yaml');
  const full = { store: { path: join(dir, 'data') }, log: { level: 'debug' }, ...config, http: { listen: `${LOOPBACK}:${opts.httpPort}` } };
  await writeFile(configFile, stringify(full));
  const logFile = join(dir, 'parley.log');
  let child: Child | undefined;

  const get = async (path: string): Promise<{ status: number; body: string }> => {
    const res = await fetch(`http://${LOOPBACK}:${opts.httpPort}${path}`);
    return { status: res.status, body: await res.text() };
  };
  const waitFor = async (path: string, want: number, timeoutMs: number): Promise<void> => {
    const until = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < until) {
      if (child?.hasExited()) throw new Error(`parley exited: ${(await readFile(logFile, 'utf8')).slice(-3000)}`);
      try {
        const r = await get(path);
        if (r.status === want) return;
        last = `${r.status} ${r.body}`;
      } catch (err) {
        last = String(err);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`parley ${path} not ${want} within ${timeoutMs} ms (last: ${last})`);
  };
  const start = async (): Promise<void> => {
    child = spawnChild(process.execPath, [...(opts.nodeArgs ?? []), CLI, 'start', '--config', configFile], { cwd: dir, outputFile: logFile });
    await waitFor('/healthz', 200, 15_000);
  };
  await start();
  return {
    dir, httpPort: opts.httpPort, configFile, get,
    async metric(series) {
      const { body } = await get('/metrics');
      for (const line of body.split('\n')) {
        if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
      }
      return undefined;
    },
    ready: (timeoutMs = 15_000) => waitFor('/readyz', 200, timeoutMs),
    async stop() {
      await child?.stop(5000);
      if (!opts.keepDir) await rm(dir, { recursive: true, force: true });
    },
    async kill() {
      if (!child) return;
      process.kill(child.pid, 'SIGKILL');
      await child.exited;
    },
    start,
    alive: () => child !== undefined && !child.hasExited(),
    logs: () => readFile(logFile, 'utf8'),
  };
}
