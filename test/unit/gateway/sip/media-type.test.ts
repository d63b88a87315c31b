// mediaTypeIn against the split/trim/lower-case it stands in for, table-driven.
import t from 'tap';
import { mediaTypeIn } from '../../../../gateway/sip/media-type.ts';

const ACCEPT = ['text/plain', 'message/cpim'];
const reference = (v: string): boolean => ACCEPT.includes((v.split(';', 1)[0] ?? '').trim().toLowerCase());

const cases: Array<[string, boolean]> = [
  ['text/plain', true],
  ['text/plain;charset=UTF-8', true],
  ['Text/Plain ; charset=utf-8', true],
  ['  message/CPIM', true],
  ['\ttext/plain\t', true],
  ['text/plainx', false],
  ['text/plai', false],
  ['text/html', false],
  ['application/im-iscomposing+xml', false],
  ['', false],
  [';text/plain', false],
  ['text /plain', false],
  ['TEXT/PLAIN;', true],
  ['text/pla\u00efn', false],
];

void t.test('matches what split(";")[0].trim().toLowerCase() finds in the list', (t) => {
  for (const [value, want] of cases) {
    t.equal(mediaTypeIn(value, ACCEPT), want, JSON.stringify(value));
    t.equal(reference(value), want, `reference ${JSON.stringify(value)}`);
  }
  t.equal(mediaTypeIn('text/plain', []), false, 'an empty list accepts nothing');
  t.end();
});
