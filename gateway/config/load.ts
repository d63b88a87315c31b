// The one place that reads the config file, the files it names (TLS material) and process.env.
import { readFile } from 'node:fs/promises';
import { parseConfig, type ConfigResult } from './parse.ts';
import type { SipTlsConfig } from './types.ts';

export async function loadConfig(file: string, env: Readonly<Record<string, string | undefined>> = process.env): Promise<ConfigResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { ok: false, problems: [{ file, line: 0, column: 0, reason: `cannot read: ${(err as Error).message}` }] };
  }
  return parseConfig(text, file, env);
}

/** The PEM files named by sip.tls, read for the SIP endpoint's TLS/WSS listeners and TLS client. */
export async function loadSipTls(tls: SipTlsConfig): Promise<{ cert: string; key: string; ca?: string; requestClientCert?: boolean }> {
  const read = async (what: string, path: string): Promise<string> => {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      throw new Error(`sip.tls.${what}: cannot read ${path}: ${(err as Error).message}`, { cause: err });
    }
  };
  return {
    cert: await read('cert', tls.cert), key: await read('key', tls.key),
    ...(tls.ca !== undefined && { ca: await read('ca', tls.ca) }),
    ...(tls.clientAuth === true && { requestClientCert: true }),
  };
}
