// SUBSCRIBE/NOTIFY dialogs (RFC 6665 on RFC 3261 §12) over real sockets on 127.0.0.1: two
// endpoints against each other, and raw UDP peers for the cases a well-behaved endpoint never
// produces (NOTIFY before the 2xx, forks, Record-Route, strict routers, unknown dialogs).
import t from 'tap';
import type { Test } from 'tap';
import { SipEndpoint } from '../../gateway/sip/endpoint.ts';
import type { IncomingNotify, IncomingSubscribe, ServerSubscription, TerminatedInfo } from '../../gateway/sip/endpoint.ts';
import { silentLogger } from '../../gateway/log.ts';

type Opts = Partial<ConstructorParameters<typeof SipEndpoint>[0]>;

async function endpoint(t: Test, extra: Opts = {}) {
  const ep = new SipEndpoint({ listen: ['udp://127.0.0.1:0', 'tcp://127.0.0.1:0'], domains: ['example.com'], log: silentLogger, ...extra });
  await ep.start();
  t.teardown(() => ep.stop());
  const udp = ep.bound.find((b) => b.transport === 'udp')!.port;
  const tcp = ep.bound.find((b) => b.transport === 'tcp')!.port;
  return { ep, udp, tcp };
}

const until = async (cond: () => boolean, ms = 3000): Promise<boolean> => {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  return cond();
};

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
