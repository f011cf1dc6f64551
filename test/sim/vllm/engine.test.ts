import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineScheduler, type EngineParams, type TokenEvent } from '../../../src/sim/vllm/engine';
import { formatStatsLine, renderMetrics } from '../../../src/sim/vllm/metrics-text';

// timeScale 1 and a fixed clock: times below are simulated ms exactly.
function scheduler(overrides: Partial<EngineParams> = {}): EngineScheduler {
  return new EngineScheduler({
    timeScale: 1,
    maxNumSeqs: 256,
    kvCacheTokens: 2_000_000,
    enablePrefixCaching: true,
    decodeTokensPerSec: 8.7,
    prefillTokensPerSec: 25000,
    coldStartSeconds: 0,
    random: () => 0.5, // no decode noise
    ...overrides,
  });
}

const words = (n: number, salt = '') => Array.from({ length: n }, (_, i) => `w${salt}${i}`);

function drain(engine: EngineScheduler, untilMs = Infinity): TokenEvent[] {
  const events: TokenEvent[] = [];
  for (let due = engine.nextDueMs(); due !== undefined && due <= untilMs; due = engine.nextDueMs()) {
    events.push(...engine.advance(due));
  }
  return events;
}

test('an 8k prompt with 512 tokens takes ~58.9 s like the seed baseline', () => {
  const engine = scheduler();
  engine.submit({ id: 'a', promptTokens: words(6101), maxTokens: 512 }, 0);
  const events = drain(engine);
  assert.equal(events.length, 512);
  assert.equal(events[0].dueMs, (6101 / 25000) * 1000);
  assert.ok(events[511].last && !events[510].last);
  const e2eSec = events[511].dueMs / 1000;
  assert.ok(Math.abs(e2eSec - 58.98) < 0.05, `e2e ${e2eSec}`);
  const gapMs = events[2].dueMs - events[1].dueMs;
  assert.ok(Math.abs(gapMs - 1000 / 8.7) < 1e-6);
});

test('the first request after startup is cold, later ones are not', () => {
  const engine = scheduler({ coldStartSeconds: 20 });
  engine.submit({ id: 'a', promptTokens: words(100), maxTokens: 2 }, 0);
  const first = drain(engine);
  assert.equal(first[0].dueMs, 20_000 + 4);
  engine.submit({ id: 'b', promptTokens: words(100, 'x'), maxTokens: 2 }, 100_000);
  assert.equal(drain(engine)[0].dueMs, 100_000 + 4);
});

test('decode noise stays within ±1%', () => {
  for (const r of [0, 0.999999]) {
    const engine = scheduler({ random: () => r });
    engine.submit({ id: 'a', promptTokens: words(10), maxTokens: 3 }, 0);
    const events = drain(engine);
    const rate = 1000 / (events[2].dueMs - events[1].dueMs);
    assert.ok(Math.abs(rate / 8.7 - 1) <= 0.01 + 1e-9 && Math.abs(rate / 8.7 - 1) > 0.009, `rate ${rate}`);
  }
});

test('beyond max-num-seqs requests wait and start when a slot frees', () => {
  const engine = scheduler({ maxNumSeqs: 2 });
  for (const id of ['a', 'b', 'c']) engine.submit({ id, promptTokens: words(25, id), maxTokens: 3 }, 0);
  assert.equal(engine.numRunning, 2);
  assert.equal(engine.numWaiting, 1);
  const events = drain(engine);
  const lastOfA = events.find((e) => e.id === 'a' && e.last);
  const firstOfC = events.find((e) => e.id === 'c' && e.index === 0);
  assert.ok(lastOfA && firstOfC);
  // c is admitted when a finishes and then needs its own prefill (1 ms for 25 tokens).
  assert.equal(firstOfC.dueMs, lastOfA.dueMs + 1);
  assert.equal(engine.numRunning + engine.numWaiting, 0);
});

test('the schedule does not depend on how often advance() is called', () => {
  const coarse = scheduler();
  const fine = scheduler();
  for (const engine of [coarse, fine]) {
    engine.submit({ id: 'a', promptTokens: words(50), maxTokens: 20 }, 0);
    engine.submit({ id: 'b', promptTokens: words(5000, 'b'), maxTokens: 10 }, 0);
  }
  const coarseEvents = coarse.advance(1e9);
  const fineEvents: TokenEvent[] = [];
  for (let t = 0; t < 5000; t += 7) fineEvents.push(...fine.advance(t));
  assert.equal(coarseEvents.length, 30);
  assert.deepEqual(fineEvents, coarseEvents);
});

test('prefix caching skips prefill for repeated 16-token blocks; hit rate grows past 50%', () => {
  const engine = scheduler();
  const prompt = words(6101);
  engine.submit({ id: 'a', promptTokens: prompt, maxTokens: 1 }, 0);
  assert.equal(engine.view('a')?.cachedTokens, 0);
  drain(engine);
  engine.submit(
    { id: 'b', promptTokens: [...prompt.slice(0, 6000), ...words(101, 'z')], maxTokens: 1 },
    10_000,
  );
  // 6000 shared tokens = 375 whole blocks.
  assert.equal(engine.view('b')?.cachedTokens, 6000);
  const ttftMs = drain(engine)[0].dueMs - 10_000;
  assert.ok(Math.abs(ttftMs - ((6101 - 6000) / 25000) * 1000) < 1e-6);
  assert.ok(Math.abs(engine.recentPrefixHitRate() - 6000 / 12202) < 1e-9);
  engine.submit({ id: 'c', promptTokens: prompt, maxTokens: 1 }, 20_000);
  // The whole prompt is cached, but the last token is always recomputed: 6096 = floor(6100/16)*16.
  assert.equal(engine.view('c')?.cachedTokens, 6096);
  assert.ok(engine.recentPrefixHitRate() > 0.5);
  engine.resetPrefixCache();
  engine.submit({ id: 'd', promptTokens: prompt, maxTokens: 1 }, 30_000);
  assert.equal(engine.view('d')?.cachedTokens, 0);
});

test('without prefix caching nothing is cached', () => {
  const engine = scheduler({ enablePrefixCaching: false });
  engine.submit({ id: 'a', promptTokens: words(64), maxTokens: 1 }, 0);
  drain(engine);
  engine.submit({ id: 'b', promptTokens: words(64), maxTokens: 1 }, 1000);
  assert.equal(engine.view('b')?.cachedTokens, 0);
});

test('abort frees the slot for the next waiting request', () => {
  const engine = scheduler({ maxNumSeqs: 1 });
  engine.submit({ id: 'a', promptTokens: words(25), maxTokens: 100 }, 0);
  engine.submit({ id: 'b', promptTokens: words(25, 'b'), maxTokens: 1 }, 0);
  assert.equal(engine.numWaiting, 1);
  engine.abort('a', 50);
  assert.equal(engine.numRunning, 1);
  const events = drain(engine);
  assert.deepEqual(
    events.map((e) => e.id),
    ['b'],
  );
});

test('a 6101-token prompt in a 10 s window logs 610.1 tokens/s; KV usage ~0.3%', () => {
  const engine = scheduler();
  engine.submit({ id: 'a', promptTokens: words(6101), maxTokens: 512 }, 0);
  drain(engine, 10_000);
  const line = formatStatsLine({
    window: engine.takeStatsWindow(),
    windowSimSeconds: 10,
    running: engine.numRunning,
    waiting: engine.numWaiting,
    kvCacheUsage: engine.kvCacheUsage(),
    prefixHitRate: engine.recentPrefixHitRate(),
  });
  assert.match(
    line,
    /^Engine 000: Avg prompt throughput: 610\.1 tokens\/s, Avg generation throughput: 8\.\d tokens\/s, Running: 1 reqs, Waiting: 0 reqs, GPU KV cache usage: 0\.3%, Prefix cache hit rate: 0\.0%$/,
  );
  assert.deepEqual(engine.takeStatsWindow(), { promptTokens: 0, generationTokens: 0 });
});

test('metrics text has vLLM series names, labels and histograms', () => {
  const engine = scheduler();
  engine.submit({ id: 'a', promptTokens: words(32), maxTokens: 4 }, 0);
  drain(engine);
  const text = renderMetrics(engine, 'glm');
  assert.match(text, /^vllm:generation_tokens_total\{engine="0",model_name="glm"\} 4$/m);
  assert.match(text, /^vllm:prompt_tokens_total\{engine="0",model_name="glm"\} 32$/m);
  assert.match(
    text,
    /^vllm:request_success_total\{engine="0",model_name="glm",finished_reason="length"\} 1$/m,
  );
  assert.match(text, /^# TYPE vllm:time_to_first_token_seconds histogram$/m);
  assert.match(
    text,
    /^vllm:time_to_first_token_seconds_bucket\{engine="0",model_name="glm",le="0.005"\} 1$/m,
  );
  assert.match(
    text,
    /^vllm:time_to_first_token_seconds_bucket\{engine="0",model_name="glm",le="0.001"\} 0$/m,
  );
  assert.match(text, /^vllm:e2e_request_latency_seconds_count\{engine="0",model_name="glm"\} 1$/m);
  for (const name of [
    'num_requests_running',
    'num_requests_waiting',
    'kv_cache_usage_perc',
    'prefix_cache_queries_total',
    'prefix_cache_hits_total',
    'num_preemptions_total',
  ]) {
    assert.match(text, new RegExp(`^vllm:${name}\\{engine="0",model_name="glm"\\} \\d`, 'm'));
  }
});
