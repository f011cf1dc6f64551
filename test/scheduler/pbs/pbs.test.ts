// PbsScheduler against a fake Transport replaying recorded PBS outputs (reference §1.1-1.8).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobSubmitRejected, SchedulerOutputInvalid, SchedulerUnavailable } from '../../../src/lib/errors';
import { PbsScheduler } from '../../../src/scheduler/pbs/pbs';
import type { ExecOptions, ExecResult, Transport } from '../../../src/transport/types';
import {
  BUILDTEST_JOB_JSON,
  CONSTRUCTED_QSTAT_F,
  PARSL_NO_JOBS_JSON,
  PARSL_NO_JOBS_STDERR,
} from './fixtures';

type Reply = Partial<ExecResult>;

/** Replays replies in order and records each command and its stdin. */
class FakeTransport implements Transport {
  readonly description = 'fake';
  readonly calls: { command: string; stdin?: string }[] = [];
  constructor(private readonly replies: Reply[]) {}
  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    this.calls.push({ command, stdin: options.stdin });
    const reply = this.replies.shift();
    if (!reply) throw new Error(`unexpected command: ${command}`);
    return { stdout: '', stderr: '', code: 0, ...reply };
  }
  async openTunnel(host: string, port: number) {
    return { host, port, close: async () => {} };
  }
  async close() {}
}

const REQUEST = {
  script: '#!/bin/bash\nsleep 1\n',
  name: 'vllm-bench',
  queue: 'gpu',
  select: '1:ncpus=64:ngpus=8:mem=500gb',
  walltime: '02:00:00',
  vars: { MODEL: 'meta-llama/Llama-3.1-8B-Instruct', ARGS: '--tp 8 --max-model-len 8192' },
  outputPath: '/home/alice/runs/out.log',
};
const noSleep = async () => {};

describe('PbsScheduler.submit', () => {
  it('sends the script on stdin and returns the printed id', async () => {
    const transport = new FakeTransport([{ stdout: '1234.pbs-server\n' }]);
    const pbs = new PbsScheduler(transport, { commands: { qsub: '/opt/pbs/bin/qsub' } });
    assert.equal(await pbs.submit(REQUEST), '1234.pbs-server');
    assert.equal(transport.calls[0].stdin, REQUEST.script);
    assert.equal(
      transport.calls[0].command,
      '/opt/pbs/bin/qsub -N vllm-bench -q gpu -l select=1:ncpus=64:ngpus=8:mem=500gb -l walltime=02:00:00 ' +
        '-j oe -o /home/alice/runs/out.log -v MODEL=meta-llama/Llama-3.1-8B-Instruct,ARGS_B64=' +
        Buffer.from(REQUEST.vars.ARGS).toString('base64'),
    );
  });

  it('maps qsub: messages to JobSubmitRejected with the message', async () => {
    const stderr = 'qsub: Job violates queue and/or server resource limits\n';
    const pbs = new PbsScheduler(new FakeTransport([{ stderr, code: 188 }]));
    await assert.rejects(
      pbs.submit(REQUEST),
      (error: unknown) =>
        error instanceof JobSubmitRejected &&
        error.message === 'qsub: Job violates queue and/or server resource limits',
    );
  });

  it('maps 162/171/183 and an unknown outcome to SchedulerUnavailable', async () => {
    for (const code of [162, 171, 183, null]) {
      const pbs = new PbsScheduler(new FakeTransport([{ stderr: 'qsub: System error: \n', code }]));
      await assert.rejects(pbs.submit(REQUEST), SchedulerUnavailable, `code ${code}`);
    }
  });

  it('refuses stdout that is not a job id', async () => {
    const pbs = new PbsScheduler(new FakeTransport([{ stdout: 'Welcome to the cluster!\n1234.pbs\n' }]));
    await assert.rejects(pbs.submit(REQUEST), SchedulerOutputInvalid);
  });
});

describe('PbsScheduler.status', () => {
  it('makes one batched JSON call and maps missing ids to unknown (exit 153 accepted)', async () => {
    const transport = new FakeTransport([
      { stdout: BUILDTEST_JOB_JSON, stderr: 'qstat: Unknown Job Id 41.pbs\n', code: 153 },
    ]);
    const statuses = await new PbsScheduler(transport).status(['40.pbs', '41.pbs']);
    assert.equal(transport.calls.length, 1);
    assert.equal(transport.calls[0].command, 'qstat -x -f -F json 40.pbs 41.pbs');
    const job = statuses.get('40.pbs');
    assert.ok(job !== undefined && job !== 'unknown');
    assert.equal(job.state, 'F');
    assert.equal(job.exitStatus, 0);
    assert.equal(statuses.get('41.pbs'), 'unknown');
  });

  it('accepts a root without Jobs and exit 35', async () => {
    const id = '5487654.polaris-pbs-01.hsn.cm.polaris.alcf.anl.gov';
    const transport = new FakeTransport([
      { stdout: PARSL_NO_JOBS_JSON, stderr: PARSL_NO_JOBS_STDERR, code: 35 },
    ]);
    const statuses = await new PbsScheduler(transport).status([id]);
    assert.equal(statuses.get(id), 'unknown');
  });

  it('matches a bare sequence number to the full id', async () => {
    const statuses = await new PbsScheduler(new FakeTransport([{ stdout: BUILDTEST_JOB_JSON }])).status([
      '40',
    ]);
    const job = statuses.get('40');
    assert.ok(job !== undefined && job !== 'unknown');
    assert.equal(job.id, '40.pbs');
  });

  it('falls back to the text format when the JSON is garbage', async () => {
    const transport = new FakeTransport([
      { stdout: '{"timestamp":1, "Jobs":{"1234.pbs-server":{"job_state":"R",' },
      { stdout: CONSTRUCTED_QSTAT_F },
    ]);
    const statuses = await new PbsScheduler(transport).status(['1234.pbs-server']);
    assert.equal(transport.calls[1].command, 'qstat -x -f 1234.pbs-server');
    const job = statuses.get('1234.pbs-server');
    assert.ok(job !== undefined && job !== 'unknown');
    assert.equal(job.state, 'R');
    assert.equal(job.execHost, 'hopper-46/0*64');
  });

  it('throws instead of reporting when qstat itself failed', async () => {
    const failures: Reply[] = [
      { stderr: 'qstat: cannot connect to server pbs (errno=111)\n', code: 162 },
      { code: null },
      { stdout: BUILDTEST_JOB_JSON, code: 1 },
    ];
    for (const failure of failures) {
      const pbs = new PbsScheduler(new FakeTransport([failure]));
      await assert.rejects(pbs.status(['40.pbs']), SchedulerUnavailable);
    }
  });

  it('throws SchedulerOutputInvalid when neither format parses', async () => {
    const pbs = new PbsScheduler(new FakeTransport([{ stdout: 'garbage' }, { stdout: 'more garbage\n' }]));
    await assert.rejects(pbs.status(['1.s']), SchedulerOutputInvalid);
  });

  it('makes no call for no ids', async () => {
    assert.equal((await new PbsScheduler(new FakeTransport([])).status([])).size, 0);
  });
});

describe('PbsScheduler.delete', () => {
  it('treats 0 as deleted and 153/35 as already gone', async () => {
    const transport = new FakeTransport([
      {},
      { stderr: 'qdel: Unknown Job Id 1.s\n', code: 153 },
      { stderr: 'qdel: Job has finished 1.s\n', code: 35 },
    ]);
    const pbs = new PbsScheduler(transport);
    assert.equal(await pbs.delete('1.s'), 'deleted');
    assert.equal(await pbs.delete('1.s'), 'already-gone');
    assert.equal(await pbs.delete('1.s'), 'already-gone');
    assert.equal(transport.calls[0].command, 'qdel 1.s');
  });

  it('retries 168 and then forces', async () => {
    const wrongState = { stderr: 'qdel: Request invalid for state of job 1.s\n', code: 168 };
    const transport = new FakeTransport([wrongState, wrongState, {}]);
    const pbs = new PbsScheduler(transport, { deleteAttempts: 2, sleep: noSleep });
    assert.equal(await pbs.delete('1.s'), 'deleted');
    assert.deepEqual(
      transport.calls.map((c) => c.command),
      ['qdel 1.s', 'qdel 1.s', 'qdel -W force 1.s'],
    );
  });

  it('stops retrying once the job is gone', async () => {
    const transport = new FakeTransport([{ code: 168 }, { code: 35 }]);
    assert.equal(await new PbsScheduler(transport, { sleep: noSleep }).delete('1.s'), 'already-gone');
    assert.equal(transport.calls.length, 2);
  });

  it('throws SchedulerUnavailable on other failures', async () => {
    const pbs = new PbsScheduler(
      new FakeTransport([{ stderr: 'qdel: Unauthorized Request  1.s\n', code: 159 }]),
    );
    await assert.rejects(pbs.delete('1.s'), SchedulerUnavailable);
  });
});

describe('PbsScheduler.findByName', () => {
  it('runs qselect with the sanitised name and returns the ids', async () => {
    const transport = new FakeTransport([{ stdout: '1234.pbs-server\n1240.pbs-server\n' }]);
    const ids = await new PbsScheduler(transport).findByName('exp 7; rm -rf', { user: 'alice' });
    assert.deepEqual(ids, ['1234.pbs-server', '1240.pbs-server']);
    assert.equal(transport.calls[0].command, 'qselect -N exp_7__rm_-rf -x -u alice');
  });

  it('rejects output that is not job ids', async () => {
    const pbs = new PbsScheduler(new FakeTransport([{ stdout: 'qselect: something\n' }]));
    await assert.rejects(pbs.findByName('a'), SchedulerOutputInvalid);
  });
});
