// INVITE server transaction state machine (RFC 3261 §17.2.1) on a ManualClock.
import t from 'tap';
import { ManualClock } from '../../../../gateway/clock.ts';
import { InviteServerTransaction } from '../../../../gateway/sip/invite-server-transaction.ts';
import { DEFAULT_TIMERS } from '../../../../gateway/sip/timers.ts';

function setup(reliable: boolean, opts: { failSend?: number; noHook?: boolean } = {}) {
  const clock = new ManualClock();
  const sent: string[] = [];
  const events: string[] = [];
  let sends = 0;
  const tx = new InviteServerTransaction({
    clock, timers: DEFAULT_TIMERS, reliable,
    send: (b) => { if (opts.failSend !== undefined && ++sends >= opts.failSend) throw new Error('down'); sent.push(b.toString()); },
    ...(!opts.noHook && { ackTimeout: () => { events.push('ack-timeout'); } }),
    terminated: () => { events.push('terminated'); },
  });
  return { clock, sent, events, tx };
}

void t.test('IST starts in Proceeding, sends provisionals and resends the last one on an INVITE retransmission (RFC 3261 §17.2.1)', (t) => {
  const { tx, sent } = setup(false);
  t.equal(tx.state, 'proceeding');
  tx.receiveRequest();
  t.same(sent, [], 'nothing to resend before the TU answered');
  tx.respond(100, Buffer.from('100'));
  tx.receiveRequest();
  t.same(sent, ['100', '100']);
  t.equal(tx.state, 'proceeding');
  t.end();
});

void t.test('IST Timer G retransmits a 3xx-6xx over UDP at T1, doubling up to T2, until Timer H = 64*T1 (RFC 3261 §17.2.1)', (t) => {
  const { tx, sent, events, clock } = setup(false);
  tx.respond(488, Buffer.from('488'));
  t.equal(tx.state, 'completed');
  const at: number[] = [];
  for (let ms = 0; ms <= 64 * 500; ms += 250) {
    const before = sent.length;
    clock.advance(ms === 0 ? 0 : 250);
    if (sent.length > before) at.push(clock.now());
  }
  t.same(at.slice(0, 5), [500, 1500, 3500, 7500, 11500], 'T1, +2*T1, +4*T1, then T2 = 4 s');
  t.equal(tx.state, 'terminated');
  t.same(events, ['terminated', 'ack-timeout'], 'the TU hears of the missing ACK');
  t.equal(clock.pending, 0);
  t.end();
});

void t.test('IST resends the final response on an INVITE retransmission in Completed (RFC 3261 §17.2.1)', (t) => {
  const { tx, sent } = setup(false);
  tx.respond(603, Buffer.from('603'));
  tx.receiveRequest();
  tx.respond(500, Buffer.from('500'));
  t.same(sent, ['603', '603'], 'a later final response from the TU is discarded');
  t.end();
});

void t.test('IST moves to Confirmed on the ACK, absorbs ACKs, and ends on Timer I = T4 over UDP (RFC 3261 §17.2.1)', (t) => {
  const { tx, sent, events, clock } = setup(false);
  tx.receiveAck();
  t.equal(tx.state, 'proceeding', 'an ACK before the final response is ignored');
  tx.respond(488, Buffer.from('488'));
  tx.receiveAck();
  t.equal(tx.state, 'confirmed');
  clock.advance(600);
  tx.receiveAck();
  tx.receiveRequest();
  t.same(sent, ['488'], 'no Timer G retransmission and no resend in Confirmed');
  clock.advance(DEFAULT_TIMERS.T4 - 601);
  t.equal(tx.state, 'confirmed');
  clock.advance(1);
  t.equal(tx.state, 'terminated');
  t.same(events, ['terminated']);
  t.end();
});

void t.test('IST over TCP: no Timer G, Timer H still set, Timer I is zero (RFC 3261 §17.2.1)', (t) => {
  const { tx, sent, events, clock } = setup(true);
  tx.respond(488, Buffer.from('488'));
  clock.advance(10_000);
  t.same(sent, ['488']);
  t.equal(tx.state, 'completed');
  tx.receiveAck();
  t.equal(tx.state, 'terminated');
  t.same(events, ['terminated']);
  t.equal(clock.pending, 0);
  t.end();
});

void t.test('IST passes a 2xx to the transport and terminates (RFC 3261 §17.2.1)', (t) => {
  const { tx, sent, events } = setup(false);
  tx.respond(200, Buffer.from('200'));
  t.same(sent, ['200']);
  t.equal(tx.state, 'terminated');
  t.same(events, ['terminated']);
  t.end();
});

void t.test('IST terminates on a transport error, at the final response or at a Timer G retransmission (RFC 3261 §17.2.4)', (t) => {
  const a = setup(false, { failSend: 1 });
  a.tx.respond(488, Buffer.from('488'));
  t.equal(a.tx.state, 'terminated');
  t.equal(a.clock.pending, 0, 'neither Timer G nor H started');
  a.tx.transportError();
  t.same(a.events, ['terminated'], 'told once');
  const b = setup(false, { failSend: 2, noHook: true });
  b.tx.respond(488, Buffer.from('488'));
  b.clock.advance(500);
  t.equal(b.tx.state, 'terminated');
  t.equal(b.clock.pending, 0);
  b.clock.advance(64 * 500);
  t.same(b.events, ['terminated']);
  t.end();
});

void t.test('IST Timer H without an ackTimeout hook just terminates (RFC 3261 §17.2.1)', (t) => {
  const { tx, events, clock } = setup(true, { noHook: true });
  tx.respond(488, Buffer.from('488'));
  clock.advance(64 * 500);
  t.equal(tx.state, 'terminated');
  t.same(events, ['terminated']);
  t.end();
});
