// A SIP presence watcher on a raw UDP socket, for tests that need a subscription to outlive a
// scenario (SIPp exits at the end of its script): SUBSCRIBEs through a proxy, answers every NOTIFY
// 200, keeps them parsed, and can unsubscribe in the dialog.
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { parseSipMessage, type SipMessage as ParsedSip } from './sip-trace.ts';
import { LOOPBACK } from './ports.ts';

export interface RawWatcher {
  readonly notifies: ParsedSip[];
  /** Resolves with the first NOTIFY (received from now on, or already) whose body matches. */
  waitNotify(match: (m: ParsedSip) => boolean, timeoutMs?: number): Promise<ParsedSip>;
  /** An in-dialog SUBSCRIBE (RFC 3261 §12.2.1.1: remote target from the 2xx's Contact, route set its
   * Record-Route reversed); resolves with the final status. */
  refresh(expires: number, timeoutMs?: number): Promise<number>;
  close(): void;
}

export async function rawWatcher(o: { proxy: string; presentity: string; watcher: string; expires?: number }): Promise<RawWatcher> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => { sock.bind(0, LOOPBACK, r); });
  const port = sock.address().port;
  const [host, proxyPort] = o.proxy.split(':') as [string, string];
  const notifies: ParsedSip[] = [];
  const waiters: Array<() => void> = [];
  const finals = new Map<number, ParsedSip>();
  let dialog: { toTag: string; target: string; route: string[] } | undefined;
  sock.on('message', (buf) => {
    const m = parseSipMessage(buf);
    if (m.status !== undefined) {
      const cseq = /^(\d+)\s+SUBSCRIBE/i.exec(m.header('CSeq') ?? '');
      if (cseq === null || m.status < 200) return;
      finals.set(Number(cseq[1]), m);
      const toTag = /;tag=([^;>\s]+)/.exec(m.header('To') ?? '')?.[1];
      const target = /<([^>]+)>/.exec(m.header('Contact') ?? '')?.[1];
      if (dialog === undefined && m.status < 300 && toTag !== undefined && target !== undefined) {
        const rr = m.headers.filter(([n]) => n.toLowerCase() === 'record-route').flatMap(([, v]) => v.split(/,(?=\s*<)/).map((x) => x.trim()));
        dialog = { toTag, target, route: rr.reverse() };
      }
      for (const w of waiters.splice(0)) w();
      return;
    }
    if (m.method !== 'NOTIFY') return;
    notifies.push(m);
    const head = buf.toString('latin1').split('\r\n\r\n')[0] ?? '';
    const keep = head.split('\r\n').filter((l) => /^(via|v|from|f|to|t|call-id|i|cseq):/i.test(l));
    const via = head.split('\r\n').filter((l) => /^(via|v):/i.test(l));
    const target = /^(via|v):\s*SIP\/2\.0\/UDP\s+([^;\s]+)/i.exec(via[0] ?? '')?.[2] ?? o.proxy;
    const [h, p] = target.split(':') as [string, string | undefined];
    sock.send(`SIP/2.0 200 OK\r\n${keep.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`, Number(p ?? 5060), h);
    for (const w of waiters.splice(0)) w();
  });
  const tag = randomBytes(4).toString('hex');
  const callId = `${randomBytes(8).toString('hex')}@raw`;
  let cseq = 1;
  sock.send([
    `SUBSCRIBE ${o.presentity} SIP/2.0`, `Via: SIP/2.0/UDP ${LOOPBACK}:${port};rport;branch=z9hG4bK${randomBytes(6).toString('hex')}`, 'Max-Forwards: 70',
    `From: <${o.watcher}>;tag=${tag}`, `To: <${o.presentity}>`, `Call-ID: ${callId}`, 'CSeq: 1 SUBSCRIBE',
    `Contact: <sip:watcher@${LOOPBACK}:${port}>`, 'Event: presence', 'Accept: application/pidf+xml', `Expires: ${o.expires ?? 600}`, 'Content-Length: 0', '', '',
  ].join('\r\n'), Number(proxyPort), host);
  return {
    async refresh(expires, timeoutMs = 5000) {
      if (dialog === undefined) throw new Error('no dialog: the SUBSCRIBE got no 2xx');
      const n = ++cseq;
      // Loose routing only (Kamailio's Record-Route carries ;lr): the next hop is the first Route.
      const hop = /sip:(?:[^@>]*@)?([^;>]+)/.exec(dialog.route[0] ?? dialog.target)?.[1] ?? o.proxy;
      const [h, p] = hop.split(':') as [string, string | undefined];
      sock.send([
        `SUBSCRIBE ${dialog.target} SIP/2.0`, `Via: SIP/2.0/UDP ${LOOPBACK}:${port};rport;branch=z9hG4bK${randomBytes(6).toString('hex')}`, 'Max-Forwards: 70',
        ...dialog.route.map((r) => `Route: ${r}`),
        `From: <${o.watcher}>;tag=${tag}`, `To: <${o.presentity}>;tag=${dialog.toTag}`, `Call-ID: ${callId}`, `CSeq: ${n} SUBSCRIBE`,
        `Contact: <sip:watcher@${LOOPBACK}:${port}>`, 'Event: presence', 'Accept: application/pidf+xml', `Expires: ${expires}`, 'Content-Length: 0', '', '',
      ].join('\r\n'), Number(p ?? 5060), h);
      const end = Date.now() + timeoutMs;
      for (;;) {
        const r = finals.get(n);
        if (r?.status !== undefined) return r.status;
        if (Date.now() > end) throw new Error(`no final response to the refresh within ${timeoutMs} ms`);
        await new Promise<void>((r) => { waiters.push(r); setTimeout(r, 100); });
      }
    },
    notifies,
    async waitNotify(match, timeoutMs = 5000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const hit = notifies.find(match);
        if (hit) return hit;
        if (Date.now() > end) throw new Error(`no matching NOTIFY within ${timeoutMs} ms (got ${notifies.length})`);
        await new Promise<void>((r) => { waiters.push(r); setTimeout(r, 100); });
      }
    },
    close() { sock.close(); },
  };
}
