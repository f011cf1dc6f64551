import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeConfig, renderMarkdown, summarizeSamples } from '../../src/report/markdown';
import type { SampleResult, SweepResult } from '../../src/workflows/types';

const sample = (id: string, latencySec: number, ok = true): SampleResult => ({
  sampleId: id,
  promptTokens: 6101,
  completionTokens: 512,
  ttftSec: 0.5,
  latencySec,
  tokensPerSec: 512 / latencySec,
  ok,
});

const timeout = {
  totalSec: 232.5,
  loadSec: 232.5,
  compileSec: 0,
  explanation: 'load 155 s x1.5 margin, eager (no compile)',
};

const result: SweepResult = {
  sweepId: 'sim-1',
  specName: 'sim',
  model: 'zai-org/GLM-4.6',
  cluster: 'sim',
  timeScale: 0.01,
  varyingFlags: ['enable-expert-parallel', 'enforce-eager', 'max-model-len'],
  descriptions: { '1A': 'Baseline', '2B': 'No expert parallelism' },
  startedAt: 'a',
  finishedAt: 'b',
  configs: [
    {
      configKey: '1A-x',
      label: '1A',
      flags: { 'enable-expert-parallel': true, 'enforce-eager': true, 'max-model-len': 32768 },
      outcome: 'ok',
      host: 'hopper-46',
      port: 8000,
      loadTimeout: timeout,
      rows: [
        {
          experimentId: '1A',
          dataset: '8k',
          outcome: 'ok',
          run: {
            dataset: '8k',
            recordsFile: '/r.jsonl',
            samples: [sample('8k_1', 59.86), sample('8k_2', 58.55), sample('8k_3', 58.32)],
          },
        },
      ],
    },
    {
      configKey: '2B-x',
      label: '2B',
      flags: { 'enforce-eager': true, 'max-model-len': 32768 },
      outcome: 'failed',
      failedStage: 'load',
      startupStage: 'loading-weights',
      reason: 'server not ready within 300 s',
      loadTimeout: timeout,
      rows: [
        {
          experimentId: '2B',
          dataset: '8k',
          outcome: 'failed',
          failedStage: 'load',
          startupStage: 'loading-weights',
          reason: 'server not ready within 300 s',
        },
      ],
    },
  ],
};

describe('markdown report', () => {
  it('describes configs the way the seed did', () => {
    assert.equal(
      describeConfig(
        { 'enforce-eager': true, 'enable-expert-parallel': true, 'max-model-len': 65536 },
        result.varyingFlags,
      ),
      'enforce-eager=yes, EP=on, len=65k',
    );
  });

  it('averages only successful samples', () => {
    const s = summarizeSamples([sample('a', 50), sample('b', 1000, false)]);
    assert.equal(s.latencySec, 50);
  });

  it("renders the seed's summary row and the failing stage", () => {
    const md = renderMarkdown(result);
    const tps = ((512 / 59.86 + 512 / 58.55 + 512 / 58.32) / 3).toFixed(2);
    assert.ok(
      md.includes(
        `| 1A | enforce-eager=yes, EP=on, len=32k | 8k | **${tps}** | 58.9 | 0.50 | ✅ | Baseline |`,
      ),
      md,
    );
    assert.ok(
      md.includes(
        '| 2B | enforce-eager=yes, EP=off, len=32k | 8k | - | - | - | ❌ failed (load: loading-weights) | No expert parallelism; server not ready within 300 s |',
      ),
    );
    assert.match(md, /\| 8k_1 \| 6101 \| 512 \| 0\.50 \| 59\.86 \| 8\.55 \|/);
    assert.match(md, /simulated seconds/);
    // At the demo's scale the report says what its ITL figures can and cannot show.
    assert.match(md, /One wall-clock ms is 100 simulated ms here, so chunk gaps \(ITL\) carry/);
    assert.doesNotMatch(renderMarkdown({ ...result, timeScale: 0.3 }), /One wall-clock ms/);
    assert.doesNotMatch(renderMarkdown({ ...result, timeScale: 1 }), /simulated seconds/);
  });
});
