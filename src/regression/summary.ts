// Judges every config/dataset of a sweep against its baseline runs, metric by metric.
import { describeConfig } from '../report/markdown';
import type { RegressionSpec } from '../spec/schema';
import type { ResultsStore } from '../store';
import type { SweepResult } from '../workflows/types';
import { compareToBaseline, type Comparison, type Direction, type Verdict } from './compare';

/** The per-sample metrics judged, and which way is better for each. */
export const METRICS = {
  tokensPerSec: { direction: 'higher-is-better', label: 'TPS' },
  latencySec: { direction: 'lower-is-better', label: 'Latency (s)' },
  ttftSec: { direction: 'lower-is-better', label: 'TTFT (s)' },
} as const satisfies Record<string, { direction: Direction; label: string }>;
export type MetricName = keyof typeof METRICS;

/** One earlier good run's per-sample values of each metric. */
export type BaselineRun = Record<MetricName, number[]>;
export interface RowKey {
  specName: string;
  configKey: string;
  experimentId: string;
  dataset: string;
}
/** Baseline runs for one row, oldest first; none when it has no history yet. */
export type BaselineSource = (row: RowKey) => BaselineRun[];

export type RowVerdict = Verdict | 'failed';

export interface RowCheck {
  experimentId: string;
  configKey: string;
  config: string;
  dataset: string;
  verdict: RowVerdict;
  /** Absent when the row failed. */
  metrics?: Record<MetricName, Comparison>;
  reason?: string;
}

export interface RegressionSummary {
  sweepId: string;
  specName: string;
  model: string;
  rows: RowCheck[];
  counts: Record<RowVerdict, number>;
}

export interface SummaryOptions {
  /** Smallest change worth flagging, % of the baseline mean (default 5)… */
  minEffectPct?: number;
  /** …per metric, where set. */
  minEffectPctByMetric?: Partial<Record<MetricName, number>>;
  alpha?: number;
}

/** A spec's `regression` section as options; sweeps started before it existed have none (defaults). */
export function summaryOptionsOf(spec: RegressionSpec | undefined): SummaryOptions {
  if (!spec) return {};
  return { alpha: spec.alpha, minEffectPct: spec.minChangePct, minEffectPctByMetric: spec.metrics };
}

export function regressionSummary(
  sweep: SweepResult,
  baselines: BaselineSource,
  options: SummaryOptions = {},
): RegressionSummary {
  const rows: RowCheck[] = [];
  for (const config of sweep.configs) {
    for (const row of config.rows) {
      const common = {
        experimentId: row.experimentId,
        configKey: config.configKey,
        config: describeConfig(config.flags, sweep.varyingFlags),
        dataset: row.dataset,
      };
      const ok = (row.run?.samples ?? []).filter((s) => s.ok);
      if (row.outcome !== 'ok' || ok.length === 0) {
        rows.push({
          ...common,
          verdict: 'failed',
          reason: row.reason ?? `${row.outcome} with no successful samples`,
        });
        continue;
      }
      const runs = baselines({ specName: sweep.specName, ...common });
      const metrics = Object.fromEntries(
        (Object.keys(METRICS) as MetricName[]).map((name) => [
          name,
          compareToBaseline(
            ok.map((s) => s[name]),
            runs.map((run) => run[name]),
            {
              direction: METRICS[name].direction,
              alpha: options.alpha,
              minEffectPct: options.minEffectPctByMetric?.[name] ?? options.minEffectPct,
            },
          ),
        ]),
      ) as Record<MetricName, Comparison>;
      rows.push({ ...common, verdict: worst(Object.values(metrics).map((m) => m.verdict)), metrics });
    }
  }
  holmCorrect(rows, options.alpha ?? 0.05);
  const counts = { regression: 0, improvement: 0, 'no-change': 0, 'insufficient-data': 0, failed: 0 };
  for (const row of rows) counts[row.verdict]++;
  return { sweepId: sweep.sweepId, specName: sweep.specName, model: sweep.model, rows, counts };
}

/**
 * A nightly run tests every metric of every row: at alpha 0.05 per test, some row would be flagged by
 * noise alone most nights. Holm's step-down correction keeps the chance of any false flag in the whole
 * run at alpha, and loses little power for a real change (its p-value is tiny). Verdicts that do not
 * survive become 'no-change'; each row's verdict is then recomputed.
 */
export function holmCorrect(rows: RowCheck[], alpha: number): void {
  const tests = rows
    .flatMap((row) => Object.values(row.metrics ?? {}))
    .filter((t) => t.verdict !== 'insufficient-data' && Number.isFinite(t.pValue))
    .sort((a, b) => a.pValue - b.pValue);
  // Step down through all tests by p-value; from the first that misses alpha / (m - i), none is significant.
  const firstMiss = tests.findIndex((t, i) => t.pValue > alpha / (tests.length - i));
  for (const test of firstMiss === -1 ? [] : tests.slice(firstMiss)) {
    if (test.verdict === 'regression' || test.verdict === 'improvement') test.verdict = 'no-change';
  }
  for (const row of rows)
    if (row.metrics) row.verdict = worst(Object.values(row.metrics).map((x) => x.verdict));
}

/** A row regresses if any metric does; it improves only if none regresses. */
function worst(verdicts: Verdict[]): Verdict {
  const order: Verdict[] = ['regression', 'improvement', 'no-change', 'insufficient-data'];
  return order.find((v) => verdicts.includes(v)) ?? 'insufficient-data';
}

/** Baselines from the results store: the last N good runs, or one pinned sweep, never the sweep itself. */
export function baselinesFromStore(
  store: ResultsStore,
  options: { lastN: number; pinnedSweepId?: string; excludeSweepId: string },
): BaselineSource {
  return (row) =>
    store
      .baseline({ specName: row.specName, configKey: row.configKey, dataset: row.dataset, ...options })
      .map(toBaselineRun);
}

/** A stored run's successful samples as the per-metric values a baseline compares against. */
export function toBaselineRun(run: {
  samples: { ok: boolean; tokensPerSec: number; latencySec: number; ttftSec: number }[];
}): BaselineRun {
  const ok = run.samples.filter((s) => s.ok);
  return {
    tokensPerSec: ok.map((s) => s.tokensPerSec),
    latencySec: ok.map((s) => s.latencySec),
    ttftSec: ok.map((s) => s.ttftSec),
  };
}
