// Idempotent submission against the simulated PBS server: adopt, never submit twice.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { jobActivities } from '../../src/activities/job';
import { JobPoller } from '../../src/activities/job-poller';
import { PbsScheduler } from '../../src/scheduler/pbs/pbs';
import type { ExecOptions, ExecResult, Transport } from '../../src/transport/types';
import type { SubmitJobInput } from '../../src/workflows/types';
import { exampleSpec } from '../helpers/spec';
import { startTestSim, type TestSim } from '../sim/pbs/helpers';

/** Runs every command, but reports qsub's outcome as lost (the SSH link died before the exit status). */
class LosesQsubOutcome implements Transport {
  readonly description = 'lossy';
  constructor(private readonly inner: Transport) {}
  async exec(command: string, options?: ExecOptions): Promise<ExecResult> {
    const result = await this.inner.exec(command, options);
    return command.startsWith('qsub ') ? { stdout: '', stderr: '', code: null } : result;
  }
  openTunnel(host: string, port: number) {
    return this.inner.openTunnel(host, port);
  }
  close() {
    return this.inner.close();
  }
}

describe('job submission', () => {
  let t: TestSim;
  const cluster = exampleSpec().cluster;
  const input = (runId: string): SubmitJobInput => ({
    sweepId: 's',
    cluster,
    configKey: 'k',
    jobName: `vs-${runId}`,
    runId,
    script: 'sleep 30\n',
    timeScale: 0.01,
  });
  const activities = (transport: Transport) =>
    jobActivities({
      transportFor: () => transport,
      schedulerFor: () => new PbsScheduler(transport),
      jobStatus: () => Promise.resolve('unknown'),
      workflowState: () => Promise.resolve('unknown'),
      resultsDir: '/nonexistent',
      logger: pino({ level: 'silent' }),
    });
  const jobsNamed = async (name: string) =>
    (await t.shell.exec(`qselect -x -N ${name}`)).stdout.split(/\s+/).filter(Boolean);

  before(async () => {
    t = await startTestSim();
  });
  after(async () => {
    await t.shell.exec('qdel $(qselect) 2>/dev/null; true');
    await t.close();
  });

  it('adopts the job an earlier attempt queued instead of submitting again', async () => {
    const acts = activities(t.shell);
    const first = await acts.submitJob(input('r1'));
    const retry = await acts.submitJob(input('r1'));
    assert.equal(first.adopted, false);
    assert.deepEqual(retry, { jobId: first.jobId, adopted: true });
    assert.deepEqual(await jobsNamed('vs-r1'), [first.jobId]);
  });

  it('resolves an unknown qsub outcome by looking, not by submitting again', async () => {
    const acts = activities(new LosesQsubOutcome(t.shell));
    const result = await acts.submitJob(input('r2'));
    assert.equal(result.adopted, true);
    assert.deepEqual(await jobsNamed('vs-r2'), [result.jobId]);
  });

  it('does not adopt a job of another run that shares the name', async () => {
    const acts = activities(t.shell);
    const mine = await acts.submitJob(input('r3'));
    const other = await acts.submitJob({ ...input('r3'), runId: 'someone-else' });
    assert.notEqual(other.jobId, mine.jobId);
    assert.equal(other.adopted, false);
  });
});

describe('job poller', () => {
  it('serves many waiting jobs with one batched qstat and never moves a job backward', async () => {
    const calls: string[][] = [];
    let state = 'R';
    const scheduler = {
      status: async (ids: readonly string[]) => {
        calls.push([...ids]);
        return new Map(ids.map((id) => [id, { id, state, variables: {} } as never]));
      },
    } as unknown as PbsScheduler;
    let nowMs = 0;
    const poller = new JobPoller(scheduler, () => nowMs);
    await poller.status('1.pbs', 1000);
    const [a, b] = await Promise.all([poller.status('1.pbs', 0), poller.status('2.pbs', 0)]);
    assert.ok(a !== 'unknown' && b !== 'unknown');
    assert.deepEqual(calls.at(-1)?.sort(), ['1.pbs', '2.pbs'], 'the batch holds every watched job');
    assert.ok(calls.length <= 3);
    nowMs += 500;
    const cached = calls.length;
    await poller.status('2.pbs', 1000);
    assert.equal(calls.length, cached, 'a fresh enough answer costs no qstat');
    state = 'Q'; // a stale or reordered observation
    nowMs += 5000;
    const job = await poller.status('1.pbs', 1000);
    assert.equal(job !== 'unknown' && job.state, 'R');
  });
});
