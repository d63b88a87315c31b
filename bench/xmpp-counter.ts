// A minimal XMPP c2s receiver for the end-to-end benchmark, in its own process so that counting
// does not compete with the runner: logs in (SASL PLAIN, bind, presence), then counts </message>
// end tags in the raw stream and reads the send time SIPp put at the start of each body
// ("T<date>\t<time>\t<epoch s.µs>|", bench/scenarios/uac-message.xml) to compute receive − send.
// No XML parsing on purpose: the figure of interest is Parley's, not this client's.
// Protocol: argv PORT JID PASSWORD; prints "ready"; each stdin line "report" prints a JSON line
// {count, latencies: [ms...]} of what arrived since the last report.
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';

const [port, jid, password] = process.argv.slice(2) as [string, string, string];
const [local, domain] = jid.split('@') as [string, string];
const sock = connect({ host: '127.0.0.1', port: Number(port), noDelay: true });
let buf = '';
const waiters: Array<{ re: RegExp; resolve: () => void }> = [];
let counting = false;
let count = 0;
let latencies: number[] = [];
const STAMP = /T\d{4}-\d\d-\d\d\t[\d:.]+\t(\d+\.\d+)\|/g;
const nowEpochMs = (): number => performance.timeOrigin + performance.now();

sock.setEncoding('utf8');
sock.on('data', (chunk: string) => {
  buf += chunk;
  if (!counting) {
    for (const w of [...waiters]) if (w.re.test(buf)) { waiters.splice(waiters.indexOf(w), 1); buf = ''; w.resolve(); }
    return;
  }
  const now = nowEpochMs();
  const last = buf.lastIndexOf('</message>');
  if (last < 0) return;
  const done = buf.slice(0, last + 10);
  buf = buf.slice(last + 10);
  let i = -1;
  while ((i = done.indexOf('</message>', i + 1)) >= 0) count++;
  for (const m of done.matchAll(STAMP)) latencies.push(now - Number(m[1]) * 1000);
});
const expect = (re: RegExp): Promise<void> => new Promise((resolve) => { waiters.push({ re, resolve }); });
const header = `<?xml version='1.0'?><stream:stream to='${domain}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`;

await new Promise<void>((r) => sock.once('connect', () => { r(); }));
sock.write(header);
await expect(/<\/stream:features>/);
sock.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${local}\0${password}`).toString('base64')}</auth>`);
await expect(/<success/);
sock.write(header);
await expect(/<\/stream:features>/);
sock.write("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>bench</resource></bind></iq>");
await expect(/id=['"]b1['"]/);
sock.write("<iq type='set' id='s1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>");
await expect(/id=['"]s1['"]/);
sock.write('<presence/>');
await expect(/<presence/);
counting = true;
process.stdout.write('ready\n');
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'report') return;
  process.stdout.write(`${JSON.stringify({ count, latencies })}\n`);
  count = 0;
  latencies = [];
});
process.stdin.on('end', () => { sock.destroy(); process.exit(0); });
