// `npm test`: runs every tier with tap, then prints the plain summary line CI reads:
// `N passed, N failed`. A test is a top-level subtest of a test file; a file that crashes, or a
// coverage gate that fails (tap exits non-zero with no failing subtest), counts as one failure.
import { spawn } from 'node:child_process';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

const RESULTS = '.tap/test-results';
const args = process.argv.slice(2);

await rm(RESULTS, { recursive: true, force: true, maxRetries: 5 });
const code = await new Promise<number>((resolve) => {
  const child = spawn(join('node_modules', '.bin', 'tap'), ['--reporter=terse', ...args], { stdio: 'inherit' });
  child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
});

let passed = 0;
let failed = 0;
let todo = 0;
let skipped = 0;
const failures: string[] = [];
for (const file of await listResults(RESULTS)) {
  const text = await readFile(file, 'utf8');
  let points = 0;
  for (const line of text.split('\n')) {
    const m = /^(not )?ok \d+ - (.*)$/.exec(line);
    if (!m) continue;
    points++;
    const directive = / # (TODO|SKIP)\b/i.exec(m[2] ?? '')?.[1]?.toUpperCase();
    if (directive === 'TODO') todo++;
    else if (directive === 'SKIP') skipped++;
    else if (m[1]) { failed++; failures.push(`${file.slice(RESULTS.length + 1)}: ${m[2] ?? ''}`); }
    else passed++;
  }
  if (points === 0 && !/^1\.\.0/m.test(text)) { failed++; failures.push(`${file.slice(RESULTS.length + 1)}: no test ran (crashed?)`); }
}
if (code !== 0 && failed === 0) { failed++; failures.push(`tap exited ${code} (coverage gate or a crash outside any test)`); }
for (const f of failures) console.log(`FAILED ${f}`);
if (todo + skipped > 0) console.log(`${todo} todo, ${skipped} skipped`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;

async function listResults(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try { entries = await readdir(dir, { withFileTypes: true }); } catch { return out; }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...await listResults(p));
    else if (e.name.endsWith('.tap')) out.push(p);
  }
  return out.sort();
}
