// CSeq and Max-Forwards values (RFC 3261 §20.16, §20.22), read by scanners that stand in for the
// regular expressions /^\s*(\d{1,10})\s+(\S+)\s*$/ and /^\d{1,10}$/.
import t from 'tap';
import { parseCSeq, parseMaxForwards } from '../../../../gateway/sip/cseq.ts';
import { HeaderValueError } from '../../../../gateway/sip/header-value-error.ts';

const CSEQ: Array<[string, { seq: number; method: string } | 'error']> = [
  ['1 MESSAGE', { seq: 1, method: 'MESSAGE' }],
  ['  0042\tINVITE  ', { seq: 42, method: 'INVITE' }],
  ['2147483647 ACK', { seq: 2147483647, method: 'ACK' }],
  ['2147483648 ACK', 'error'], // "MUST be less than 2**31"
  ['12345678901 ACK', 'error'], // more than 10 digits
  ['\u00a07\u2003OPTIONS\u3000', { seq: 7, method: 'OPTIONS' }], // what \s matched, still LWS here
  ['1MESSAGE', 'error'],
  ['MESSAGE', 'error'],
  ['1 ', 'error'],
  ['1 MES SAGE', 'error'],
  ['1 MES<SAGE', 'error'], // not a token
  ['', 'error'],
  ['-1 BYE', 'error'],
  ['٣ BYE', 'error'], // only ASCII digits
];

void t.test('CSeq', (t) => {
  for (const [value, want] of CSEQ) {
    const got = parseCSeq(value);
    if (want === 'error') t.ok(got instanceof HeaderValueError, JSON.stringify(value));
    else t.same(got, want, JSON.stringify(value));
  }
  t.end();
});

const MAX_FORWARDS: Array<[string, number | 'error']> = [
  ['70', 70], ['0', 0], ['255', 255], ['0000000255', 255], ['256', 'error'], ['12345678901', 'error'],
  ['', 'error'], [' 70', 'error'], ['7a', 'error'],
];

void t.test('Max-Forwards', (t) => {
  for (const [value, want] of MAX_FORWARDS) {
    const got = parseMaxForwards(value);
    if (want === 'error') t.ok(got instanceof HeaderValueError, JSON.stringify(value));
    else t.equal(got, want, JSON.stringify(value));
  }
  t.end();
});
