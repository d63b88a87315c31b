// Non-INVITE server transaction state machine (RFC 3261 §17.2.2) on a ManualClock.
import t from 'tap';
import { ManualClock } from '../../../../gateway/clock.ts';
import { NonInviteServerTransaction } from '../../../../gateway/sip/non-invite-server-transaction.ts';
import { DEFAULT_TIMERS } from '../../../../gateway/sip/timers.ts';
import { ExpiryQueue } from '../../../../gateway/sip/expiry-queue.ts';

function setup(reliable: boolean, opts: { failSend?: boolean; noHook?: boolean; queue?: boolean } = {}) {
  const clock = new ManualClock();
  const timerJ = opts.queue === true ? new ExpiryQueue(clock, 64 * DEFAULT_TIMERS.T1) : undefined;
  const sent: string[] = [];
  const events: string[] = [];
  const tx = new NonInviteServerTransaction({
    clock, timers: DEFAULT_TIMERS, reliable,
    send: (b) => { if (opts.failSend) throw new Error('down'); sent.push(b.toString()); },
    ...(!opts.noHook && { retransmissionWhileTrying: () => { events.push('retransmission-in-trying'); } }),
    terminated: () => { events.push('terminated'); },
    ...(timerJ !== undefined && { timerJ }),
  });
  return { clock, sent, events, tx, timerJ };
}

void t.test('NIST absorbs a request retransmission in Trying (RFC 3261 §17.2.2)', (t) => {
  const { tx, sent, events } = setup(false);
  tx.receiveRequest();
  t.equal(tx.state, 'trying');
  t.same(sent, []);
  t.same(events, ['retransmission-in-trying'], 'the TU is told, so it may answer 100 over UDP');
  setup(false, { noHook: true }).tx.receiveRequest();
  t.end();
});

void t.test('NIST enters Proceeding on a provisional and resends it on retransmission (RFC 3261 §17.2.2)', (t) => {
  const { tx, sent } = setup(false);
  tx.respond(100, Buffer.from('100'));
  t.equal(tx.state, 'proceeding');
  tx.receiveRequest();
  t.same(sent, ['100', '100']);
  t.end();
});

void t.test('NIST answers retransmissions in Completed with the last final response, until Timer J = 64*T1 over UDP (RFC 3261 §17.2.2)', (t) => {
  const { tx, sent, events, clock } = setup(false);
  tx.respond(100, Buffer.from('100'));
  tx.respond(200, Buffer.from('200'));
  t.equal(tx.state, 'completed');
  tx.receiveRequest();
  tx.respond(500, Buffer.from('500'));
  t.same(sent, ['100', '200', '200'], 'a later final response from the TU is discarded');
  clock.advance(64 * 500 - 1);
  t.equal(tx.state, 'completed');
  clock.advance(1);
  t.equal(tx.state, 'terminated');
  t.same(events, ['terminated']);
  tx.receiveRequest();
  t.same(sent.length, 3, 'nothing after Terminated');
  t.end();
});

void t.test('NIST Timer J is zero over TCP (RFC 3261 §17.2.2)', (t) => {
  const { tx, events, clock } = setup(true);
  tx.respond(202, Buffer.from('202'));
  t.equal(tx.state, 'terminated');
  t.same(events, ['terminated']);
  t.equal(clock.pending, 0);
  t.end();
});

void t.test('NIST terminates on a transport error (RFC 3261 §17.2.4)', (t) => {
  const { tx, events, clock } = setup(false, { failSend: true });
  tx.respond(200, Buffer.from('200'));
  t.equal(tx.state, 'terminated');
  t.same(events, ['terminated'], 'told once');
  t.equal(clock.pending, 0, 'Timer J not started');
  tx.transportError();
  t.same(events, ['terminated'], 'still told once');
  t.end();
});

void t.test('NIST Timer J from a shared queue fires at 64*T1 like its own timer, and is cancelled by a transport failure (RFC 3261 §17.2.2)', (t) => {
  const { tx, events, clock, timerJ } = setup(false, { queue: true });
  tx.respond(200, Buffer.from('200'));
  t.equal(timerJ?.size, 1);
  clock.advance(64 * 500 - 1);
  t.equal(tx.state, 'completed');
  clock.advance(1);
  t.equal(tx.state, 'terminated');
  t.same(events, ['terminated']);
  const b = setup(false, { queue: true });
  b.tx.respond(200, Buffer.from('200'));
  b.tx.transportError();
  t.equal(b.tx.state, 'terminated');
  b.clock.advance(64 * 500);
  t.same(b.events, ['terminated'], 'terminated once');
  t.end();
});

void t.test('NIST over UDP with a completed hook hands the final response over instead of setting Timer J (RFC 3261 §17.2.2)', (t) => {
  const clock = new ManualClock();
  const sent: string[] = [];
  const handed: string[] = [];
  const events: string[] = [];
  const tx = new NonInviteServerTransaction({
    clock, timers: DEFAULT_TIMERS, reliable: false,
    send: (b) => { sent.push(b.toString()); },
    terminated: () => { events.push('terminated'); },
    completed: (b) => { handed.push(b.toString()); },
  });
  tx.respond(100, Buffer.from('100'));
  t.same(handed, [], 'not on a provisional');
  tx.respond(200, Buffer.from('200'));
  t.same(sent, ['100', '200']);
  t.same(handed, ['200'], 'the final response bytes are handed over once sent');
  t.equal(tx.state, 'completed');
  t.equal(clock.pending, 0, 'no Timer J of its own');
  t.same(events, [], 'not terminated');
  const reliable = new NonInviteServerTransaction({
    clock, timers: DEFAULT_TIMERS, reliable: true, send: () => undefined,
    terminated: () => { events.push('terminated'); }, completed: (b) => { handed.push(b.toString()); },
  });
  reliable.respond(200, Buffer.from('tcp'));
  t.equal(reliable.state, 'terminated', 'Timer J is zero over TCP: nothing to hand over');
  t.same(handed, ['200']);
  t.end();
});
