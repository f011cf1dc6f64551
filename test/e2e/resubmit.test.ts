// The spec's resubmit policy: a job that dies mid-replay is replaced, and the experiment completes.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { getSweepResult, startSweep } from '../../src/client';
import { planSweep } from '../../src/plan/plan';
import { stackWithWorker } from '../helpers/stack';
import { until } from '../helpers/wait';

describe('resubmit on job failure', { timeout: 180_000 }, () => {
  const stackOf = stackWithWorker();

  it('replaces a job killed mid-replay and measures every sample once, on the new server', async () => {
    const stack = stackOf();
    const spec = stack.spec((raw) => {
      raw.experiments = (raw.experiments as { id: string }[]).filter((e) => e.id === '1A');
      (raw.cluster as Record<string, unknown>).resubmitOnFailure = 1;
    });
    const [config] = planSweep(spec).configs;
    const sweepId = await startSweep(stack.client, spec, { taskQueue: stack.taskQueue });
    const records = join(stack.resultsDir, sweepId, config.key, '1A.8k.jsonl');
    await until('the first measured sample', () =>
      existsSync(records) && readFileSync(records, 'utf8').trim() !== '' ? true : undefined,
    );
    const first = stack.sim.pbs.jobs().find((j) => j.variables.VSWEEP_RUN_ID === `${sweepId}.${config.key}`);
    assert.ok(first && stack.sim.pbs.killJob(first.id, 'node-failure'), 'the running job was killed');

    const result = await getSweepResult(stack.client, sweepId);
    const [row] = result.configs[0].rows;
    assert.equal(row.outcome, 'ok', row.reason);
    assert.equal(row.run?.samples.length, 3);
    assert.deepEqual(
      row.run?.samples.map((s) => s.sampleId),
      ['8k_1', '8k_2', '8k_3'],
    );
    assert.match(row.run?.recordsFile ?? '', /1A\.8k\.r1\.jsonl$/, "the new server's own records");
    const jobs = stack.sim.pbs.jobs().filter((j) => j.variables.VSWEEP_RUN_ID?.startsWith(`${sweepId}.`));
    assert.deepEqual(jobs.map((j) => j.variables.VSWEEP_RUN_ID).sort(), [
      `${sweepId}.${config.key}`,
      `${sweepId}.${config.key}.r1`,
    ]);
    assert.ok(
      jobs.every((j) => j.state !== 'R' && j.state !== 'Q'),
      'both jobs ended',
    );
  });
});
