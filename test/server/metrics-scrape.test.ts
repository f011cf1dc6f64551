import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Agent } from 'undici';
import { sendStreamingRequest } from '../../src/loadgen/stream-client';
import {
  readVllmMetrics,
  startScraper,
  summarizeScrapes,
  summarizeStatsLines,
} from '../../src/server/metrics-scrape';
import { parsePrometheusText } from '../../src/server/prometheus-text';
import { type SimVllmHandle } from '../../src/sim/vllm/server';
import { startTinySim } from '../helpers/tiny-sim';

// vLLM 0.11+: `_total` counters, kv_cache_usage_perc, prefix_cache_*; two engines (data parallel).
const NEW = (hits: number, queries: number, prompt: number, kv: number) => `
# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="m"} 3.0
vllm:num_requests_running{engine="1",model_name="m"} 2.0
vllm:num_requests_waiting{engine="0",model_name="m"} 1.0
vllm:kv_cache_usage_perc{engine="0",model_name="m"} ${kv}
vllm:kv_cache_usage_perc{engine="1",model_name="m"} 0.01
vllm:prefix_cache_hits_total{engine="0",model_name="m"} ${hits}
vllm:prefix_cache_queries_total{engine="0",model_name="m"} ${queries}
vllm:prompt_tokens_total{engine="0",model_name="m"} ${prompt}
vllm:prompt_tokens_created{engine="0",model_name="m"} 1.7e9
vllm:generation_tokens_total{engine="0",model_name="m"} 10
vllm:num_preemptions_total{engine="0",model_name="m"} 0
`;
// vLLM 0.6-0.9 era: gpu_ prefixes, counters exported without `_total` by some exporters.
const OLD = (hits: number, queries: number, preempt: number) => `
vllm:num_requests_running{model_name="m"} 7
vllm:num_requests_waiting{model_name="m"} 4
vllm:gpu_cache_usage_perc{model_name="m"} 0.5
vllm:gpu_prefix_cache_hits{model_name="m"} ${hits}
vllm:gpu_prefix_cache_queries{model_name="m"} ${queries}
vllm:prompt_tokens{model_name="m"} 100
vllm:generation_tokens{model_name="m"} 50
vllm:num_preemptions{model_name="m"} ${preempt}
`;

test('prometheus text: labels with escapes, exponents, +Inf, timestamps, comments', () => {
  const samples = parsePrometheusText(
    '# HELP x y\nx_bucket{le="+Inf",model_name="a\\"b"} 4 1700000000000\nx_sum 1.5e3\nbad line\ny{} +Inf\n',
  );
  assert.deepEqual(samples, [
    { name: 'x_bucket', labels: { le: '+Inf', model_name: 'a"b' }, value: 4 },
    { name: 'x_sum', labels: {}, value: 1500 },
    { name: 'y', labels: {}, value: Infinity },
  ]);
});

test('new names: counters summed over engines, KV usage is the max engine, window deltas', () => {
  const first = readVllmMetrics(NEW(100, 1000, 5000, 0.2), 0);
  assert.equal(first.running, 5);
  assert.equal(first.kvCacheUsage, 0.2);
  assert.equal(first.promptTokens, 5000, 'the _created series is not the counter');
  const s = summarizeScrapes([first, readVllmMetrics(NEW(400, 1500, 9000, 0.4), 2000)]);
  assert.equal(s.windowSec, 2);
  assert.equal(s.prefixCacheHitRate, 300 / 500);
  assert.equal(s.kvCacheUsageMax, 0.4);
  assert.ok(Math.abs((s.kvCacheUsageMean ?? 0) - 0.3) < 1e-12);
  assert.equal(s.promptTokensPerSec, 2000);
  assert.equal(s.generationTokensPerSec, 0);
  assert.equal(s.preemptions, 0);
  assert.equal(s.runningMax, 5);
  assert.equal(s.waitingMax, 1);
});

test('old names, and a counter reset (server restart) counted from zero', () => {
  const samples = [
    readVllmMetrics(OLD(50, 100, 2), 0),
    readVllmMetrics(OLD(90, 200, 5), 1000),
    readVllmMetrics(OLD(10, 40, 1), 2000),
  ];
  assert.equal(samples[0].kvCacheUsage, 0.5);
  assert.equal(samples[0].promptTokens, 100);
  const s = summarizeScrapes(samples);
  // hits: +40, then reset to 10 -> 50; queries: +100, then 40 -> 140
  assert.equal(s.prefixCacheHitRate, 50 / 140);
  assert.equal(s.preemptions, 3 + 1);
  assert.equal(s.runningMax, 7);
  assert.equal(
    summarizeScrapes(samples.slice(0, 1)).prefixCacheHitRate,
    undefined,
    'one scrape has no delta',
  );
});

test('log fallback: stats lines per engine, rates summed over engines', () => {
  const lines = [
    'INFO 03-18 13:41:03 [loggers.py:123] Engine 000: Avg prompt throughput: 100.0 tokens/s, Avg generation throughput: 10.0 tokens/s, Running: 2 reqs, Waiting: 0 reqs, GPU KV cache usage: 10.0%, Prefix cache hit rate: 50.0%',
    'INFO 03-18 13:41:13 [loggers.py:123] Engine 000: Avg prompt throughput: 300.0 tokens/s, Avg generation throughput: 30.0 tokens/s, Running: 4 reqs, Waiting: 3 reqs, Preemptions: 2, GPU KV cache usage: 30.0%, Prefix cache hit rate: 70.0%',
    'INFO 03-18 13:41:13 [loggers.py:123] Engine 001: Avg prompt throughput: 50.0 tokens/s, Avg generation throughput: 5.0 tokens/s, Running: 1 reqs, Waiting: 0 reqs, GPU KV cache usage: 5.0%, Prefix cache hit rate: 0.0%',
    'unrelated line',
  ];
  const s = summarizeStatsLines(lines);
  assert.equal(s.source, 'log');
  assert.equal(s.scrapes, 3);
  assert.equal(s.promptTokensPerSec, 200 + 50);
  assert.equal(s.generationTokensPerSec, 20 + 5);
  assert.equal(s.kvCacheUsageMax, 0.3);
  assert.equal(s.waitingMax, 3);
  assert.equal(s.preemptions, 2);
  assert.ok(Math.abs((s.prefixCacheHitRate ?? 0) - 0.4) < 1e-12);
});

let sim: SimVllmHandle;
const agent = new Agent({ connections: 4 });
before(async () => {
  sim = await startTinySim('--enable-prefix-caching', {
    timeScale: 0.0005,
    seed: 3,
  });
});
after(async () => {
  await sim.close();
  await agent.close();
});

test("the sim's real /metrics: token counters and prefix-cache hits over the scraper's window", async () => {
  const scraper = startScraper({ url: sim.url, intervalMs: 5, dispatcher: agent });
  const prompt = Array.from({ length: 64 }, (_, i) => `w${i}`).join(' ');
  for (let i = 0; i < 3; i++) {
    const record = await sendStreamingRequest({
      baseUrl: sim.url,
      endpoint: 'completions',
      model: 'tiny/model',
      prompt,
      maxTokens: 8,
    });
    assert.equal(record.ok, true, record.error);
  }
  const summary = await scraper.stop();
  assert.equal(summary.scrapeErrors, undefined, summary.lastError);
  assert.ok(summary.scrapes >= 2);
  // 3 x 64 prompt tokens and 3 x 8 generated tokens happened inside the window.
  const promptTokens = (summary.promptTokensPerSec ?? 0) * summary.windowSec;
  const generated = (summary.generationTokensPerSec ?? 0) * summary.windowSec;
  assert.ok(Math.abs(promptTokens - 192) < 1e-6, `prompt tokens ${promptTokens}`);
  assert.ok(Math.abs(generated - 24) < 1e-6, `generated ${generated}`);
  // Requests 2 and 3 reuse the first one's full blocks (64 tokens = 4 blocks of 16; vLLM keeps the last
  // block uncached, so 48 hits each): 96 / 192.
  assert.equal(summary.prefixCacheHitRate, 96 / 192);
  const missing = startScraper({ url: 'http://127.0.0.1:9/metrics', intervalMs: 1000, dispatcher: agent });
  const failed = await missing.stop();
  assert.equal(failed.scrapes, 0);
  assert.equal(failed.scrapeErrors, 2);
});
