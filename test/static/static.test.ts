// The static gates run as tests, so `npm test` is the one command and its summary counts them.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const bin = (name: string): string => join('node_modules', '.bin', name);

const gates: Array<[string, string, string[]]> = [
  ['the code type-checks under strict TypeScript (tsc --noEmit)', bin('tsc'), ['--noEmit', '-p', '.']],
  ['eslint with type-checked rules reports nothing (no floating promises)', bin('eslint'), ['--max-warnings=0', '.']],
  ['imports follow the dependency direction of DESIGN.md §3 (dependency-cruiser)', bin('depcruise'), ['gateway', 'translators', '--config', '.dependency-cruiser.cjs']],
];

for (const [name, cmd, args] of gates) {
  t.test(name, async (t) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    t.equal(r.status, 0, `${cmd} ${args.join(' ')}\n${r.stdout}${r.stderr}`.slice(0, 20_000));
  });
}
