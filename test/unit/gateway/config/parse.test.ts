// The config contract (DESIGN.md §4): a bad config is refused with the file, the line, the column
// and what is wrong; a good one comes back typed, with defaults filled in and secrets resolved.
// Each file in fixtures/config/invalid/ states its own expectations in header comments:
//   # expect: LINE:COL: reason     (one per problem, in file order)
//   # env: NAME=value              (the environment the file is parsed with)
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatProblem, parseConfig } from '../../../../gateway/config/parse.ts';
import type { ParleyConfig } from '../../../../gateway/config/types.ts';

const root = join(import.meta.dirname, '../../../..');
const invalidDir = join(root, 'fixtures/config/invalid');

function fixtureEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/^# env: (\w+)=(.*)$/gm)) env[m[1]!] = m[2]!;
  return env;
}

function parseOk(text: string, env: Record<string, string | undefined> = {}): ParleyConfig {
  const r = parseConfig(text, 'test.yaml', env);
  if (!r.ok) throw new Error(`expected a valid config, got:\n${r.problems.map(formatProblem).join('\n')}`);
  return r.config;
}

const invalid = readdirSync(invalidDir).filter((n) => n.endsWith('.yaml')).sort();

void t.test('every invalid fixture is refused with exactly its expected file:line:column and reason', (t) => {
  t.ok(invalid.length >= 20, 'the fixture directory is populated');
  for (const name of invalid) {
    const text = readFileSync(join(invalidDir, name), 'utf8');
    const expected = [...text.matchAll(/^# expect: (.*)$/gm)].map((m) => `${name}:${m[1]!}`);
    t.ok(expected.length > 0, `${name} states what is wrong with it`);
    const r = parseConfig(text, name, fixtureEnv(text));
    t.equal(r.ok, false, `${name} is refused`);
    t.same(r.ok ? [] : r.problems.map(formatProblem), expected, name);
  }
  t.end();
});

const base = `sip:
  listen: ["udp://127.0.0.1:5060"]
  domains: [corp.example]
xmpp:
  components:
    - { domain: corp.example, secret: s }
`;

// Small cases where the YAML is short enough to read inline; the base document is six lines.
const inline: Array<{ rule: string; yaml: string; env?: Record<string, string>; problems: string[] }> = [
  { rule: 'an unknown top-level key is refused at the key', yaml: `${base}colour: blue\n`, problems: ["7:1: unknown key 'colour' in the document"] },
  { rule: 'a missing required key is reported at the mapping that lacks it', yaml: 'sip: { listen: ["udp://a:1"], domains: [x] }\n', problems: ["1:1: the document is missing 'xmpp'"] },
  { rule: 'an unknown numeric key is refused at the key', yaml: `${base}5060: udp\n`, problems: ["7:1: unknown key '5060' in the document"] },
  { rule: 'an unknown boolean key is refused at the key', yaml: `${base}true: 1\n`, problems: ["7:1: unknown key 'true' in the document"] },
  { rule: 'a bad log level lists the allowed ones', yaml: `${base}log: { level: loud }\n`, problems: ['7:15: log.level must be one of: trace, debug, info, warn, error, fatal, silent'] },
  { rule: 'a key path with a slash is reported unescaped', yaml: `${base}store: { "a/b~c": 1 }\n`, problems: ["7:10: unknown key 'a/b~c' in store"] },
  { rule: 'a value of the wrong type names the dotted path', yaml: `${base}peers:\n  - { name: "bad name", remote: { xmpp: [x] }, local: { domains: [corp.example] } }\n`, problems: ['8:13: peers.0.name must match pattern "^[A-Za-z0-9_.-]+$"'] },
  { rule: 'an empty environment variable counts as unset', yaml: base.replace('secret: s', 'secret: env:X'), env: { X: '' }, problems: ['6:39: environment variable X is not set'] },
  { rule: 'sip.dnsServers are numeric addresses (a resolver cannot be found by name)', yaml: base.replace('  domains:', '  dnsServers: [dns.example]\n  domains:'), problems: ['3:16: sip.dnsServers.0 must match pattern "^(\\[[0-9a-fA-F:.]+\\]|[0-9.]+)(:\\d{1,5})?$"'] },
  { rule: 'sip.tls.clientAuth is a boolean', yaml: base.replace('  domains:', '  tls: { cert: c.pem, key: k.pem, clientAuth: "yes" }\n  domains:'), problems: ['3:47: sip.tls.clientAuth must be boolean'] },
  { rule: 'an outbound proxy must be a SIP URI', yaml: base.replace('  domains:', '  outboundProxy: "127.0.0.1:5080"\n  domains:'), problems: ['3:18: sip.outboundProxy must match pattern "^sips?:"'] },
  { rule: 'a mistyped bus is refused with the one message that says what is allowed', yaml: `${base}bus: [memory]\n`, problems: ["7:6: bus must be 'memory' or { nats: { servers: [...] } }"] },
  { rule: 'several YAML documents in one file are refused', yaml: `${base}---\n${base}`, problems: ['7:1: Source contains multiple documents; please use YAML.parseAllDocuments()'] },
];

void t.test('inline invalid configs', (t) => {
  for (const c of inline) {
    const r = parseConfig(c.yaml, 'test.yaml', c.env ?? {});
    t.same(r.ok ? [] : r.problems.map(formatProblem), c.problems.map((p) => `test.yaml:${p}`), c.rule);
  }
  t.end();
});

void t.test('problems from every rule are all reported, sorted by position', (t) => {
  const r = parseConfig(`sip:
  listen: ["tls://0.0.0.0:5061"]
  domains: [corp.example]
http: { listen: "9464" }
xmpp:
  components:
    - { domain: xmpp.example, secret: env:NOPE }
`, 'multi.yaml', {});
  t.same(r.ok ? [] : r.problems.map(formatProblem), [
    'multi.yaml:2:12: tls listener needs sip.tls { cert, key }',
    "multi.yaml:4:17: '9464' is not host:port",
    'multi.yaml:7:17: direct addressing: component domain xmpp.example must also be in sip.domains',
    'multi.yaml:7:39: environment variable NOPE is not set',
  ]);
  t.end();
});

void t.test('defaults are filled in and names are lower-cased', (t) => {
  const config = parseOk(readFileSync(join(root, 'fixtures/config/valid/minimal.yaml'), 'utf8'));
  t.same(config, {
    node: { id: 'parley-1', roles: ['sip', 'xmpp', 'core'] },
    bus: { kind: 'memory' },
    store: { path: './data' },
    http: { listen: '127.0.0.1:9464' },
    sip: { listen: ['udp://127.0.0.1:5060'], domains: ['corp.example'] },
    xmpp: { components: [{ domain: 'corp.example', host: '127.0.0.1', port: 5347, secret: 's3cret', addressing: 'direct' }] },
    peers: [],
    log: { level: 'info' },
  });
  t.end();
});

void t.test('peer defaults: both directions, message and presence, every local user, no limits', (t) => {
  const config = parseOk(`${base}peers:\n  - { name: p, remote: { sip: [Partner.Example] }, local: { domains: [CORP.example] } }\n`);
  t.same(config.peers, [{
    name: 'p',
    remote: { xmpp: [], sip: ['partner.example'] },
    local: { domains: ['corp.example'], users: ['*'] },
    services: ['message', 'presence'],
    direction: 'both',
    limits: {},
    billing: {},
  }]);
  t.end();
});

void t.test('a NATS bus, TLS and an IPv6 listener are accepted', (t) => {
  const config = parseOk(`bus: { nats: { servers: ["nats://127.0.0.1:4222", "tls://nats.example:4222"] } }
http: { listen: "[::1]:9464" }
sip:
  listen: ["tls://[::]:5061", "udp://[2001:db8::1]:5060"]
  tls: { cert: c.pem, key: k.pem, ca: ca.pem, clientAuth: true }
  dnsServers: ["127.0.0.1:5353", "[::1]"]
  domains: [corp.example]
xmpp:
  components:
    - { domain: sip.xmpp.example, secret: plain, addressing: escaped }
`);
  t.same(config.bus, { kind: 'nats', servers: ['nats://127.0.0.1:4222', 'tls://nats.example:4222'] });
  t.same(config.sip, {
    listen: ['tls://[::]:5061', 'udp://[2001:db8::1]:5060'], tls: { cert: 'c.pem', key: 'k.pem', ca: 'ca.pem', clientAuth: true }, dnsServers: ['127.0.0.1:5353', '[::1]'], domains: ['corp.example'],
  });
  t.equal(config.http.listen, '[::1]:9464');
  t.equal(config.xmpp.components[0]!.addressing, 'escaped');
  t.end();
});

void t.test('the log level is taken when given, info otherwise', (t) => {
  t.equal(parseOk(`${base}log: { level: debug }\n`).log.level, 'debug');
  t.equal(parseOk(`${base}log: {}\n`).log.level, 'info');
  t.end();
});

void t.test('deploy/examples/embedded.yaml parses with no environment', (t) => {
  const config = parseOk(readFileSync(join(root, 'deploy/examples/embedded.yaml'), 'utf8'));
  t.equal(config.node.id, 'gw-1');
  t.same(config.bus, { kind: 'memory' });
  t.equal(config.sip.outboundProxy, 'sip:127.0.0.1:5080;transport=udp');
  t.same(config.peers.map((p) => p.name), ['public-xmpp']);
  t.same(config.peers[0]!.limits, { messagesPerSecond: 50, burst: 100, maxMessageBytes: 16384 });
  t.end();
});

void t.test('deploy/examples/production.yaml parses with its two secrets in the environment', (t) => {
  const text = readFileSync(join(root, 'deploy/examples/production.yaml'), 'utf8');
  const config = parseOk(text, { PARLEY_XMPP_SECRET: 'xmpp-secret', PARLEY_ADMIN_TOKEN: 'admin-token' });
  t.equal(config.http.adminToken, 'admin-token');
  t.equal(config.xmpp.components[0]!.secret, 'xmpp-secret');
  t.same(config.sip.tls, { cert: '/etc/parley/gw.pem', key: '/etc/parley/gw.key' });
  t.same(config.peers.map((p) => [p.name, p.direction, p.services]), [
    ['public-xmpp', 'both', ['message', 'presence']],
    ['partner-sip', 'inbound', ['message']],
  ]);
  t.same(config.peers[0]!.billing, { activeUserLimit: 5000 });
  t.same(config.peers[1]!.local.users, ['*']);

  const r = parseConfig(text, 'production.yaml', {});
  t.same(r.ok ? [] : r.problems.map((p) => p.reason), [
    'environment variable PARLEY_ADMIN_TOKEN is not set',
    'environment variable PARLEY_XMPP_SECRET is not set',
  ], 'without them it is refused, naming both');
  t.end();
});

void t.test('formatProblem writes file:line:column: reason', (t) => {
  t.equal(formatProblem({ file: 'a.yaml', line: 3, column: 7, reason: 'bad' }), 'a.yaml:3:7: bad');
  t.end();
});
