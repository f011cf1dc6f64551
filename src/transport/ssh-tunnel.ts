// A local TCP listener whose connections become direct-tcpip channels on the shared SSH connection.

import { createServer, type Server, type Socket } from 'net';
import type { Logger } from 'pino';
import type { Client } from 'ssh2';
import type { Tunnel } from './types';

/** Listen on 127.0.0.1:0; each accepted socket is piped through `forwardOut(host, port)`. */
export async function openSshTunnel(
  client: () => Promise<Client>,
  host: string,
  port: number,
  log: Logger,
): Promise<Tunnel> {
  const sockets = new Set<Socket>();
  // allowHalfOpen: a client that half-closes after its request still gets the whole response.
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    client().then(
      (conn) => forward(conn, socket, host, port, log),
      (err: Error) => {
        log.warn({ err: err.message, target: `${host}:${port}` }, 'tunnel: no ssh connection');
        socket.destroy();
      },
    );
  });
  const localPort = await listen(server);
  return {
    host: '127.0.0.1',
    port: localPort,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function forward(conn: Client, socket: Socket, host: string, port: number, log: Logger): void {
  if (socket.destroyed) return;
  const onChannel = (err: Error | undefined, channel?: NodeJS.ReadWriteStream & { close(): void }): void => {
    if (err || !channel) {
      // Typically "Connection refused" while the server on the compute node is still starting.
      log.debug({ err: err?.message, target: `${host}:${port}` }, 'tunnel: forward refused');
      socket.destroy();
      return;
    }
    socket.pipe(channel).pipe(socket);
    channel.on('error', () => socket.destroy());
    channel.on('close', () => socket.destroy());
    socket.on('close', () => channel.close());
  };
  try {
    conn.forwardOut(socket.remoteAddress ?? '127.0.0.1', socket.remotePort ?? 0, host, port, onChannel);
  } catch (err) {
    onChannel(err as Error); // the connection died between lookup and use
  }
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}
