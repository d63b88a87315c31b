// XMPP user → SIP presentity subscription machine (MAPPINGS §4, RFC 6665 §4.1).
import t from 'tap';
import { ManualClock, type TimerHandle } from '../../../../../gateway/clock.ts';
import {
  backoffMs, DEFAULT_OUTGOING_POLICY, refreshInMs, resume, step,
  type OutgoingAction, type OutgoingEvent, type OutgoingPolicy, type OutgoingState,
} from '../../../../../gateway/core/presence/outgoing-fsm.ts';

const P = DEFAULT_OUTGOING_POLICY;
const types = (actions: readonly OutgoingAction[]): string[] => actions.map((a) => a.type);
const st = (extra: Partial<OutgoingState> = {}): OutgoingState => ({ phase: 'established', confirmed: true, expires: 3600, attempts: 0, gen: 3, ...extra });

t.test('subscribe starts a SUBSCRIBE with Expires 3600 and saves the state', async (t) => {
  const r = step(undefined, { type: 'xmpp-subscribe' });
  t.same(r.state, { phase: 'subscribing', confirmed: false, expires: 3600, attempts: 0, gen: 1 });
  t.same(r.actions, [{ type: 'sip-subscribe', gen: 1, expires: 3600 }, { type: 'save' }]);
});

t.test('a repeated subscribe is answered subscribed + last presence once confirmed, and ignored before', async (t) => {
  t.same(types(step(st(), { type: 'xmpp-subscribe' }).actions), ['xmpp-subscribed', 'xmpp-last-presence']);
  t.same(step(st({ confirmed: false, phase: 'subscribing' }), { type: 'xmpp-subscribe' }).actions, []);
});

t.test('probe is answered from the last known state; a probe for an unknown subscription re-establishes it', async (t) => {
  t.same(types(step(st(), { type: 'xmpp-probe' }).actions), ['xmpp-last-presence']);
  t.same(types(step(undefined, { type: 'xmpp-probe' }).actions), ['sip-subscribe', 'save']);
});

t.test('unsubscribe sends Expires 0 on a live dialog, nothing on a waiting one, unavailable to the user once confirmed, and forgets', async (t) => {
  const live = step(st(), { type: 'xmpp-unsubscribe' });
  t.equal(live.state, undefined);
  t.same(live.actions, [{ type: 'timer', inMs: undefined }, { type: 'sip-unsubscribe', gen: 3 }, { type: 'xmpp-unavailable' }, { type: 'forget' }]);
  t.same(types(step(st({ phase: 'waiting' }), { type: 'xmpp-unsubscribe' }).actions), ['timer', 'xmpp-unavailable', 'forget']);
  t.same(types(step(st({ phase: 'subscribing', confirmed: false }), { type: 'xmpp-unsubscribe' }).actions), ['timer', 'sip-unsubscribe', 'forget'], 'never shown online: no unavailable');
  t.same(step(undefined, { type: 'xmpp-unsubscribe' }), { state: undefined, actions: [] });
});

t.test('a 2xx establishes the dialog and arms the refresh a minute before expiry (at most half-way)', async (t) => {
  const s = st({ phase: 'subscribing', attempts: 2 });
  const r = step(s, { type: 'subscribe-result', gen: 3, status: 200, expires: 600 });
  t.same(r.state, { ...s, phase: 'established', attempts: 0 });
  t.same(r.actions, [{ type: 'timer', inMs: 540_000 }, { type: 'save' }]);
  t.same(step(s, { type: 'subscribe-result', gen: 3, status: 202 }).actions[0], { type: 'timer', inMs: refreshInMs(3600) }, 'no Expires in the 2xx: the asked one');
  t.equal(refreshInMs(60), 30_000, 'short subscriptions refresh half-way');
});

t.test('423 retries with Min-Expires, both for a new dialog and a refresh (RFC 6665 §4.1.2.1)', async (t) => {
  const n = step(st({ phase: 'subscribing' }), { type: 'subscribe-result', gen: 3, status: 423, minExpires: 7200 });
  t.same(n.state, st({ phase: 'subscribing', expires: 7200, gen: 4 }));
  t.same(n.actions, [{ type: 'timer', inMs: undefined }, { type: 'sip-subscribe', gen: 4, expires: 7200 }, { type: 'save' }]);
  const r = step(st({ phase: 'refreshing' }), { type: 'refresh-result', gen: 3, status: 423, minExpires: 5000 });
  t.same(r.state, st({ phase: 'refreshing', expires: 5000 }));
  t.same(r.actions, [{ type: 'sip-refresh', gen: 3, expires: 5000 }, { type: 'save' }]);
});

t.test('423 without a usable Min-Expires is a final failure (no loop)', async (t) => {
  t.same(types(step(st({ phase: 'subscribing' }), { type: 'subscribe-result', gen: 3, status: 423, minExpires: 60 }).actions), ['timer', 'xmpp-unsubscribed', 'forget']);
  t.same(types(step(st({ phase: 'subscribing' }), { type: 'subscribe-result', gen: 3, status: 423 }).actions), ['timer', 'xmpp-unsubscribed', 'forget']);
});

for (const status of [408, 480, 486, 500, 503, 504, 555]) {
  t.test(`${status} is transient: retry with backoff, the XMPP side sees nothing`, async (t) => {
    const r = step(st({ phase: 'subscribing', attempts: 2 }), { type: 'subscribe-result', gen: 3, status });
    t.same(r.state, st({ phase: 'waiting', attempts: 3 }));
    t.same(r.actions, [{ type: 'timer', inMs: 4000 }, { type: 'save' }]);
  });
}

t.test('a Retry-After on a transient failure sets the wait', async (t) => {
  t.same(step(st({ phase: 'subscribing' }), { type: 'subscribe-result', gen: 3, status: 503, retryAfter: 30 }).actions[0], { type: 'timer', inMs: 30_000 });
});

for (const status of [403, 404, 489, 603, 400, 302]) {
  t.test(`${status} stops for good: unsubscribed, no retry (MAPPINGS §4)`, async (t) => {
    const r = step(st({ phase: 'subscribing' }), { type: 'subscribe-result', gen: 3, status });
    t.equal(r.state, undefined);
    t.same(r.actions, [{ type: 'timer', inMs: undefined }, { type: 'xmpp-unsubscribed' }, { type: 'forget' }]);
  });
}

t.test('backoff doubles from 1 s up to the cap', async (t) => {
  t.same([1, 2, 3, 10, 30].map((a) => backoffMs(P, a)), [1000, 2000, 4000, 512_000, 600_000]);
  t.equal(backoffMs(P, 0), 1000);
});

t.test('retries exhausted (when a limit is set): unsubscribed', async (t) => {
  const policy: OutgoingPolicy = { ...P, maxAttempts: 3 };
  t.same(types(step(st({ phase: 'subscribing', attempts: 2 }), { type: 'subscribe-result', gen: 3, status: 503 }, policy).actions), ['timer', 'xmpp-unsubscribed', 'forget']);
  t.same(types(step(st({ phase: 'subscribing', attempts: 1 }), { type: 'subscribe-result', gen: 3, status: 503 }, policy).actions), ['timer', 'save']);
});

t.test('the timer refreshes an established dialog and re-subscribes a waiting one', async (t) => {
  const r = step(st(), { type: 'timer' });
  t.same(r.state, st({ phase: 'refreshing' }));
  t.same(r.actions, [{ type: 'sip-refresh', gen: 3, expires: 3600 }]);
  const w = step(st({ phase: 'waiting', attempts: 1 }), { type: 'timer' });
  t.same(w.state, st({ phase: 'subscribing', attempts: 1, gen: 4 }));
  t.same(types(w.actions), ['timer', 'sip-subscribe', 'save']);
  t.same(step(st({ phase: 'subscribing' }), { type: 'timer' }).actions, [], 'a stray timer while a request is in flight');
  t.same(step(undefined, { type: 'timer' }).actions, []);
});

t.test('refresh results: 2xx re-arms, 481 builds a new dialog at once, 503 backs off, 403 ends', async (t) => {
  const s = st({ phase: 'refreshing' });
  t.same(step(s, { type: 'refresh-result', gen: 3, status: 200, expires: 1200 }).actions, [{ type: 'timer', inMs: 1_140_000 }, { type: 'save' }]);
  t.same(types(step(s, { type: 'refresh-result', gen: 3, status: 481 }).actions), ['timer', 'sip-subscribe', 'save']);
  t.equal(step(s, { type: 'refresh-result', gen: 3, status: 503 }).state?.phase, 'waiting');
  t.equal(step(s, { type: 'refresh-result', gen: 3, status: 403 }).state, undefined);
});

t.test('a result in the wrong phase or of an old dialog is ignored', async (t) => {
  t.same(step(st(), { type: 'subscribe-result', gen: 3, status: 200 }).actions, []);
  t.same(step(st(), { type: 'refresh-result', gen: 3, status: 200 }).actions, []);
  t.same(step(st({ phase: 'subscribing' }), { type: 'subscribe-result', gen: 2, status: 403 }).actions, []);
  t.same(step(undefined, { type: 'notify', gen: 1, state: 'active', hasBody: true }).actions, []);
});

t.test('NOTIFY active → subscribed once, and the document is forwarded', async (t) => {
  const s = st({ confirmed: false, phase: 'subscribing' });
  const r = step(s, { type: 'notify', gen: 3, state: 'active', hasBody: true });
  t.equal(r.state?.confirmed, true);
  t.same(types(r.actions), ['xmpp-subscribed', 'save', 'forward']);
  t.same(types(step(r.state, { type: 'notify', gen: 3, state: 'active', hasBody: false }).actions), [], 'no body: no change (keep the last state)');
});

t.test('NOTIFY active with a shorter Expires on an established dialog re-arms the refresh', async (t) => {
  t.same(step(st(), { type: 'notify', gen: 3, state: 'active', expires: 100, hasBody: true }).actions, [{ type: 'forward' }, { type: 'timer', inMs: 50_000 }]);
  t.same(step(st({ phase: 'subscribing' }), { type: 'notify', gen: 3, state: 'active', expires: 100, hasBody: false }).actions, []);
});

t.test('NOTIFY pending: nothing crosses yet', async (t) => {
  t.same(step(st({ confirmed: false }), { type: 'notify', gen: 3, state: 'pending', hasBody: true }).actions, []);
  t.same(step(st({ confirmed: false }), { type: 'notify', gen: 3, state: 'pending', expires: 200, hasBody: false }).actions, [{ type: 'timer', inMs: 140_000 }]);
});

for (const reason of ['rejected', 'noresource', 'invariant', 'REJECTED']) {
  t.test(`terminated;reason=${reason} → unsubscribed, no retry (RFC 6665 §4.1.3)`, async (t) => {
    const r = step(st(), { type: 'notify', gen: 3, state: 'terminated', reason, hasBody: false });
    t.equal(r.state, undefined);
    t.same(types(r.actions), ['timer', 'xmpp-unsubscribed', 'forget']);
  });
}

for (const reason of ['deactivated', 'timeout']) {
  t.test(`terminated;reason=${reason} → re-SUBSCRIBE at once, the XMPP side sees nothing`, async (t) => {
    const r = step(st(), { type: 'notify', gen: 3, state: 'terminated', reason, hasBody: false });
    t.same(r.actions, [{ type: 'timer', inMs: undefined }, { type: 'sip-subscribe', gen: 4, expires: 3600 }, { type: 'save' }]);
  });
}

for (const reason of ['probation', 'giveup']) {
  t.test(`terminated;reason=${reason} → re-SUBSCRIBE after retry-after, else with backoff`, async (t) => {
    t.same(step(st(), { type: 'notify', gen: 3, state: 'terminated', reason, retryAfter: 90, hasBody: false }).actions[0], { type: 'timer', inMs: 90_000 });
    t.same(step(st(), { type: 'notify', gen: 3, state: 'terminated', reason, hasBody: false }).actions[0], { type: 'timer', inMs: 1000 });
  });
}

t.test('terminated without a reason or with an unknown one: retry with backoff (RFC 6665 §4.1.3 MAY), retry-after ignored', async (t) => {
  t.same(step(st(), { type: 'notify', gen: 3, state: 'terminated', hasBody: false }).actions[0], { type: 'timer', inMs: 1000 });
  t.same(step(st(), { type: 'notify', gen: 3, state: 'terminated', reason: 'other', retryAfter: 50, hasBody: false }).actions[0], { type: 'timer', inMs: 1000 });
});

t.test('a final NOTIFY with a document forwards it when the subscription was confirmed', async (t) => {
  t.same(types(step(st(), { type: 'notify', gen: 3, state: 'terminated', reason: 'timeout', hasBody: true }).actions), ['forward', 'timer', 'sip-subscribe', 'save']);
  t.same(types(step(st({ confirmed: false }), { type: 'notify', gen: 3, state: 'terminated', reason: 'timeout', hasBody: true }).actions), ['timer', 'sip-subscribe', 'save']);
});

t.test('the dialog layer ending a dialog: 481 re-subscribes, a final status ends, otherwise as the reason says', async (t) => {
  t.same(types(step(st(), { type: 'terminated', gen: 3, status: 481 }).actions), ['timer', 'sip-subscribe', 'save']);
  t.same(types(step(st(), { type: 'terminated', gen: 3, status: 403 }).actions), ['timer', 'xmpp-unsubscribed', 'forget']);
  t.same(step(st(), { type: 'terminated', gen: 3, status: 503, reason: 'probation', retryAfter: 5 }).actions[0], { type: 'timer', inMs: 5000 });
  t.same(step(st(), { type: 'terminated', gen: 3, status: 200 }).actions[0], { type: 'timer', inMs: 1000 });
  t.same(types(step(st(), { type: 'terminated', gen: 3, reason: 'rejected' }).actions), ['timer', 'xmpp-unsubscribed', 'forget']);
});

t.test('resume after a restart opens a new dialog at once and keeps confirmation', async (t) => {
  const r = resume({ confirmed: true, expires: 1800, attempts: 1 });
  t.same(r.state, { phase: 'subscribing', confirmed: true, expires: 1800, attempts: 1, gen: 1 });
  t.same(r.actions, [{ type: 'sip-subscribe', gen: 1, expires: 1800 }]);
});

t.test('on a ManualClock: a dialog granted 120 s is refreshed at 60 s, before it expires, for as long as it lives', async (t) => {
  const clock = new ManualClock();
  let state: OutgoingState | undefined;
  let timer: TimerHandle | undefined;
  const sent: string[] = [];
  const run = (e: OutgoingEvent): void => {
    const r = step(state, e, { ...P, expires: 120 });
    state = r.state;
    for (const a of r.actions) {
      if (a.type === 'timer') {
        timer?.cancel();
        timer = a.inMs === undefined ? undefined : clock.setTimer(a.inMs, () => { run({ type: 'timer' }); });
      } else if (a.type === 'sip-subscribe' || a.type === 'sip-refresh') {
        sent.push(`${a.type}@${clock.now()}`);
      }
    }
  };
  run({ type: 'xmpp-subscribe' });
  run({ type: 'subscribe-result', gen: 1, status: 200, expires: 120 });
  clock.advance(60_000);
  run({ type: 'refresh-result', gen: 1, status: 200, expires: 120 });
  clock.advance(60_000);
  run({ type: 'refresh-result', gen: 1, status: 503 });
  clock.advance(1000);
  t.same(sent, ['sip-subscribe@0', 'sip-refresh@60000', 'sip-refresh@120000', 'sip-subscribe@121000']);
});
