// A nightly schedule against the simulator: three triggered runs build a baseline, then one config's
// decode rate drops by 10% and the fourth run flags exactly that config, by webhook and by exit code.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { createNightlySchedule, getNightlyResult, listSchedules, triggerSchedule } from '../../src/client';
import { projectRoot } from '../../src/lib/paths';
import type { SlackPayload } from '../../src/regression';
import type { NightlyResult } from '../../src/workflows/nightly';
import { startStack, type Stack } from '../helpers/stack';

const WEBHOOK_ENV = 'VSWEEP_TEST_NIGHTLY_WEBHOOK';

/** Every payload's bytes in a history, as text: what a person could read from it. */
function payloadText(value: unknown, out: string[] = []): string[] {
  if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (value && typeof value === 'object') for (const v of Object.values(value)) payloadText(v, out);
  else if (typeof value === 'string') out.push(value);
  return out;
}

describe('nightly regression schedule', { timeout: 150_000 }, () => {
  let stack: Stack;
  let webhook: Server;
  let webhookUrl: string;
  const received: SlackPayload[] = [];

  before(async () => {
    webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        received.push(JSON.parse(body) as SlackPayload);
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/services/T000/B000/secret-token`;
    stack = await startStack({ workerEnv: { [WEBHOOK_ENV]: webhookUrl } });
    await stack.startWorker();
  });

  after(async () => {
    await stack?.close();
    await new Promise((resolve) => webhook?.close(resolve));
  });

  it('flags exactly the config slowed by 10%, posts the summary and exits 3', async () => {
    // Three eager configs, four 8k prompts with 256 output tokens each, 20x faster than real time:
    // long enough requests that a 10% slower decode stands well above run-to-run noise.
    const samples = JSON.parse(
      readFileSync(join(projectRoot(), 'examples', 'datasets', 'dataset_8k.json'), 'utf8'),
    ) as { max_tokens?: string }[];
    const dataset = join(stack.dir, 'nightly-8k.json');
    const four = [...samples, { ...samples[0], id: '8k_4' }];
    writeFileSync(dataset, JSON.stringify(four.map((s) => ({ ...s, max_tokens: 256 }))));
    const spec = stack.spec((raw) => {
      raw.name = 'nightly-sim';
      raw.timeScale = 0.05;
      raw.datasets = { '8k': { path: dataset, format: 'json', maxTokens: 256 } };
      raw.experiments = [
        { id: '1A', description: 'Baseline', flags: {}, datasets: ['8k'] },
        { id: '3A', description: 'Short context', flags: { 'max-model-len': 8192 }, datasets: ['8k'] },
        { id: '3C', description: 'Long context', flags: { 'max-model-len': 65536 }, datasets: ['8k'] },
      ];
    });
    const scheduleId = await createNightlySchedule(stack.client, spec, {
      cron: '0 2 * * *',
      baseline: { lastN: 3 },
      webhookEnv: WEBHOOK_ENV,
      taskQueue: stack.taskQueue,
    });
    const listed = await listSchedules(stack.client);
    assert.deepEqual(
      listed.filter((s) => s.scheduleId === scheduleId).map((s) => [s.cron, s.workflowType, s.paused]),
      [[['0 2 * * *'], 'nightlyWorkflow', false]],
    );

    const runs: NightlyResult[] = [];
    const night = async () => {
      const workflowId = await triggerSchedule(stack.client, scheduleId);
      runs.push(await getNightlyResult(stack.client, workflowId));
      return { workflowId, result: runs.at(-1)! };
    };
    for (let i = 0; i < 3; i++) await night();
    assert.equal(runs[0]!.summary.counts['insufficient-data'], 3, 'the first night has no baseline');

    stack.sim.setJobEnv({ VSWEEP_SIM_SLOWDOWN: 'max-model-len=8192:0.9' });
    const { workflowId, result } = await night();

    const verdicts = Object.fromEntries(result.summary.rows.map((r) => [r.experimentId, r.verdict]));
    const detail = JSON.stringify(
      result.summary.rows.map((r) => ({
        id: r.experimentId,
        verdict: r.verdict,
        metrics: Object.fromEntries(
          Object.entries(r.metrics ?? {}).map(([k, m]) => [
            k,
            [m.changePct.toFixed(2), m.pValue.toPrecision(2)],
          ]),
        ),
      })),
    );
    assert.equal(verdicts['3A'], 'regression', detail);
    assert.notEqual(verdicts['1A'], 'regression', detail);
    assert.notEqual(verdicts['3C'], 'regression', detail);
    assert.equal(result.summary.counts.regression, 1, detail);
    const tps = result.summary.rows.find((r) => r.experimentId === '3A')!.metrics!.tokensPerSec;
    assert.ok(tps.changePct < -7 && tps.changePct > -13, `3A TPS change ${tps.changePct}% (expected ~-10%)`);
    assert.equal(tps.baselineRuns, 3);
    console.log(`nightly: ${detail}`);

    // The webhook got one message per night with a URL set; the last names 3A as the regression.
    assert.equal(result.webhook, 'posted');
    assert.equal(received.length, 4);
    const last = received.at(-1)!;
    assert.match(last.text, /1 regression\(s\)/);
    const flagged = last.blocks.filter((b) => b.type === 'section' && b.text.text.includes(':red_circle:'));
    assert.equal(flagged.length, 1);
    assert.match(JSON.stringify(flagged), /3A/);

    // The URL is a secret: it appears in no workflow's history.
    for (const id of [workflowId, result.sweepId]) {
      const history = await stack.client.workflow.getHandle(id).fetchHistory();
      const text = payloadText(history).join('\n');
      assert.ok(!text.includes('secret-token'), `${id}'s history holds the webhook URL`);
      assert.ok(text.includes(WEBHOOK_ENV) || id === result.sweepId);
    }

    // `vsweep regressions` reads the same store and says so with exit code 3.
    const cli = join(projectRoot(), 'dist', 'src', 'cli', 'main.js');
    const run = await promisify(execFile)(
      process.execPath,
      [
        cli,
        '--address',
        stack.server.address,
        'regressions',
        result.sweepId,
        '--baseline-last',
        '3',
        '--json',
      ],
      { env: { ...process.env, VSWEEP_HOME: stack.dir } },
    ).then(
      () => ({ code: 0, stdout: '' }),
      (err: { code: number; stdout: string }) => err,
    );
    assert.equal(run.code, 3);
    const cliSummary = JSON.parse(run.stdout) as NightlyResult['summary'];
    assert.deepEqual(
      cliSummary.rows.map((r) => [r.experimentId, r.verdict]),
      result.summary.rows.map((r) => [r.experimentId, r.verdict]),
    );
    await stack.client.schedule.getHandle(scheduleId).delete();
  });
});
