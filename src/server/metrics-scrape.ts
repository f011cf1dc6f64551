// Reads vLLM's /metrics during a run and summarizes the window: prefix-cache hit rate, KV-cache usage,
// queue depth, token rates, preemptions. Accepts old and new metric names (vllm-benchmarking.md §5.2),
// and falls back to the periodic `Avg prompt throughput` log line when /metrics is out of reach.
import { performance } from 'node:perf_hooks';
import { type Dispatcher, request } from 'undici';
import { parsePrometheusText } from './prometheus-text';
import { parseStatsLine } from './vllm-log';

/** One scrape: the series we use, summed over engines (gauges of usage: max over engines). */
export interface ScrapeSample {
  atMs: number;
  prefixCacheHits?: number;
  prefixCacheQueries?: number;
  /** V0's gauge, used only when the counters are missing. */
  prefixCacheHitRate?: number;
  kvCacheUsage?: number;
  running?: number;
  waiting?: number;
  promptTokens?: number;
  generationTokens?: number;
  preemptions?: number;
}

type Field = Exclude<keyof ScrapeSample, 'atMs'>;

// Newest name first: when a server exports both generations, the new one wins.
const NAMES: Record<Field, string[]> = {
  prefixCacheHits: ['vllm:prefix_cache_hits', 'vllm:gpu_prefix_cache_hits'],
  prefixCacheQueries: ['vllm:prefix_cache_queries', 'vllm:gpu_prefix_cache_queries'],
  prefixCacheHitRate: ['vllm:gpu_prefix_cache_hit_rate'],
  kvCacheUsage: ['vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc'],
  running: ['vllm:num_requests_running'],
  waiting: ['vllm:num_requests_waiting'],
  promptTokens: ['vllm:prompt_tokens'],
  generationTokens: ['vllm:generation_tokens'],
  preemptions: ['vllm:num_preemptions'],
};
const COUNTERS = new Set<Field>([
  'prefixCacheHits',
  'prefixCacheQueries',
  'promptTokens',
  'generationTokens',
  'preemptions',
]);
const MAX_OVER_ENGINES = new Set<Field>(['kvCacheUsage', 'prefixCacheHitRate']);

/** Counters appear with `_total` (prometheus_client on the wire) or without (older exporters). */
export function readVllmMetrics(text: string, atMs: number): ScrapeSample {
  const byName = new Map<string, number[]>();
  for (const s of parsePrometheusText(text)) {
    const list = byName.get(s.name);
    if (list) list.push(s.value);
    else byName.set(s.name, [s.value]);
  }
  const sample: ScrapeSample = { atMs };
  for (const field of Object.keys(NAMES) as Field[]) {
    for (const base of NAMES[field]) {
      const values = (COUNTERS.has(field) ? byName.get(`${base}_total`) : undefined) ?? byName.get(base);
      if (!values) continue;
      sample[field] = MAX_OVER_ENGINES.has(field) ? Math.max(...values) : values.reduce((a, b) => a + b, 0);
      break;
    }
  }
  return sample;
}

export interface ScrapeSummary {
  scrapes: number;
  windowSec: number;
  /** Delta hits / delta queries over the window (0-1); undefined without queries. */
  prefixCacheHitRate?: number;
  /** 0-1. */
  kvCacheUsageMax?: number;
  kvCacheUsageMean?: number;
  runningMax?: number;
  waitingMax?: number;
  promptTokensPerSec?: number;
  generationTokensPerSec?: number;
  preemptions?: number;
  /** Scrapes that failed (connection refused, non-200). */
  scrapeErrors?: number;
  lastError?: string;
  source: 'metrics' | 'log';
}

/** Increase of a counter over the samples; a drop means a restart, so count from zero, as PromQL's rate(). */
function counterIncrease(samples: readonly ScrapeSample[], field: Field): number | undefined {
  let increase = 0;
  let previous: number | undefined;
  let seen = 0;
  for (const s of samples) {
    const value = s[field];
    if (value === undefined) continue;
    seen++;
    if (previous !== undefined) increase += value >= previous ? value - previous : value;
    previous = value;
  }
  return seen >= 2 ? increase : undefined;
}

function gaugeValues(samples: readonly ScrapeSample[], field: Field): number[] {
  return samples.map((s) => s[field]).filter((v): v is number => v !== undefined);
}

export function summarizeScrapes(samples: readonly ScrapeSample[]): ScrapeSummary {
  const windowSec = samples.length >= 2 ? (samples[samples.length - 1].atMs - samples[0].atMs) / 1000 : 0;
  const summary: ScrapeSummary = { scrapes: samples.length, windowSec, source: 'metrics' };
  const hits = counterIncrease(samples, 'prefixCacheHits');
  const queries = counterIncrease(samples, 'prefixCacheQueries');
  if (hits !== undefined && queries !== undefined && queries > 0) summary.prefixCacheHitRate = hits / queries;
  else if (queries === undefined) {
    const rates = gaugeValues(samples, 'prefixCacheHitRate');
    if (rates.length > 0) summary.prefixCacheHitRate = rates.reduce((a, b) => a + b, 0) / rates.length;
  }
  const kv = gaugeValues(samples, 'kvCacheUsage');
  if (kv.length > 0) {
    summary.kvCacheUsageMax = Math.max(...kv);
    summary.kvCacheUsageMean = kv.reduce((a, b) => a + b, 0) / kv.length;
  }
  const running = gaugeValues(samples, 'running');
  if (running.length > 0) summary.runningMax = Math.max(...running);
  const waiting = gaugeValues(samples, 'waiting');
  if (waiting.length > 0) summary.waitingMax = Math.max(...waiting);
  const prompt = counterIncrease(samples, 'promptTokens');
  if (prompt !== undefined && windowSec > 0) summary.promptTokensPerSec = prompt / windowSec;
  const generation = counterIncrease(samples, 'generationTokens');
  if (generation !== undefined && windowSec > 0) summary.generationTokensPerSec = generation / windowSec;
  const preemptions = counterIncrease(samples, 'preemptions');
  if (preemptions !== undefined) summary.preemptions = preemptions;
  return summary;
}

export interface ScraperOptions {
  /** The server's base URL or its full /metrics URL. */
  url: string;
  intervalMs: number;
  dispatcher?: Dispatcher;
}

export interface Scraper {
  /** Takes a last scrape, stops, and summarizes the whole window. */
  stop(): Promise<ScrapeSummary>;
  readonly samples: readonly ScrapeSample[];
}

/** Scrapes at once, then every intervalMs (never two at a time), and once more on stop(). */
export function startScraper(options: ScraperOptions): Scraper {
  const url = /\/metrics\/?$/.test(options.url) ? options.url : `${options.url.replace(/\/+$/, '')}/metrics`;
  const samples: ScrapeSample[] = [];
  let errors = 0;
  let lastError: string | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const scrapeOnce = async () => {
    try {
      const response = await request(url, {
        dispatcher: options.dispatcher,
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      const text = await response.body.text();
      if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode} from ${url}`);
      samples.push(readVllmMetrics(text, performance.now()));
    } catch (error) {
      errors++;
      lastError = error instanceof Error ? error.message : String(error);
    }
  };
  let inFlight: Promise<void> = scrapeOnce();
  const loop = () => {
    timer = setTimeout(() => {
      inFlight = scrapeOnce().then(() => {
        if (!stopped) loop();
      });
    }, options.intervalMs);
  };
  void inFlight.then(() => {
    if (!stopped) loop();
  });
  return {
    samples,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
      await scrapeOnce();
      const summary = summarizeScrapes(samples);
      if (errors > 0) {
        summary.scrapeErrors = errors;
        if (lastError !== undefined) summary.lastError = lastError;
      }
      return summary;
    },
  };
}

/**
 * Fallback from the server log: each `Avg prompt throughput` line averages its own interval, so rates
 * are the mean over lines per engine, summed over engines; hit rate is the mean of the logged rates.
 */
export function summarizeStatsLines(lines: readonly string[]): ScrapeSummary {
  const parsed = lines.map((l) => parseStatsLine(l)).filter((s) => s !== undefined);
  const summary: ScrapeSummary = { scrapes: parsed.length, windowSec: 0, source: 'log' };
  if (parsed.length === 0) return summary;
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const engines = new Map<string, typeof parsed>();
  for (const s of parsed) engines.set(s.engine ?? '', [...(engines.get(s.engine ?? '') ?? []), s]);
  const perEngine = [...engines.values()];
  summary.promptTokensPerSec = perEngine.reduce(
    (a, e) => a + avg(e.map((s) => s.promptThroughputTokPerSec)),
    0,
  );
  summary.generationTokensPerSec = perEngine.reduce(
    (a, e) => a + avg(e.map((s) => s.generationThroughputTokPerSec)),
    0,
  );
  summary.kvCacheUsageMax = Math.max(...parsed.map((s) => s.kvCacheUsagePct)) / 100;
  summary.kvCacheUsageMean = avg(parsed.map((s) => s.kvCacheUsagePct)) / 100;
  summary.runningMax = Math.max(...parsed.map((s) => s.runningReqs));
  summary.waitingMax = Math.max(...parsed.map((s) => s.waitingReqs));
  const hitRates = parsed.map((s) => s.prefixCacheHitRatePct).filter((v) => v !== undefined);
  if (hitRates.length > 0) summary.prefixCacheHitRate = avg(hitRates) / 100;
  const preemptions = parsed.map((s) => s.preemptions).filter((v) => v !== undefined);
  // V1 prints the preemptions of each interval, and only when there were some.
  if (preemptions.length > 0) summary.preemptions = preemptions.reduce((a, b) => a + b, 0);
  return summary;
}
