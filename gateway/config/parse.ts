// Config text → validated ParleyConfig, or every problem with file, line and reason.
// Pure apart from the env map it is given: file reads and process.env live in load.ts.
import { Ajv, type ErrorObject } from 'ajv';
import { LineCounter, parseDocument, isMap, type Document, type Node as YamlNode } from 'yaml';
import { configSchema } from './schema.ts';
import type { ComponentConfig, ParleyConfig, PeerConfig, Role, Service, Direction } from './types.ts';

export interface ConfigProblem { file: string; line: number; column: number; reason: string }
export type ConfigResult = { ok: true; config: ParleyConfig } | { ok: false; problems: ConfigProblem[] };

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validate = ajv.compile(configSchema);

type Path = (string | number)[];

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.reason}`;
}

export function parseConfig(text: string, file: string, env: Readonly<Record<string, string | undefined>>): ConfigResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number, reason: string): ConfigProblem => {
    const pos = lines.linePos(offset);
    return { file, line: pos.line, column: pos.col, reason };
  };
  if (doc.errors.length > 0) {
    return { ok: false, problems: doc.errors.map((e) => at(e.pos[0], e.message.replace(/\n[\s\S]*$/, ''))) };
  }
  let raw: unknown;
  try {
    // Throws on alias expansion past maxAliasCount (a "billion laughs" document).
    raw = doc.toJS() ?? {};
  } catch (err) {
    return { ok: false, problems: [at(0, (err as Error).message)] };
  }
  if (!validate(raw)) {
    const problems = validate.errors!.filter((e) => !isNoise(e, raw)).map((e) => schemaProblem(e, doc, at));
    return { ok: false, problems: problems.sort(byPosition) };
  }
  const problems: ConfigProblem[] = [];
  const where = (path: Path, reason: string): void => { problems.push(at(nodeOffset(doc, path), reason)); };
  const config = build(raw, env, where);
  checkSemantics(config, where);
  problems.sort(byPosition);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config };
}

function byPosition(a: ConfigProblem, b: ConfigProblem): number {
  return a.line - b.line || a.column - b.column;
}

// `oneOf` failures repeat each branch's own error; the branch errors say more. `bus` is the one
// oneOf: a scalar gets the 'memory' message only, a mapping only its own (nested) errors.
function isNoise(e: ErrorObject, raw: unknown): boolean {
  if (e.keyword === 'oneOf') return true;
  if (e.instancePath !== '/bus') return false;
  const bus = (raw as { bus?: unknown }).bus;
  const isMapping = typeof bus === 'object' && bus !== null && !Array.isArray(bus);
  return isMapping === (e.keyword === 'const');
}

function schemaProblem(e: ErrorObject, doc: Document, at: (o: number, r: string) => ConfigProblem): ConfigProblem {
  const path = e.instancePath.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
  const name = path.length > 0 ? path.join('.') : 'the document';
  if (e.keyword === 'additionalProperties') {
    const key = String((e.params as { additionalProperty: string }).additionalProperty);
    return at(keyOffset(doc, path, key), `unknown key '${key}' in ${name}`);
  }
  if (e.keyword === 'required') {
    return at(nodeOffset(doc, path), `${name} is missing '${String((e.params as { missingProperty: string }).missingProperty)}'`);
  }
  if (e.keyword === 'enum') {
    const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map(String).join(', ');
    return at(nodeOffset(doc, path), `${name} must be one of: ${allowed}`);
  }
  if (e.keyword === 'const' && path.length === 1 && path[0] === 'bus') {
    return at(nodeOffset(doc, path), `bus must be 'memory' or { nats: { servers: [...] } }`);
  }
  return at(nodeOffset(doc, path), `${name} ${e.message!}` /* ajv sets message unless `messages: false` */);
}

function nodeOffset(doc: Document, path: Path): number {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as YamlNode | undefined;
    if (node && typeof node === 'object' && 'range' in node && node.range) return node.range[0];
  }
  return 0;
}

function keyOffset(doc: Document, path: Path, key: string): number {
  const node = path.length === 0 ? doc.contents : doc.getIn(path, true);
  if (isMap(node)) {
    for (const pair of node.items) {
      const k = pair.key as YamlNode | null;
      // toJS turns a null key (`~:`) into ''; a collection key has no plain name and is not matched.
      if (k && 'value' in k && plainKey(k.value) === key && k.range) return k.range[0];
    }
  }
  return nodeOffset(doc, path);
}

// The name toJS gives a scalar key: `5060` and `true` their text, null (`~`) ''. (The core schema
// has no other scalar types; collection keys have no `value` and are not matched.)
function plainKey(v: unknown): string {
  switch (typeof v) {
    case 'string': return v;
    case 'number': case 'boolean': return String(v);
    default: return '';
  }
}

// ---- raw (schema-valid) → typed, with defaults and secrets resolved ----

interface RawComponent { domain: string; host?: string; port?: number; secret: string; addressing?: 'direct' | 'escaped' }
interface RawPeer {
  name: string; remote: { xmpp?: string[]; sip?: string[] }; local: { domains: string[]; users?: string[] };
  services?: Service[]; direction?: Direction; limits?: PeerConfig['limits']; billing?: PeerConfig['billing'];
}
interface RawConfig {
  node?: { id?: string; roles?: Role[] };
  bus?: 'memory' | { nats: { servers: string[] } };
  store?: { path?: string };
  http?: { listen?: string; adminToken?: string };
  sip: { listen: string[]; tls?: { cert: string; key: string; ca?: string; clientAuth?: boolean }; outboundProxy?: string; dnsServers?: string[]; domains: string[] };
  xmpp: { components: RawComponent[] };
  peers?: RawPeer[];
  log?: { level?: string };
}

type Where = (path: Path, reason: string) => void;

function resolveSecret(value: string, path: Path, env: Readonly<Record<string, string | undefined>>, where: Where): string {
  if (!value.startsWith('env:')) return value;
  const name = value.slice(4);
  const v = env[name];
  if (v === undefined || v === '') where(path, `environment variable ${name} is not set`);
  return v ?? '';
}

function build(raw: RawConfig, env: Readonly<Record<string, string | undefined>>, where: Where): ParleyConfig {
  const components: ComponentConfig[] = raw.xmpp.components.map((c, i) => ({
    domain: c.domain.toLowerCase(),
    host: c.host ?? '127.0.0.1',
    port: c.port ?? 5347,
    secret: resolveSecret(c.secret, ['xmpp', 'components', i, 'secret'], env, where),
    addressing: c.addressing ?? 'direct',
  }));
  const peers: PeerConfig[] = (raw.peers ?? []).map((p) => ({
    name: p.name,
    remote: { xmpp: (p.remote.xmpp ?? []).map(lower), sip: (p.remote.sip ?? []).map(lower) },
    local: { domains: p.local.domains.map(lower), users: p.local.users ?? ['*'] },
    services: p.services ?? ['message', 'presence'],
    direction: p.direction ?? 'both',
    limits: p.limits ?? {},
    billing: p.billing ?? {},
  }));
  const bus: ParleyConfig['bus'] = raw.bus === undefined || raw.bus === 'memory' ? { kind: 'memory' } : { kind: 'nats', servers: raw.bus.nats.servers };
  const http: ParleyConfig['http'] = { listen: raw.http?.listen ?? '127.0.0.1:9464' };
  if (raw.http?.adminToken !== undefined) http.adminToken = resolveSecret(raw.http.adminToken, ['http', 'adminToken'], env, where);
  const sip: ParleyConfig['sip'] = { listen: raw.sip.listen, domains: raw.sip.domains.map(lower) };
  if (raw.sip.tls) sip.tls = raw.sip.tls;
  if (raw.sip.outboundProxy !== undefined) sip.outboundProxy = raw.sip.outboundProxy;
  if (raw.sip.dnsServers !== undefined) sip.dnsServers = raw.sip.dnsServers;
  return {
    node: { id: raw.node?.id ?? 'parley-1', roles: raw.node?.roles ?? ['sip', 'xmpp', 'core'] },
    bus,
    store: { path: raw.store?.path ?? './data' },
    http,
    sip,
    xmpp: { components },
    peers,
    log: { level: raw.log?.level ?? 'info' },
  };
}

function lower(s: string): string {
  return s.toLowerCase();
}

const LISTEN = /^(udp|tcp|tls|ws|wss):\/\/(\[[0-9a-fA-F:.]+\]|[^:/[\]]+):(\d{1,5})$/;

function checkSemantics(c: ParleyConfig, where: Where): void {
  c.sip.listen.forEach((l, i) => {
    const m = LISTEN.exec(l);
    if (!m || Number(m[3]) > 65535) where(['sip', 'listen', i], `'${l}' is not a listen address like udp://127.0.0.1:5060`);
    else if ((m[1] === 'tls' || m[1] === 'wss') && !c.sip.tls) where(['sip', 'listen', i], `${m[1]} listener needs sip.tls { cert, key }`);
  });
  const http = /^(\[[0-9a-fA-F:.]+\]|[^:/[\]]+):(\d{1,5})$/.exec(c.http.listen);
  if (!http || Number(http[2]) > 65535) where(['http', 'listen'], `'${c.http.listen}' is not host:port`);
  const seen = new Set<string>();
  c.xmpp.components.forEach((comp, i) => {
    if (seen.has(comp.domain)) where(['xmpp', 'components', i, 'domain'], `component domain ${comp.domain} is listed twice`);
    seen.add(comp.domain);
    if (comp.addressing === 'direct' && !c.sip.domains.includes(comp.domain)) {
      where(['xmpp', 'components', i, 'domain'], `direct addressing: component domain ${comp.domain} must also be in sip.domains`);
    }
  });
  const names = new Set<string>();
  c.peers.forEach((p, i) => {
    if (names.has(p.name)) where(['peers', i, 'name'], `peer name ${p.name} is used twice`);
    names.add(p.name);
    if (p.remote.xmpp.length === 0 && p.remote.sip.length === 0) where(['peers', i, 'remote'], `peer ${p.name} names no remote domain`);
    p.local.domains.forEach((d, j) => {
      if (!c.sip.domains.includes(d)) where(['peers', i, 'local', 'domains', j], `peer ${p.name}: local domain ${d} is not in sip.domains`);
    });
    const publish = p.services.indexOf('publish');
    if (publish >= 0 && !p.services.includes('presence')) {
      where(['peers', i, 'services', publish], `peer ${p.name}: publish needs presence (published state reaches presence watchers only)`);
    }
    const { messagesPerSecond, burst } = p.limits;
    if (burst !== undefined && messagesPerSecond === undefined) where(['peers', i, 'limits', 'burst'], `peer ${p.name}: burst needs messagesPerSecond`);
  });
}

