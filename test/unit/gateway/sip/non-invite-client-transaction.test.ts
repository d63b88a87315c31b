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

void t.test('NICT ended by the TU from its final-response callback sets no Timer K', (t) => {
  const { tx, events, clock } = setup(false);
  const ending = new NonInviteClientTransaction({
    clock, timers: DEFAULT_TIMERS, reliable: false,
    send: () => {},
    response: (r, self) => { events.push(`response ${r.status}`); self.transportError(); },
    timeout: () => { events.push('timeout'); },
    transportError: () => { events.push('transport-error'); },
    terminated: () => { events.push('terminated'); },
  }, Buffer.from('MESSAGE'));
  ending.start();
  ending.receiveResponse(res(200));
  t.equal(ending.state, 'terminated');
  t.same(events, ['response 200', 'terminated'], 'terminated once, no transport error after the final response');
  t.equal(clock.pending, 0, 'no timer left: E and F cancelled, no K');
  t.equal(tx.state, 'trying', 'another transaction on the clock is not affected');
  t.end();
});

void t.test('NICT timers E, F and K are shared queues: one clock timer per duration for any number of transactions, at the exact RFC 3261 §17.1.2.2 times', (t) => {
  const clock = new ManualClock();
  const log = new Map<string, number[]>();
  const events: string[] = [];
  const ctx = {
    clock, timers: DEFAULT_TIMERS, reliable: false,
    send: (_b: Buffer, tx: NonInviteClientTransaction<string>) => { log.get(tx.data)?.push(clock.now()); },
    response: (r: SipResponse, tx: NonInviteClientTransaction<string>) => { events.push(`${tx.data} ${r.status}`); },
    timeout: (tx: NonInviteClientTransaction<string>) => { events.push(`${tx.data} timeout at ${clock.now()}`); },
    transportError: () => { events.push('transport-error'); },
    terminated: (tx: NonInviteClientTransaction<string>) => { events.push(`${tx.data} terminated at ${clock.now()}`); },
  };
  const txs: Array<NonInviteClientTransaction<string>> = [];
  for (let i = 0; i < 1000; i++) {
    const name = `t${i}`;
    log.set(name, []);
    const tx = new NonInviteClientTransaction(ctx, Buffer.from('NOTIFY'), name);
    txs.push(tx);
    tx.start();
    if (i === 499) clock.advance(100);
  }
  t.equal(clock.pending, 2, '1,000 transactions: one timer for E (T1), one for F');
  clock.advance(400);
  t.same(log.get('t0'), [0, 500], 'the first half retransmitted at T1');
  t.same(log.get('t999'), [100], 'the second half not yet');
  clock.advance(100);
  t.same(log.get('t999'), [100, 600]);
  t.equal(clock.pending, 2, 'E (2*T1) and F');
  for (let i = 0; i < 1000; i += 2) (txs[i] as NonInviteClientTransaction<string>).receiveResponse(res(200));
  t.equal(clock.pending, 3, 'E, F and K (T4)');
  txs[1]?.receiveResponse(res(100));
  clock.advance(5000);
  t.equal(events.filter((e) => e.endsWith('terminated at 5600')).length, 500, 'Timer K: T4 after the final response');
  clock.advance(64 * 500);
  t.same(log.get('t0'), [0, 500], 'answered: no retransmission');
  t.same(log.get('t1'), [0, 500, 1500, 5500, 9500, 13500, 17500, 21500, 25500, 29500], 'Proceeding since 600: from the next firing (1,500) E is reset to T2');
  t.same(log.get('t3'), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500], 'Trying: E doubles to T2');
  t.same(log.get('t999')?.slice(0, 4), [100, 600, 1600, 3600], 'the second half on its own schedule');
  t.ok(events.includes('t3 timeout at 32000') && events.includes('t999 timeout at 32100'), 'Timer F at 64*T1 after each start');
  t.equal(clock.pending, 0, 'no timer once every transaction ended');
  t.end();
});
