// SUBSCRIBE/NOTIFY dialogs against SIPp (a real, independent SIP implementation) on 127.0.0.1.
import t from 'tap';
import type { Test } from 'tap';
import { SipEndpoint } from '../../gateway/sip/endpoint.ts';
import type { IncomingNotify, TerminatedInfo } from '../../gateway/sip/endpoint.ts';
import { silentLogger } from '../../gateway/log.ts';
import { startSipp } from '../harness/sipp.ts';
import type { SippHandle } from '../harness/sipp.ts';

function owned(t: Test, h: SippHandle): SippHandle {
  t.teardown(() => h.stop());
  return h;
}

const until = async (cond: () => boolean, ms = 5000): Promise<boolean> => {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return cond();
};

for (const transport of ['udp', 'tcp'] as const) {
  void t.test(`${transport}: a SIPp watcher subscribes, gets the immediate NOTIFY, unsubscribes in the dialog and gets NOTIFY terminated (RFC 6665 §4.2.1.2, §4.1.2.3)`, async (t) => {
    const ep = new SipEndpoint({ listen: [`${transport}://127.0.0.1:0`], domains: ['xmpp.test'], log: silentLogger, allowEvents: ['presence'] });
    await ep.start();
    t.teardown(() => ep.stop());
    ep.onSubscribe((s) => ({
      status: 200,
      onAccepted: (sub) => { void sub.notify(s.expires === 0 ? { state: 'terminated' } : { state: 'active', contentType: 'application/pidf+xml', body: Buffer.from('<presence/>') }); },
    }));
    const uac = owned(t, await startSipp({
      scenario: 'uac-watcher-subscribe.xml', remote: `127.0.0.1:${ep.bound[0]!.port}`, transport,
      keys: { ruri: 'sip:bob@xmpp.test', from: 'sip:alice@corp.test', to: 'sip:bob@xmpp.test' },
    }));
    const r = await uac.done;
    t.ok(r.ok, `SIPp watcher succeeded; errors: ${r.errors}`);
  });

  void t.test(`${transport}: a SIPp presentity that NOTIFYs before its 200 (RFC 6665 §4.1.2.4), then ends the dialog on unsubscribe`, async (t) => {
    const uas = owned(t, await startSipp({ scenario: 'uas-presentity-notify-first.xml', transport, keys: { presentity: 'sip:carol@corp.test' } }));
    const ep = new SipEndpoint({ listen: [`${transport}://127.0.0.1:0`], domains: ['xmpp.test'], log: silentLogger });
    await ep.start();
    t.teardown(() => ep.stop());
    const notifies: IncomingNotify[] = [];
    const ended: TerminatedInfo[] = [];
    const sub = ep.subscribe({
      requestUri: `sip:carol@127.0.0.1:${uas.port};transport=${transport}`, from: { uri: 'sip:alice@xmpp.test' }, to: { uri: 'sip:carol@corp.test' },
      event: 'presence', accept: ['application/pidf+xml'], expires: 600,
    }, { onNotify: (n) => { notifies.push(n); }, onTerminated: (i) => { ended.push(i); } });
    t.equal((await sub.established).status, 200);
    t.ok(await until(() => notifies.length === 1));
    t.equal(notifies[0]!.subscriptionState.state, 'active');
    t.match(notifies[0]!.body.toString(), /<basic>open<\/basic>/);
    t.equal(sub.dialogs, 1);
    t.equal((await sub.unsubscribe()).status, 200);
    t.ok(await until(() => ended.length === 1));
    t.same(ended, [{ reason: 'timeout' }]);
    const r = await uas.done;
    t.ok(r.ok, `SIPp presentity succeeded; errors: ${r.errors}`);
  });
}
