// Event, Subscription-State, Expires and Accept values (RFC 6665 §8.2, §8.4; RFC 3261 §20.19).
import t from 'tap';
import {
  acceptList, formatEvent, formatSubscriptionState, parseEvent, parseExpires, parseSubscriptionState, sameEvent,
} from '../../../../gateway/sip/event-headers.ts';
import { HeaderValueError } from '../../../../gateway/sip/header-value-error.ts';

void t.test('Event = event-type *( SEMI event-param ) with the id parameter (RFC 6665 §8.4)', (t) => {
  t.same(parseEvent('presence'), { type: 'presence', id: undefined });
  t.same(parseEvent(' Presence ;id=42;foo'), { type: 'presence', id: '42' }, 'type compared in lower case, id kept');
  t.same(parseEvent('presence.winfo'), { type: 'presence.winfo', id: undefined }, 'event templates');
  for (const bad of ['', ' ', 'pre sence', 'presence;', '"quoted"']) t.ok(parseEvent(bad) instanceof HeaderValueError, JSON.stringify(bad));
  t.equal(formatEvent({ type: 'presence', id: undefined }), 'presence');
  t.equal(formatEvent({ type: 'dialog', id: 'x1' }), 'dialog;id=x1');
  t.ok(sameEvent({ type: 'presence', id: undefined }, { type: 'presence', id: undefined }));
  t.notOk(sameEvent({ type: 'presence', id: '1' }, { type: 'presence', id: undefined }), 'the id parameter tells subscriptions apart (RFC 6665 §8.2.1)');
  t.notOk(sameEvent({ type: 'presence', id: undefined }, { type: 'dialog', id: undefined }));
  t.end();
});

void t.test('Subscription-State = substate-value *( SEMI subexp-params ) (RFC 6665 §8.4)', (t) => {
  t.same(parseSubscriptionState('active;expires=600'), { state: 'active', expires: 600 });
  t.same(parseSubscriptionState('Pending'), { state: 'pending' });
  t.same(parseSubscriptionState('terminated;reason=Probation;retry-after=30'), { state: 'terminated', reason: 'probation', retryAfter: 30 });
  t.same(parseSubscriptionState('terminated ; reason=timeout'), { state: 'terminated', reason: 'timeout' });
  t.same(parseSubscriptionState('x-extension;foo=bar'), { state: 'x-extension' }, 'extension substates pass through');
  t.same(parseSubscriptionState('active;expires=9999999999'), { state: 'active', expires: 2 ** 32 - 1 }, 'delta-seconds capped');
  for (const bad of ['', ';expires=1', 'active;expires=soon', 'active;retry-after=-1', 'active;;']) {
    t.ok(parseSubscriptionState(bad) instanceof HeaderValueError, JSON.stringify(bad));
  }
  t.equal(formatSubscriptionState({ state: 'active', expires: 30 }), 'active;expires=30');
  t.equal(formatSubscriptionState({ state: 'terminated', reason: 'giveup', retryAfter: 60 }), 'terminated;reason=giveup;retry-after=60');
  t.end();
});

void t.test('Expires = delta-seconds; absent → the default (RFC 3261 §20.19, RFC 6665 §4.1.2.1)', (t) => {
  t.equal(parseExpires(undefined, 3600), 3600);
  t.equal(parseExpires(' 0 ', 3600), 0);
  t.equal(parseExpires('120', 3600), 120);
  t.ok(parseExpires('1h', 3600) instanceof HeaderValueError);
  t.ok(parseExpires('', 3600) instanceof HeaderValueError);
  t.end();
});

void t.test('Accept media ranges, parameters dropped, lower case (RFC 3261 §20.1)', (t) => {
  t.same(acceptList(['application/PIDF+xml;q=1', ' application/rlmi+xml', '']), ['application/pidf+xml', 'application/rlmi+xml']);
  t.same(acceptList([]), []);
  t.end();
});
