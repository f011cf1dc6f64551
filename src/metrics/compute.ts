// Aggregates raw request records into the numbers `vllm bench serve` reports (vllm/benchmarks/serve.py
// calculate_metrics), definition for definition, so a vsweep result can be compared with a vLLM one.
import type { RequestRecord } from '../loadgen/stream-client';
import { mean, percentileSorted, populationStd, sampleStd, sortedCopy, studentT975 } from './stats';

/** Latency targets in ms; a request is "good" when it meets every target given (DistServe goodput). */
export interface SloTargets {
  ttftMs?: number;
  tpotMs?: number;
  e2elMs?: number;
}

export interface Distribution {
  count: number;
  meanMs: number;
  medianMs: number;
  /** Population standard deviation (numpy's default ddof=0), as vLLM reports it. */
  stdMs: number;
  /** Keyed `p99`, `p99.9`, ...; numpy's linear interpolation. */
  percentilesMs: Record<string, number>;
}

export interface BenchmarkMetrics {
  completed: number;
  failed: number;
  totalInputTokens: number;
  totalOutputTokens: number;
  durationSec: number;
  requestThroughputPerSec: number;
  outputThroughputTokPerSec: number;
  totalTokenThroughputTokPerSec: number;
  /** Peak of 1-second buckets of chunk arrival times (one count per chunk, as vLLM). */
  maxOutputTokensPerSec: number;
  /** Peak overlap of [start, start + e2el) over completed requests. */
  maxConcurrentRequests: number;
  /** Good requests per second; undefined when no SLO is given. */
  requestGoodputPerSec?: number;
  ttft: Distribution;
  /** Only requests with more than one output token. */
  tpot: Distribution;
  /** Gaps between chunks of every request, per chunk (not per token). */
  itl: Distribution;
  e2el: Distribution;
  /** The seed's per-request figure: completion tokens / e2el, averaged over completed requests. */
  meanPerRequestTokPerSec: number;
}

export interface ComputeOptions {
  durationSec: number;
  /** Default [50, 90, 95, 99]. */
  percentiles?: readonly number[];
  slo?: SloTargets;
}

export const DEFAULT_PERCENTILES = [50, 90, 95, 99] as const;

export function distribution(valuesMs: readonly number[], percentiles: readonly number[]): Distribution {
  const sorted = sortedCopy(valuesMs);
  const percentilesMs: Record<string, number> = {};
  for (const p of percentiles) percentilesMs[`p${p}`] = percentileSorted(sorted, p);
  return {
    count: valuesMs.length,
    meanMs: mean(valuesMs),
    medianMs: percentileSorted(sorted, 50),
    stdMs: populationStd(valuesMs),
    percentilesMs,
  };
}

/**
 * Output tokens as vLLM counts them: usage.completion_tokens; when that is 0/missing vLLM re-tokenizes
 * the text or falls back to 1. Our stream client already substitutes the chunk count for missing usage.
 */
export function outputTokens(record: RequestRecord): number {
  if (record.completionTokens > 0) return record.completionTokens;
  return Math.max(1, record.chunkTimesMs.length);
}

export function computeMetrics(records: readonly RequestRecord[], options: ComputeOptions): BenchmarkMetrics {
  const percentiles = options.percentiles ?? DEFAULT_PERCENTILES;
  const { durationSec } = options;
  if (!(durationSec > 0)) throw new RangeError(`benchmark duration must be > 0 s, got ${durationSec}`);
  const ok = records.filter((r) => r.ok && r.chunkTimesMs.length > 0);
  const ttfts: number[] = [];
  const tpots: number[] = [];
  const itls: number[] = [];
  const e2els: number[] = [];
  const perRequestTps: number[] = [];
  let totalInput = 0;
  let totalOutput = 0;
  let good = 0;
  for (const record of ok) {
    const chunks = record.chunkTimesMs;
    const out = outputTokens(record);
    const ttft = chunks[0];
    const e2el = chunks[chunks.length - 1];
    // vLLM counts TPOT as 0 for goodput when there is a single output token, but leaves it out of stats.
    const tpot = out > 1 ? (e2el - ttft) / (out - 1) : 0;
    if (out > 1) tpots.push(tpot);
    for (let i = 1; i < chunks.length; i++) itls.push(chunks[i] - chunks[i - 1]);
    ttfts.push(ttft);
    e2els.push(e2el);
    if (e2el > 0) perRequestTps.push(out / (e2el / 1000));
    totalInput += record.promptTokens;
    totalOutput += out;
    if (options.slo && meetsSlo(options.slo, ttft, tpot, e2el)) good++;
  }
  const metrics: BenchmarkMetrics = {
    completed: ok.length,
    failed: records.length - ok.length,
    totalInputTokens: totalInput,
    totalOutputTokens: totalOutput,
    durationSec,
    requestThroughputPerSec: ok.length / durationSec,
    outputThroughputTokPerSec: totalOutput / durationSec,
    totalTokenThroughputTokPerSec: (totalInput + totalOutput) / durationSec,
    maxOutputTokensPerSec: peakChunksPerSecond(ok),
    maxConcurrentRequests: peakConcurrency(ok),
    ttft: distribution(ttfts, percentiles),
    tpot: distribution(tpots, percentiles),
    itl: distribution(itls, percentiles),
    e2el: distribution(e2els, percentiles),
    meanPerRequestTokPerSec: mean(perRequestTps),
  };
  if (options.slo && Object.values(options.slo).some((v) => v !== undefined))
    metrics.requestGoodputPerSec = good / durationSec;
  return metrics;
}

/** vLLM's rule `slo >= value` for each given target. */
function meetsSlo(slo: SloTargets, ttftMs: number, tpotMs: number, e2elMs: number): boolean {
  if (slo.ttftMs !== undefined && ttftMs > slo.ttftMs) return false;
  if (slo.tpotMs !== undefined && tpotMs > slo.tpotMs) return false;
  if (slo.e2elMs !== undefined && e2elMs > slo.e2elMs) return false;
  return true;
}

/** Buckets of whole seconds since the first start; bucket = trunc(chunk time - first start). */
function peakChunksPerSecond(ok: readonly RequestRecord[]): number {
  if (ok.length === 0) return 0;
  const startSec = (r: RequestRecord) => r.startedAtEpochMs / 1000;
  const minStartSec = Math.min(...ok.map(startSec));
  const maxEndSec = Math.max(
    ...ok.map((r) => startSec(r) + r.chunkTimesMs[r.chunkTimesMs.length - 1] / 1000),
  );
  const buckets = new Float64Array(Math.ceil(maxEndSec - minStartSec) + 1);
  for (const record of ok) {
    const offsetSec = startSec(record) - minStartSec;
    for (const chunkMs of record.chunkTimesMs) {
      const bucket = Math.trunc(offsetSec + chunkMs / 1000);
      if (bucket >= 0 && bucket < buckets.length) buckets[bucket]++;
    }
  }
  return Math.max(...buckets);
}

/** Sweep line over half-open [start, end): a departure at t is counted before an arrival at t. */
function peakConcurrency(ok: readonly RequestRecord[]): number {
  const events: [number, number][] = [];
  for (const r of ok) {
    events.push(
      [r.startedAtEpochMs, 1],
      [r.startedAtEpochMs + r.chunkTimesMs[r.chunkTimesMs.length - 1], -1],
    );
  }
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let peak = 0;
  for (const [, delta] of events) {
    current += delta;
    if (current > peak) peak = current;
  }
  return peak;
}

export interface RunSummary {
  runs: number;
  mean: number;
  median: number;
  /** Sample standard deviation (n - 1); NaN for a single run. */
  std: number;
  /** 95% Student-t interval of the mean; undefined with fewer than 2 runs. */
  ci95?: { low: number; high: number; halfWidth: number };
}

/** Summarizes one metric over repeated runs of the same experiment. */
export function summarizeRuns(values: readonly number[]): RunSummary {
  if (values.length === 0) throw new RangeError('summarizeRuns needs at least one value');
  const m = mean(values);
  const summary: RunSummary = {
    runs: values.length,
    mean: m,
    median: percentileSorted(sortedCopy(values), 50),
    std: sampleStd(values),
  };
  if (values.length >= 2) {
    const halfWidth = (studentT975(values.length - 1) * summary.std) / Math.sqrt(values.length);
    summary.ci95 = { low: m - halfWidth, high: m + halfWidth, halfWidth };
  }
  return summary;
}
