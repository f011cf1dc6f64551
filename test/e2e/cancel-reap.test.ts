// Cancel and reap on the real stack: no job of vsweep is left holding GPUs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { cancelSweep, reapOrphans, startSweep } from '../../src/client';
import { LocalShellTransport } from '../../src/transport/local';
import type { ConfigProgress } from '../../src/workflows/types';
import { type Stack, stackWithWorker } from '../helpers/stack';
import { until } from '../helpers/wait';

interface QstatJson {
  Jobs?: Record<string, { job_state: string; Variable_List?: Record<string, string> }>;
}

async function jobsViaOpenSsh(stack: Stack) {
  const { stdout } = await promisify(execFile)('ssh', [
    '-F',
    stack.sim.sshConfigFile,
    'vsweep-sim',
    'qstat -x -f -F json',
  ]);
  return Object.entries((JSON.parse(stdout) as QstatJson).Jobs ?? {}).map(([id, j]) => ({
    id,
    state: j.job_state,
    runId: j.Variable_List?.VSWEEP_RUN_ID,
  }));
}

describe('cancel and reap', { timeout: 180_000 }, () => {
  const stackOf = stackWithWorker();

  it("reaps a job whose workflow is unknown, keeps a running sweep's jobs, and cancel deletes those", async () => {
    const stack = stackOf();
    // A job whose owner no Temporal knows: as after a terminated workflow or a lost database.
    const shell = new LocalShellTransport({
      cwd: stack.sim.homeDir,
      pathPrepend: [stack.sim.binDir],
      env: { USER: 'alice' },
    });
    const ghost = await shell.exec(
      "qsub -N ghost -l select=1:ncpus=8:ngpus=8 -v VSWEEP_RUN_ID=gone-sweep.cfg,VSWEEP_TIME_SCALE=0.01 <<< 'sleep 600'",
    );
    assert.equal(ghost.code, 0, ghost.stderr);
    const ghostId = ghost.stdout.trim();

    // A live sweep (1B compiles for a long while) whose jobs must survive the reaper.
    const spec = stack.spec((raw) => {
      raw.experiments = (raw.experiments as { id: string }[]).filter((e) => e.id === '1B' || e.id === '2B');
    });
    const sweepId = await startSweep(stack.client, spec, { taskQueue: stack.taskQueue });
    await until('both jobs loading', async () => {
      const ids = (
        await stack.client.workflow
          .getHandle(sweepId)
          .query<{ configs: { workflowId: string }[] }>('progress')
      ).configs.map((c) => c.workflowId);
      const stages = await Promise.all(
        ids.map((id) =>
          stack.client.workflow
            .getHandle(id)
            .query<ConfigProgress>('progress')
            .catch(() => undefined),
        ),
      );
      return stages.every((p) => p?.stage === 'load') ? true : undefined;
    });

    const dry = await reapOrphans(stack.client, spec.cluster, { dryRun: true, taskQueue: stack.taskQueue });
    assert.deepEqual(
      dry.filter((j) => j.owner !== 'running').map((j) => j.jobId),
      [ghostId],
    );
    assert.ok(
      dry.every((j) => !j.deleted),
      'a dry run deletes nothing',
    );
    assert.equal(dry.filter((j) => j.owner === 'running').length, 2, "the sweep's two jobs are its own");

    const reaped = await reapOrphans(stack.client, spec.cluster, {
      dryRun: false,
      taskQueue: stack.taskQueue,
    });
    assert.deepEqual(
      reaped.filter((j) => j.deleted).map((j) => j.jobId),
      [ghostId],
    );
    const afterReap = await jobsViaOpenSsh(stack);
    assert.ok(
      !['Q', 'R'].includes(afterReap.find((j) => j.id === ghostId)?.state ?? ''),
      'the orphan is gone',
    );
    assert.equal(afterReap.filter((j) => j.runId?.startsWith(sweepId) && j.state === 'R').length, 2);

    assert.equal(await cancelSweep(stack.client, sweepId), 'cancelled');
    const live = (await jobsViaOpenSsh(stack)).filter((j) => j.state === 'Q' || j.state === 'R');
    assert.deepEqual(live, [], 'cancel left no job queued or running');
  });
});
