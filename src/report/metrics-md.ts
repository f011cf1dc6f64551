// Markdown for the figures `vllm bench serve` reports and for the server's own metrics.
import { summarizeRuns, type BenchmarkMetrics, type Distribution } from '../metrics/compute';
import type { ScrapeSummary } from '../server/metrics-scrape';

const DISTRIBUTIONS: [keyof Pick<BenchmarkMetrics, 'ttft' | 'tpot' | 'itl' | 'e2el'>, string][] = [
  ['ttft', 'TTFT'],
  ['tpot', 'TPOT'],
  ['itl', 'ITL'],
  ['e2el', 'E2EL'],
];

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(2));

/** Latency distributions (ms) and throughput of one run, or of each repeat with a 95% interval. */
export function metricsTable(runs: BenchmarkMetrics[], indent = '  '): string[] {
  if (runs.length === 0) return [];
  const last = runs[runs.length - 1];
  const pcts = Object.keys(last.ttft.percentilesMs);
  const out = [
    `${indent}| Metric (ms) | Mean | Median | Std | ${pcts.map((p) => p.toUpperCase()).join(' | ')} |`,
    `${indent}|---|---|---|---|${pcts.map(() => '---').join('|')}|`,
  ];
  for (const [key, label] of DISTRIBUTIONS) {
    const d: Distribution = last[key];
    if (d.count === 0) continue;
    out.push(
      `${indent}| ${label} | ${ms(d.meanMs)} | ${ms(d.medianMs)} | ${ms(d.stdMs)} | ${pcts.map((p) => ms(d.percentilesMs[p])).join(' | ')} |`,
    );
  }
  out.push(
    '',
    `${indent}Requests ${last.completed} ok, ${last.failed} failed in ${last.durationSec.toFixed(1)} s; ` +
      `${last.requestThroughputPerSec.toFixed(3)} req/s, output ${last.outputThroughputTokPerSec.toFixed(2)} tok/s, ` +
      `total ${last.totalTokenThroughputTokPerSec.toFixed(1)} tok/s, peak ${last.maxOutputTokensPerSec} tok/s, ` +
      `peak concurrency ${last.maxConcurrentRequests}` +
      (last.requestGoodputPerSec === undefined
        ? ''
        : `, goodput ${last.requestGoodputPerSec.toFixed(3)} req/s`) +
      '.',
  );
  if (runs.length > 1) {
    const across = (f: (m: BenchmarkMetrics) => number, label: string) => {
      const s = summarizeRuns(runs.map(f));
      const ci = s.ci95 ? ` (95% CI ${s.ci95.low.toFixed(2)}–${s.ci95.high.toFixed(2)})` : '';
      return `${label} mean ${s.mean.toFixed(2)}, median ${s.median.toFixed(2)}${ci}`;
    };
    out.push(
      '',
      `${indent}Across ${runs.length} runs: ${across((m) => m.outputThroughputTokPerSec, 'output tok/s')}; ` +
        `${across((m) => m.ttft.meanMs, 'mean TTFT ms')}.`,
    );
  }
  return out;
}

export function serverMetricsLine(s: ScrapeSummary | undefined, indent = '  '): string[] {
  if (!s || s.scrapes === 0) return [];
  const pct = (v?: number) => (v === undefined ? '-' : `${(v * 100).toFixed(1)}%`);
  const num = (v?: number, d = 1) => (v === undefined ? '-' : v.toFixed(d));
  return [
    '',
    `${indent}Server (${s.source === 'metrics' ? '/metrics' : 'stats log lines'}, ${s.scrapes} samples): ` +
      `prefix cache hit rate ${pct(s.prefixCacheHitRate)}, KV cache usage max ${pct(s.kvCacheUsageMax)}, ` +
      `running max ${num(s.runningMax, 0)}, waiting max ${num(s.waitingMax, 0)}, ` +
      `prompt ${num(s.promptTokensPerSec)} tok/s, generation ${num(s.generationTokensPerSec)} tok/s, ` +
      `preemptions ${num(s.preemptions, 0)}.`,
  ];
}
