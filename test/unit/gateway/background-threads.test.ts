// V8's worker threads go under SCHED_IDLE (read back from /proc), the event loop's thread keeps its
// policy; a missing chrt or an unreadable thread list is reported, never thrown; thread names and
// stat lines are read as Linux writes them (a command name may hold spaces and parentheses).
import t from 'tap';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { idleV8Workers, SCHED_IDLE, schedPolicy, threadsNamed, V8_WORKER_NAME } from '../../../gateway/background-threads.ts';

/** A fake /proc/self/task: thread id → comm (undefined: the thread ended, no comm to read). */
function taskDir(threads: Record<string, string | undefined>): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-tasks-'));
  for (const [tid, comm] of Object.entries(threads)) {
    mkdirSync(join(dir, tid));
    if (comm !== undefined) writeFileSync(join(dir, tid, 'comm'), `${comm}\n`);
  }
  return dir;
}

void t.test('threads are found by name; one that ended meanwhile is skipped', async (t) => {
  const dir = taskDir({ 10: 'MainThread', 11: 'V8Worker', 12: 'V8Worker', 13: undefined, 14: 'libuv-worker' });
  t.same((await threadsNamed('V8Worker', dir)).sort((a, b) => a - b), [11, 12]);
  t.same(await threadsNamed('nothing', dir), []);
});

void t.test('the policy is field 41 of a stat line, whatever the command name holds', async (t) => {
  const dir = taskDir({ 7: 'x' });
  // pid, (comm), then fields 3..52; field 41 (policy) is 5
  const rest = Array.from({ length: 50 }, (_, i) => (i + 3 === 41 ? '5' : i + 3 === 3 ? 'S' : '0'));
  writeFileSync(join(dir, '7', 'stat'), `7 (a) b (c)) ${rest.join(' ')}\n`);
  t.equal(await schedPolicy(7, dir), SCHED_IDLE);
});

void t.test('a thread list that cannot be read is reported', async (t) => {
  const r = await idleV8Workers({ taskDir: '/nonexistent/task' });
  t.equal(r.found, 0);
  t.equal(r.idle, 0);
  t.match(r.error, /cannot list threads in \/nonexistent\/task/);
});

void t.test("chrt's own complaint is reported (a thread that is gone)", async (t) => {
  const r = await idleV8Workers({ taskDir: taskDir({ 2147483646: 'V8Worker' }) });
  t.same([r.found, r.idle], [1, 0]);
  t.match(r.error, /chrt --idle --pid 0 2147483646: chrt: .+/);
});

void t.test('without chrt, the threads are found, left as they are, and the failure reported', async (t) => {
  const r = await idleV8Workers({ chrt: '/nonexistent/chrt' });
  t.ok(r.found > 0, `found ${r.found} V8 workers`);
  t.equal(r.idle, 0);
  t.match(r.error, /\/nonexistent\/chrt --idle --pid 0 \d+/);
  for (const tid of await threadsNamed(V8_WORKER_NAME)) t.equal(await schedPolicy(tid), 0, `thread ${tid} still SCHED_OTHER`);
});

void t.test("this process's V8 workers go under SCHED_IDLE; the main thread does not", async (t) => {
  const r = await idleV8Workers();
  t.ok(r.found > 0, `found ${r.found} V8 workers`);
  t.same(r, { found: r.found, idle: r.found });
  for (const tid of await threadsNamed(V8_WORKER_NAME)) t.equal(await schedPolicy(tid), SCHED_IDLE, `thread ${tid} SCHED_IDLE`);
  t.equal(await schedPolicy(process.pid), 0, 'the main thread keeps SCHED_OTHER');
});
