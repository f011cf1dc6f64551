import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeMetrics } from '../../src/metrics/compute';
import { vllmBenchJsonLines } from '../../src/report/vllm-json';
import { workloadSchema } from '../../src/spec/schema';
import { sweepResult } from '../helpers/sweep-result';
import { okRecord } from '../helpers/records';

const record = okRecord;

test("vllm-json: one line per row and repeat, with vllm bench serve's keys and values", () => {
  const result = sweepResult({ sweepId: 's-1', tps: 9, startedAt: '2026-11-05T02:03:04Z', failB: true });
  result.workload = workloadSchema.parse({ mode: { kind: 'concurrency', concurrency: 4 } });
  const runs = [
    computeMetrics([record(0, [10, 20, 30]), record(0, [20, 25])], {
      durationSec: 0.03,
      percentiles: [50, 99.9],
    }),
    computeMetrics([record(0, [12, 22, 32])], { durationSec: 0.032, percentiles: [50, 99.9] }),
  ];
  const ok = result.configs[0].rows[0];
  ok.run!.metrics = runs;
  const lines = vllmBenchJsonLines(result).trimEnd().split('\n');
  // Only rows with metrics: the first row's two repeats (the helper's other rows carry none).
  assert.equal(lines.length, 2);
  const first = JSON.parse(lines[0]) as Record<string, unknown>;
  assert.deepEqual(
    {
      date: first.date,
      backend: first.backend,
      label: first.label,
      num_prompts: first.num_prompts,
      request_rate: first.request_rate,
      max_concurrency: first.max_concurrency,
      request_goodput: first.request_goodput,
    },
    {
      date: '20261105-020304',
      backend: 'openai',
      label: `${ok.experimentId}/${ok.dataset}`,
      num_prompts: 2,
      request_rate: 'inf',
      max_concurrency: 4,
      request_goodput: null,
    },
  );
  const m = runs[0];
  assert.equal(first.mean_ttft_ms, m.ttft.meanMs);
  assert.equal(first.median_itl_ms, m.itl.medianMs);
  assert.equal(first.std_e2el_ms, m.e2el.stdMs);
  assert.equal(first['p99.9_tpot_ms'], m.tpot.percentilesMs['p99.9']);
  assert.equal(first.p50_ttft_ms, m.ttft.percentilesMs.p50);
  assert.equal(first.total_token_throughput, m.totalTokenThroughputTokPerSec);
  assert.equal(first.max_concurrent_requests, m.maxConcurrentRequests);
  assert.deepEqual([first.vsweep_sweep_id, first.vsweep_run], ['s-1', 0]);
  assert.equal(JSON.parse(lines[1]).vsweep_run, 1);
  // A rate-mode chat sweep states its rate, burstiness and cap the way vLLM does.
  result.workload = workloadSchema.parse({
    endpoint: 'chat',
    mode: { kind: 'rate', requestsPerSec: 2.5, burstiness: 0.5, seed: 1 },
  });
  const rate = JSON.parse(vllmBenchJsonLines(result).split('\n')[0]) as Record<string, unknown>;
  assert.deepEqual(
    [rate.backend, rate.request_rate, rate.burstiness, rate.max_concurrency],
    ['openai-chat', 2.5, 0.5, null],
  );
});
