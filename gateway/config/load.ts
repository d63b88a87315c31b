// The one place that reads the config file and process.env.
import { readFile } from 'node:fs/promises';
import { parseConfig, type ConfigResult } from './parse.ts';

export async function loadConfig(file: string, env: Readonly<Record<string, string | undefined>> = process.env): Promise<ConfigResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { ok: false, problems: [{ file, line: 0, column: 0, reason: `cannot read: ${(err as Error).message}` }] };
  }
  return parseConfig(text, file, env);
}
