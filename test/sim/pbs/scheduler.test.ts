// Part A's PbsScheduler driving the simulated server through a local shell Transport.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { JobSubmitRejected } from '../../../src/lib/errors';
import { firstExecHost, type PbsJob } from '../../../src/scheduler/pbs/model';
import { PbsScheduler } from '../../../src/scheduler/pbs/pbs';
import { b64DecodeLines } from '../../../src/scheduler/pbs/qsub-args';
import { startTestSim, waitFor, type TestSim } from './helpers';

describe('PbsScheduler against the simulated server', () => {
  let t: TestSim;
  let pbs: PbsScheduler;
  before(async () => {
    t = await startTestSim();
    pbs = new PbsScheduler(t.shell, { deleteRetryDelayMs: 50 });
  });
  after(async () => {
    await t.close();
  });

  const stateOf = async (jobId: string, state: string): Promise<PbsJob> =>
    waitFor(`${jobId} in ${state}`, async () => {
      const job = (await pbs.status([jobId])).get(jobId);
      return job !== 'unknown' && job?.state === state ? job : undefined;
    });

  it('submits, observes, adopts by name and deletes', async () => {
    const args = "--tensor-parallel-size 8 --served-model-name 'x,y' $(id)";
    const jobId = await pbs.submit({
      script: `${b64DecodeLines(['VLLM_ARGS'])}printf '%s' "$VLLM_ARGS" > args.txt\nsleep 60\n`,
      name: 'exp 1; rm -rf /',
      queue: 'gpu',
      select: '1:ncpus=64:ngpus=8:mem=500gb',
      walltime: 3600,
      vars: { VSWEEP_TIME_SCALE: '0.01', VLLM_ARGS: args },
    });
    assert.match(jobId, /^\d+\.pbs-sim$/);
    const running = await stateOf(jobId, 'R');
    assert.match(firstExecHost(running.execHost) ?? '', /^hopper-\d\d$/);
    const argsFile = join(t.workDir, 'args.txt');
    await waitFor('args.txt', async () =>
      existsSync(argsFile) && readFileSync(argsFile, 'utf8') !== '' ? true : undefined,
    );
    assert.equal(readFileSync(argsFile, 'utf8'), args);

    assert.deepEqual(await pbs.findByName('exp 1; rm -rf /'), [jobId]);
    const statuses = await pbs.status([jobId, '99999.pbs-sim']);
    assert.equal(statuses.get('99999.pbs-sim'), 'unknown');

    assert.equal(await pbs.delete(jobId), 'deleted');
    const finished = await stateOf(jobId, 'F');
    assert.equal(finished.exitStatus, 271);
    assert.equal(await pbs.delete(jobId), 'already-gone');
    assert.equal(await pbs.delete('99999.pbs-sim'), 'already-gone');
  });

  it('surfaces qsub rejections as JobSubmitRejected', async () => {
    await assert.rejects(
      pbs.submit({ script: 'true\n', name: 'big', select: '1:ncpus=8:ngpus=16', walltime: 60 }),
      (error: unknown) =>
        error instanceof JobSubmitRejected &&
        error.message === 'qsub: Job violates queue and/or server resource limits',
    );
  });
});
