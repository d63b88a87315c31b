// Dialog ids, route sets and in-dialog routing (RFC 3261 §12).
import t from 'tap';
import { acceptsRemoteSeq, addressUri, dialogId, fieldValues, inDialogRouting, routeSet } from '../../../../gateway/sip/dialog.ts';

void t.test('a dialog id is Call-ID, local tag and remote tag (RFC 3261 §12)', (t) => {
  t.equal(dialogId('c1@h', 'l', 'r'), 'c1@h;l;r');
  t.not(dialogId('c1@h', 'l', 'r'), dialogId('c1@h', 'r', 'l'), 'local and remote are not interchangeable');
  t.end();
});

void t.test('route set: Record-Route in order for the UAS, reversed for the UAC (RFC 3261 §12.1.1, §12.1.2)', (t) => {
  const rr = ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>'];
  t.same(routeSet(rr, 'uas'), rr);
  t.same(routeSet(rr, 'uac'), ['<sip:p2.example.com;lr>', '<sip:p1.example.com;lr>']);
  t.same(rr, ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>'], 'the input is not reordered');
  t.end();
});

void t.test('remote target: the URI of a Contact value; none for garbage or non-SIP (RFC 3261 §12.1.1)', (t) => {
  t.equal(addressUri('"Bob" <sip:bob@192.0.2.4:5070;transport=tcp>;expires=60'), 'sip:bob@192.0.2.4:5070;transport=tcp');
  t.equal(addressUri('sip:bob@192.0.2.4'), 'sip:bob@192.0.2.4');
  t.equal(addressUri(undefined), undefined);
  t.equal(addressUri('<sip:bob@192.0.2.4'), undefined);
  t.equal(addressUri('<tel:+15551234>'), undefined);
  t.equal(addressUri('<sip:>'), undefined);
  t.end();
});

void t.test('empty route set: Request-URI is the remote target, no Route (RFC 3261 §12.2.1.1)', (t) => {
  t.same(inDialogRouting({ remoteTarget: 'sip:w@192.0.2.1:5070', routeSet: [] }), { requestUri: 'sip:w@192.0.2.1:5070', route: [], nextHop: 'sip:w@192.0.2.1:5070' });
  t.end();
});

void t.test('loose routing: remote target in the Request-URI, the route set in Route, sent to the first route (RFC 3261 §12.2.1.1)', (t) => {
  const r = inDialogRouting({ remoteTarget: 'sip:w@192.0.2.1', routeSet: ['<sip:p2.example.com;lr;transport=tcp>', '<sip:p1.example.com;lr>'] });
  t.same(r, { requestUri: 'sip:w@192.0.2.1', route: ['<sip:p2.example.com;lr;transport=tcp>', '<sip:p1.example.com;lr>'], nextHop: 'sip:p2.example.com;lr;transport=tcp' });
  t.end();
});

void t.test('strict routing: the first route becomes the Request-URI, the remote target the last Route (RFC 3261 §12.2.1.1)', (t) => {
  const r = inDialogRouting({ remoteTarget: 'sip:w@192.0.2.1', routeSet: ['<sip:strict.example.com?X=1>', '<sip:p1.example.com;lr>'] });
  t.same(r, { requestUri: 'sip:strict.example.com', route: ['<sip:p1.example.com;lr>', '<sip:w@192.0.2.1>'], nextHop: 'sip:strict.example.com' }, 'headers stripped from the Request-URI');
  const odd = inDialogRouting({ remoteTarget: 'sip:w@192.0.2.1', routeSet: ['<tel:+1555>'] });
  t.equal(odd.requestUri, 'tel:+1555', 'a non-SIP first route is treated as a strict router');
  t.end();
});

void t.test('a request with a CSeq lower than the remote sequence number is out of order (RFC 3261 §12.2.2)', (t) => {
  t.ok(acceptsRemoteSeq({ remoteSeq: undefined }, 1), 'empty remote sequence number');
  t.ok(acceptsRemoteSeq({ remoteSeq: 5 }, 6));
  t.ok(acceptsRemoteSeq({ remoteSeq: 5 }, 5));
  t.notOk(acceptsRemoteSeq({ remoteSeq: 5 }, 4));
  t.end();
});

void t.test('fieldValues reads [name, value] fields: compact names, list headers split (RFC 3261 §7.3)', (t) => {
  const fields: Array<[string, string]> = [['Record-Route', '<sip:a;lr>, <sip:b;lr>'], ['m', '<sip:c@d>'], ['Expires', '60'], ['record-route', '<sip:e;lr>']];
  t.same(fieldValues(fields, 'record-route'), ['<sip:a;lr>', '<sip:b;lr>', '<sip:e;lr>']);
  t.same(fieldValues(fields, 'Contact'), ['<sip:c@d>']);
  t.same(fieldValues(fields, 'expires'), ['60']);
  t.same(fieldValues(fields, 'to'), []);
  t.end();
});
