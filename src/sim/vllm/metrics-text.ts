// Renders the scheduler's counters as vLLM's Prometheus /metrics text and its periodic stats line.
import type { EngineScheduler, StatsWindow } from './engine';
import type { Histogram } from './histogram';

function labels(modelName: string, extra = ''): string {
  const escaped = modelName.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  return `{engine="0",model_name="${escaped}"${extra}}`;
}

function series(name: string, type: 'gauge' | 'counter', help: string, lbl: string, value: number): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name}${lbl} ${value}\n`;
}

function histogram(name: string, help: string, modelName: string, hist: Histogram): string {
  let text = `# HELP ${name} ${help}\n# TYPE ${name} histogram\n`;
  hist.bucketsSec.forEach((le, i) => {
    text += `${name}_bucket${labels(modelName, `,le="${Number.isInteger(le) ? le.toFixed(1) : String(le)}"`)} ${hist.counts[i]}\n`;
  });
  text += `${name}_bucket${labels(modelName, ',le="+Inf"')} ${hist.count}\n`;
  text += `${name}_count${labels(modelName)} ${hist.count}\n`;
  text += `${name}_sum${labels(modelName)} ${hist.sum}\n`;
  return text;
}

/** Histogram observations and throughput are in simulated seconds, like every time the sim reports. */
export function renderMetrics(scheduler: EngineScheduler, modelName: string): string {
  const l = labels(modelName);
  const t = scheduler.totals;
  return (
    series(
      'vllm:num_requests_running',
      'gauge',
      'Number of requests in model execution batches.',
      l,
      scheduler.numRunning,
    ) +
    series(
      'vllm:num_requests_waiting',
      'gauge',
      'Number of requests waiting to be processed.',
      l,
      scheduler.numWaiting,
    ) +
    series(
      'vllm:kv_cache_usage_perc',
      'gauge',
      'KV-cache usage. 1 means 100 percent usage.',
      l,
      scheduler.kvCacheUsage(),
    ) +
    series(
      'vllm:prefix_cache_queries_total',
      'counter',
      'Prefix cache queries, in terms of number of queried tokens.',
      l,
      t.prefixQueries,
    ) +
    series(
      'vllm:prefix_cache_hits_total',
      'counter',
      'Prefix cache hits, in terms of number of cached tokens.',
      l,
      t.prefixHits,
    ) +
    series(
      'vllm:num_preemptions_total',
      'counter',
      'Cumulative number of preemption from the engine.',
      l,
      t.preemptions,
    ) +
    series('vllm:prompt_tokens_total', 'counter', 'Number of prefill tokens processed.', l, t.promptTokens) +
    series(
      'vllm:generation_tokens_total',
      'counter',
      'Number of generation tokens processed.',
      l,
      t.generationTokens,
    ) +
    series(
      'vllm:request_success_total',
      'counter',
      'Count of successfully processed requests.',
      labels(modelName, ',finished_reason="length"'),
      t.finishedLength,
    ) +
    histogram(
      'vllm:time_to_first_token_seconds',
      'Histogram of time to first token in seconds.',
      modelName,
      scheduler.ttftHistogram,
    ) +
    histogram(
      'vllm:e2e_request_latency_seconds',
      'Histogram of e2e request latency in seconds.',
      modelName,
      scheduler.e2eHistogram,
    )
  );
}

export interface StatsLineInput {
  window: StatsWindow;
  windowSimSeconds: number;
  running: number;
  waiting: number;
  kvCacheUsage: number;
  prefixHitRate: number;
}

/** vllm/v1/metrics/loggers.py LoggingStatLogger.log(), single engine. */
export function formatStatsLine(input: StatsLineInput): string {
  const promptTps = input.window.promptTokens / input.windowSimSeconds;
  const generationTps = input.window.generationTokens / input.windowSimSeconds;
  return (
    `Engine 000: Avg prompt throughput: ${promptTps.toFixed(1)} tokens/s, ` +
    `Avg generation throughput: ${generationTps.toFixed(1)} tokens/s, ` +
    `Running: ${input.running} reqs, Waiting: ${input.waiting} reqs, ` +
    `GPU KV cache usage: ${(input.kvCacheUsage * 100).toFixed(1)}%, ` +
    `Prefix cache hit rate: ${(input.prefixHitRate * 100).toFixed(1)}%`
  );
}
