// Figures of one replay in spec time: raw records (real milliseconds) scaled by the sweep's time scale,
// then computed once by the metrics module with vllm bench serve's definitions.
import { computeMetrics, type BenchmarkMetrics } from '../metrics/compute';
import type { RequestRecord } from '../loadgen/stream-client';
import type { ScrapeSummary } from '../server/metrics-scrape';
import type { WorkloadSpec } from '../spec/schema';

export function specTimeMetrics(
  records: readonly RequestRecord[],
  durationSec: number,
  timeScale: number,
  workload: Pick<WorkloadSpec, 'percentiles' | 'slo'>,
): BenchmarkMetrics {
  // Every duration and every gap between send times stretches by 1/timeScale (peak concurrency and the
  // 1-second token buckets depend on when requests were sent, not only on how long they took).
  const t0 = Math.min(...records.map((r) => r.startedAtEpochMs));
  const scaled =
    timeScale === 1
      ? records
      : records.map((r) => ({
          ...r,
          startedAtEpochMs: t0 + (r.startedAtEpochMs - t0) / timeScale,
          chunkTimesMs: r.chunkTimesMs.map((t) => t / timeScale),
        }));
  return computeMetrics(scaled, {
    durationSec: durationSec / timeScale,
    percentiles: workload.percentiles,
    slo: workload.slo,
  });
}

/** Scraped rates are per real second: per simulated second they are `timeScale` times that. */
export function specTimeScrape(summary: ScrapeSummary, timeScale: number): ScrapeSummary {
  if (timeScale === 1) return summary;
  const rate = (v?: number) => (v === undefined ? undefined : v * timeScale);
  return {
    ...summary,
    windowSec: summary.windowSec / timeScale,
    promptTokensPerSec: rate(summary.promptTokensPerSec),
    generationTokensPerSec: rate(summary.generationTokensPerSec),
  };
}
