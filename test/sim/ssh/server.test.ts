// The sim sshd against the stock OpenSSH client: proves byte-level protocol compatibility.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { closedPort, startHttpTarget, startSimFixture, type HttpTarget, type SimFixture } from './fixture';

interface RunResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

function runSsh(fixture: SimFixture, args: string[], stdin = ''): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', ['-F', fixture.configPath, '-o', 'BatchMode=yes', ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
    child.stdin.end(stdin);
  });
}

describe('sim ssh server with the OpenSSH client', () => {
  let fixture: SimFixture;
  let http: HttpTarget;

  before(async () => {
    fixture = await startSimFixture({ resolveHost: (host) => (host === 'hopper-46' ? '127.0.0.1' : host) });
    http = await startHttpTarget();
  });
  after(async () => {
    await http.close();
    await fixture.close();
  });

  it('runs a command and returns its output and exit status', async () => {
    const result = await runSsh(fixture, ['vsweep-sim', 'echo hi; exit 3']);
    assert.equal(result.stdout, 'hi\n');
    assert.equal(result.code, 3);
  });

  it('runs in the configured cwd and env, and pipes stdin', async () => {
    const result = await runSsh(fixture, ['vsweep-sim', 'pwd; echo "$USER"; tr a-z A-Z'], 'some input\n');
    assert.equal(result.stdout, `${fixture.home}\nalice\nSOME INPUT\n`);
    assert.equal(result.code, 0);
  });

  it('separates stderr from stdout', async () => {
    const result = await runSsh(fixture, ['vsweep-sim', 'echo out; echo err >&2']);
    assert.equal(result.stdout, 'out\n');
    assert.equal(result.stderr, 'err\n');
  });

  it('forwards ssh -W to a local HTTP server, resolving node names', async () => {
    const request = 'GET /via-w HTTP/1.0\r\nHost: x\r\n\r\n';
    const result = await runSsh(fixture, ['-W', `hopper-46:${http.port}`, 'vsweep-sim'], request);
    assert.match(result.stdout, /^HTTP\/1\.1 200 OK/);
    assert.match(result.stdout, /hello \/via-w$/);
  });

  it('reports a refused forward as an open failure', async () => {
    const port = await closedPort();
    const result = await runSsh(fixture, ['-o', 'LogLevel=INFO', '-W', `127.0.0.1:${port}`, 'vsweep-sim']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /open failed|connect failed/i);
  });

  it('refuses another user name', async () => {
    const result = await runSsh(fixture, ['-l', 'mallory', 'vsweep-sim', 'touch pwned']);
    assert.equal(result.code, 255);
    assert.match(result.stderr, /Permission denied \(publickey\)/);
  });

  it('refuses a key that is not authorized', async () => {
    const otherKey = join(fixture.dir, 'other_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
    const port = String(fixture.server.port);
    const args = [
      '-o',
      `UserKnownHostsFile=${fixture.knownHostsFile}`,
      '-o',
      'IdentitiesOnly=yes',
      '-i',
      otherKey,
    ];
    const result = await runSsh({ ...fixture, configPath: '/dev/null' }, [
      ...args,
      '-p',
      port,
      'alice@127.0.0.1',
      'true',
    ]);
    assert.equal(result.code, 255);
    assert.match(result.stderr, /Permission denied \(publickey\)/);
  });
});
