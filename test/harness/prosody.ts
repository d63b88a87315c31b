// A private Prosody (Debian package, 0.12) for edge and end-to-end tests: its own temp dir, its own
// loopback ports, plaintext c2s with SASL PLAIN, XEP-0114 component ports, no s2s, no HTTP.
// Runs in the foreground (`prosody -F --config FILE`; the `daemonize` option is deprecated in 0.12).
// Users are written straight into the internal_plain store (faster than `prosodyctl register`).
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort, isBound, LOOPBACK } from './ports.ts';
import { spawnChild, removeOnExit } from './child.ts';
import type { Child } from './child.ts';

export const PROSODY_BIN = '/usr/bin/prosody';

export interface ProsodyUser {
  readonly user: string;
  readonly password: string;
}

export interface ProsodyComponent {
  readonly domain: string;
  readonly secret: string;
}

export interface ProsodyOptions {
  readonly vhost: string;
  readonly users?: readonly ProsodyUser[];
  readonly components?: readonly ProsodyComponent[];
  readonly c2sPort?: number;
  readonly componentPort?: number;
  /** Extra modules to enable on top of the minimal set (e.g. 'offline', 'carbons'). */
  readonly modules?: readonly string[];
  /** Lua appended to the global section, before the VirtualHost. */
  readonly extraGlobalConfig?: string;
  /** Prosody's log level for prosody.log (default 'debug'). */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Keep the temp dir after stop() (debugging). */
  readonly keepDir?: boolean;
  /** How long to wait for the listeners (default 10 s). */
  readonly startTimeoutMs?: number;
}

export interface ProsodyHandle {
  readonly vhost: string;
  readonly c2sPort: number;
  readonly componentPort: number;
  readonly dir: string;
  readonly configFile: string;
  /** Milliseconds from spawn to the listeners accepting, for the last start. */
  readonly startupMs: () => number;
  /** Adds (or overwrites) an account while running; internal storage is read from disk. */
  addUser(user: string, password: string): Promise<void>;
  /** Stops the server (SIGTERM, then SIGKILL) and removes its directory. Idempotent. */
  stop(): Promise<void>;
  /**
   * Stops and starts again on the same ports with the same data (reconnect tests). Default: a clean
   * shutdown (SIGTERM; clients get <system-shutdown/>; ~1 s with sessions open). `hard`: SIGKILL.
   */
  restart(opts?: { readonly hard?: boolean }): Promise<void>;
  /** SIGKILL without cleanup, for fault injection; restart() brings it back. */
  crash(): Promise<void>;
  /** Contents of prosody.log (and of the process output, if any). */
  logs(): string;
}

/** Lua string literal; Lua strings are bytes, so UTF-8 passes through untouched. */
export function luaString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (c < 0x20 || c === 0x7f) out += '\\' + String(c).padStart(3, '0');
    else out += ch;
  }
  return out + '"';
}

/** Prosody's datamanager file-name encoding: every non-alphanumeric byte becomes %xx. */
export function prosodyPathEncode(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const isAlnum = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
    out += isAlnum ? String.fromCharCode(b) : '%' + b.toString(16).padStart(2, '0');
  }
  return out;
}

const MINIMAL_MODULES = ['roster', 'saslauth', 'disco', 'ping', 'posix'];
// Autoloaded by Prosody unless disabled. No s2s: nothing leaves loopback. No offline storage by
// default: a message to an unavailable user bounces with service-unavailable, deterministically.
const DISABLED_MODULES = ['s2s', 's2s_auth_certs', 'dialback', 'offline', 'tls', 'http'];

function renderConfig(o: ProsodyOptions, dir: string, c2sPort: number, componentPort: number): string {
  const modules = [...new Set([...MINIMAL_MODULES, ...(o.modules ?? [])])];
  const disabled = DISABLED_MODULES.filter((m) => !modules.includes(m));
  const list = (xs: readonly string[]): string => `{ ${xs.map(luaString).join(', ')} }`;
  const lines = [
    '-- written by test/harness/prosody.ts',
    'run_as_root = true',
    `pidfile = ${luaString(join(dir, 'prosody.pid'))}`,
    `data_path = ${luaString(join(dir, 'data'))}`,
    `certificates = ${luaString(join(dir, 'certs'))}`,
    'plugin_paths = {}',
    `log = { { levels = { min = ${luaString(o.logLevel ?? 'debug')} }, to = "file", filename = ${luaString(join(dir, 'prosody.log'))} } }`,
    `interfaces = { ${luaString(LOOPBACK)} }`,
    `local_interfaces = { ${luaString(LOOPBACK)} }`,
    `c2s_ports = { ${c2sPort} }`,
    'c2s_direct_tls_ports = {}',
    'legacy_ssl_ports = {}',
    's2s_ports = {}',
    's2s_direct_tls_ports = {}',
    'http_ports = {}',
    'https_ports = {}',
    `component_ports = { ${componentPort} }`,
    `component_interfaces = { ${luaString(LOOPBACK)} }`,
    '-- Nagle adds ~40 ms per hop on loopback',
    'network_settings = { nagle = false }',
    'c2s_require_encryption = false',
    's2s_require_encryption = false',
    'allow_unencrypted_plain_auth = true',
    'authentication = "internal_plain"',
    'storage = "internal"',
    `modules_enabled = ${list(modules)}`,
    `modules_disabled = ${list(disabled)}`,
    o.extraGlobalConfig ?? '',
    '',
    `VirtualHost ${luaString(o.vhost)}`,
    '',
  ];
  for (const c of o.components ?? []) {
    lines.push(`Component ${luaString(c.domain)}`, `  component_secret = ${luaString(c.secret)}`, '');
  }
  return lines.join('\n');
}

function accountFile(dir: string, vhost: string, user: string): string {
  return join(dir, 'data', prosodyPathEncode(vhost), 'accounts', `${prosodyPathEncode(user)}.dat`);
}

async function writeAccount(dir: string, vhost: string, user: string, password: string): Promise<void> {
  const file = accountFile(dir, vhost, user);
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, `return {\n\t["password"] = ${luaString(password)};\n};\n`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startProsody(o: ProsodyOptions): Promise<ProsodyHandle> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-prosody-'));
  const forget = o.keepDir ? () => false : removeOnExit(dir);
  const c2sPort = o.c2sPort ?? (await freeTcpPort());
  const componentPort = o.componentPort ?? (await freeTcpPort());
  const configFile = join(dir, 'prosody.cfg.lua');
  const outputFile = join(dir, 'prosody.out');
  await mkdir(join(dir, 'data'), { recursive: true });
  await mkdir(join(dir, 'certs'), { recursive: true });
  await writeFile(configFile, renderConfig(o, dir, c2sPort, componentPort));
  for (const u of o.users ?? []) await writeAccount(dir, o.vhost, u.user, u.password);

  let child: Child | undefined;
  let stopped = false;
  let lastStartupMs = 0;

  const logs = (): string => {
    const parts: string[] = [];
    for (const f of [join(dir, 'prosody.log'), outputFile]) {
      if (existsSync(f)) parts.push(readFileSync(f, 'utf8'));
    }
    return parts.join('\n');
  };

  const launch = async (): Promise<void> => {
    const t0 = performance.now();
    const c = spawnChild(PROSODY_BIN, ['-F', '--config', configFile], { cwd: dir, outputFile });
    child = c;
    const deadline = Date.now() + (o.startTimeoutMs ?? 10_000);
    // The component listener exists only when a Component is configured.
    const wanted = (o.components ?? []).length > 0 ? [c2sPort, componentPort] : [c2sPort];
    const ready = new Set<number>();
    while (ready.size < wanted.length) {
      if (c.hasExited()) {
        const exit = await c.exited;
        throw new Error(`prosody exited during startup (code ${exit.code}, signal ${exit.signal}); logs in ${dir}:\n${logs().slice(-4000)}`);
      }
      if (Date.now() > deadline) {
        await c.stop();
        throw new Error(`prosody did not listen on 127.0.0.1:${wanted.join(', ')} in time; logs:\n${logs().slice(-4000)}`);
      }
      for (const p of wanted) if (!ready.has(p) && isBound(p, 'tcp')) ready.add(p);
      if (ready.size < wanted.length) await sleep(15);
    }
    lastStartupMs = performance.now() - t0;
  };

  const halt = async (hard = false): Promise<void> => {
    const c = child;
    child = undefined;
    if (c) await c.stop(hard ? 0 : 3000);
  };

  const handle: ProsodyHandle = {
    vhost: o.vhost,
    c2sPort,
    componentPort,
    dir,
    configFile,
    startupMs: () => lastStartupMs,
    addUser: (user, password) => writeAccount(dir, o.vhost, user, password),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await halt();
      if (!o.keepDir) await rm(dir, { recursive: true, force: true });
      forget();
    },
    restart: async (opts) => {
      if (stopped) throw new Error('prosody harness: restart() after stop()');
      await halt(opts?.hard);
      await launch();
    },
    crash: () => halt(true),
    logs,
  };

  try {
    await launch();
  } catch (err) {
    stopped = true;
    await halt();
    if (!o.keepDir) await rm(dir, { recursive: true, force: true });
    forget();
    throw err;
  }
  return handle;
}
