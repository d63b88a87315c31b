// TCP (RFC 3261 §18): plain sockets under the shared stream transport.
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { StreamTransport } from './stream-transport.ts';
import type { Peer } from './transport.ts';

export type { StreamOptions as TcpOptions } from './stream-transport.ts';

export class TcpTransport extends StreamTransport {
  readonly name = 'tcp';

  protected createServer(accept: (socket: Socket) => void): Server {
    return createServer(accept);
  }

  protected open(peer: Peer): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host: peer.address, port: peer.port });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(socket);
      });
      socket.once('error', reject);
    });
  }
}
