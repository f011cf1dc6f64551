import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseJobStart } from '../../src/activities/run-files';
import { renderJobScript } from '../../src/jobs/job-script';
import type { ServerConfigPlan } from '../../src/plan/plan';

const config: ServerConfigPlan = {
  key: '1A-abc123',
  label: '1A',
  experiments: [{ id: '1A', datasets: ['8k'] }],
  model: 'zai-org/GLM-4.6',
  flags: { 'enable-expert-parallel': true, 'max-model-len': 32768, 'chat-template': "it's $(id) `x`" },
  env: { VLLM_LOGGING_LEVEL: 'INFO', WEIRD: "a'b $HOME" },
};

/** A compute node in a folder: a `vllm` with the given script, and a `hostname` that says hopper-46. */
function fakeNode(dir: string, vllmScript: string): void {
  writeFileSync(join(dir, 'vllm'), vllmScript);
  writeFileSync(join(dir, 'hostname'), '#!/bin/sh\necho hopper-46\n');
  chmodSync(join(dir, 'vllm'), 0o755);
  chmodSync(join(dir, 'hostname'), 0o755);
}

describe('job script', () => {
  it('runs `vllm serve` with every flag as one literal word and records where it listens', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vsweep-job-'));
    try {
      // A fake `vllm` and `hostname` that print what they received: the script is executed for real.
      fakeNode(dir, '#!/bin/bash\nfor a in "$@"; do echo "ARG[$a]"; done\necho "ENV[$WEIRD]"\n');
      const script = renderJobScript({
        sweepId: 's1',
        config,
        command: 'vllm',
        port: 8000,
        runDir: 'runs/s1/1A',
        setup: [],
        controllerSilenceSec: 0,
      });
      const res = spawnSync('bash', ['-c', script], {
        env: { HOME: dir, PATH: `${dir}:/usr/bin:/bin` },
        encoding: 'utf8',
      });
      assert.equal(res.status, 0, res.stderr);
      const log = readFileSync(join(dir, 'runs/s1/1A/server.log'), 'utf8');
      assert.match(log, /ARG\[serve\]\nARG\[zai-org\/GLM-4\.6\]\nARG\[--port\]\nARG\[8000\]/);
      assert.ok(log.includes("ARG[it's $(id) `x`]"), 'metacharacters arrive literally');
      assert.ok(log.includes("ENV[a'b $HOME]"), 'env values are not expanded');
      assert.equal(readFileSync(join(dir, 'runs/s1/1A/endpoint'), 'utf8'), 'hopper-46 8000\n');
      const start = parseJobStart(log.replace('job ?', 'job 7.pbs'), '7.pbs');
      assert.equal(start?.host, 'hopper-46');
      assert.ok(Math.abs((start?.atMs ?? 0) - Date.now()) < 60_000, 'the start time is now, in UTC');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('controller watchdog', () => {
  it('stops a server whose controller has been silent too long', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vsweep-watchdog-'));
    try {
      fakeNode(dir, '#!/bin/bash\nexec sleep 120\n'); // a server that logs nothing
      const script = renderJobScript({
        sweepId: 's',
        config,
        command: 'vllm',
        port: 8000,
        runDir: 'r',
        setup: [],
        controllerSilenceSec: 2,
      });
      const job = spawn('bash', ['-c', script], {
        env: { HOME: dir, PATH: `${dir}:/usr/bin:/bin` },
        stdio: 'ignore',
      });
      const exit = await new Promise<NodeJS.Signals | number | null>((resolve) => {
        const guard = setTimeout(() => job.kill('SIGKILL'), 30_000); // the watchdog failed: end the test
        job.on('exit', (code, signal) => {
          clearTimeout(guard);
          resolve(signal ?? code);
        });
      });
      assert.equal(exit, 'SIGTERM', 'the watchdog, not the guard, stopped the server');
      assert.match(
        readFileSync(join(dir, 'r/server.log'), 'utf8'),
        /no sign of the controller for over 2 s; stopping the server/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('job start line', () => {
  it('is found for this job id only, with millisecond UTC time and the node', () => {
    const log = [
      'vsweep: job 1001.pbs on hopper-30 at 2026-11-29T07:00:00.000Z',
      'old server output',
      'vsweep: job 1002.pbs on hopper-46 at 2026-11-29T07:10:05.123Z',
    ].join('\n');
    assert.deepEqual(parseJobStart(log, '1002.pbs'), {
      host: 'hopper-46',
      atMs: Date.UTC(2026, 10, 29, 7, 10, 5, 123),
    });
    assert.equal(parseJobStart(log, '1003.pbs'), undefined);
    assert.equal(parseJobStart('vsweep: job 1002.pbs on h at garbage', '1002.pbs'), undefined);
  });
});
