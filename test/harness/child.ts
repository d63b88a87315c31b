// Child processes of the harness (Prosody, SIPp, ...): output goes to files in the component's own
// directory, stop() is SIGTERM then SIGKILL, and any child still alive when the test process exits
// is killed, so a crashed test does not leave a peer holding its ports.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { openSync, closeSync, rmSync } from 'node:fs';

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface Child {
  readonly pid: number;
  readonly exited: Promise<ChildExit>;
  /** Whether the process has exited. */
  readonly hasExited: () => boolean;
  /** SIGTERM, then SIGKILL after `graceMs` (0: SIGKILL at once); resolves once the process is gone. */
  stop(graceMs?: number): Promise<ChildExit>;
}

export interface SpawnOptions {
  readonly cwd: string;
  /** File receiving stdout and stderr (appended). */
  readonly outputFile: string;
  readonly env?: NodeJS.ProcessEnv;
}

const alive = new Set<ChildProcess>();
const dirs = new Set<string>();

/** Removes `dir` if the test process exits without the harness's stop(); returns the unregister. */
export function removeOnExit(dir: string): () => void {
  installExitHook();
  dirs.add(dir);
  return () => dirs.delete(dir);
}
let exitHookInstalled = false;

function killAll(): void {
  for (const p of alive) {
    try {
      p.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const d of dirs) {
    try {
      rmSync(d, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // best effort
    }
  }
}

// 'exit' does not fire when the test process dies of a signal (tap's timeout sends SIGTERM), so
// the signals are hooked too; the signal is re-raised when nobody else (e.g. tap) handles it.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAll();
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    });
  }
}

export function spawnChild(command: string, args: readonly string[], opts: SpawnOptions): Child {
  installExitHook();
  const out = openSync(opts.outputFile, 'a');
  let proc: ChildProcess;
  try {
    proc = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
  alive.add(proc);
  let done = false;
  const exited = new Promise<ChildExit>((resolve) => {
    proc.once('error', () => {
      done = true;
      alive.delete(proc);
      resolve({ code: null, signal: null });
    });
    proc.once('exit', (code, signal) => {
      done = true;
      alive.delete(proc);
      resolve({ code, signal });
    });
  });
  const stop = async (graceMs = 3000): Promise<ChildExit> => {
    if (!done) {
      if (graceMs <= 0) {
        proc.kill('SIGKILL');
        return exited;
      }
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return exited;
  };
  return { pid: proc.pid ?? -1, exited, hasExited: () => done, stop };
}
