// Kamailio (Debian kamailio 5.6) as a SIP proxy on loopback, in front of Parley: one process per
// test, its own config, pid file, runtime dir and log in its own temp dir. Requests are routed by
// Request-URI domain to a fixed next hop ($du); every initial request is record-routed, in-dialog
// requests follow loose_route(). Replies are logged (source address and top Via) so a test can
// see which hop answered and through which Via.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnChild, removeOnExit, type Child } from './child.ts';
import { freeSipPort, isBound, LOOPBACK } from './ports.ts';

export const KAMAILIO_BIN = '/usr/sbin/kamailio';
export const KAMAILIO_MODULES = '/usr/lib/x86_64-linux-gnu/kamailio/modules/';

export interface KamailioRoute {
  /** Request-URI host, e.g. "xmpp.test". */
  readonly domain: string;
  /** Next hop, host:port. */
  readonly to: string;
  readonly transport?: 'udp' | 'tcp';
}

export interface KamailioOptions {
  readonly routes: readonly KamailioRoute[];
  /** SIP port for UDP and TCP (default: a free one). */
  readonly port?: number;
  readonly startTimeoutMs?: number;
  readonly keepDir?: boolean;
}

export interface KamailioHandle {
  readonly port: number;
  readonly dir: string;
  /** host:port where Kamailio listens. */
  readonly address: string;
  /** sip:127.0.0.1:PORT;transport=udp|tcp — for an outboundProxy setting. */
  uri(transport?: 'udp' | 'tcp'): string;
  /** Kamailio's stderr log, including the "reply ..." and "request ..." lines of the config. */
  logs(): string;
  stop(): Promise<void>;
}

const MODULES = ['sl', 'tm', 'rr', 'maxfwd', 'textops', 'siputils', 'xlog', 'pv'];

/** The proxy configuration: Record-Route, loose routing, next hop by Request-URI domain. */
export function renderKamailioConfig(port: number, routes: readonly KamailioRoute[]): string {
  const branches = routes.map((r, i) => [
    `  ${i === 0 ? 'if' : 'else if'} ($rd == "${r.domain}") {`,
    `    $du = "sip:${r.to};transport=${r.transport ?? 'udp'}";`,
    '  }',
  ].join('\n')).join('\n');
  return `#!KAMAILIO
# written by test/harness/kamailio.ts
debug=2
log_stderror=yes
log_prefix="kamailio: "
children=2
tcp_children=2
listen=udp:${LOOPBACK}:${port}
listen=tcp:${LOOPBACK}:${port}
auto_aliases=no
alias="${LOOPBACK}:${port}"
dns=no
rev_dns=no
dns_try_ipv6=no
use_dns_cache=off
tcp_connection_lifetime=60

mpath="${KAMAILIO_MODULES}"
${MODULES.map((m) => `loadmodule "${m}.so"`).join('\n')}

modparam("rr", "enable_full_lr", 1)
modparam("tm", "fr_timer", 5000)

request_route {
  xlog("L_INFO", "request $rm $ru from $si:$sp ($pr)\\n");
  if (!mf_process_maxfwd_header("10")) {
    sl_send_reply("483", "Too Many Hops");
    exit;
  }
  if (has_totag()) {
    if (loose_route()) {
      if (!t_relay()) sl_reply_error();
      exit;
    }
    if (is_method("ACK")) {
      if (t_check_trans()) t_relay();
      exit;
    }
    sl_send_reply("404", "Not Here");
    exit;
  }
  if (is_method("CANCEL")) {
    if (t_check_trans()) t_relay();
    exit;
  }
  # An initial request sent with a Route to us: consume it.
  loose_route();
  record_route();
${branches}
  else {
    sl_send_reply("404", "Domain Not Routed");
    exit;
  }
  t_on_reply("REPLY");
  if (!t_relay()) sl_reply_error();
  exit;
}

onreply_route[REPLY] {
  xlog("L_INFO", "reply $rs $rr for $rm from $si:$sp ($pr) via <$(hdr(Via)[0])>\\n");
}
`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startKamailio(o: KamailioOptions): Promise<KamailioHandle> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-kamailio-'));
  const port = o.port ?? (await freeSipPort());
  const configFile = join(dir, 'kamailio.cfg');
  await writeFile(configFile, renderKamailioConfig(port, o.routes));
  return launchKamailio(dir, port, configFile, o);
}

/**
 * Runs Kamailio on a config already written into `dir` and waits until it has bound UDP and TCP
 * on `port`; the handle's stop() kills it and removes `dir` (unless keepDir).
 */
export async function launchKamailio(dir: string, port: number, configFile: string, o: { startTimeoutMs?: number; keepDir?: boolean }): Promise<KamailioHandle> {
  const forget = o.keepDir ? () => false : removeOnExit(dir);
  const outputFile = join(dir, 'kamailio.log');
  const runDir = join(dir, 'run');
  await mkdir(runDir, { recursive: true });
  const logs = (): string => (existsSync(outputFile) ? readFileSync(outputFile, 'utf8') : '');

  // -DD: no daemon, children still forked; -E: log to stderr. -m/-M: small shared/private memory.
  const args = ['-DD', '-E', '-f', configFile, '-P', join(dir, 'kamailio.pid'), '-Y', runDir, '-w', dir, '-m', '64', '-M', '8'];
  const child: Child = spawnChild(KAMAILIO_BIN, args, { cwd: dir, outputFile });
  const stop = async (): Promise<void> => {
    await child.stop(3000);
    if (!o.keepDir) await rm(dir, { recursive: true, force: true });
    forget();
  };

  const deadline = Date.now() + (o.startTimeoutMs ?? 10_000);
  while (!(isBound(port, 'udp') && isBound(port, 'tcp'))) {
    if (child.hasExited()) {
      const exit = await child.exited;
      const out = logs();
      await stop();
      throw new Error(`kamailio exited during startup (code ${exit.code}, signal ${exit.signal}):\n${out.slice(-4000)}`);
    }
    if (Date.now() > deadline) {
      const out = logs();
      await stop();
      throw new Error(`kamailio did not bind udp+tcp ${LOOPBACK}:${port} in time:\n${out.slice(-4000)}`);
    }
    await sleep(15);
  }

  return {
    port, dir, address: `${LOOPBACK}:${port}`,
    uri: (transport = 'udp') => `sip:${LOOPBACK}:${port};transport=${transport}`,
    logs, stop,
  };
}
