// SUBSCRIBE/NOTIFY dialogs (RFC 6665 on RFC 3261 §12) over real sockets on 127.0.0.1: two
// endpoints against each other, and raw UDP peers for the cases a well-behaved endpoint never
// produces (NOTIFY before the 2xx, forks, Record-Route, strict routers, unknown dialogs).
import t from 'tap';
import type { Test } from 'tap';
import { SipEndpoint } from '../../gateway/sip/endpoint.ts';
import type { IncomingNotify, IncomingSubscribe, ServerSubscription, TerminatedInfo } from '../../gateway/sip/endpoint.ts';
import { silentLogger } from '../../gateway/log.ts';
import type { SipMessage, SipRequest } from '../../gateway/sip/message.ts';
import { serialize } from '../../gateway/sip/serializer.ts';
import { buildResponse } from '../../gateway/sip/response-builder.ts';
import { asResponse, status, UdpPeer } from './sip/client.ts';
import { until } from '../harness/until.ts';

type Opts = Partial<ConstructorParameters<typeof SipEndpoint>[0]>;

async function endpoint(t: Test, extra: Opts = {}) {
  const ep = new SipEndpoint({ listen: ['udp://127.0.0.1:0', 'tcp://127.0.0.1:0'], domains: ['example.com'], log: silentLogger, ...extra });
  await ep.start();
  t.teardown(() => ep.stop());
  const udp = ep.bound.find((b) => b.transport === 'udp')!.port;
  const tcp = ep.bound.find((b) => b.transport === 'tcp')!.port;
  return { ep, udp, tcp };
}

async function udpPeer(t: Test): Promise<UdpPeer> {
  const p = new UdpPeer();
  await p.bind();
  t.teardown(() => { p.close(); });
  return p;
}

function requests(p: UdpPeer, method: string): SipRequest[] {
  return p.received.filter((m): m is SipRequest => m.kind === 'request' && m.method === method);
}

function responses(p: UdpPeer, cseqMethod: string): SipMessage[] {
  return p.received.filter((m) => m.kind === 'response' && (m.headers.first('cseq') ?? '').endsWith(cseqMethod));
}

/** Answers a request received by a raw peer. */
function answer(p: UdpPeer, req: SipRequest, code: number, port: number, opts: { toTag?: string; headers?: Array<[string, string]> } = {}): Promise<void> {
  return p.send(serialize(buildResponse(req.headers, code, code === 200 ? 'OK' : 'Error', { toTag: opts.toTag ?? 'n1', headers: opts.headers })), port);
}

let seq = 0;
/** A request from a raw peer; `headers` are written as given (CRLF, Content-Length in bytes). */
function raw(method: string, uri: string, peerPort: number, headers: string[], body = ''): string {
  const lines = [
    `${method} ${uri} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${peerPort};branch=z9hG4bK-dlg-${++seq}-${Date.now()};rport`,
    'Max-Forwards: 70',
    ...headers,
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}


for (const transport of ['udp', 'tcp'] as const) {
  void t.test(`${transport}: a subscription between two endpoints: 200, immediate NOTIFY, refresh, unsubscribe with a final NOTIFY (RFC 6665 §4.1.2, §4.2.1.2)`, async (t) => {
    const notifier = await endpoint(t, { allowEvents: ['presence'] });
    const watcher = await endpoint(t);
    const seen: IncomingSubscribe[] = [];
    let server: ServerSubscription | undefined;
    notifier.ep.onSubscribe((s) => {
      seen.push(s);
      if (s.subscription) {
        // Refresh: the current state at once; Expires: 0: the final NOTIFY (RFC 6665 §4.2.1.2).
        return {
          status: 200,
          onAccepted: (sub) => {
            void sub.notify(s.expires === 0 ? { state: 'terminated' } : { state: 'active', contentType: 'application/pidf+xml', body: Buffer.from('<again/>') });
          },
        };
      }
      return { status: 200, expires: 600, onAccepted: (sub) => { server = sub; void sub.notify({ state: 'pending' }); } };
    });
    const notifies: IncomingNotify[] = [];
    const terminated: TerminatedInfo[] = [];
    const port = transport === 'udp' ? notifier.udp : notifier.tcp;
    const sub = watcher.ep.subscribe({
      requestUri: `sip:bob@127.0.0.1:${port};transport=${transport}`, from: { uri: 'sip:alice@example.net', displayName: 'Alice' },
      to: { uri: 'sip:bob@example.com' }, event: 'presence', accept: ['application/pidf+xml'], expires: 900,
    }, { onNotify: (n) => { notifies.push(n); }, onTerminated: (i) => { terminated.push(i); } });
    const est = await sub.established;
    t.equal(est.status, 200);
    t.ok(await until(() => notifies.length === 1), 'the immediate NOTIFY arrived');
    t.equal(seen[0]!.event, 'presence');
    t.equal(seen[0]!.expires, 900);
    t.same(seen[0]!.accept, ['application/pidf+xml']);
    t.equal(server?.watcher, 'sip:alice@example.net');
    t.equal(server?.target, 'sip:bob@example.com');
    t.equal(notifies[0]!.subscriptionState.state, 'pending');
    t.ok(notifies[0]!.subscriptionState.expires! <= 600 && notifies[0]!.subscriptionState.expires! >= 598, 'expires= is the time remaining');
    t.equal(sub.dialogs, 1);
    t.ok(sub.expiresAt !== undefined && sub.expiresAt <= performance.now() + 600_000, 'expiresAt from the granted Expires (the smaller)');
    t.match(notifies[0]!.request.header('contact'), new RegExp(`^<sip:gw@127\\.0\\.0\\.1:${port};transport=${transport}>$`), 'our Contact on the NOTIFY');

    const r = await sub.refresh();
    t.equal(r.status, 200, 'in-dialog refresh answered 200');
    t.ok(await until(() => notifies.length === 2));
    t.equal(seen[1]!.subscription, server, 'the refresh reaches the handler with its subscription');
    t.equal(seen[1]!.request.cseq, 2, 'CSeq + 1 (RFC 3261 §12.2.1.1)');
    t.equal(seen[1]!.request.to.tag, notifies[0]!.request.from.tag, 'To tag is the notifier\'s tag');
    t.equal(seen[1]!.request.requestUri, `sip:gw@127.0.0.1:${port};transport=${transport}`, 'Request-URI is the remote target (Contact of the 2xx)');
    t.equal(notifies[1]!.body.toString(), '<again/>');

    const u = await sub.unsubscribe();
    t.equal(u.status, 200);
    t.ok(await until(() => terminated.length === 1), 'the final NOTIFY terminated ends the last dialog');
    t.equal(notifies[2]!.subscriptionState.state, 'terminated');
    t.equal(sub.dialogs, 0);
    t.equal(seen[2]!.expires, 0);
    t.equal(server?.ended, true, 'the notifier side ended after its NOTIFY terminated');
    t.equal((await server!.notify({ state: 'active' })).status, 481, 'a NOTIFY after the end is refused locally');
  });
}

void t.test('subscriber: NOTIFY before the 2xx creates the dialog, a second From tag is a fork, Record-Route routes the refresh (loose, and strict without ;lr), terminated ends a dialog, 481 after the end (RFC 6665 §4.1.2.4, RFC 3261 §12.1.1, §12.2.1.1)', async (t) => {
  const { ep, udp } = await endpoint(t);
  const peer = await udpPeer(t);
  const notifies: IncomingNotify[] = [];
  const terminated: TerminatedInfo[] = [];
  const sub = ep.subscribe({
    requestUri: `sip:carol@127.0.0.1:${peer.port}`, from: { uri: 'sip:alice@example.com' }, to: { uri: 'sip:carol@example.net' },
    event: 'presence', accept: ['application/pidf+xml'], expires: 3600, headers: [['X-Test', '1']],
  }, { onNotify: (n) => { notifies.push(n); return n.dialogId.endsWith(';n2') ? { status: 200, headers: [['X-Fork', '2']] } : undefined; }, onTerminated: (i) => { terminated.push(i); } });
  t.equal(sub.dialogs, 0);
  await peer.waitFor(1);
  const subscribe = requests(peer, 'SUBSCRIBE')[0]!;
  t.equal(subscribe.headers.first('event'), 'presence');
  t.equal(subscribe.headers.first('accept'), 'application/pidf+xml');
  t.equal(subscribe.headers.first('expires'), '3600');
  t.equal(subscribe.headers.first('x-test'), '1');
  t.match(subscribe.headers.first('contact'), new RegExp(`^<sip:gw@127\\.0\\.0\\.1:${udp};transport=udp>$`), 'Contact of the transport used');
  const from = subscribe.headers.first('from')!;
  const callId = subscribe.headers.first('call-id')!;
  t.equal(sub.id, callId);
  const notifyHeaders = (tag: string, cseq: number, state: string, extra: string[] = []) => [
    `From: <sip:carol@example.net>;tag=${tag}`, `To: ${from}`, `Call-ID: ${callId}`, `CSeq: ${cseq} NOTIFY`,
    'Event: presence', `Subscription-State: ${state}`, `Contact: <sip:carol-${tag}@127.0.0.1:${peer.port}>`, ...extra,
  ];
  // NOTIFY first, through two proxies (Record-Route: the first points back at the peer).
  await peer.send(raw('NOTIFY', `sip:gw@127.0.0.1:${udp}`, peer.port, notifyHeaders('n1', 1, 'active;expires=300', [
    `Record-Route: <sip:127.0.0.1:${peer.port};lr;proxy=one>`, 'Record-Route: <sip:p2.invalid;lr>', 'Content-Type: application/pidf+xml',
  ]), '<presence/>'), udp);
  t.ok(await until(() => responses(peer, 'NOTIFY').length === 1));
  t.equal(status(responses(peer, 'NOTIFY')[0]), 200, 'a NOTIFY before the 2xx is accepted (RFC 6665 §4.1.2.4)');
  t.equal(notifies[0]!.subscriptionState.state, 'active');
  t.equal(notifies[0]!.body.toString(), '<presence/>');
  t.equal(notifies[0]!.contentType, 'application/pidf+xml');
  t.equal(sub.dialogs, 1);
  await answer(peer, subscribe, 200, udp, { toTag: 'n1', headers: [['Expires', '3600'], ['Contact', `<sip:carol-n1@127.0.0.1:${peer.port}>`]] });
  const est = await sub.established;
  t.equal(est.status, 200);
  t.equal(sub.dialogs, 1, 'the 2xx joins the dialog its NOTIFY created');
  t.ok(sub.expiresAt! < performance.now() + 301_000, 'expiresAt: the smaller of NOTIFY expires=300 and Expires: 3600');
  // A fork: another From tag, behind a strict router.
  await peer.send(raw('NOTIFY', `sip:gw@127.0.0.1:${udp}`, peer.port, notifyHeaders('n2', 7, 'pending;expires=3600', [
    `Record-Route: <sip:127.0.0.1:${peer.port}>`,
  ])), udp);
  t.ok(await until(() => responses(peer, 'NOTIFY').length === 2));
  t.equal(asResponse(responses(peer, 'NOTIFY')[1]).headers.first('x-fork'), '2', 'the handler\'s reply is sent');
  t.equal(sub.dialogs, 2, 'each fork is a dialog (RFC 6665 §4.1.2.4)');

  const refreshing = sub.refresh(1800);
  t.ok(await until(() => requests(peer, 'SUBSCRIBE').length === 3));
  const [, r1, r2] = requests(peer, 'SUBSCRIBE');
  const byTag = (tag: string) => [r1!, r2!].find((r) => r.headers.first('to')!.endsWith(`tag=${tag}`))!;
  const loose = byTag('n1');
  t.equal(loose.uri, `sip:carol-n1@127.0.0.1:${peer.port}`, 'loose: the remote target is the Request-URI');
  t.same(loose.headers.all('route'), [`<sip:127.0.0.1:${peer.port};lr;proxy=one>`, '<sip:p2.invalid;lr>'], 'loose: Route = route set in order (NOTIFY Record-Route, taken in order)');
  t.equal(loose.headers.first('cseq'), '2 SUBSCRIBE', 'CSeq + 1');
  t.equal(loose.headers.first('expires'), '1800');
  t.equal(loose.headers.first('call-id'), callId);
  t.equal(loose.headers.first('from'), from, 'same From with our tag');
  const strict = byTag('n2');
  t.equal(strict.uri, `sip:127.0.0.1:${peer.port}`, 'strict: the first route is the Request-URI (RFC 3261 §12.2.1.1)');
  t.same(strict.headers.all('route'), [`<sip:carol-n2@127.0.0.1:${peer.port}>`], 'strict: the remote target is the last Route');
  await answer(peer, loose, 200, udp, { toTag: 'n1', headers: [['Expires', '1800']] });
  await answer(peer, strict, 481, udp, { toTag: 'n2' });
  t.equal((await refreshing).status, 200, 'refresh resolves with the 2xx of any dialog');
  t.equal(sub.dialogs, 1, 'a 481 to an in-dialog SUBSCRIBE ends that dialog (RFC 3261 §12.2.1.2)');
  t.equal(terminated.length, 0);

  const unsubscribing = sub.unsubscribe();
  t.ok(await until(() => requests(peer, 'SUBSCRIBE').length === 4));
  const unsub = requests(peer, 'SUBSCRIBE')[3]!;
  t.equal(unsub.headers.first('expires'), '0');
  t.equal(unsub.headers.first('cseq'), '3 SUBSCRIBE');
  await answer(peer, unsub, 200, udp, { toTag: 'n1', headers: [['Expires', '0']] });
  t.equal((await unsubscribing).status, 200);
  await peer.send(raw('NOTIFY', `sip:gw@127.0.0.1:${udp}`, peer.port, notifyHeaders('n1', 2, 'terminated;reason=timeout')), udp);
  t.ok(await until(() => terminated.length === 1));
  t.same(terminated, [{ reason: 'timeout' }], 'onTerminated once the last dialog is gone, with the reason');
  t.equal(sub.ended, true);
  await peer.send(raw('NOTIFY', `sip:gw@127.0.0.1:${udp}`, peer.port, notifyHeaders('n1', 3, 'active')), udp);
  t.ok(await until(() => responses(peer, 'NOTIFY').length === 4));
  t.equal(status(responses(peer, 'NOTIFY')[3]), 481, 'a NOTIFY matching no dialog and no pending SUBSCRIBE gets 481 (RFC 6665 §4.1.3)');
});

void t.test('subscriber: a 423 exposes Min-Expires and ends the subscription attempt (RFC 3261 §10.3, RFC 6665 §4.1.2.1)', async (t) => {
  const { ep } = await endpoint(t);
  const peer = await udpPeer(t);
  const terminated: TerminatedInfo[] = [];
  const sub = ep.subscribe({
    requestUri: `sip:carol@127.0.0.1:${peer.port}`, from: { uri: 'sip:alice@example.com' }, to: { uri: 'sip:carol@example.net' },
    event: 'presence', accept: ['application/pidf+xml'], expires: 10,
  }, { onNotify: () => undefined, onTerminated: (i) => { terminated.push(i); } });
  await peer.waitFor(1);
  await answer(peer, requests(peer, 'SUBSCRIBE')[0]!, 423, ep.bound[0]!.port, { headers: [['Min-Expires', '600']] });
  const r = await sub.established;
  t.equal(r.status, 423);
  t.equal(r.minExpires, 600);
  t.same(terminated, [{ status: 423 }]);
  t.equal((await sub.refresh()).status, 481, 'no dialog to refresh');
});

void t.test('notifier: 489 Bad Event with Allow-Events, 423 with Min-Expires, 481 for an unknown dialog, 400 without Contact; SUBSCRIBE and NOTIFY in Allow (RFC 6665 §4.2.1.1, §4.1.1, RFC 3261 §12.2.2)', async (t) => {
  const { ep, udp } = await endpoint(t, { minExpires: 60 });
  ep.allowEvents(['presence']);
  let calls = 0;
  ep.onSubscribe(() => { calls++; return { status: 200 }; });
  const peer = await udpPeer(t);
  const base = (extra: string[]) => [
    'From: <sip:w@example.net>;tag=w1', 'To: <sip:bob@example.com>', `Call-ID: nb-${++seq}@x`, 'CSeq: 1 SUBSCRIBE',
    `Contact: <sip:w@127.0.0.1:${peer.port}>`, ...extra,
  ];
  await peer.send(raw('SUBSCRIBE', 'sip:bob@example.com', peer.port, base(['Event: dialog', 'Expires: 600'])), udp);
  await peer.send(raw('SUBSCRIBE', 'sip:bob@example.com', peer.port, base(['Event: presence', 'Expires: 30'])), udp);
  await peer.send(raw('SUBSCRIBE', 'sip:bob@example.com', peer.port, [
    'From: <sip:w@example.net>;tag=w1', 'To: <sip:bob@example.com>;tag=nosuch', 'Call-ID: gone@x', 'CSeq: 5 SUBSCRIBE',
    `Contact: <sip:w@127.0.0.1:${peer.port}>`, 'Event: presence',
  ]), udp);
  await peer.send(raw('SUBSCRIBE', 'sip:bob@example.com', peer.port, ['From: <sip:w@example.net>;tag=w1', 'To: <sip:bob@example.com>', 'Call-ID: nc@x', 'CSeq: 1 SUBSCRIBE', 'Event: presence']), udp);
  await peer.send(raw('OPTIONS', 'sip:bob@example.com', peer.port, ['From: <sip:w@example.net>;tag=w1', 'To: <sip:bob@example.com>', 'Call-ID: o@x', 'CSeq: 1 OPTIONS']), udp);
  await peer.waitFor(5);
  const byCallId = (prefix: string) => asResponse(peer.received.find((m) => m.headers.first('call-id')!.startsWith(prefix)));
  const bad = peer.received.filter((m) => m.headers.first('call-id')!.startsWith('nb-')).map((m) => asResponse(m));
  t.same(bad.map((r) => r.status).sort(), [423, 489]);
  t.equal(bad.find((r) => r.status === 489)!.headers.first('allow-events'), 'presence');
  t.equal(bad.find((r) => r.status === 423)!.headers.first('min-expires'), '60');
  t.equal(byCallId('gone@').status, 481);
  t.equal(byCallId('nc@').status, 400);
  t.match(byCallId('o@').headers.first('allow'), /SUBSCRIBE/);
  t.match(byCallId('o@').headers.first('allow'), /NOTIFY/);
  t.equal(calls, 0, 'none of these reached the handler');
});

void t.test('notifier: the 2xx copies Record-Route, NOTIFYs follow the route set, and an unrefreshed subscription ends with NOTIFY terminated;reason=timeout (RFC 3261 §12.1.1, RFC 6665 §4.2.2)', async (t) => {
  const { ep, udp } = await endpoint(t, { allowEvents: ['presence'] });
  const peer = await udpPeer(t);
  let server: ServerSubscription | undefined;
  const expired: string[] = [];
  ep.onSubscribe((s) => ({
    status: 200, expires: Math.min(s.expires, 1),
    onAccepted: (sub) => { server = sub; sub.onExpired(() => { expired.push(sub.id); }); void sub.notify({ state: 'active', contentType: 'application/pidf+xml', body: Buffer.from('<p/>') }); },
  }));
  await peer.send(raw('SUBSCRIBE', 'sip:bob@example.com', peer.port, [
    'From: "W" <sip:w@example.net>;tag=w1', 'To: <sip:bob@example.com>', 'Call-ID: rr@x', 'CSeq: 10 SUBSCRIBE',
    `Contact: <sip:w@127.0.0.1:${peer.port}>`, 'Event: presence', 'Expires: 120',
    `Record-Route: <sip:127.0.0.1:${peer.port};lr;n=1>, <sip:p2.invalid;lr>`,
  ]), udp);
  t.ok(await until(() => requests(peer, 'NOTIFY').length === 1 && peer.received.some((m) => m.kind === 'response')));
  const ok = asResponse(peer.received.find((m) => m.kind === 'response'));
  t.equal(ok.status, 200);
  t.equal(ok.headers.first('expires'), '1', 'the granted Expires, never above the requested one');
  t.same(ok.headers.all('record-route'), [`<sip:127.0.0.1:${peer.port};lr;n=1>`, '<sip:p2.invalid;lr>'], 'Record-Route copied into the 2xx');
  t.match(ok.headers.first('contact'), /^<sip:gw@127\.0\.0\.1:\d+;transport=udp>$/);
  const n1 = requests(peer, 'NOTIFY')[0]!;
  t.equal(n1.uri, `sip:w@127.0.0.1:${peer.port}`, 'remote target = the watcher\'s Contact');
  t.same(n1.headers.all('route'), [`<sip:127.0.0.1:${peer.port};lr;n=1>`, '<sip:p2.invalid;lr>'], 'Route = route set in order');
  t.match(n1.headers.first('subscription-state'), /^active;expires=[01]$/);
  t.equal(n1.headers.first('event'), 'presence');
  t.equal(n1.headers.first('content-type'), 'application/pidf+xml');
  t.match(n1.headers.first('to'), /<sip:w@example\.net>;tag=w1$/);
  t.equal(n1.headers.first('call-id'), 'rr@x');
  t.equal(server?.watcher, 'sip:w@example.net');
  await answer(peer, n1, 200, udp, { toTag: 'w1' });
  t.ok(await until(() => requests(peer, 'NOTIFY').length === 2, 3000), 'the expiry NOTIFY arrived');
  const n2 = requests(peer, 'NOTIFY')[1]!;
  t.equal(n2.headers.first('subscription-state'), 'terminated;reason=timeout');
  t.equal(Number(n2.headers.first('cseq')!.split(' ')[0]), Number(n1.headers.first('cseq')!.split(' ')[0]) + 1, 'local CSeq + 1');
  t.same(expired, [server!.id], 'onExpired called');
  t.equal(server!.ended, true);
  await answer(peer, n2, 200, udp, { toTag: 'w1' });
});

void t.test('notifier: a 481 to a NOTIFY ends the subscription (RFC 6665 §4.2.2)', async (t) => {
  const { ep, udp } = await endpoint(t, { allowEvents: ['presence'] });
  const peer = await udpPeer(t);
  let server: ServerSubscription | undefined;
  const ended: string[] = [];
  ep.onSubscribe(() => ({ status: 200, onAccepted: (sub) => { server = sub; sub.onEnded((why) => { ended.push(why); }); } }));
  await peer.send(raw('SUBSCRIBE', 'sip:bob@example.com', peer.port, [
    'From: <sip:w@example.net>;tag=w1', 'To: <sip:bob@example.com>', 'Call-ID: n481@x', 'CSeq: 1 SUBSCRIBE',
    `Contact: <sip:w@127.0.0.1:${peer.port}>`, 'Event: presence',
  ]), udp);
  t.ok(await until(() => server !== undefined && peer.received.length > 0));
  t.equal(asResponse(peer.received[0]).headers.first('expires'), '3600', 'default Expires 3600 (RFC 6665 §4.1.2.1 for presence)');
  const sending = server!.notify({ state: 'pending' });
  t.ok(await until(() => requests(peer, 'NOTIFY').length === 1));
  await answer(peer, requests(peer, 'NOTIFY')[0]!, 481, udp, { toTag: 'w1' });
  t.equal((await sending).status, 481);
  t.same(ended, ['notify-failed']);
  t.equal(server!.ended, true);
});

void t.test('notifier over UDP: NOTIFYs sent in one turn leave in CSeq order, an unanswered one is retransmitted on Timer E and ends the subscription on Timer F (408, notify-failed), onEnded gets the subscription and its label (RFC 3261 §17.1.2.2, RFC 6665 §4.2.2)', async (t) => {
  // T1 20 ms: E at 20, 40, 80 then every T2 = 80 ms; F at 64*T1 = 1,280 ms.
  const { ep, udp } = await endpoint(t, { allowEvents: ['presence'], timers: { T1: 20, T2: 80, T4: 100 } });
  const peer = await udpPeer(t);
  let server: ServerSubscription | undefined;
  const ended: Array<[string, string | undefined]> = [];
  const onEnded = (why: string, sub: ServerSubscription): void => { ended.push([why, sub.label]); };
  ep.onSubscribe(() => ({ status: 200, onAccepted: (sub) => { server = sub; sub.label = 'key-1'; sub.onEnded(onEnded); } }));
  await peer.send(raw('SUBSCRIBE', 'sip:bob@example.com', peer.port, [
    'From: <sip:w@example.net>;tag=w1', 'To: <sip:bob@example.com>', 'Call-ID: burst@x', 'CSeq: 1 SUBSCRIBE',
    `Contact: <sip:w@127.0.0.1:${peer.port}>`, 'Event: presence',
  ]), udp);
  t.ok(await until(() => server !== undefined));
  const sent = [1, 2, 3, 4, 5].map((i) => server!.notify({ state: 'active', contentType: 'application/pidf+xml', body: Buffer.from(`<n${i}/>`) }));
  const cseqOf = (m: SipRequest): number => Number(m.headers.first('cseq')!.split(' ')[0]);
  const firstCopies = (): SipRequest[] => {
    const seen = new Set<number>();
    return requests(peer, 'NOTIFY').filter((m) => !seen.has(cseqOf(m)) && seen.add(cseqOf(m)) !== undefined);
  };
  t.ok(await until(() => firstCopies().length === 5), 'five NOTIFYs');
  const cseqs = firstCopies().map(cseqOf);
  t.same(cseqs, [...cseqs].sort((a, b) => a - b), 'in CSeq order on the wire');
  t.equal(new Set(cseqs).size, 5, 'one CSeq each');
  t.same(firstCopies().map((m) => m.body.toString()), ['<n1/>', '<n2/>', '<n3/>', '<n4/>', '<n5/>'], 'bodies in the order they were sent');
  for (const m of firstCopies().slice(0, 4)) await answer(peer, m, 200, udp, { toTag: 'w1' });
  for (const p of sent.slice(0, 4)) t.equal((await p).status, 200);
  const last = cseqs[4]!;
  const answeredCopies = (): number => requests(peer, 'NOTIFY').filter((m) => cseqOf(m) !== last).length;
  await new Promise((r) => setTimeout(r, 30)); // copies sent before the 200s were read land
  const copiesWhenAnswered = answeredCopies();
  t.ok(await until(() => requests(peer, 'NOTIFY').filter((m) => cseqOf(m) === last).length >= 4, 1000), 'the unanswered NOTIFY is retransmitted (Timer E)');
  t.equal((await sent[4]!).status, 408, 'Timer F: 408');
  t.same(ended, [['notify-failed', 'key-1']], 'the subscription ended, its label with it');
  t.equal(server!.ended, true);
  t.equal(answeredCopies(), copiesWhenAnswered, 'answered NOTIFYs: no retransmission once their 200 came');
});

void t.test('notifier: a restored subscription answers its refresh (200, then the caller NOTIFYs the current state), routes by the stored route set, and expires with NOTIFY terminated;reason=timeout (RFC 6665 §4.2.1.2, §4.2.2)', async (t) => {
  const { ep, udp } = await endpoint(t, { allowEvents: ['presence'] });
  const peer = await udpPeer(t);
  const seen: Array<{ refresh: boolean; remoteTarget: string; remoteSeq: number | undefined }> = [];
  ep.onSubscribe((s) => {
    seen.push({ refresh: s.subscription !== undefined, remoteTarget: s.snapshot.remoteTarget, remoteSeq: s.snapshot.remoteSeq });
    return { status: 200, expires: 1, onAccepted: (sub) => { void sub.notify({ state: 'active', contentType: 'application/pidf+xml', body: Buffer.from('<now/>') }); } };
  });
  const snapshot = {
    callId: 'restored@x', localTag: 'gw1', remoteTag: 'w1', localUri: 'sip:bob@example.com', remoteUri: 'sip:w@example.net',
    remoteTarget: `sip:w@127.0.0.1:${peer.port}`, routeSet: [`<sip:127.0.0.1:${peer.port};lr;n=1>`], localSeq: 5000, remoteSeq: 7,
    event: 'presence', requestUri: 'sip:bob@example.com',
  };
  const sub = ep.restoreSubscription(snapshot, 60_000);
  t.equal(ep.restoreSubscription(snapshot, 60_000), sub, 'restoring a dialog held already returns it');
  const ended: string[] = [];
  sub.onEnded((why) => { ended.push(why); });
  t.same(sub.snapshot(), snapshot, 'the snapshot round-trips');
  t.throws(() => ep.restoreSubscription({ ...snapshot, callId: 'other@x', event: '' }, 1000), TypeError, 'an Event that does not parse is refused');

  const dialogHeaders = (cseq: number, expires: number): string[] => [
    'From: <sip:w@example.net>;tag=w1', 'To: <sip:bob@example.com>;tag=gw1', 'Call-ID: restored@x', `CSeq: ${cseq} SUBSCRIBE`,
    `Contact: <sip:w2@127.0.0.1:${peer.port}>`, 'Event: presence', `Expires: ${expires}`,
  ];
  await peer.send(raw('SUBSCRIBE', 'sip:gw@127.0.0.1', peer.port, dialogHeaders(6, 60)), udp);
  t.ok(await until(() => responses(peer, 'SUBSCRIBE').length === 1));
  t.equal(status(responses(peer, 'SUBSCRIBE')[0]), 500, 'a CSeq below the stored remote one is out of order (RFC 3261 §12.2.2)');

  await peer.send(raw('SUBSCRIBE', 'sip:gw@127.0.0.1', peer.port, dialogHeaders(8, 60)), udp);
  t.ok(await until(() => responses(peer, 'SUBSCRIBE').length === 2 && requests(peer, 'NOTIFY').length === 1));
  const ok = asResponse(responses(peer, 'SUBSCRIBE')[1]);
  t.equal(ok.status, 200, 'the refresh of a restored dialog is accepted, not 481');
  t.equal(ok.headers.first('expires'), '1');
  t.same(seen, [{ refresh: true, remoteTarget: `sip:w2@127.0.0.1:${peer.port}`, remoteSeq: 8 }], 'the handler sees a refresh, and the snapshot to store has the new Contact and CSeq');
  const n1 = requests(peer, 'NOTIFY')[0]!;
  t.equal(n1.headers.first('cseq'), '5001 NOTIFY', 'local CSeq continues from the restored one');
  t.equal(n1.uri, `sip:w2@127.0.0.1:${peer.port}`, 'the refresh\'s Contact is the new remote target');
  t.same(n1.headers.all('route'), [`<sip:127.0.0.1:${peer.port};lr;n=1>`], 'Route = the stored route set');
  t.match(n1.headers.first('to'), /<sip:w@example\.net>;tag=w1$/);
  t.match(n1.headers.first('from'), /<sip:bob@example\.com>;tag=gw1$/);
  t.match(n1.headers.first('subscription-state'), /^active;expires=[01]$/);
  await answer(peer, n1, 200, udp, { toTag: 'w1' });

  t.ok(await until(() => requests(peer, 'NOTIFY').length === 2, 4000), 'the expiry NOTIFY arrived');
  const n2 = requests(peer, 'NOTIFY')[1]!;
  t.equal(n2.headers.first('subscription-state'), 'terminated;reason=timeout');
  t.equal(n2.headers.first('cseq'), '5002 NOTIFY');
  t.same(ended, ['expired']);
  await answer(peer, n2, 200, udp, { toTag: 'w1' });
  await peer.send(raw('SUBSCRIBE', 'sip:gw@127.0.0.1', peer.port, dialogHeaders(9, 60)), udp);
  t.ok(await until(() => responses(peer, 'SUBSCRIBE').length === 3));
  t.equal(status(responses(peer, 'SUBSCRIBE')[2]), 481, 'after its expiry the dialog is gone');
});

void t.test('notifier: a subscription restored past its expiry ends at once with NOTIFY terminated;reason=timeout', async (t) => {
  const { ep } = await endpoint(t, { allowEvents: ['presence'] });
  const peer = await udpPeer(t);
  ep.onSubscribe(() => ({ status: 200 }));
  const sub = ep.restoreSubscription({
    callId: 'late@x', localTag: 'gw1', remoteTag: 'w1', localUri: 'sip:bob@example.com', remoteUri: 'sip:w@example.net',
    remoteTarget: `sip:w@127.0.0.1:${peer.port}`, routeSet: [], localSeq: 0, event: 'presence', requestUri: 'sip:bob@example.com',
  }, -5000);
  t.ok(await until(() => requests(peer, 'NOTIFY').length === 1));
  const n = requests(peer, 'NOTIFY')[0]!;
  t.equal(n.headers.first('subscription-state'), 'terminated;reason=timeout');
  t.equal(n.headers.first('cseq'), '1 NOTIFY');
  t.equal(sub.ended, true);
});
