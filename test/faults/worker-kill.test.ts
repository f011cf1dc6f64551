// kill -9 the worker in every stage of a server configuration and start a new one: the sweep completes
// with one job per configuration, one model load, and every sample measured exactly once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runInjection, startFaultStack, type FaultKind, type FaultStack } from './harness';

describe('worker killed with SIGKILL', { timeout: 240_000 }, () => {
  let stack: FaultStack;

  before(async () => {
    stack = await startFaultStack();
  });
  after(async () => {
    await stack?.close();
  });

  it('during the 310 s EP-off load: 2B completes with one job and one model load', async () => {
    const outcome = await runInjection(stack, 'worker-kill@load');
    assert.match(outcome.hitAt, /^load/);
    const twoB = outcome.result.configs.find((c) => c.label === '2B')!;
    assert.equal(twoB.outcome, 'ok', twoB.reason);
    assert.deepEqual(
      twoB.rows.map((r) => [r.experimentId, r.outcome, r.run?.samples.length]),
      [['2B', 'ok', 3]],
    );
    assert.equal(outcome.jobs['2B'].length, 1, 'one PBS job for 2B');
    assert.equal(
      outcome.loads['2B'],
      1,
      'the model was loaded once (`Starting to load model` in server.log)',
    );
    assert.deepEqual(outcome.problems, []);
  });

  const stages: FaultKind[] = [
    'worker-kill@submit',
    'worker-kill@queue',
    'worker-kill@warmup',
    'worker-kill@replay',
    'worker-kill@teardown',
  ];
  for (const kind of stages) {
    it(`during ${kind.split('@')[1]}: the sweep completes, nothing orphaned, duplicated, lost or measured twice`, async () => {
      const outcome = await runInjection(stack, kind);
      assert.ok(outcome.hitAt.startsWith(kind.split('@')[1]), `hit at ${outcome.hitAt}`);
      assert.deepEqual(
        {
          orphanJobs: outcome.orphanJobs,
          duplicateSubmissions: outcome.duplicateSubmissions,
          lostSamples: outcome.lostSamples,
          doubleMeasuredSamples: outcome.doubleMeasuredSamples,
        },
        { orphanJobs: 0, duplicateSubmissions: 0, lostSamples: 0, doubleMeasuredSamples: 0 },
      );
      assert.deepEqual(outcome.problems, []);
      assert.deepEqual(outcome.loads, { '1A': 1, '2B': 1 }, 'each model loaded once');
    });
  }
});
