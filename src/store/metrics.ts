// Per-row aggregates stored with each experiment run: computed once here from the samples.
import type { SampleResult } from '../workflows/types';

/** Open-ended so new aggregates can be stored without a schema change. */
export type RunMetrics = Record<string, number>;

/** The per-sample facts the store keeps, so baselines can be tested on samples, not only means. */
export interface StoredSample {
  promptTokens: number;
  completionTokens: number;
  ttftSec: number;
  latencySec: number;
  tokensPerSec: number;
  ok: boolean;
}

/** Linear interpolation between closest ranks (numpy's default), on a sorted copy. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** Means and p50/p90/p99 of TPS, latency and TTFT over the successful samples. */
export function runMetrics(samples: readonly SampleResult[]): RunMetrics {
  const ok = samples.filter((s) => s.ok);
  const metrics: RunMetrics = { samplesOk: ok.length, samplesFailed: samples.length - ok.length };
  if (ok.length === 0) return metrics;
  const series: Record<string, number[]> = {
    tps: ok.map((s) => s.tokensPerSec),
    latency: ok.map((s) => s.latencySec),
    ttft: ok.map((s) => s.ttftSec),
  };
  for (const [name, values] of Object.entries(series)) {
    metrics[`${name}Mean`] = mean(values);
    for (const p of [50, 90, 99]) metrics[`${name}P${p}`] = percentile(values, p);
  }
  return metrics;
}

export function toStoredSample(s: SampleResult): StoredSample {
  return {
    promptTokens: s.promptTokens,
    completionTokens: s.completionTokens,
    ttftSec: s.ttftSec,
    latencySec: s.latencySec,
    tokensPerSec: s.tokensPerSec,
    ok: s.ok,
  };
}
