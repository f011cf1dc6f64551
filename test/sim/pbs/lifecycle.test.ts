// The simulated job lifecycle with real processes: Q -> R -> E -> F, qdel, kill_delay, walltime, staging.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FAST, startTestSim, waitFor, waitForState, type TestSim } from './helpers';

const GPU_JOB = `-l select=1:ncpus=64:ngpus=8:mem=500gb -l walltime=02:00:00 -j oe -v ${FAST}`;

describe('simulated PBS lifecycle (one node)', () => {
  let t: TestSim;
  before(async () => {
    t = await startTestSim({ nodes: ['hopper-46'] });
  });
  after(async () => {
    await t.close();
  });

  it('queues, runs, and qdel terminates with Exit_status 271', async () => {
    const script =
      'echo "$PBS_JOBID $PBS_JOBNAME $VSWEEP_SIM_NODE $VSWEEP_SIM_NODE_ADDR $MODEL $PWD" > env.txt\nsleep 60\n';
    const submitA = await t.shell.exec(`qsub -N first ${GPU_JOB},MODEL=llama`, { stdin: script });
    assert.equal(submitA.code, 0);
    assert.match(submitA.stdout, /^\d+\.pbs-sim\n$/);
    assert.equal(submitA.stderr, '');
    const idA = submitA.stdout.trim();
    const runningA = await waitForState(t.shell, idA, 'R');
    assert.equal(runningA.execHost, 'hopper-46/0*64');
    assert.equal(runningA.execVnode, '(hopper-46:ncpus=64:ngpus=8:mem=524288000kb)');
    assert.match(runningA.comment ?? '', /^Job run at \w{3} \w{3} \d\d at \d\d:\d\d on \(hopper-46:ncpus=64/);
    assert.equal(runningA.variables.MODEL, 'llama');
    assert.equal(runningA.variables.PBS_O_WORKDIR, t.workDir);
    assert.equal(runningA.owner, 'alice@login01');
    assert.match(runningA.times.stime ?? '', /^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/);
    const envFile = join(t.workDir, 'env.txt');
    const env = await waitFor('env.txt', async () =>
      existsSync(envFile) ? readFileSync(envFile, 'utf8') : undefined,
    );
    assert.equal(env, `${idA} first hopper-46 127.0.1.46 llama ${t.workDir}\n`);
    assert.equal(t.sim.nodeAddress('hopper-46'), '127.0.1.46');

    // The only node is busy: the second job waits with the scheduler's comment.
    const idB = (await t.shell.exec(`qsub -N second ${GPU_JOB}`, { stdin: 'sleep 60\n' })).stdout.trim();
    const queuedB = await waitFor('the insufficient-resource comment', async () => {
      const job = t.sim.jobs().find((j) => j.id === idB);
      return job?.comment?.startsWith('Not Running') ? job : undefined;
    });
    assert.equal(queuedB.state, 'Q');
    assert.equal(queuedB.comment, 'Not Running: Insufficient amount of resource: ngpus (R: 8 A: 0 T: 8)');
    assert.equal(queuedB.execHost, undefined);

    const qdel = await t.shell.exec(`qdel ${idA}`);
    assert.deepEqual(qdel, { stdout: '', stderr: '', code: 0 });
    const finishedA = await waitForState(t.shell, idA, 'F');
    assert.equal(finishedA.exitStatus, 271);
    assert.match(finishedA.comment ?? '', /\(hopper-46:ncpus=64:ngpus=8:mem=524288000kb\) and terminated$/);
    assert.ok(existsSync(join(t.workDir, `first.o${idA.split('.')[0]}`)), 'output staged to PBS_O_WORKDIR');

    const runningB = await waitForState(t.shell, idB, 'R');
    assert.equal(runningB.execHost, 'hopper-46/0*64');
    assert.equal((await t.shell.exec(`qdel ${idB}`)).code, 0);
    await waitForState(t.shell, idB, 'F');
  });

  it('finishes normally, merges -j oe output, and reports failures', async () => {
    const ok = (
      await t.shell.exec(`qsub -N okjob -v ${FAST} -j oe`, { stdin: 'echo out\necho err >&2\n' })
    ).stdout.trim();
    const bad = (
      await t.shell.exec(`qsub -N badjob -v ${FAST}`, { stdin: 'echo out\necho err >&2\nexit 3\n' })
    ).stdout.trim();
    const okJob = await waitForState(t.shell, ok, 'F');
    assert.equal(okJob.exitStatus, 0);
    assert.match(okJob.comment ?? '', / and finished$/);
    assert.equal(readFileSync(join(t.workDir, `okjob.o${ok.split('.')[0]}`), 'utf8'), 'out\nerr\n');
    const badJob = await waitForState(t.shell, bad, 'F');
    assert.equal(badJob.exitStatus, 3);
    assert.match(badJob.comment ?? '', / and failed$/);
    assert.equal(readFileSync(join(t.workDir, `badjob.o${bad.split('.')[0]}`), 'utf8'), 'out\n');
    assert.equal(readFileSync(join(t.workDir, `badjob.e${bad.split('.')[0]}`), 'utf8'), 'err\n');
  });

  it('waits kill_delay before SIGKILL, refusing a second qdel with 168 meanwhile', async () => {
    // Scale 0.05: kill_delay is 500 ms, long enough to observe E and the 168 reply.
    const script = "trap 'echo got TERM' TERM\nwhile true; do sleep 0.05; done\n";
    const id = (
      await t.shell.exec('qsub -N stubborn -v VSWEEP_TIME_SCALE=0.05', { stdin: script })
    ).stdout.trim();
    await waitForState(t.shell, id, 'R');
    assert.equal((await t.shell.exec(`qdel ${id}`)).code, 0);
    assert.equal(t.sim.jobs().find((j) => j.id === id)?.state, 'E');
    const again = await t.shell.exec(`qdel ${id}`);
    assert.deepEqual(again, {
      stdout: '',
      stderr: `qdel: Request invalid for state of job ${id}\n`,
      code: 168,
    });
    const finished = await waitForState(t.shell, id, 'F');
    assert.equal(finished.exitStatus, 265);
    assert.match(finished.comment ?? '', / and terminated$/);
  });

  it('kills a job that overruns its walltime with Exit_status -29', async () => {
    // walltime 5 s at scale 0.01 is 50 ms of real time.
    const id = (
      await t.shell.exec(`qsub -N slow -l walltime=00:00:05 -v ${FAST}`, { stdin: 'sleep 60\n' })
    ).stdout.trim();
    const finished = await waitForState(t.shell, id, 'F');
    assert.equal(finished.exitStatus, -29);
    assert.match(finished.comment ?? '', / and exceeded resource walltime$/);
  });

  it('simulates a node failure through killJob', async () => {
    const id = (await t.shell.exec(`qsub -N doomed -v ${FAST}`, { stdin: 'sleep 60\n' })).stdout.trim();
    await waitForState(t.shell, id, 'R');
    assert.equal(t.sim.killJob(id, 'node-failure'), true);
    const finished = await waitForState(t.shell, id, 'F');
    assert.equal(finished.exitStatus, 265);
    assert.match(finished.comment ?? '', / and failed$/);
    assert.equal(t.sim.killJob(id, 'node-failure'), false);
  });

  it('deletes a queued job without an Exit_status', async () => {
    const blocker = (await t.shell.exec(`qsub -N blocker ${GPU_JOB}`, { stdin: 'sleep 60\n' })).stdout.trim();
    await waitForState(t.shell, blocker, 'R');
    const queued = (await t.shell.exec(`qsub -N waiting ${GPU_JOB}`, { stdin: 'sleep 60\n' })).stdout.trim();
    assert.equal((await t.shell.exec(`qdel ${queued} ${blocker}`)).code, 0);
    const deleted = await waitForState(t.shell, queued, 'F');
    assert.equal(deleted.exitStatus, undefined);
    assert.equal(deleted.execHost, undefined);
    await waitForState(t.shell, blocker, 'F');
  });
});

describe('simulated PBS without job history', () => {
  it('forgets finished jobs: qstat -x says Unknown Job Id', async () => {
    const t = await startTestSim({ historyEnabled: false, exitingSec: 0 });
    try {
      const id = (await t.shell.exec(`qsub -v ${FAST}`, { stdin: 'true\n' })).stdout.trim();
      const result = await waitFor('the job to be forgotten', async () => {
        const r = await t.shell.exec(`qstat -x ${id}`);
        return r.code === 153 ? r : undefined;
      });
      assert.equal(result.stderr, `qstat: Unknown Job Id ${id}\n`);
      assert.equal(result.stdout, '');
    } finally {
      await t.close();
    }
  });
});
