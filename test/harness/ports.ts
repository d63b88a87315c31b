// Free ports on 127.0.0.1 for the real peers the tests start (Prosody, SIPp, nats-server, the
// gateway). The kernel picks a port for a socket bound to port 0; we read it and close the socket.
// There is a window between closing and the peer binding the port; ports handed out by this process
// are remembered so two components of one test never get the same one.
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';

export const LOOPBACK = '127.0.0.1';

const handedOut = new Set<number>();

function bindTcp(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(undefined));
    srv.listen({ host: LOOPBACK, port, exclusive: true }, () => {
      const addr = srv.address();
      const got = typeof addr === 'object' && addr !== null ? addr.port : undefined;
      srv.close(() => resolve(got));
    });
  });
}

function bindUdp(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    sock.unref();
    sock.once('error', () => {
      sock.close();
      resolve(undefined);
    });
    sock.bind({ address: LOOPBACK, port, exclusive: true }, () => {
      const got = sock.address().port;
      sock.close(() => resolve(got));
    });
  });
}

async function pick(first: (port: number) => Promise<number | undefined>, also?: (port: number) => Promise<number | undefined>): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await first(0);
    if (port === undefined || handedOut.has(port)) continue;
    if (also && (await also(port)) !== port) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('no free port found on 127.0.0.1 after 50 attempts');
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freeTcpPort(): Promise<number> {
  return pick(bindTcp);
}

/** A UDP port on 127.0.0.1 that nothing is bound to right now. */
export function freeUdpPort(): Promise<number> {
  return pick(bindUdp);
}

/** A port free for both UDP and TCP on 127.0.0.1, as a SIP listener needs (RFC 3261 §18). */
export function freeSipPort(): Promise<number> {
  return pick(bindTcp, bindUdp);
}

/** `n` distinct free TCP ports. */
export async function freeTcpPorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(await freeTcpPort());
  return ports;
}

/**
 * Whether something is listening on TCP (or bound on UDP) 127.0.0.1:port, read from /proc/net
 * (Linux). Unlike a probe connection, the peer sees nothing.
 */
export function isBound(port: number, transport: 'udp' | 'tcp'): boolean {
  const table = readFileSync(`/proc/net/${transport}`, 'utf8');
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return table.split('\n').some((line) => {
    const cols = line.trim().split(/\s+/);
    return cols[1] === local && (transport === 'udp' || cols[3] === '0A');
  });
}
