// Shared test setup: a sim SSH server with fresh keys in a temp dir, and a tiny HTTP target.

import { mkdir, mkdtemp, rm } from 'fs/promises';
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { ensureSimSshKeys, writeClientConfig, type SimSshKeys } from '../../../src/sim/ssh/keys';
import { startSimSshServer, type SimSshServer, type SimSshServerOptions } from '../../../src/sim/ssh/server';
import type { SshTransportOptions } from '../../../src/transport/ssh';

export const SIM_USER = 'alice';

export interface SimFixture {
  dir: string;
  /** cwd of remote commands (the simulated home directory). */
  home: string;
  keys: SimSshKeys;
  server: SimSshServer;
  configPath: string;
  knownHostsFile: string;
  /** Options for an SshTransport that trusts this server. */
  transportOptions: SshTransportOptions;
  close(): Promise<void>;
}

export async function startSimFixture(
  extra: Partial<Pick<SimSshServerOptions, 'resolveHost'>> = {},
): Promise<SimFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'vsweep-ssh-'));
  const home = join(dir, 'home');
  await mkdir(home);
  const keys = await ensureSimSshKeys(join(dir, 'ssh'));
  const server = await startSimSshServer({
    hostKey: keys.hostKey.privateKey,
    authorizedKeys: [keys.userKey.publicKey],
    username: SIM_USER,
    shell: { cwd: home, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, USER: SIM_USER } },
    ...extra,
  });
  const knownHostsFile = join(dir, 'ssh', 'known_hosts');
  const { configPath } = await writeClientConfig(join(dir, 'ssh'), {
    host: '127.0.0.1',
    port: server.port,
    user: SIM_USER,
    identityFile: keys.userKey.privateKeyPath,
    knownHostsFile,
  });
  return {
    dir,
    home,
    keys,
    server,
    configPath,
    knownHostsFile,
    transportOptions: {
      host: '127.0.0.1',
      port: server.port,
      username: SIM_USER,
      identityFile: keys.userKey.privateKeyPath,
      knownHostsFile,
      connectTimeoutMs: 5000,
      reconnectBackoffMs: 20,
    },
    close: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface HttpTarget {
  port: number;
  close(): Promise<void>;
}

/** Answers every request with `hello <path>`. */
export async function startHttpTarget(): Promise<HttpTarget> {
  const server: Server = createServer((req, res) => res.end(`hello ${req.url}`));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
