// Header parameters (RFC 3261 §25.1 generic-param, LWS around ";" and "="), table-driven.
import t from 'tap';
import { HeaderValueError } from '../../../../gateway/sip/header-value-error.ts';
import { endOfQuoted, param, parseParams } from '../../../../gateway/sip/params.ts';

void t.test('parameters that parse', (t) => {
  const cases: Array<[string, Array<[string, string | undefined]>]> = [
    ['', []],
    ['  ', []],
    [';tag=1928301774', [['tag', '1928301774']]],
    [' ; TAG = a ; Branch=z9hG4bK1;RPORT', [['tag', 'a'], ['branch', 'z9hG4bK1'], ['rport', undefined]]],
    [';received=[2001:db8::1];maddr=h;ttl=1;lr;transport=tcp;user=phone;method=INVITE;q=0.5;expires=60',
      [['received', '[2001:db8::1]'], ['maddr', 'h'], ['ttl', '1'], ['lr', undefined], ['transport', 'tcp'], ['user', 'phone'], ['method', 'INVITE'], ['q', '0.5'], ['expires', '60']]],
    [';X-Custom="a \\"quoted\\"; value";tags=1;ta=2', [['x-custom', '"a \\"quoted\\"; value"'], ['tags', '1'], ['ta', '2']]],
  ];
  for (const [text, want] of cases) t.same(parseParams(text, 0), want, JSON.stringify(text));
  const a = parseParams(';tag=1', 0);
  const b = parseParams(';tag=2', 0);
  t.not(a, b, 'each call gets an array of its own');
  t.same(a, [['tag', '1']], 'not overwritten by the next call');
  t.end();
});

void t.test('parameters refused', (t) => {
  const cases: Array<[string, RegExp]> = [
    ['x', /unexpected "x"/],
    [';', /empty parameter/],
    [';;a', /empty parameter/],
    [';a="b', /unterminated/],
    [';a=', /without a value/],
    [';a= ;b', /without a value/],
  ];
  for (const [text, detail] of cases) {
    const r = parseParams(text, 0);
    t.ok(r instanceof HeaderValueError && detail.test(r.detail), `${text} (${r instanceof HeaderValueError ? r.detail : 'parsed'})`);
  }
  t.end();
});

void t.test('endOfQuoted and param', (t) => {
  t.equal(endOfQuoted('"ab"c', 0), 4);
  t.equal(endOfQuoted('"a\\"b"', 0), 6);
  t.equal(endOfQuoted('"ab', 0), -1);
  const ps = parseParams(';lr;tag=x', 0);
  if (ps instanceof HeaderValueError) throw new Error(ps.detail);
  t.equal(param(ps, 'lr'), '');
  t.equal(param(ps, 'tag'), 'x');
  t.equal(param(ps, 'branch'), undefined);
  t.end();
});
