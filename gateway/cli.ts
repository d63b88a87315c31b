#!/usr/bin/env node
// parley start --config F · parley check-config F · parley billing export --period YYYY-MM
import { loadConfig } from './config/load.ts';
import { formatProblem } from './config/parse.ts';
import { startGateway } from './main.ts';

const USAGE = `usage:
  parley start --config FILE        run the gateway
  parley check-config FILE          validate a config file without starting
  parley billing export --period YYYY-MM [--format csv|json]`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === 'check-config') {
    const file = rest[0];
    if (file === undefined) return usage('check-config needs a FILE');
    const r = await loadConfig(file);
    if (!r.ok) {
      for (const p of r.problems) process.stderr.write(`${formatProblem(p)}\n`);
      return 1;
    }
    process.stdout.write(`${file}: OK\n`);
    return 0;
  }
  if (cmd === 'start') {
    const i = rest.indexOf('--config');
    const file = i >= 0 ? rest[i + 1] : undefined;
    if (file === undefined) return usage('start needs --config FILE');
    const r = await loadConfig(file);
    if (!r.ok) {
      for (const p of r.problems) process.stderr.write(`${formatProblem(p)}\n`);
      return 1;
    }
    const gw = await startGateway(r.config);
    await new Promise<void>((resolve) => {
      const stop = (): void => { resolve(); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await gw.stop();
    return 0;
  }
  if (cmd === 'billing') {
    process.stderr.write('parley billing export: connectivity billing is not built yet (see the issue on peering agreements and billing)\n');
    return 2;
  }
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return cmd === undefined ? 2 : 0;
  }
  return usage(`unknown command '${cmd}'`);
}

function usage(problem: string): number {
  process.stderr.write(`parley: ${problem}\n${USAGE}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`parley: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
