// LocalShellTransport runs real bash; no mocks.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { shJoin } from '../../src/lib/shell';
import { LocalShellTransport } from '../../src/transport/local';

describe('LocalShellTransport', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vsweep-local-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('returns stdout, stderr and the exit code', async () => {
    const shell = new LocalShellTransport();
    const result = await shell.exec('echo out; echo err >&2; exit 7');
    assert.deepEqual(result, { stdout: 'out\n', stderr: 'err\n', code: 7 });
    assert.equal(shell.description, 'local shell');
  });

  it('feeds stdin and closes it', async () => {
    const result = await new LocalShellTransport().exec('cat; echo done', { stdin: 'line one\n' });
    assert.equal(result.stdout, 'line one\ndone\n');
    assert.equal((await new LocalShellTransport().exec('cat')).code, 0, 'no stdin means EOF, not a hang');
  });

  it('uses cwd, merged env and pathPrepend', async () => {
    const bin = join(dir, 'bin');
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, 'qstat'), '#!/bin/sh\necho fake qstat\n', { mode: 0o755 });
    const shell = new LocalShellTransport({ cwd: dir, env: { SWEEP_ID: 's-1' }, pathPrepend: [bin] });
    const result = await shell.exec('pwd; echo "$SWEEP_ID"; qstat; test -n "$HOME" && echo home');
    assert.equal(result.stdout, `${dir}\ns-1\nfake qstat\nhome\n`);
  });

  it('passes quoted words through literally', async () => {
    const result = await new LocalShellTransport().exec(shJoin(['printf', '%s', "a b; $(id) 'q'"]));
    assert.equal(result.stdout, "a b; $(id) 'q'");
  });

  it('kills the command on timeout and reports code null', async () => {
    const marker = join(dir, 'survived');
    const result = await new LocalShellTransport().exec(`sleep 20 & wait; touch ${marker}`, {
      timeoutMs: 200,
    });
    assert.equal(result.code, null);
    assert.equal((await new LocalShellTransport().exec(`test -e ${marker}`)).code, 1);
  });

  it('reports death by signal', async () => {
    const result = await new LocalShellTransport().exec('kill -TERM $$');
    assert.equal(result.code, null);
    assert.equal(result.signal, 'SIGTERM');
  });

  it('returns tunnel addresses unchanged unless aliased', async () => {
    const shell = new LocalShellTransport({ hostAliases: { 'hopper-46': '127.0.0.1' } });
    const direct = await shell.openTunnel('gpu-1', 8000);
    assert.deepEqual([direct.host, direct.port], ['gpu-1', 8000]);
    const aliased = await shell.openTunnel('hopper-46', 8001);
    assert.deepEqual([aliased.host, aliased.port], ['127.0.0.1', 8001]);
    await direct.close();
    await aliased.close();
    await shell.close();
  });
});
