// The simulated login node's sshd: public-key auth, exec through bash, and direct-tcpip forwarding.

import { timingSafeEqual } from 'crypto';
import { connect, createServer, type Socket } from 'net';
import {
  Server,
  utils,
  type AuthContext,
  type Connection,
  type ParsedKey,
  type TcpipRequestInfo,
} from 'ssh2';
import { serveSession, type SimShell } from './session';

export interface SimSshServerOptions {
  host?: string;
  port?: number;
  /** OpenSSH private host key text. */
  hostKey: string;
  /** Public key lines (`ssh-ed25519 AAAA... comment`) allowed to log in. */
  authorizedKeys: string[];
  username: string;
  shell: SimShell;
  /** Where a forwarded destination lives on this machine, e.g. `hopper-46` -> `127.0.0.1`. */
  resolveHost?: (host: string) => string;
}

export interface SimSshServer {
  port: number;
  /** Cut every client's TCP connection at once, mid-command, with no SSH goodbye (fault tests). */
  dropConnections(): void;
  close(): Promise<void>;
}

function parseAuthorizedKeys(lines: string[]): ParsedKey[] {
  return lines.map((line, index) => {
    const key = utils.parseKey(line);
    if (key instanceof Error) throw new Error(`authorizedKeys[${index}] is not a public key: ${key.message}`);
    return key;
  });
}

function isAuthorized(ctx: AuthContext, username: string, allowed: ParsedKey[]): boolean {
  if (ctx.method !== 'publickey' || ctx.username !== username) return false;
  const key = allowed.find((candidate) => {
    const blob = candidate.getPublicSSH();
    return (
      candidate.type === ctx.key.algo &&
      blob.length === ctx.key.data.length &&
      timingSafeEqual(blob, ctx.key.data)
    );
  });
  if (!key) return false;
  // No signature yet means "would this key do?"; with one, it must verify.
  return !ctx.signature || key.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true;
}

function forwardTcp(
  accept: () => NodeJS.ReadWriteStream & { close(): void },
  reject: () => void,
  info: TcpipRequestInfo,
  resolveHost: (host: string) => string,
  sockets: Set<Socket>,
): void {
  const socket = connect({ port: info.destPort, host: resolveHost(info.destIP), noDelay: true });
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  socket.once('error', () => reject()); // refused: the client sees "open failed: connect failed"
  socket.once('connect', () => {
    socket.removeAllListeners('error');
    socket.on('error', () => socket.destroy());
    const channel = accept();
    socket.pipe(channel).pipe(socket);
    channel.on('close', () => socket.destroy());
    socket.on('close', () => channel.close());
  });
}

export async function startSimSshServer(options: SimSshServerOptions): Promise<SimSshServer> {
  const allowed = parseAuthorizedKeys(options.authorizedKeys);
  const resolveHost = options.resolveHost ?? (() => '127.0.0.1');
  const sockets = new Set<Socket>();

  const ssh = new Server({ hostKeys: [options.hostKey] }, (client: Connection) => {
    client.on('error', () => undefined); // a client vanishing is routine here
    (client as Connection & { setNoDelay(on: boolean): void }).setNoDelay(true); // as sshd does: forwarded streams of small writes must not wait for Nagle
    client.on('authentication', (ctx) =>
      isAuthorized(ctx, options.username, allowed) ? ctx.accept() : ctx.reject(['publickey']),
    );
    client.on('ready', () => {
      client.on('session', (accept) => serveSession(accept(), options.shell));
      client.on('tcpip', (accept, reject, info) => forwardTcp(accept, reject, info, resolveHost, sockets));
      client.on('request', (_accept, reject) => reject?.()); // no remote (-R) forwarding
    });
  });

  // We own the TCP listener and inject sockets, so dropConnections() can destroy them.
  const listener = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    ssh.injectSocket(socket);
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = listener.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const dropConnections = (): void => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    port,
    dropConnections,
    close: () =>
      new Promise<void>((resolve) => {
        dropConnections();
        listener.close(() => resolve());
      }),
  };
}
