// V8's background threads ("V8Worker": parallel and concurrent GC, concurrent compilation) run
// under SCHED_IDLE, so they use the CPU time the event loop leaves and never take the CPU from it.
//
// Why: Linux wakes a thread on the CPU of the thread that woke it, and EEVDF lets a woken thread
// preempt a running one that has had more than its share of that CPU, which the event loop always
// has. So a GC helper woken by the event loop preempted it for 1-5 ms at a time while the other CPU
// sat idle: 11-17 such stalls in 8 s of 2,000 SIP transactions/s, behind most of the requests over
// the p99 (bench/RESULTS.md, 2026-12-07 05:30 UTC). A SCHED_IDLE thread never preempts a normal
// one; it runs when its CPU would idle, or on another CPU that does. When the event loop waits for
// a GC job, its own CPU is idle, so the job still runs. Measured and not enough: nice 19 (still
// preempts) and SCHED_BATCH (preempts when the event loop's slice ends). The libuv threads (file
// I/O of the journal) keep their policy: the durable hand-off waits for them.
//
// Linux only: the threads are found in /proc/self/task by name, and changed with chrt(1)
// (util-linux; Node has no call for sched_setscheduler). Lowering one's own threads' policy needs
// no privilege.
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

/** The name V8's platform worker threads carry in Node (/proc/self/task/TID/comm). */
export const V8_WORKER_NAME = 'V8Worker';

/** Linux's SCHED_IDLE, as /proc/TID/stat field 41 shows it. */
export const SCHED_IDLE = 5;

export interface IdleResult {
  /** the V8 worker threads found */
  found: number;
  /** those now under SCHED_IDLE */
  idle: number;
  /** why the others are not (the first failure), if any */
  error?: string;
}

export interface IdleOptions {
  /** where the process's threads are listed; default /proc/self/task */
  taskDir?: string;
  /** the chrt executable; default `chrt` on the PATH */
  chrt?: string;
}

/** The ids of the threads under `taskDir` called `name`. */
export async function threadsNamed(name: string, taskDir = '/proc/self/task'): Promise<number[]> {
  const tids: number[] = [];
  for (const entry of await readdir(taskDir)) {
    // A thread may end between the listing and the read.
    const comm = await readFile(`${taskDir}/${entry}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === name) tids.push(Number(entry));
  }
  return tids;
}

/** The scheduling policy of thread `tid` (field 41 of its stat: 0 normal, 3 batch, 5 idle). */
export async function schedPolicy(tid: number, taskDir = '/proc/self/task'): Promise<number> {
  const stat = await readFile(`${taskDir}/${tid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces: state is field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[41 - 3]);
}

function chrtIdle(chrt: string, tid: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(chrt, ['--idle', '--pid', '0', String(tid)], (err, _stdout, stderr) => {
      resolve(err ? `${chrt} --idle --pid 0 ${tid}: ${stderr.trim() || err.message}` : undefined);
    });
  });
}

/** Puts this process's V8 worker threads under SCHED_IDLE. Never throws: failures are reported. */
export async function idleV8Workers(opts: IdleOptions = {}): Promise<IdleResult> {
  const taskDir = opts.taskDir ?? '/proc/self/task';
  let tids: number[];
  try {
    tids = await threadsNamed(V8_WORKER_NAME, taskDir);
  } catch (err) {
    return { found: 0, idle: 0, error: `cannot list threads in ${taskDir}: ${(err as Error).message}` };
  }
  const errors = await Promise.all(tids.map((tid) => chrtIdle(opts.chrt ?? 'chrt', tid)));
  const failed = errors.filter((e) => e !== undefined);
  return { found: tids.length, idle: tids.length - failed.length, ...(failed[0] !== undefined && { error: failed[0] }) };
}
