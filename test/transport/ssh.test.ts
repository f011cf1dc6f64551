// SshTransport against the sim sshd over real sockets: exec, limits, tunnels, host keys, auth, drops.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { utils } from 'ssh2';
import { request } from 'undici';
import { HostKeyMismatch, TransportUnavailable } from '../../src/lib/errors';
import { shJoin } from '../../src/lib/shell';
import { TransportAuthFailed } from '../../src/transport/errors';
import { fingerprintSha256 } from '../../src/transport/known-hosts';
import { SshTransport, type SshTransportOptions } from '../../src/transport/ssh';
import {
  closedPort,
  startHttpTarget,
  startSimFixture,
  type HttpTarget,
  type SimFixture,
} from '../sim/ssh/fixture';

async function withTransport<T>(
  options: SshTransportOptions,
  use: (t: SshTransport) => Promise<T>,
): Promise<T> {
  const transport = new SshTransport(options);
  try {
    return await use(transport);
  } finally {
    await transport.close();
  }
}

/** A TCP relay whose existing links can go silent (no FIN, no RST), like a dead network path. */
async function startFreezableProxy(
  targetPort: number,
): Promise<{ port: number; freeze(): void; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const links: [Socket, Socket][] = [];
  const server = createServer((inbound) => {
    const outbound = connect(targetPort, '127.0.0.1');
    inbound.pipe(outbound).pipe(inbound);
    for (const socket of [inbound, outbound]) socket.on('error', () => undefined);
    sockets.push(inbound, outbound);
    links.push([inbound, outbound]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    freeze: () => {
      for (const [inbound, outbound] of links.splice(0)) {
        inbound.unpipe(outbound);
        outbound.unpipe(inbound);
        inbound.pause();
        outbound.pause();
      }
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function waitForFile(path: string): Promise<void> {
  while (!existsSync(path)) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('SshTransport against the sim server', () => {
  let fixture: SimFixture;
  let http: HttpTarget;
  let hostFingerprint: string;

  before(async () => {
    fixture = await startSimFixture({ resolveHost: (host) => (host === 'hopper-46' ? '127.0.0.1' : host) });
    http = await startHttpTarget();
    hostFingerprint = fingerprintSha256(Buffer.from(fixture.keys.hostKey.publicKey.split(' ')[1], 'base64'));
  });
  after(async () => {
    await http.close();
    await fixture.close();
  });

  it('runs commands with stdin, stderr and exit codes on one connection', async () => {
    await withTransport(fixture.transportOptions, async (ssh) => {
      assert.equal(ssh.description, `alice@127.0.0.1:${fixture.server.port}`);
      assert.deepEqual(await ssh.exec('echo out; echo err >&2; exit 3'), {
        stdout: 'out\n',
        stderr: 'err\n',
        code: 3,
      });
      const piped = await ssh.exec('tr a-z A-Z', { stdin: 'qsub script\n' });
      assert.deepEqual(piped, { stdout: 'QSUB SCRIPT\n', stderr: '', code: 0 });
      assert.equal((await ssh.exec('cat')).code, 0, 'no stdin means EOF, not a hang');
      assert.equal((await ssh.exec('pwd')).stdout, `${fixture.home}\n`);
    });
  });

  it('passes quoted words through the remote shell literally', async () => {
    await withTransport(fixture.transportOptions, async (ssh) => {
      const result = await ssh.exec(shJoin(['printf', '%s', "a b; $(id) 'q'"]));
      assert.equal(result.stdout, "a b; $(id) 'q'");
    });
  });

  it('queues execs beyond maxConcurrentExecs and runs them all', async () => {
    await withTransport({ ...fixture.transportOptions, maxConcurrentExecs: 2 }, async (ssh) => {
      // Each command counts the commands running alongside it on the server.
      const slots = join(fixture.dir, 'slots');
      const command = (i: number): string =>
        `mkdir -p ${slots} && touch ${slots}/${i} && ls ${slots} | wc -l && sleep 0.2 && rm ${slots}/${i}`;
      const results = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((i) => ssh.exec(command(i))));
      for (const result of results) {
        assert.equal(result.code, 0);
        assert.ok(Number(result.stdout.trim()) <= 2, `saw ${result.stdout.trim()} commands at once`);
      }
      assert.equal(ssh.activeExecs, 0);
    });
  });

  it('tunnels many HTTP requests to a node name through one connection', async () => {
    await withTransport(fixture.transportOptions, async (ssh) => {
      const tunnel = await ssh.openTunnel('hopper-46', http.port);
      assert.equal(tunnel.host, '127.0.0.1');
      const bodies = await Promise.all(
        [1, 2, 3, 4, 5, 6].map(async (i) => {
          const response = await request(`http://${tunnel.host}:${tunnel.port}/r${i}`, { reset: true });
          return response.body.text();
        }),
      );
      assert.deepEqual(
        bodies,
        [1, 2, 3, 4, 5, 6].map((i) => `hello /r${i}`),
      );
      await tunnel.close();
    });
  });

  it('rewrites tunnel destinations through hostAliases', async () => {
    await withTransport(
      { ...fixture.transportOptions, hostAliases: { 'gpu-a': 'hopper-46' } },
      async (ssh) => {
        const tunnel = await ssh.openTunnel('gpu-a', http.port);
        const response = await request(`http://127.0.0.1:${tunnel.port}/alias`, { reset: true });
        assert.equal(await response.body.text(), 'hello /alias');
        await tunnel.close();
      },
    );
  });

  it('drops tunnel connections whose destination refuses, and keeps working', async () => {
    await withTransport(fixture.transportOptions, async (ssh) => {
      const tunnel = await ssh.openTunnel('127.0.0.1', await closedPort());
      await assert.rejects(request(`http://127.0.0.1:${tunnel.port}/`, { reset: true }));
      await tunnel.close();
      assert.equal((await ssh.exec('echo still')).stdout, 'still\n');
    });
  });

  it('refuses a host whose key differs from known_hosts, before running anything', async () => {
    const knownHostsFile = join(fixture.dir, 'known_hosts.other');
    const otherKey = utils.generateKeyPairSync('ed25519').public.split(' ').slice(0, 2).join(' ');
    await writeFile(knownHostsFile, `[127.0.0.1]:${fixture.server.port} ${otherKey}\n`);
    const marker = join(fixture.home, 'mismatch-ran');
    await withTransport({ ...fixture.transportOptions, knownHostsFile }, async (ssh) => {
      const error = await ssh.exec(`touch ${marker}`).catch((err: unknown) => err);
      assert.ok(error instanceof HostKeyMismatch);
      assert.equal(error.retryable, false);
      assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${fixture.server.port}`));
      assert.ok(error.message.includes(hostFingerprint));
      assert.ok(
        error.message.includes(`ssh-keyscan -p ${fixture.server.port} 127.0.0.1 >> ${knownHostsFile}`),
      );
    });
    assert.equal(existsSync(marker), false);
  });

  it('refuses an unknown host unless strict checking is off', async () => {
    const knownHostsFile = join(fixture.dir, 'known_hosts.empty');
    await withTransport({ ...fixture.transportOptions, knownHostsFile }, async (ssh) => {
      await assert.rejects(
        ssh.exec('true'),
        (err: Error) => err instanceof HostKeyMismatch && /not in/.test(err.message),
      );
    });
    await withTransport(
      { ...fixture.transportOptions, knownHostsFile, strictHostKeyChecking: false },
      async (ssh) => {
        assert.equal((await ssh.exec('echo ok')).stdout, 'ok\n');
      },
    );
  });

  it('accepts a hashed known_hosts entry made by ssh-keygen -H', async () => {
    const knownHostsFile = join(fixture.dir, 'known_hosts.hashed');
    await writeFile(knownHostsFile, await readFile(fixture.knownHostsFile));
    execFileSync('ssh-keygen', ['-H', '-f', knownHostsFile], { stdio: 'ignore' });
    assert.match(await readFile(knownHostsFile, 'utf8'), /^\|1\|/);
    await withTransport({ ...fixture.transportOptions, knownHostsFile }, async (ssh) => {
      assert.equal((await ssh.exec('echo hashed')).stdout, 'hashed\n');
    });
  });

  it('fails auth with a wrong key clearly, naming user@host and the key path only', async () => {
    const identityFile = join(fixture.dir, 'wrong_key');
    const wrong = utils.generateKeyPairSync('ed25519');
    await writeFile(identityFile, wrong.private, { mode: 0o600 });
    await withTransport({ ...fixture.transportOptions, identityFile }, async (ssh) => {
      const error = await ssh.exec('true').catch((err: unknown) => err);
      assert.ok(error instanceof TransportAuthFailed);
      assert.equal(error.retryable, false);
      assert.ok(error.message.includes(`alice@127.0.0.1:${fixture.server.port}`));
      assert.ok(error.message.includes(identityFile));
      assert.ok(!error.message.includes('PRIVATE KEY'));
    });
    await withTransport(
      { ...fixture.transportOptions, identityFile: join(fixture.dir, 'nope') },
      async (ssh) => {
        await assert.rejects(
          ssh.exec('true'),
          (err: Error) => err instanceof TransportAuthFailed && /nope/.test(err.message),
        );
      },
    );
  });

  it('reports code null when the connection drops mid-command, then reconnects', async () => {
    const started = join(fixture.home, 'drop-started');
    await withTransport(fixture.transportOptions, async (ssh) => {
      const pending = ssh.exec(`touch ${started}; sleep 5; echo finished`);
      await waitForFile(started);
      fixture.server.dropConnections();
      const result = await pending;
      assert.equal(result.code, null);
      assert.equal(result.stdout, '');
      assert.deepEqual(await ssh.exec('echo again'), { stdout: 'again\n', stderr: '', code: 0 });
    });
  });

  it('notices a silent link through keepalive, reports code null, then reconnects', async () => {
    const proxy = await startFreezableProxy(fixture.server.port);
    const started = join(fixture.home, 'silent-started');
    const options = {
      ...fixture.transportOptions,
      port: proxy.port,
      keepaliveIntervalMs: 100,
      keepaliveCountMax: 2,
    };
    // known_hosts names the server's port; the proxy's port is a different host name to OpenSSH rules.
    const knownHostsFile = join(fixture.dir, 'known_hosts.proxy');
    const hostKey = fixture.keys.hostKey.publicKey.split(' ').slice(0, 2).join(' ');
    await writeFile(knownHostsFile, `[127.0.0.1]:${proxy.port} ${hostKey}\n`);
    try {
      await withTransport({ ...options, knownHostsFile }, async (ssh) => {
        const pending = ssh.exec(`touch ${started}; sleep 5`);
        await waitForFile(started);
        proxy.freeze();
        assert.equal((await pending).code, null);
        assert.equal((await ssh.exec('echo back')).stdout, 'back\n');
      });
    } finally {
      await proxy.close();
    }
  });

  it('times out a command with code null and leaves the connection usable', async () => {
    await withTransport(fixture.transportOptions, async (ssh) => {
      const result = await ssh.exec('sleep 5', { timeoutMs: 200 });
      assert.equal(result.code, null);
      assert.equal((await ssh.exec('echo next')).code, 0);
    });
  });

  it('gives up on an unreachable host with a retryable error', async () => {
    const port = await closedPort();
    await withTransport({ ...fixture.transportOptions, port, connectAttempts: 2 }, async (ssh) => {
      await assert.rejects(
        ssh.exec('true'),
        (err: Error) => err instanceof TransportUnavailable && err.retryable,
      );
    });
  });
});
