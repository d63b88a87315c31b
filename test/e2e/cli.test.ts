// The README's promises about the CLI: `npm start` runs on the embedded defaults, `check-config`
// refuses a bad file with file:line:column and the reason, and SIGTERM stops the gateway cleanly.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { statuses, udpExchange } from '../harness/raw-sip.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'gateway/cli.ts');
const EMBEDDED = join(ROOT, 'deploy/examples/embedded.yaml');

const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT });

t.test('check-config accepts the example configs', async (t) => {
  const r = cli('check-config', EMBEDDED);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /embedded\.yaml: OK/);
  const prod = spawnSync(process.execPath, [CLI, 'check-config', join(ROOT, 'deploy/examples/production.yaml')], {
    encoding: 'utf8', env: { ...process.env, PARLEY_XMPP_SECRET: 's', PARLEY_ADMIN_TOKEN: 't' },
  });
  t.equal(prod.status, 0, prod.stderr);
});

t.test('check-config refuses a bad file with file:line:column and the reason, exit 1', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'parley-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'bad.yaml');
  await writeFile(file, 'sip:\n  listen: ["udp://127.0.0.1:5060"]\n  domains: [corp.test]\n  outbondProxy: "sip:x"\nxmpp:\n  components: []\n');
  const r = cli('check-config', file);
  t.equal(r.status, 1);
  t.match(r.stderr, `${file}:4:3: unknown key 'outbondProxy' in sip`);
  t.match(r.stderr, `${file}:6:15: xmpp.components must NOT have fewer than 1 items`);
});

t.test('usage errors exit 2; billing export says it is not built yet', async (t) => {
  t.equal(cli('frobnicate').status, 2);
  t.equal(cli('start').status, 2);
  const b = cli('billing', 'export', '--period', '2026-11');
  t.equal(b.status, 2);
  t.match(b.stderr, /not built yet/);
  t.equal(cli('--help').status, 0);
});

t.test('`npm start` config: the gateway runs on its embedded defaults and stops on SIGTERM', async (t) => {
  const cwd = await mkdtemp(join(tmpdir(), 'parley-embedded-'));
  t.teardown(() => rm(cwd, { recursive: true, force: true }));
  const child = spawn(process.execPath, [CLI, 'start', '--config', EMBEDDED], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  t.teardown(() => { child.kill('SIGKILL'); });
  let health = 0;
  for (let i = 0; i < 200 && health !== 200; i++) {
    await new Promise((r) => setTimeout(r, 50));
    health = await fetch('http://127.0.0.1:9464/healthz').then((r) => r.status, () => 0);
  }
  t.equal(health, 200, `/healthz answers\n${out.slice(-2000)}`);
  const ready = await fetch('http://127.0.0.1:9464/readyz').then(async (r) => ({ status: r.status, body: (await r.json()) }));
  t.same(ready, { status: 503, body: { ready: false, checks: { bus: true, store: true, xmpp: false, sip: true } } }, 'not ready until an XMPP server takes the component');
  const options = Buffer.from('OPTIONS sip:corp.example SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;rport;branch=z9hG4bKcli1\r\nFrom: <sip:probe@corp.example>;tag=1\r\nTo: <sip:corp.example>\r\nCall-ID: cli1@x\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n');
  t.same(statuses(await udpExchange(5060, options, 500)), [200], 'SIP OPTIONS on udp://127.0.0.1:5060');
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'SIGTERM: clean exit 0');
  t.match(out, /parley stopped/);
});
