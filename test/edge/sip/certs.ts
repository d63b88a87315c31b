// Throwaway PKI for the TLS/WSS edge tests, made with /usr/bin/openssl in a temp dir: a CA, a
// gateway/peer certificate (DNS:gw.test, DNS:peer.test, IP:127.0.0.1), a client certificate
// (DNS:client.test) and one for another name (DNS:other.test), all signed by the CA; plus a
// self-signed "rogue" certificate for gw.test that the CA never signed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pem { cert: string; key: string }
export interface Pki { dir: string; ca: string; gw: Pem; client: Pem; other: Pem; rogue: Pem; remove(): void }

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

function leaf(dir: string, name: string, san: string): Pem {
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\n`);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', `${name}.pem`, '-extfile', `${name}.ext`], dir);
  return { cert: readFileSync(join(dir, `${name}.pem`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8') };
}

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'parley-pki-'));
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Parley Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'rogue.key', '-out', 'rogue.pem', '-days', '2', '-subj', '/CN=gw.test',
    '-addext', 'subjectAltName=DNS:gw.test,IP:127.0.0.1'], dir);
  return {
    dir,
    ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    gw: leaf(dir, 'gw', 'DNS:gw.test,DNS:peer.test,IP:127.0.0.1'),
    client: leaf(dir, 'client', 'DNS:client.test'),
    other: leaf(dir, 'other', 'DNS:other.test'),
    rogue: { cert: readFileSync(join(dir, 'rogue.pem'), 'utf8'), key: readFileSync(join(dir, 'rogue.key'), 'utf8') },
    remove: () => { rmSync(dir, { recursive: true, force: true }); },
  };
}
