// SIPp (Debian sip-tester, 3.6) as a SIP peer for edge and end-to-end tests: one process per run,
// bound to 127.0.0.1 on its own port, with its scenario, traces and output in its own temp dir.
//
// Values reach a scenario two ways:
//  - keys (`-key NAME VALUE`, used as [NAME] in the scenario): any bytes except NUL, inserted when
//    the message is sent; [len] then counts bytes. Use these for URIs, bodies, header values.
//  - params ({{NAME}} in the scenario file, replaced before SIPp reads it): for places where SIPp
//    takes no keyword, e.g. a response's status code (checked when the scenario loads) or
//    <recv response="...">.
// Exit code 0 means every call succeeded; 1 at least one failed; 97 stopped by an internal
// command or -timeout; 99 no call processed; 255 fatal error; 254 socket bind failure.
import { mkdtemp, readFile, writeFile, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeSipPort, freeUdpPort, isBound, LOOPBACK } from './ports.ts';
import { spawnChild, removeOnExit } from './child.ts';
import { parseSippTrace } from './sip-trace.ts';
import type { SippTraceEntry } from './sip-trace.ts';

export const SIPP_BIN = '/usr/bin/sipp';
/** test/e2e/scenarios, where the shared SIPp scenarios live. */
export const SCENARIOS = fileURLToPath(new URL('../e2e/scenarios/', import.meta.url));

export interface SippOptions {
  /** Scenario file (absolute, or a file name in test/e2e/scenarios). */
  readonly scenario: string;
  /** host:port to send to (UAC). Omit for a UAS. */
  readonly remote?: string;
  readonly transport?: 'udp' | 'tcp';
  /** Local SIP port (default: a port free for UDP and TCP). */
  readonly port?: number;
  /** -m: stop after this many calls (default 1). */
  readonly calls?: number;
  /** -r: calls per second for a UAC (SIPp default 10). */
  readonly rate?: number;
  readonly keys?: Readonly<Record<string, string>>;
  readonly params?: Readonly<Record<string, string | number>>;
  /** -inf: injection rows ([field0], [field1], ...); no ';' or line breaks in a field. */
  readonly inf?: { readonly order?: 'SEQUENTIAL' | 'RANDOM' | 'USER'; readonly rows: readonly (readonly string[])[] };
  /** -timeout with -timeout_error: SIPp gives up (and fails) after this long. Default 15 s. */
  readonly timeoutMs?: number;
  readonly extraArgs?: readonly string[];
  readonly keepDir?: boolean;
}

export interface SippStats {
  readonly successful: number;
  readonly failed: number;
}

export interface SippResult {
  /**
   * Exit code 0 and every one of the -m calls successful. Check this rather than `code`: SIPp
   * stopped by SIGTERM (stop()) or by -timeout without -timeout_error also exits 0.
   */
  readonly ok: boolean;
  /** SIPp's exit code (null if killed by a signal). 0 = all calls succeeded. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stats: SippStats | undefined;
  /** The -trace_msg file as text. */
  readonly messages: string;
  /** The same, split into messages, byte-exact. */
  readonly trace: readonly SippTraceEntry[];
  /** The -trace_err file (unexpected messages, errors). */
  readonly errors: string;
  /** SIPp's stdout/stderr (its final statistics screen). */
  readonly output: string;
}

export interface SippHandle {
  readonly port: number;
  readonly transport: 'udp' | 'tcp';
  readonly dir: string;
  /** sip:127.0.0.1:PORT;transport=... — where this SIPp listens. */
  readonly uri: string;
  /** Resolves when SIPp exits (never rejects). */
  readonly done: Promise<SippResult>;
  /** Kills SIPp if still running, then removes its directory. Idempotent. */
  stop(): Promise<SippResult>;
}

export class SippError extends Error {
  override name = 'SippError';
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function lastCount(output: string, label: string): number | undefined {
  const re = new RegExp(`${label}\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)`, 'g');
  let last: number | undefined;
  for (const m of output.matchAll(re)) last = Number(m[1]);
  return last;
}

function render(template: string, params: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => {
    const v = params[name];
    if (v === undefined) throw new SippError(`scenario parameter {{${name}}} has no value`);
    return String(v);
  });
}

export async function startSipp(o: SippOptions): Promise<SippHandle> {
  for (const [k, v] of Object.entries(o.keys ?? {})) if (v.includes('\0')) throw new SippError(`key ${k}: NUL cannot be passed to SIPp`);
  for (const row of o.inf?.rows ?? []) for (const f of row) if (/[;\r\n]/.test(f)) throw new SippError(`inf field ${JSON.stringify(f)}: no ';' or line breaks`);
  const transport = o.transport ?? 'udp';
  const dir = await mkdtemp(join(tmpdir(), 'parley-sipp-'));
  const forget = o.keepDir ? () => false : removeOnExit(dir);
  const port = o.port ?? (await freeSipPort());
  const controlPort = await freeUdpPort();
  const source = o.scenario.includes('/') ? o.scenario : join(SCENARIOS, o.scenario);
  const scenario = join(dir, basename(source));
  try {
    await writeFile(scenario, render(await readFile(source, 'utf8'), o.params ?? {}));
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    forget();
    throw err;
  }
  const files = {
    messages: join(dir, 'messages.log'),
    errors: join(dir, 'errors.log'),
    output: join(dir, 'sipp.out'),
    inf: join(dir, 'inject.csv'),
  };

  const args: string[] = [];
  if (o.remote !== undefined) args.push(o.remote);
  args.push('-sf', scenario, '-i', LOOPBACK, '-p', String(port), '-t', transport === 'tcp' ? 't1' : 'u1');
  args.push('-ci', LOOPBACK, '-cp', String(controlPort), '-mi', LOOPBACK);
  args.push('-m', String(o.calls ?? 1), '-nostdin');
  args.push('-timeout', `${o.timeoutMs ?? 15_000}ms`, '-timeout_error');
  args.push('-trace_msg', '-message_file', files.messages, '-trace_err', '-error_file', files.errors);
  if (o.rate !== undefined) args.push('-r', String(o.rate));
  for (const [k, v] of Object.entries(o.keys ?? {})) args.push('-key', k, v);
  if (o.inf) {
    await writeFile(files.inf, [o.inf.order ?? 'SEQUENTIAL', ...o.inf.rows.map((r) => r.join(';'))].join('\n') + '\n');
    args.push('-inf', files.inf);
  }
  args.push(...(o.extraArgs ?? []));
  await writeFile(join(dir, 'command'), [SIPP_BIN, ...args].map((a) => JSON.stringify(a)).join(' ') + '\n');

  const child = spawnChild(SIPP_BIN, args, { cwd: dir, outputFile: files.output });
  const read = (f: string): Buffer => (existsSync(f) ? readFileSync(f) : Buffer.alloc(0));
  const done: Promise<SippResult> = child.exited.then((exit) => {
    const messages = read(files.messages);
    const output = read(files.output).toString('utf8');
    const successful = lastCount(output, 'Successful call');
    const failed = lastCount(output, 'Failed call');
    const calls = o.calls ?? 1;
    return {
      ok: exit.code === 0 && failed === 0 && successful === calls,
      code: exit.code,
      signal: exit.signal,
      stats: successful === undefined || failed === undefined ? undefined : { successful, failed },
      messages: messages.toString('utf8'),
      trace: parseSippTrace(messages),
      errors: read(files.errors).toString('utf8'),
      output,
    };
  });

  let stopped: Promise<SippResult> | undefined;
  const stop = (): Promise<SippResult> => {
    stopped ??= (async () => {
      await child.stop(1000);
      const result = await done;
      if (!o.keepDir) await rm(dir, { recursive: true, force: true });
      forget();
      return result;
    })();
    return stopped;
  };

  // A UAS is ready once its SIP socket is bound; a UAC starts sending at once.
  if (o.remote === undefined) {
    const deadline = Date.now() + 5000;
    while (!isBound(port, transport)) {
      if (child.hasExited()) {
        const r = await stop();
        throw new SippError(`sipp exited with code ${r.code} before binding ${transport} 127.0.0.1:${port}:\n${r.output.slice(-3000)}\n${r.errors}`);
      }
      if (Date.now() > deadline) {
        const r = await stop();
        throw new SippError(`sipp did not bind ${transport} 127.0.0.1:${port} within 5 s:\n${r.output.slice(-3000)}`);
      }
      await sleep(10);
    }
  }

  return { port, transport, dir, uri: `sip:${LOOPBACK}:${port};transport=${transport}`, done, stop };
}

/** Standard reason phrases (RFC 3261 §21, RFC 3428) for the statuses tests answer with. */
export const REASON: Readonly<Record<number, string>> = {
  200: 'OK',
  202: 'Accepted',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  480: 'Temporarily Unavailable',
  486: 'Busy Here',
  488: 'Not Acceptable Here',
  500: 'Server Internal Error',
  503: 'Service Unavailable',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
};
