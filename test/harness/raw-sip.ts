// Raw bytes to a SIP port, for malformed-input tests: one UDP datagram or one TCP connection,
// collecting whatever comes back for a while.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { LOOPBACK } from './ports.ts';

/** Sends one datagram; resolves with the datagrams received within `waitMs`. */
export function udpExchange(port: number, bytes: Buffer, waitMs = 500): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    const got: Buffer[] = [];
    sock.on('message', (m) => got.push(m));
    sock.on('error', reject);
    sock.bind(0, LOOPBACK, () => {
      sock.send(bytes, port, LOOPBACK, (err) => {
        if (err) reject(err);
        setTimeout(() => { sock.close(); resolve(got); }, waitMs);
      });
    });
  });
}

/** Sends bytes over a new TCP connection; resolves with everything received and whether the server closed. */
export function tcpExchange(port: number, bytes: Buffer, waitMs = 500): Promise<{ data: Buffer; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let closedByServer = false;
    const sock = connect(port, LOOPBACK, () => { sock.write(bytes); });
    sock.on('data', (d) => chunks.push(d));
    sock.on('end', () => { closedByServer = true; });
    sock.on('error', reject);
    const timer = setTimeout(() => { sock.destroy(); resolve({ data: Buffer.concat(chunks), closedByServer }); }, waitMs);
    sock.on('close', () => { clearTimeout(timer); resolve({ data: Buffer.concat(chunks), closedByServer: true }); });
  });
}

/** Status codes of the SIP responses in a byte stream (start lines `SIP/2.0 NNN`). */
export function statuses(data: Buffer | Buffer[]): number[] {
  const text = Array.isArray(data) ? data.map((d) => d.toString('latin1')).join('\n') : data.toString('latin1');
  return [...text.matchAll(/^SIP\/2\.0 (\d{3})/gm)].map((m) => Number(m[1]));
}
