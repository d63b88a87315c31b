import t from 'tap';
import { fail, ok } from '../../../translators/result.ts';

void t.test('ok() wraps a value as a success', (t) => {
  t.same(ok(42), { ok: true, value: 42 });
  t.end();
});

void t.test('fail() wraps an error as a failure', (t) => {
  t.same(fail({ code: 'internal' }), { ok: false, error: { code: 'internal' } });
  t.end();
});
