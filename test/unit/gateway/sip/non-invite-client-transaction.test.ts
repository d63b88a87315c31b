// Non-INVITE client transaction state machine (RFC 3261 §17.1.2) on a ManualClock.
import t from 'tap';
import { ManualClock } from '../../../../gateway/clock.ts';
import { NonInviteClientTransaction } from '../../../../gateway/sip/non-invite-client-transaction.ts';
import { DEFAULT_TIMERS } from '../../../../gateway/sip/timers.ts';
import { SipHeaders } from '../../../../gateway/sip/headers.ts';
import type { SipResponse } from '../../../../gateway/sip/message.ts';

const res = (status: number): SipResponse => ({ kind: 'response', status, reason: '', version: 'SIP/2.0', headers: new SipHeaders(), body: Buffer.alloc(0) });

function setup(reliable: boolean, failSendAfter = Infinity) {
  const clock = new ManualClock();
  const sentAt: number[] = [];
  const events: string[] = [];
  const tx = new NonInviteClientTransaction({
    clock, timers: DEFAULT_TIMERS, reliable,
    send: () => { if (sentAt.length >= failSendAfter) throw new Error('down'); sentAt.push(clock.now()); },
    response: (r) => { events.push(`response ${r.status}`); },
    timeout: () => { events.push('timeout'); },
    transportError: () => { events.push('transport-error'); },
    terminated: () => { events.push('terminated'); },
  }, Buffer.from('MESSAGE'));
  return { clock, sentAt, events, tx };
}

void t.test('NICT retransmits on Timer E from T1 doubling to T2 over UDP, and Timer F = 64*T1 gives a timeout (RFC 3261 §17.1.2.2)', (t) => {
  const { tx, sentAt, events, clock } = setup(false);
  tx.start();
  clock.advance(64 * 500);
  t.same(sentAt.slice(0, 6), [0, 500, 1500, 3500, 7500, 11500], 'E: 500, 1000, 2000, 4000, 4000 ms');
  t.equal(sentAt.length, 11);
  t.equal(tx.state, 'terminated');
  t.same(events, ['terminated', 'timeout']);
  t.equal(clock.pending, 0);
  t.end();
});

void t.test('NICT retransmits every T2 in Proceeding (RFC 3261 §17.1.2.2)', (t) => {
  const { tx, sentAt, events, clock } = setup(false);
  tx.start();
  tx.receiveResponse(res(100));
  t.equal(tx.state, 'proceeding');
  clock.advance(500);
  clock.advance(4000);
  t.same(sentAt, [0, 500, 4500]);
  tx.receiveResponse(res(180));
  t.same(events, ['response 100', 'response 180']);
  t.end();
});

void t.test('NICT passes the final response up once and absorbs retransmissions until Timer K = T4 over UDP (RFC 3261 §17.1.2.2)', (t) => {
  const { tx, sentAt, events, clock } = setup(false);
  tx.start();
  tx.receiveResponse(res(200));
  t.equal(tx.state, 'completed');
  tx.receiveResponse(res(200));
  clock.advance(4999);
  t.equal(tx.state, 'completed');
  clock.advance(1);
  t.equal(tx.state, 'terminated');
  t.same(sentAt, [0], 'no retransmission after the final response');
  t.same(events, ['response 200', 'terminated']);
  tx.transportError();
  t.same(events, ['response 200', 'terminated'], 'nothing after Terminated');
  t.end();
});

void t.test('NICT over TCP: no Timer E, Timer K zero (RFC 3261 §17.1.2.2)', (t) => {
  const { tx, sentAt, events, clock } = setup(true);
  tx.start();
  clock.advance(10000);
  t.same(sentAt, [0]);
  tx.receiveResponse(res(404));
  t.equal(tx.state, 'terminated');
  t.same(events, ['response 404', 'terminated']);
  t.end();
});

void t.test('NICT reports a transport failure on the first send and on a retransmission (RFC 3261 §17.1.4)', (t) => {
  const first = setup(false, 0);
  first.tx.start();
  t.same(first.events, ['terminated', 'transport-error']);
  t.equal(first.clock.pending, 0);
  const later = setup(false, 1);
  later.tx.start();
  later.clock.advance(500);
  t.same(later.events, ['terminated', 'transport-error']);
  const completed = setup(false);
  completed.tx.start();
  completed.tx.receiveResponse(res(200));
  completed.tx.transportError();
  t.same(completed.events, ['response 200', 'terminated'], 'after a final response the TU is not told');
  t.end();
});
