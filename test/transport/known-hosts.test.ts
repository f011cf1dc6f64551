// known_hosts parsing and host key decisions, checked against OpenSSH's own tools where possible.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { utils } from 'ssh2';
import {
  fingerprintSha256,
  knownHostsName,
  parseKnownHosts,
  readKnownHostsFile,
  verifyHostKey,
} from '../../src/transport/known-hosts';

function newKey(): { line: string; blob: Buffer; base64: string } {
  const line = utils.generateKeyPairSync('ed25519').public;
  const base64 = line.split(' ')[1];
  return { line, blob: Buffer.from(base64, 'base64'), base64 };
}

function hashedName(name: string): string {
  const salt = Buffer.from('0123456789abcdef0123');
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('known_hosts', () => {
  const a = newKey();
  const b = newKey();

  it('matches plain names, comma lists and [host]:port', () => {
    const entries = parseKnownHosts(
      [
        '# comment line',
        '',
        `login01,10.0.0.1 ssh-ed25519 ${a.base64} alice@laptop`,
        `[login02]:2222 ssh-ed25519 ${a.base64}`,
      ].join('\n'),
    );
    assert.equal(entries.length, 2);
    assert.equal(verifyHostKey(entries, 'login01', 22, a.blob), 'match');
    assert.equal(verifyHostKey(entries, '10.0.0.1', 22, a.blob), 'match');
    assert.equal(verifyHostKey(entries, 'login02', 2222, a.blob), 'match');
    assert.equal(verifyHostKey(entries, 'login02', 22, a.blob), 'unknown', 'port 22 looks up the bare name');
    assert.equal(verifyHostKey(entries, 'login01', 2222, a.blob), 'unknown');
    assert.equal(verifyHostKey(entries, 'login01', 22, b.blob), 'mismatch');
    assert.equal(verifyHostKey(entries, 'elsewhere', 22, a.blob), 'unknown');
  });

  it('matches hashed |1|salt|hash entries', () => {
    const entries = parseKnownHosts(`${hashedName('[login03]:2200')} ssh-ed25519 ${a.base64}`);
    assert.equal(entries[0].patterns.length, 0);
    assert.equal(verifyHostKey(entries, 'login03', 2200, a.blob), 'match');
    assert.equal(verifyHostKey(entries, 'login03', 22, a.blob), 'unknown');
    assert.equal(verifyHostKey(entries, 'login03', 2200, b.blob), 'mismatch');
  });

  it('honours wildcards and negation', () => {
    const entries = parseKnownHosts(`*.cluster,!bad.cluster ssh-ed25519 ${a.base64}`);
    assert.equal(verifyHostKey(entries, 'login.cluster', 22, a.blob), 'match');
    assert.equal(verifyHostKey(entries, 'bad.cluster', 22, a.blob), 'unknown');
  });

  it('treats @revoked keys as a mismatch and skips @cert-authority lines', () => {
    const entries = parseKnownHosts(
      [
        `@revoked login01 ssh-ed25519 ${b.base64}`,
        `login01 ssh-ed25519 ${b.base64}`,
        `@cert-authority login04 ssh-ed25519 ${a.base64}`,
      ].join('\n'),
    );
    assert.equal(verifyHostKey(entries, 'login01', 22, b.blob), 'mismatch');
    assert.equal(verifyHostKey(entries, 'login04', 22, a.blob), 'unknown');
  });

  it('calls a host known only by another key type unknown, not changed', () => {
    const rsaLike = parseKnownHosts(`login01 ssh-ed25519 ${a.base64}`).map((e) => ({
      ...e,
      keyType: 'ssh-rsa',
    }));
    assert.equal(verifyHostKey(rsaLike, 'login01', 22, b.blob), 'unknown');
  });

  it('skips malformed lines and unknown markers', () => {
    const entries = parseKnownHosts(
      ['login01 ssh-ed25519', 'login01 ssh-rsa notbase64!!', `@weird login01 ssh-ed25519 ${a.base64}`].join(
        '\n',
      ),
    );
    assert.equal(entries.length, 0);
  });

  it('formats fingerprints exactly like ssh-keygen -lf', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vsweep-kh-'));
    try {
      const file = join(dir, 'key.pub');
      await writeFile(file, `${a.line}\n`);
      const printed = execFileSync('ssh-keygen', ['-lf', file], { encoding: 'utf8' }).split(' ')[1];
      assert.equal(fingerprintSha256(a.blob), printed);
      assert.deepEqual(await readKnownHostsFile(join(dir, 'missing')), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names hosts the way OpenSSH looks them up', () => {
    assert.equal(knownHostsName('login01', 22), 'login01');
    assert.equal(knownHostsName('127.0.0.1', 2222), '[127.0.0.1]:2222');
  });
});
