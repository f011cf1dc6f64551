// Key files are OpenSSH-readable, private, and reused on the next start.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureSimSshKeys, knownHostsLine, writeClientConfig } from '../../../src/sim/ssh/keys';

describe('sim ssh keys', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vsweep-keys-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('writes ed25519 keys OpenSSH can read, private files 0600', async () => {
    const keys = await ensureSimSshKeys(dir);
    for (const pair of [keys.hostKey, keys.userKey]) {
      assert.equal((await stat(pair.privateKeyPath)).mode & 0o777, 0o600);
      assert.match(pair.publicKey, /^ssh-ed25519 AAAA\S+ /);
      const derived = execFileSync('ssh-keygen', ['-y', '-f', pair.privateKeyPath], { encoding: 'utf8' });
      assert.equal(derived.split(' ').slice(0, 2).join(' '), pair.publicKey.split(' ').slice(0, 2).join(' '));
    }
  });

  it('reuses keys that already exist', async () => {
    const first = await ensureSimSshKeys(dir);
    const second = await ensureSimSshKeys(dir);
    assert.equal(second.hostKey.publicKey, first.hostKey.publicKey);
    assert.equal(second.userKey.privateKey, first.userKey.privateKey);
  });

  it('writes a client config and a [host]:port known_hosts line', async () => {
    const keys = await ensureSimSshKeys(dir);
    const knownHostsFile = join(dir, 'known_hosts');
    const { configPath } = await writeClientConfig(dir, {
      host: '127.0.0.1',
      port: 2222,
      user: 'alice',
      identityFile: keys.userKey.privateKeyPath,
      knownHostsFile,
    });
    const config = await readFile(configPath, 'utf8');
    assert.match(config, /^Host vsweep-sim\n {2}HostName 127\.0\.0\.1\n {2}Port 2222\n {2}User alice\n/);
    assert.match(
      config,
      /IdentitiesOnly yes\n.*UserKnownHostsFile .*\n {2}StrictHostKeyChecking yes\n {2}LogLevel ERROR/s,
    );
    const line = (await readFile(knownHostsFile, 'utf8')).trim();
    assert.equal(line, `[127.0.0.1]:2222 ${keys.hostKey.publicKey.split(' ').slice(0, 2).join(' ')}`);
    assert.equal(knownHostsLine('login01', 22, 'ssh-ed25519 AAAAX c'), 'login01 ssh-ed25519 AAAAX');
  });
});
