import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RequestRecord } from '../../src/loadgen/stream-client';
import { computeMetrics, summarizeRuns } from '../../src/metrics/compute';

function rec(
  startedAtEpochMs: number,
  chunkTimesMs: number[],
  promptTokens: number,
  completionTokens: number,
): RequestRecord {
  return { startedAtEpochMs, chunkTimesMs, promptTokens, completionTokens, httpStatus: 200, ok: true };
}

// A: 4 one-token chunks. B: a single token (no TPOT). C: 6 tokens in 3 chunks (multi-token chunks).
// D: HTTP 500. E: cut mid-stream after one chunk (failed, so its chunk must not reach ITL/TTFT stats).
const A = rec(1000, [100, 150, 210, 300], 10, 4);
const B = rec(1200, [80], 5, 1);
const C = rec(1500, [200, 260, 400], 20, 6);
const D: RequestRecord = { ...rec(1100, [], 0, 0), ok: false, httpStatus: 500, error: 'boom' };
const E: RequestRecord = { ...rec(1150, [50], 7, 1), ok: false, error: 'socket closed' };
const records = [A, B, C, D, E];
const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} != ${expected}`);

test('counts and throughputs: failed requests are counted but bring no tokens', () => {
  const m = computeMetrics(records, { durationSec: 2 });
  assert.equal(m.completed, 3);
  assert.equal(m.failed, 2);
  assert.equal(m.totalInputTokens, 35);
  // C counts 6 tokens from usage although it had 3 chunks.
  assert.equal(m.totalOutputTokens, 11);
  close(m.requestThroughputPerSec, 1.5, 'req/s');
  close(m.outputThroughputTokPerSec, 5.5, 'out tok/s');
  close(m.totalTokenThroughputTokPerSec, 23, 'total tok/s');
});

test('TTFT distribution matches numpy (population std, linear percentiles)', () => {
  const m = computeMetrics(records, { durationSec: 2, percentiles: [50, 90, 99] });
  // np.mean([100, 80, 200]) = 126.667; np.std = sqrt(8266.667 / 3) = 52.4934;
  // np.percentile(.., 90): rank 0.9 * 2 = 1.8 -> 100 + 0.8 * (200 - 100) = 180; p99 -> 198.
  assert.equal(m.ttft.count, 3);
  close(m.ttft.meanMs, 380 / 3, 'mean');
  close(m.ttft.medianMs, 100, 'median');
  close(m.ttft.stdMs, Math.sqrt(8266.666666666666 / 3), 'std');
  close(m.ttft.percentilesMs.p90, 180, 'p90');
  close(m.ttft.percentilesMs.p99, 198, 'p99');
  close(m.ttft.percentilesMs.p50, 100, 'p50');
});

test('TPOT = (e2el - ttft) / (out - 1), only for out > 1; multi-token chunks divide by tokens', () => {
  const m = computeMetrics(records, { durationSec: 2, percentiles: [99] });
  // A: (300 - 100) / 3 = 66.667; C: (400 - 200) / 5 = 40; B has one token and is left out.
  assert.equal(m.tpot.count, 2);
  close(m.tpot.meanMs, (200 / 3 + 40) / 2, 'mean');
  // np.percentile([40, 66.667], 99) = 40 + 0.99 * 26.667 = 66.4
  close(m.tpot.percentilesMs.p99, 40 + 0.99 * (200 / 3 - 40), 'p99');
});

test('ITL is per chunk gap, across all completed requests', () => {
  const m = computeMetrics(records, { durationSec: 2, percentiles: [90] });
  // A gaps [50, 60, 90], C gaps [60, 140]; sorted [50, 60, 60, 90, 140].
  assert.equal(m.itl.count, 5);
  close(m.itl.meanMs, 80, 'mean');
  close(m.itl.medianMs, 60, 'median');
  // np.std: deviations -30 -20 -20 10 60 -> 5400 / 5 = 1080
  close(m.itl.stdMs, Math.sqrt(1080), 'std');
  // rank 0.9 * 4 = 3.6 -> 90 + 0.6 * 50 = 120
  close(m.itl.percentilesMs.p90, 120, 'p90');
});

test('E2EL, per-request TPS, and peak concurrency over half-open intervals', () => {
  const m = computeMetrics(records, { durationSec: 2 });
  close(m.e2el.meanMs, 260, 'e2el mean');
  // 4 / 0.3 s, 1 / 0.08 s, 6 / 0.4 s
  close(m.meanPerRequestTokPerSec, (4 / 0.3 + 1 / 0.08 + 6 / 0.4) / 3, 'per-request tok/s');
  // A [1000, 1300) overlaps B [1200, 1280); C starts at 1500 alone. Failed D would overlap both.
  assert.equal(m.maxConcurrentRequests, 2);
  const touching = computeMetrics([rec(0, [100], 1, 1), rec(100, [100], 1, 1)], { durationSec: 1 });
  assert.equal(touching.maxConcurrentRequests, 1, 'a request ending at t does not overlap one starting at t');
});

test('peak output tokens per second: one count per chunk in whole-second buckets from the first start', () => {
  // Starts at 10 s. Chunks at 10.1, 10.9 | 11.0, 11.5, 11.99 (second request) | 12.2.
  const first = rec(10_000, [100, 900, 2200], 1, 3);
  const second = rec(10_500, [500, 1000, 1490], 1, 30);
  const m = computeMetrics([first, second], { durationSec: 3 });
  // Bucket 1 (11.0 <= t < 12.0) holds 11.0, 11.5, 11.99: three chunks, although `second` reports 30 tokens.
  assert.equal(m.maxOutputTokensPerSec, 3);
});

test('goodput: a request is good when it meets every given SLO; TPOT of a 1-token request is 0', () => {
  const ttftOnly = computeMetrics(records, { durationSec: 2, slo: { ttftMs: 150 } });
  close(ttftOnly.requestGoodputPerSec ?? NaN, 1, 'A and B meet 150 ms TTFT');
  const tpotOnly = computeMetrics(records, { durationSec: 2, slo: { tpotMs: 50 } });
  close(tpotOnly.requestGoodputPerSec ?? NaN, 1, 'B (tpot 0) and C (40) meet 50 ms TPOT');
  const both = computeMetrics(records, { durationSec: 2, slo: { ttftMs: 150, tpotMs: 50, e2elMs: 1000 } });
  close(both.requestGoodputPerSec ?? NaN, 0.5, 'only B meets both');
  const boundary = computeMetrics(records, { durationSec: 2, slo: { e2elMs: 300 } });
  close(boundary.requestGoodputPerSec ?? NaN, 1, 'e2el equal to the SLO is good (A 300, B 80)');
  assert.equal(computeMetrics(records, { durationSec: 2 }).requestGoodputPerSec, undefined);
});

test('all failed: zeros like numpy on `xs or 0`, and no exception', () => {
  const m = computeMetrics([D, E], { durationSec: 1 });
  assert.equal(m.completed, 0);
  assert.equal(m.failed, 2);
  assert.equal(m.ttft.meanMs, 0);
  assert.equal(m.itl.percentilesMs.p99, 0);
  assert.equal(m.maxOutputTokensPerSec, 0);
  assert.equal(m.maxConcurrentRequests, 0);
  assert.throws(() => computeMetrics([A], { durationSec: 0 }), /duration/);
});

test('missing usage: output tokens fall back to the chunk count', () => {
  const m = computeMetrics([rec(0, [10, 20, 30], 0, 0)], { durationSec: 1 });
  assert.equal(m.totalOutputTokens, 3);
  close(m.tpot.meanMs, 10, 'tpot');
});

test('summarizeRuns: mean, median, 95% Student-t interval', () => {
  const s = summarizeRuns([10, 14, 12]);
  assert.equal(s.mean, 12);
  assert.equal(s.median, 12);
  assert.equal(s.std, 2);
  // t(0.975, df=2) = 4.303; half width = 4.303 * 2 / sqrt(3) = 4.9687
  close(s.ci95?.halfWidth ?? NaN, (4.303 * 2) / Math.sqrt(3), 'half width');
  close(s.ci95?.low ?? NaN, 12 - (4.303 * 2) / Math.sqrt(3), 'low');
  const many = summarizeRuns(Array.from({ length: 41 }, (_, i) => i));
  // df = 40: table value 2.021; the expansion must land within 1e-3.
  assert.ok(Math.abs((many.ci95?.halfWidth ?? 0) / (many.std / Math.sqrt(41)) - 2.021) < 1e-3);
  const single = summarizeRuns([5]);
  assert.equal(single.ci95, undefined);
  assert.ok(Number.isNaN(single.std));
  assert.throws(() => summarizeRuns([]), /at least one/);
});
