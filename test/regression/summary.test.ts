import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { baselinesFromStore, regressionSummary, slackPayload } from '../../src/regression';
import { holmCorrect, METRICS, summaryOptionsOf } from '../../src/regression/summary';
import { regressionSchema } from '../../src/spec/schema';
import { openStore, type ResultsStore } from '../../src/store';
import { sweepResult } from '../helpers/sweep-result';

describe('regression summary', () => {
  let store: ResultsStore;
  before(() => {
    store = openStore(':memory:');
    for (const [i, tps] of [10, 10.2, 9.9, 10.1].entries()) {
      store.recordSweep(sweepResult({ sweepId: `n${i}`, tps, startedAt: `2026-11-0${i + 1}T02:00:00Z` }));
    }
  });
  after(() => store.close());

  it('flags the slowed config, the failed one, and leaves steady metrics alone', () => {
    // Tonight: 1A is 20% slower and 2B failed to load.
    const tonight = sweepResult({ sweepId: 'n4', tps: 8, startedAt: '2026-11-05T02:00:00Z', failB: true });
    const summary = regressionSummary(tonight, baselinesFromStore(store, { lastN: 3, excludeSweepId: 'n4' }));
    assert.deepEqual(summary.counts, {
      regression: 2,
      improvement: 0,
      'no-change': 0,
      'insufficient-data': 0,
      failed: 2,
    });
    const a8k = summary.rows.find((r) => r.experimentId === '1A' && r.dataset === '8k')!;
    assert.equal(a8k.verdict, 'regression');
    assert.equal(a8k.metrics!.tokensPerSec.verdict, 'regression');
    assert.equal(a8k.metrics!.latencySec.verdict, 'regression');
    assert.equal(a8k.metrics!.ttftSec.verdict, 'no-change');
    assert.equal(a8k.metrics!.tokensPerSec.baselineRuns, 3);
    assert.equal(a8k.config, 'EP=on');
    const b8k = summary.rows.find((r) => r.experimentId === '2B' && r.dataset === '8k')!;
    assert.equal(b8k.verdict, 'failed');
    assert.match(b8k.reason!, /not ready/);
  });

  it("the spec's thresholds: a 20% drop passes under a 30% minimum, and a per-metric one wins", () => {
    // As in the first test (2B failed, so 6 tests share Holm's alpha): TPS -20%, latency +25%.
    const tonight = sweepResult({ sweepId: 'n6', tps: 8, startedAt: '2026-11-05T02:00:00Z', failB: true });
    const baselines = baselinesFromStore(store, { lastN: 3, excludeSweepId: 'n6' });
    const a8k = (options: Parameters<typeof regressionSummary>[2]) =>
      regressionSummary(tonight, baselines, options).rows.find(
        (r) => r.experimentId === '1A' && r.dataset === '8k',
      )!;
    const lenient = a8k(summaryOptionsOf(regressionSchema.parse({ minChangePct: 30 })));
    assert.equal(lenient.verdict, 'no-change');
    assert.equal(lenient.metrics!.tokensPerSec.verdict, 'no-change');
    // TPS is watched closely; latency (26% worse) is left to the general 30%.
    const tps = a8k(
      summaryOptionsOf(regressionSchema.parse({ minChangePct: 30, metrics: { tokensPerSec: 3 } })),
    );
    assert.deepEqual(
      [tps.verdict, tps.metrics!.tokensPerSec.verdict, tps.metrics!.latencySec.verdict],
      ['regression', 'regression', 'no-change'],
    );
    // A sweep started before specs had the section: the defaults (5%, alpha 0.05).
    assert.equal(a8k(summaryOptionsOf(undefined)).verdict, 'regression');
  });

  it("the spec's per-metric thresholds name exactly the metrics judged", () => {
    assert.deepEqual(
      Object.keys(regressionSchema.shape.metrics.unwrap().shape).sort(),
      Object.keys(METRICS).sort(),
    );
  });

  it('a first-ever sweep has insufficient data everywhere', () => {
    const first = sweepResult({ sweepId: 'other-1', specName: 'new-spec' });
    const summary = regressionSummary(
      first,
      baselinesFromStore(store, { lastN: 3, excludeSweepId: 'other-1' }),
    );
    assert.equal(summary.counts['insufficient-data'], 4);
  });

  it('slackPayload lists flagged rows first, escapes markup and stays within Slack limits', () => {
    const tonight = sweepResult({ sweepId: 'n5', tps: 8, failB: true });
    tonight.configs[1]!.rows[0]!.reason = 'OOM <at> rank 0 & 1';
    const summary = regressionSummary(tonight, baselinesFromStore(store, { lastN: 3, excludeSweepId: 'n5' }));
    const payload = slackPayload(summary);
    assert.match(payload.text, /2 regression\(s\), 2 failed/);
    const sections = payload.blocks
      .filter((b) => b.type === 'section')
      .map((b) => (b.type === 'section' ? b.text.text : ''));
    assert.match(sections[1]!, /:red_circle: \*1A \/ 8k\*/);
    assert.match(sections[1]!, /TPS: 10\.1 → 8\.00 \(-20\.5%, p=0\.0072, 3 baseline runs/);
    assert.ok(sections.some((s) => s.includes('OOM &lt;at&gt; rank 0 &amp; 1')));
    assert.ok(!sections.some((s) => s.includes('<at>')));

    // Hundreds of failing rows still make a message Slack accepts.
    const many = { ...summary, rows: Array.from({ length: 300 }, () => summary.rows[2]!) };
    const big = slackPayload(many);
    assert.ok(big.blocks.length <= 50);
    assert.ok(big.blocks.some((b) => b.type === 'context' && b.elements[0]!.text.includes('260 more rows')));
  });
});

describe('family-wise correction', () => {
  it('drops a borderline flag among many tests and keeps a clear one (Holm)', () => {
    const cmp = (pValue: number, verdict: 'regression' | 'no-change') => ({
      verdict,
      changePct: verdict === 'regression' ? -10 : 0,
      pValue,
      test: 'prediction-t' as const,
      currentMean: 1,
      baselineMean: 1,
      baselineRuns: 3,
    });
    const rows = [
      {
        experimentId: 'a',
        configKey: 'a',
        config: '',
        dataset: 'd',
        verdict: 'regression' as const,
        metrics: {
          tokensPerSec: cmp(0.001, 'regression'),
          latencySec: cmp(0.5, 'no-change'),
          ttftSec: cmp(0.6, 'no-change'),
        },
      },
      {
        experimentId: 'b',
        configKey: 'b',
        config: '',
        dataset: 'd',
        verdict: 'regression' as const,
        metrics: {
          tokensPerSec: cmp(0.7, 'no-change'),
          latencySec: cmp(0.8, 'no-change'),
          ttftSec: cmp(0.03, 'regression'),
        },
      },
    ];
    holmCorrect(rows, 0.05);
    assert.equal(rows[0].verdict, 'regression', 'p = 0.001 < 0.05 / 6 survives');
    assert.equal(rows[1].verdict, 'no-change', 'p = 0.03 > 0.05 / 5 does not');
    assert.equal(rows[1].metrics.ttftSec.verdict, 'no-change');
  });
});
