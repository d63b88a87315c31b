// Kamailio (Debian kamailio 5.6 + kamailio-presence-modules) as the SIP presence server of a SIP
// domain, on loopback, one process per test in its own temp dir: presence + presence_xml with
// db_text storage in the temp dir. PUBLISH and SUBSCRIBE for the served domain are handled
// locally (PIDF; every watcher authorised: no XCAP, force_active); initial requests for the other
// domains are record-routed to their next hop (Parley for the XMPP domain); in-dialog requests
// follow loose_route(), and in-dialog SUBSCRIBEs to Kamailio itself (refreshes) are handled locally.
import { copyFile, mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeSipPort, LOOPBACK } from './ports.ts';
import { KAMAILIO_MODULES, launchKamailio, type KamailioRoute } from './kamailio.ts';

const DBTEXT_TEMPLATES = '/usr/share/kamailio/dbtext/kamailio';
const TABLES = ['version', 'presentity', 'active_watchers', 'watchers', 'xcap', 'pua'];
const MODULES = ['sl', 'tm', 'rr', 'maxfwd', 'textops', 'siputils', 'xlog', 'pv', 'db_text', 'presence', 'presence_xml'];

export interface KamailioPresenceOptions {
  /** The SIP domain whose presence Kamailio serves, e.g. "corp.test". */
  readonly domain: string;
  /** Next hops for other domains (e.g. xmpp.test → Parley). */
  readonly routes: readonly KamailioRoute[];
  readonly port?: number;
  /** Upper bound Kamailio grants to a SUBSCRIBE (presence max_expires), seconds. */
  readonly maxExpires?: number;
  readonly startTimeoutMs?: number;
  readonly keepDir?: boolean;
}

export interface KamailioPresenceHandle {
  readonly port: number;
  readonly dir: string;
  readonly address: string;
  uri(transport?: 'udp' | 'tcp'): string;
  logs(): string;
  stop(): Promise<void>;
}

export function renderKamailioPresenceConfig(port: number, dbDir: string, o: KamailioPresenceOptions): string {
  const branches = o.routes.map((r, i) => [
    `  ${i === 0 ? 'if' : 'else if'} ($rd == "${r.domain}") {`,
    `    $du = "sip:${r.to};transport=${r.transport ?? 'udp'}";`,
    '  }',
  ].join('\n')).join('\n');
  return `#!KAMAILIO
# written by test/harness/kamailio-presence.ts
debug=2
log_stderror=yes
log_prefix="kamailio: "
children=1
tcp_children=2
listen=udp:${LOOPBACK}:${port}
listen=tcp:${LOOPBACK}:${port}
auto_aliases=no
alias="${LOOPBACK}:${port}"
alias="${o.domain}"
dns=no
rev_dns=no
dns_try_ipv6=no
use_dns_cache=off
tcp_connection_lifetime=60

mpath="${KAMAILIO_MODULES}"
${MODULES.map((m) => `loadmodule "${m}.so"`).join('\n')}

modparam("rr", "enable_full_lr", 1)
modparam("tm", "fr_timer", 5000)
modparam("presence", "db_url", "text://${dbDir}")
modparam("presence", "server_address", "sip:${LOOPBACK}:${port}")
modparam("presence", "max_expires", ${o.maxExpires ?? 3600})
modparam("presence", "subs_db_mode", 0)
modparam("presence", "db_update_period", 1)
modparam("presence", "clean_period", 5)
modparam("presence_xml", "db_url", "text://${dbDir}")
modparam("presence_xml", "force_active", 1)

request_route {
  xlog("L_INFO", "request $rm $ru from $si:$sp ($pr) event=$hdr(Event) expires=$hdr(Expires)\\n");
  if (!mf_process_maxfwd_header("10")) {
    sl_send_reply("483", "Too Many Hops");
    exit;
  }
  if (has_totag()) {
    if (loose_route()) {
      t_on_reply("REPLY");
      if (!t_relay()) sl_reply_error();
      exit;
    }
    if (is_method("SUBSCRIBE")) {
      route(PRESENCE);
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
  # An initial request sent with a Route to us (outbound proxy): consume it.
  loose_route();
  if ($rd == "${o.domain}" || $rd == "${LOOPBACK}") {
    if (is_method("PUBLISH|SUBSCRIBE")) {
      route(PRESENCE);
      exit;
    }
    sl_send_reply("404", "No Such User Here");
    exit;
  }
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

route[PRESENCE] {
  if (!t_newtran()) {
    sl_reply_error();
    exit;
  }
  if (is_method("PUBLISH")) handle_publish();
  else handle_subscribe();
  t_release();
}

onreply_route[REPLY] {
  xlog("L_INFO", "reply $rs $rr for $rm from $si:$sp ($pr)\\n");
}
`;
}


export async function startKamailioPresence(o: KamailioPresenceOptions): Promise<KamailioPresenceHandle> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-kamailio-presence-'));
  const port = o.port ?? (await freeSipPort());
  const dbDir = join(dir, 'db');
  await mkdir(dbDir);
  for (const table of TABLES) await copyFile(join(DBTEXT_TEMPLATES, table), join(dbDir, table));
  const configFile = join(dir, 'kamailio.cfg');
  await writeFile(configFile, renderKamailioPresenceConfig(port, dbDir, o));
  return launchKamailio(dir, port, configFile, o);
}
