// Pure pieces of the day-to-day commands: resume selection and merge, overrides, the watch table,
// the simulator's slowdown knob, the regression exit codes and `list`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeSweepLists, regressionExitCode } from '../../src/cli/ops';
import { applyOverrides, applyRegressionOverrides, parseDurationSec } from '../../src/cli/overrides';
import { renderStatusTable } from '../../src/cli/watch';
import type { SweepStatus } from '../../src/client';
import { planSweep } from '../../src/plan/plan';
import type { RegressionSummary } from '../../src/regression';
import { parseServeArgs } from '../../src/sim/vllm/flags';
import { decodeFactorFor, parseSlowdown } from '../../src/sim/vllm/slowdown';
import { ownRows } from '../../src/store';
import { mergeResumed, restrictPlan, resumeNotes, rowsToRerun } from '../../src/workflows/resume';
import type { ConfigResult, SweepResult } from '../../src/workflows/types';
import { exampleSpec } from '../helpers/spec';

const spec = exampleSpec();
const plan = planSweep(spec);
const timeout = { totalSec: 300, loadSec: 300, compileSec: 0, explanation: 'fixed 300 s' };

function previous(): SweepResult {
  const failed: Record<string, [string, string]> = {
    '1B': [
      'torch-compile',
      'server not ready within 300 s (fixed 300 s); startup was in stage torch-compile',
    ],
    '2B': [
      'loading-weights',
      'server not ready within 300 s (fixed 300 s); startup was in stage loading-weights',
    ],
  };
  const configs: ConfigResult[] = plan.configs.map((c) => ({
    configKey: c.key,
    label: c.label,
    flags: c.flags,
    outcome: failed[c.label] ? 'failed' : 'ok',
    loadTimeout: timeout,
    rows: c.experiments.flatMap((e) =>
      e.datasets.map((dataset) =>
        failed[e.id]
          ? {
              experimentId: e.id,
              dataset,
              outcome: 'failed' as const,
              failedStage: 'load' as const,
              startupStage: failed[e.id]![0],
              reason: failed[e.id]![1],
            }
          : { experimentId: e.id, dataset, outcome: 'ok' as const },
      ),
    ),
  }));
  // 3C/64k hit a replay error, not a timeout.
  const threeC = configs.find((c) => c.label === '3C')!;
  threeC.rows[1] = {
    ...threeC.rows[1]!,
    outcome: 'failed',
    failedStage: 'replay',
    reason: '1 request(s) failed',
  };
  return {
    sweepId: 'old',
    specName: spec.name,
    model: spec.server.model,
    cluster: 'sim',
    timeScale: 0.01,
    varyingFlags: plan.varyingFlags,
    descriptions: {},
    startedAt: '',
    finishedAt: '',
    configs,
  };
}

describe('resume', () => {
  it('selects rows not ok, failed ones, or only timeouts', () => {
    assert.deepEqual(rowsToRerun(previous()), ['1B/8k', '3C/64k', '2B/8k']);
    assert.deepEqual(rowsToRerun(previous(), 'timeout'), ['1B/8k', '2B/8k']);
  });

  it('runs only the selected rows, keeping config keys and labels', () => {
    const run = restrictPlan(plan.configs, new Set(['3C/64k', '2B/8k']));
    assert.deepEqual(
      run.map((c) => [c.label, c.experiments.map((e) => e.datasets)]),
      [
        ['3C', [['64k']]],
        ['2B', [['8k']]],
      ],
    );
    assert.deepEqual(
      run.map((c) => c.key),
      plan.configs.filter((c) => ['3C', '2B'].includes(c.label)).map((c) => c.key),
    );
  });

  it('merges re-run rows (with what they were) and reused rows in plan order', () => {
    const old = previous();
    const threeC = plan.configs.find((c) => c.label === '3C')!;
    const fresh = new Map<string, ConfigResult>([
      [
        threeC.key,
        {
          configKey: threeC.key,
          label: '3C',
          flags: threeC.flags,
          outcome: 'ok',
          loadTimeout: timeout,
          jobId: '7.pbs-sim',
          rows: [{ experimentId: '3C', dataset: '64k', outcome: 'ok' }],
        },
      ],
    ]);
    const merged = mergeResumed(plan.configs, fresh, { fromSweepId: 'old', previous: old, only: ['3C/64k'] });
    const c3 = merged.find((c) => c.label === '3C')!;
    assert.equal(c3.outcome, 'ok');
    assert.equal(c3.jobId, '7.pbs-sim');
    assert.deepEqual(
      c3.rows.map((r) => [r.dataset, r.outcome, r.reusedFrom, r.resumedFrom?.outcome]),
      [
        ['8k', 'ok', 'old', undefined],
        ['64k', 'ok', undefined, 'failed'],
      ],
    );
    assert.equal(merged.find((c) => c.label === '1B')!.rows[0]!.reusedFrom, 'old');
    assert.deepEqual(resumeNotes(merged), { '3C': 'resumed 64k: was failed (replay) in old' });
    // Only the rows the sweep ran are its own in the store.
    const own = ownRows({ ...old, configs: merged });
    assert.deepEqual(
      own.configs.map((c) => c.rows.map((r) => `${r.experimentId}/${r.dataset}`)),
      [['3C/64k']],
    );
  });
});

describe('overrides', () => {
  it('reads durations and sets a fixed load timeout', () => {
    assert.equal(parseDurationSec('40m', '--load-timeout'), 2400);
    assert.equal(parseDurationSec('1.5h', '--load-timeout'), 5400);
    assert.equal(parseDurationSec('90', '--load-timeout'), 90);
    assert.throws(() => parseDurationSec('forty', '--load-timeout'), /positive duration/);
    const load = applyOverrides(spec, { loadTimeout: '40m' }).timeouts.load;
    assert.deepEqual([load.policy, load.fixedSec], ['fixed', 2400]);
    assert.throws(() => applyOverrides(spec, { loadTimeout: '1m', fixedLoadTimeout: '60' }), /not both/);
  });
});

describe('watch table', () => {
  it('shows stage, time against timeout in spec seconds, phase, samples, job and host', () => {
    const status = {
      sweepId: 's1',
      status: 'RUNNING',
      progress: { sweepId: 's1', specName: 'x', timeScale: 0.01, configs: [], done: false },
      configs: [
        {
          configKey: 'k',
          label: '2B',
          workflowId: 'w',
          stage: 'load',
          stageStartedAtMs: 1000,
          stageTimeoutSec: 4.65,
          samplesDone: 0,
          samplesTotal: 1,
          jobId: '12.pbs-sim',
          host: 'hopper-31',
          activity: { stage: 'loading-weights', progress: '40/93' },
        },
      ],
    } as SweepStatus;
    const table = renderStatusTable(status, 1000 + 1200);
    assert.match(table, /^s1: RUNNING\n/);
    assert.match(
      table,
      /2B\s+load\s+120 s \/ 465 s\s+loading-weights 40\/93\s+0\/1\s+12\.pbs-sim\s+hopper-31/,
    );
  });
});

describe('simulator slowdown', () => {
  it('matches flags in any spelling and multiplies matching factors', () => {
    const config = parseServeArgs(['m', '--max-model-len', '8192', '--enforce-eager']).config;
    assert.equal(decodeFactorFor(parseSlowdown('max-model-len=8192:0.9'), config), 0.9);
    assert.equal(decodeFactorFor(parseSlowdown('max-model-len=65536:0.9'), config), 1);
    assert.equal(
      decodeFactorFor(parseSlowdown('enforce-eager:0.5;max-model-len=8192,enforce-eager:0.9'), config),
      0.45,
    );
    assert.throws(() => parseSlowdown('max-model-len=8192'), /factor/);
  });
});

describe('regression exit codes', () => {
  const summary = (counts: Partial<RegressionSummary['counts']>) =>
    ({
      counts: { regression: 0, improvement: 0, 'no-change': 0, 'insufficient-data': 0, failed: 0, ...counts },
    }) as RegressionSummary;
  it('is 0 when clean, 3 on a regression, 4 on failed rows without one', () => {
    assert.equal(regressionExitCode(summary({ 'no-change': 3, improvement: 1 })), 0);
    assert.equal(regressionExitCode(summary({ regression: 1, failed: 1 })), 3);
    assert.equal(regressionExitCode(summary({ failed: 1 })), 4);
  });
});

describe('vsweep list', () => {
  it("shows Temporal's sweeps and, past its retention, the store's; newest first, limited", () => {
    const stored = (id: string, startedAt: string) => ({
      id,
      specName: 'glm46',
      model: 'm',
      cluster: 'sim',
      timeScale: 1,
      startedAt,
      status: 'completed' as const,
      recordedAt: startedAt,
    });
    const live = [
      { sweepId: 'b', status: 'RUNNING', startedAt: '2026-11-03T00:00:00Z', source: 'temporal' as const },
    ];
    const list = mergeSweepLists(
      live,
      [
        stored('b', '2026-11-03T00:00:00Z'),
        stored('c', '2026-11-04T00:00:00Z'),
        stored('a', '2026-11-01T00:00:00Z'),
      ],
      2,
    );
    assert.deepEqual(
      list.map((s) => [s.sweepId, s.source, s.status]),
      [
        ['c', 'store', 'completed'],
        ['b', 'temporal', 'RUNNING'],
      ],
    );
  });
});

describe('vsweep regressions thresholds', () => {
  it("start from the sweep's spec (or the defaults) and take --min-change and --alpha over it", () => {
    assert.deepEqual(applyRegressionOverrides(undefined, {}), { alpha: 0.05, minChangePct: 5, metrics: {} });
    const own = { alpha: 0.01, minChangePct: 8, metrics: { ttftSec: 20 } };
    assert.deepEqual(applyRegressionOverrides(own, {}), own);
    assert.deepEqual(applyRegressionOverrides(own, { minChange: '3, tokensPerSec=2', alpha: '0.1' }), {
      alpha: 0.1,
      minChangePct: 3,
      metrics: { ttftSec: 20, tokensPerSec: 2 },
    });
    assert.throws(
      () => applyRegressionOverrides(own, { minChange: 'tps=3' }),
      /--min-change: "tps" is not a metric; use one of tokensPerSec, latencySec, ttftSec/,
    );
    assert.throws(() => applyRegressionOverrides(own, { minChange: 'five' }), /"five" is not a percentage/);
    assert.throws(() => applyRegressionOverrides(own, { alpha: '5' }), /--alpha must be between 0 and 1/);
  });
});
