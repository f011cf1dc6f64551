// Faults around the worker: Temporal restarts, SSH connections dropped mid-command, and jobs or model
// servers that die mid-replay (the experiment fails with the reason and log tail, the other completes).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runInjection, startFaultStack, type FaultKind, type FaultStack } from './harness';

describe('infrastructure faults', { timeout: 240_000 }, () => {
  let stack: FaultStack;

  before(async () => {
    stack = await startFaultStack();
  });
  after(async () => {
    await stack?.close();
  });

  const survivable: FaultKind[] = [
    'temporal-restart@load',
    'temporal-restart@replay',
    'ssh-drop@submit',
    'ssh-drop@replay',
  ];
  for (const kind of survivable) {
    it(`${kind}: every experiment completes, one job and one load each, every sample once`, async () => {
      const outcome = await runInjection(stack, kind);
      assert.ok(outcome.hitAt.startsWith(kind.split('@')[1]), `hit at ${outcome.hitAt}`);
      for (const config of outcome.result.configs)
        assert.equal(config.outcome, 'ok', `${config.label}: ${config.reason}`);
      assert.deepEqual(outcome.loads, { '1A': 1, '2B': 1 });
      assert.equal(outcome.orphanJobs + outcome.duplicateSubmissions, 0);
      assert.equal(outcome.lostSamples + outcome.doubleMeasuredSamples, 0);
      assert.deepEqual(outcome.problems, []);
    });
  }

  for (const kind of ['job-kill@replay', 'server-crash@replay'] as const) {
    it(`${kind}: 1A fails in replay with the reason and log tail, its job is gone, 2B completes`, async () => {
      const outcome = await runInjection(stack, kind);
      const [oneA, twoB] = ['1A', '2B'].map((l) => outcome.result.configs.find((c) => c.label === l)!);
      assert.equal(oneA.outcome, 'failed');
      assert.equal(oneA.failedStage, 'replay');
      // A killed job is seen ended at once; a crashed server may be caught before PBS notices the job
      // ended (then /health stops answering while qstat still says R): both name the replay failure.
      const reason =
        kind === 'job-kill@replay'
          ? /job \S+ ended during replay \(state [EF], Exit_status/
          : /job \S+ ended during replay \(state [EF], Exit_status|stopped answering \/health during replay/;
      assert.match(oneA.reason ?? '', reason);
      assert.match(oneA.logTail ?? '', /APIServer pid=/, 'the server log tail travels with the failure');
      assert.equal(oneA.rows[0].outcome, 'failed');
      assert.deepEqual(
        outcome.jobs['1A'].map((j) => j.state),
        ['F'],
        'one job for 1A, finished (not queued or running)',
      );
      assert.equal(twoB.outcome, 'ok', twoB.reason);
      assert.equal(twoB.rows[0].run?.samples.length, 3);
      assert.deepEqual(outcome.problems, []);
    });
  }
});
