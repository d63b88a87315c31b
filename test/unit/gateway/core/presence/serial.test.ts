// Per-key serial queues: one task at a time per key, in arrival order; keys independent; an idle
// key starts its task synchronously; a rejection is reported and does not stall the key; idle keys
// are forgotten.
import t from 'tap';
import { SerialQueues } from '../../../../../gateway/core/presence/serial.ts';

/** A task that logs its start and end, and finishes when `release` is called. */
function gated(log: string[], name: string) {
  let release!: (fail?: Error) => void;
  const task = (): Promise<void> => {
    log.push(`${name}+`);
    return new Promise<void>((resolve, reject) => {
      release = (fail) => {
        log.push(`${name}-`);
        if (fail) reject(fail);
        else resolve();
      };
    });
  };
  return { task, release: (fail?: Error) => { release(fail); } };
}
const settle = async (): Promise<void> => { for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r)); };

t.test('tasks of one key run one at a time in the order added; an idle key starts at once (synchronously)', async (t) => {
  const q = new SerialQueues(() => { t.fail('no error'); });
  const log: string[] = [];
  const a = gated(log, 'a');
  const b = gated(log, 'b');
  const c = gated(log, 'c');
  q.run('k', a.task);
  t.same(log, ['a+'], 'started before run returned');
  q.run('k', b.task);
  q.run('k', c.task);
  await settle();
  t.same(log, ['a+'], 'b and c wait for a');
  t.equal(q.size, 1);
  a.release();
  await settle();
  t.same(log, ['a+', 'a-', 'b+']);
  b.release();
  await settle();
  c.release();
  await settle();
  t.same(log, ['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
  t.equal(q.size, 0, 'an idle key is forgotten');
});

t.test('different keys run concurrently', async (t) => {
  const q = new SerialQueues(() => { t.fail('no error'); });
  const log: string[] = [];
  const a = gated(log, 'a');
  const b = gated(log, 'b');
  q.run('k1', a.task);
  q.run('k2', b.task);
  t.same(log, ['a+', 'b+']);
  t.equal(q.size, 2);
  b.release();
  a.release();
  await settle();
  t.equal(q.size, 0);
});

t.test('a rejected task is reported with its key; the next task of the key still runs', async (t) => {
  const errors: Array<[string, string]> = [];
  const q = new SerialQueues((err, key) => { errors.push([key, (err as Error).message]); });
  const log: string[] = [];
  const a = gated(log, 'a');
  const b = gated(log, 'b');
  q.run('k', a.task);
  q.run('k', b.task);
  a.release(new Error('store down'));
  await settle();
  t.same(errors, [['k', 'store down']]);
  t.same(log, ['a+', 'a-', 'b+']);
  b.release();
  await settle();
  t.equal(q.size, 0);
  q.run('k', () => Promise.resolve());
  await settle();
  t.equal(q.size, 0, 'a key used again after it went idle starts afresh');
});
