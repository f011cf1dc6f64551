// qsub argv: names and values PBS would re-parse are validated or encoded; the shell cannot be injected.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { JobSubmitRejected } from '../../../src/lib/errors';
import { shJoin } from '../../../src/lib/shell';
import {
  b64DecodeLines,
  buildQsubArgs,
  encodeQsubVars,
  formatWalltime,
  sanitizeJobName,
} from '../../../src/scheduler/pbs/qsub-args';

describe('buildQsubArgs', () => {
  it('builds the documented argv with the script left for stdin', () => {
    const { args, jobName, encodedVars } = buildQsubArgs({
      name: 'vllm-bench',
      queue: 'gpu',
      select: '1:ncpus=64:ngpus=8:mem=500gb',
      walltime: 7200,
      vars: { MODEL: 'meta-llama/Llama-3.1-8B-Instruct', PORT: '8000' },
      outputPath: '/home/alice/runs/out.log',
    });
    assert.deepEqual(args, [
      '-N',
      'vllm-bench',
      '-q',
      'gpu',
      '-l',
      'select=1:ncpus=64:ngpus=8:mem=500gb',
      '-l',
      'walltime=02:00:00',
      '-j',
      'oe',
      '-o',
      '/home/alice/runs/out.log',
      '-v',
      'MODEL=meta-llama/Llama-3.1-8B-Instruct,PORT=8000',
    ]);
    assert.equal(jobName, 'vllm-bench');
    assert.deepEqual(encodedVars, []);
  });

  it('rejects bad variable names, selects and paths with a clear error', () => {
    const base = { name: 'a', select: '1:ncpus=1', walltime: 60 };
    assert.throws(() => buildQsubArgs({ ...base, vars: { '1BAD': 'x' } }), /variable name "1BAD"/);
    assert.throws(() => buildQsubArgs({ ...base, vars: { 'A-B': 'x' } }), JobSubmitRejected);
    assert.throws(() => buildQsubArgs({ ...base, select: '1:ncpus=1,walltime=99:00:00' }), /select/);
    assert.throws(() => buildQsubArgs({ ...base, queue: 'gpu q' }), /queue/);
    assert.throws(() => buildQsubArgs({ ...base, outputPath: '-o' }), /output path/);
    assert.throws(() => buildQsubArgs({ ...base, walltime: 0 }), /walltime/);
    assert.throws(() => buildQsubArgs({ ...base, walltime: '2h' }), /walltime/);
  });
});

describe('sanitizeJobName', () => {
  it('keeps at most 15 portable characters starting with a letter', () => {
    assert.equal(sanitizeJobName('vllm-bench'), 'vllm-bench');
    assert.equal(sanitizeJobName('42-tp8 run/ep:on'), 'tp8_run_ep_on');
    assert.equal(sanitizeJobName('exp-llama-3.1-8b-tp8-ep'), 'exp-llama-3.1-8');
    assert.throws(() => sanitizeJobName('1234'), JobSubmitRejected);
  });
});

describe('formatWalltime', () => {
  it('accepts seconds and [[HH:]MM:]SS', () => {
    assert.equal(formatWalltime(59), '00:00:59');
    assert.equal(formatWalltime(360000), '100:00:00');
    assert.equal(formatWalltime('2:00:00'), '02:00:00');
    assert.equal(formatWalltime('90:00'), '01:30:00');
  });
});

describe('encodeQsubVars', () => {
  it('passes safe values bare and base64-encodes the rest', () => {
    const value = '--tensor-parallel-size 8,--max-model-len 8192 \'q\' "dq" \\ $(id)';
    const { word, encodedVars } = encodeQsubVars({ PORT: '8000', EMPTY: '', ARGS: value });
    assert.equal(word, `PORT=8000,EMPTY=,ARGS_B64=${Buffer.from(value).toString('base64')}`);
    assert.deepEqual(encodedVars, ['ARGS']);
    assert.match(word, /^[A-Za-z0-9_./:@%+=,-]*$/);
    assert.throws(() => encodeQsubVars({ A: 'x y', A_B64: 'z' }), /clash/);
  });

  it('gives the job script lines that restore the original value', () => {
    const value = 'a b,c\'d"e\\f $(id) ünï';
    const script = `${b64DecodeLines(['ARGS'])}printf '%s' "$ARGS"`;
    const output = execFileSync('bash', ['-c', script], {
      env: { PATH: process.env.PATH, ARGS_B64: Buffer.from(value).toString('base64') },
    });
    assert.equal(output.toString('utf8'), value);
  });
});

describe('shell injection', () => {
  it('passes hostile names, values and paths to qsub as literal words', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qsub-args-'));
    try {
      const fakeQsub = join(dir, 'qsub');
      writeFileSync(fakeQsub, '#!/bin/sh\nprintf \'%s\\0\' "$@"\n', { mode: 0o755 });
      const marker = join(dir, 'pwned');
      const { args } = buildQsubArgs({
        name: `x; rm -rf / $(touch ${marker})`,
        select: '1:ncpus=1',
        walltime: 60,
        vars: { RUN: `\`touch ${marker}\``, NOTE: `'; touch ${marker}; '` },
        outputPath: `/tmp/$(touch ${marker})`,
      });
      const output = execFileSync('bash', ['-c', shJoin([fakeQsub, ...args])]).toString();
      assert.deepEqual(output.split('\0').slice(0, -1), args);
      assert.equal(existsSync(marker), false);
      assert.match(args[1], /^[A-Za-z][A-Za-z0-9_.-]{0,14}$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
