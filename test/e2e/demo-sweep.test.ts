// The demo sweep end to end on the real stack: Temporal from source, the simulated PBS cluster over
// SSH, the simulated vLLM servers. Checked from outside with the stock OpenSSH client and qstat.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { getSweepResult, startSweep } from '../../src/client';
import { applyOverrides } from '../../src/cli/overrides';
import { renderMarkdown } from '../../src/report/markdown';
import type { SweepResult } from '../../src/workflows/types';
import { startStack, type Stack } from '../helpers/stack';

interface QstatJson {
  Jobs?: Record<string, { Job_Name: string; job_state: string; Variable_List?: Record<string, string> }>;
}

/** The cluster as a person would look at it: `ssh -F <sim config> vsweep-sim qstat -x -f -F json`.
 * Asynchronous: the simulator's SSH server runs in this process and must keep answering. */
async function qstatViaOpenSsh(stack: Stack): Promise<QstatJson> {
  const { stdout } = await promisify(execFile)('ssh', [
    '-F',
    stack.sim.sshConfigFile,
    'vsweep-sim',
    'qstat -x -f -F json',
  ]);
  return JSON.parse(stdout) as QstatJson;
}

function rows(result: SweepResult) {
  return result.configs.flatMap((c) => c.rows.map((r) => ({ ...r, config: c })));
}

describe('demo sweep on the simulated cluster', { timeout: 300_000 }, () => {
  let stack: Stack;
  let adaptive: SweepResult;
  let fixed: SweepResult;

  before(async () => {
    stack = await startStack();
    await stack.startWorker();
    const spec = stack.spec();
    // Both sweeps at once: the adaptive default and the seed's fixed 300 s startup timeout.
    const [a, f] = await Promise.all([
      startSweep(stack.client, spec, { taskQueue: stack.taskQueue }),
      startSweep(stack.client, applyOverrides(spec, { fixedLoadTimeout: '300' }), {
        taskQueue: stack.taskQueue,
      }),
    ]);
    [adaptive, fixed] = await Promise.all([getSweepResult(stack.client, a), getSweepResult(stack.client, f)]);
  });

  after(async () => {
    await stack?.close();
  });

  it("completes all six of the seed's rows under the adaptive timeouts", () => {
    const all = rows(adaptive);
    assert.deepEqual(
      all.map((r) => `${r.experimentId}/${r.dataset}`),
      ['1A/8k', '1B/8k', '3A/8k', '3C/8k', '3C/64k', '2B/8k'],
    );
    for (const row of all) {
      assert.equal(row.outcome, 'ok', `${row.experimentId}/${row.dataset}: ${row.reason ?? ''}`);
      const samples = row.run?.samples ?? [];
      assert.equal(samples.length, row.dataset === '8k' ? 3 : 2);
      for (const s of samples) {
        assert.equal(s.completionTokens, 512);
        // Simulated seconds, not real ones: a mix-up would be off by x100. (Single samples can stall
        // when other test files load both cores: at time scale 0.01 a 0.5 s stall is 50 simulated s.)
        assert.ok(s.tokensPerSec > 1 && s.tokensPerSec < 20, `${s.sampleId}: ${s.tokensPerSec} tokens/s`);
      }
    }
    // The seed's ~8.7 generated tokens/s per request, with the cold first request kept out by the warmup.
    const tps = all.flatMap((r) => r.run?.samples.map((s) => s.tokensPerSec) ?? []).sort((a, b) => a - b);
    const median = tps[Math.floor(tps.length / 2)];
    assert.ok(median > 7.5 && median < 9.5, `median ${median} tokens/s`);
    const prompts = all.find((r) => r.dataset === '64k')?.run?.samples.map((s) => s.promptTokens);
    assert.deepEqual(prompts, [47490, 47490]);
  });

  it("fails 2B in the load stage and 1B in torch.compile under the seed's fixed timeout", () => {
    const byId = new Map(rows(fixed).map((r) => [`${r.experimentId}/${r.dataset}`, r]));
    const twoB = byId.get('2B/8k')!;
    assert.equal(twoB.outcome, 'failed');
    assert.equal(twoB.failedStage, 'load');
    assert.equal(twoB.startupStage, 'loading-weights');
    const oneB = byId.get('1B/8k')!;
    assert.equal(oneB.outcome, 'failed');
    assert.equal(oneB.failedStage, 'load');
    assert.equal(oneB.startupStage, 'torch-compile');
    for (const id of ['1A/8k', '3A/8k', '3C/8k', '3C/64k']) assert.equal(byId.get(id)?.outcome, 'ok', id);
    const md = renderMarkdown(fixed);
    assert.match(
      md,
      /\| 2B \| enforce-eager=yes, EP=off, len=32k \| 8k \| - \| - \| - \| ❌ failed \(load: loading-weights\)/,
    );
    assert.match(
      md,
      /\| 1B \| enforce-eager=no, EP=on, len=32k \| 8k \| - \| - \| - \| ❌ failed \(load: torch-compile\)/,
    );
  });

  it('submitted exactly one PBS job per server configuration and left none queued or running', async () => {
    const jobs = Object.values((await qstatViaOpenSsh(stack)).Jobs ?? {});
    for (const result of [adaptive, fixed]) {
      const mine = jobs.filter((j) => j.Variable_List?.VSWEEP_RUN_ID?.startsWith(`${result.sweepId}.`));
      assert.equal(mine.length, result.configs.length, `${result.sweepId}: one job per server config`);
      const runIds = new Set(mine.map((j) => j.Variable_List?.VSWEEP_RUN_ID));
      assert.equal(runIds.size, result.configs.length, 'no configuration was submitted twice');
    }
    const live = jobs.filter((j) => j.job_state === 'R' || j.job_state === 'Q');
    assert.deepEqual(live, [], 'no job left in R or Q');
  });
});
