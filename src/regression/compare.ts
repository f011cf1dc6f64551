// One metric, tonight against its baseline: a verdict that needs both a real effect and evidence for it.
//
// Why Welch's t on run means rather than Mann-Whitney U on pooled samples: samples within one run share
// a server, its cache state and its node, so they are not independent; the noise that matters is
// run-to-run. Pooling samples would treat 4 runs x 30 requests as 120 independent draws and flag
// ordinary nightly wobble as significant. The spread of baseline *run means* measures exactly that
// wobble (it already contains the within-run noise of a mean), and a t-test on means is exact enough
// at the handful of runs a nightly baseline has, where U's discrete p-values cannot go below alpha
// (with 1 run against 3, U's smallest two-sided p is 0.5).
import { predictionT, welchT } from './stats';

export type Direction = 'higher-is-better' | 'lower-is-better';
export type Verdict = 'regression' | 'improvement' | 'no-change' | 'insufficient-data';
export type TestName = 'prediction-t' | 'welch-t-runs' | 'welch-t-samples' | 'none';

export interface CompareOptions {
  direction: Direction;
  /** Smallest change, in percent of the baseline mean, worth reporting even if significant. */
  minEffectPct?: number;
  /** Two-sided significance level. */
  alpha?: number;
  /** `samples`: `current` is one run's per-sample values (default); `runs`: one value per run. */
  current?: 'samples' | 'runs';
}

export interface Comparison {
  verdict: Verdict;
  /** (current - baseline) / |baseline| x 100, on means; NaN without data. */
  changePct: number;
  pValue: number;
  test: TestName;
  currentMean: number;
  baselineMean: number;
  baselineRuns: number;
}

const finite = (values: readonly number[]) => values.filter((v) => Number.isFinite(v));
const avg = (values: readonly number[]) => values.reduce((s, v) => s + v, 0) / values.length;

/**
 * `baseline` is one array per earlier good run (its samples, or a single value). With two or more
 * baseline runs the test is on run means; with one (a pinned baseline) it falls back to Welch on
 * samples, which ignores run-to-run noise, so `minEffectPct` is what keeps it from crying wolf.
 */
export function compareToBaseline(
  current: number[],
  baseline: number[][],
  options: CompareOptions,
): Comparison {
  const minEffectPct = options.minEffectPct ?? 5;
  const alpha = options.alpha ?? 0.05;
  const now = finite(current);
  const runs = baseline.map(finite).filter((run) => run.length > 0);
  const runMeans = runs.map(avg);
  const pooled = runs.flat();
  const currentMean = now.length ? avg(now) : Number.NaN;
  const baselineMean = runMeans.length ? avg(runMeans) : Number.NaN;
  const base = { currentMean, baselineMean, baselineRuns: runs.length };
  const changePct =
    baselineMean !== 0 ? ((currentMean - baselineMean) / Math.abs(baselineMean)) * 100 : Number.NaN;
  const insufficient: Comparison = {
    ...base,
    verdict: 'insufficient-data',
    changePct,
    pValue: Number.NaN,
    test: 'none',
  };
  if (now.length === 0 || runs.length === 0 || Number.isNaN(changePct)) return insufficient;

  let test: TestName;
  let pValue: number;
  if (options.current === 'runs' && now.length >= 2 && runs.length >= 2) {
    test = 'welch-t-runs';
    pValue = welchT(now, runMeans).pValue;
  } else if (runs.length >= 2) {
    test = 'prediction-t';
    pValue = predictionT(currentMean, runMeans).pValue;
  } else if (options.current !== 'runs' && now.length >= 2 && pooled.length >= 2) {
    test = 'welch-t-samples';
    pValue = welchT(now, pooled).pValue;
  } else {
    return insufficient;
  }

  const better = options.direction === 'higher-is-better' ? changePct > 0 : changePct < 0;
  const real = pValue < alpha && Math.abs(changePct) >= minEffectPct;
  const verdict: Verdict = !real ? 'no-change' : better ? 'improvement' : 'regression';
  return { ...base, verdict, changePct, pValue, test };
}
