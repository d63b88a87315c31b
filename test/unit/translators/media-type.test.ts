import t from 'tap';
import { parseMediaType } from '../../../translators/media-type.ts';

const ROWS: [string, string | undefined, Record<string, string>, string][] = [
  ['text/plain', 'text/plain', {}, 'a bare type/subtype parses'],
  ['Text/Plain; Charset=UTF-8', 'text/plain', { charset: 'UTF-8' }, 'type and parameter names are case-insensitive, values kept'],
  ['text/plain ; charset = "utf-8" ;', 'text/plain', { charset: 'utf-8' }, 'spaces, quotes and an empty trailing parameter are tolerated'],
  ['text/plain;x="a;b\\"c"', 'text/plain', { x: 'a;b"c' }, 'a quoted value may hold ; and escaped quotes'],
  ['text', undefined, {}, 'a type without subtype is malformed'],
  ['text/plain;charset', undefined, {}, 'a parameter without value is malformed'],
];
for (const [input, type, params, rule] of ROWS) {
  void t.test(`Content-Type: ${rule} (RFC 2045 §5.1)`, (t) => {
    const m = parseMediaType(input);
    if (type === undefined) t.equal(m, undefined);
    else t.same(m && { type: m.type, params: Object.fromEntries(m.params) }, { type, params });
    t.end();
  });
}
