import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Sample } from '../../src/datasets/load';
import { arrivalOffsetsSec, sampleGamma } from '../../src/loadgen/arrivals';
import { createAgent, runLoad, type Phase } from '../../src/loadgen/runner';
import { sendStreamingRequest, type RequestRecord } from '../../src/loadgen/stream-client';
import { seededRandom } from '../../src/datasets/synthetic';
import { type SimVllmHandle, startSimVllm } from '../../src/sim/vllm/server';

const samples: Sample[] = ['a', 'b', 'c'].map((id) => ({ id, prompt: `prompt ${id}`, maxTokens: 4 }));

function fakeRecord(): RequestRecord {
  return {
    startedAtEpochMs: 0,
    chunkTimesMs: [1],
    promptTokens: 2,
    completionTokens: 1,
    httpStatus: 200,
    ok: true,
  };
}

/** A fake server: counts requests in flight, answers after a few event-loop turns. */
function fakeSend() {
  const calls: { sampleId: string; index: number; phase: Phase }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const send = async (sample: Sample, index: number, phase: Phase) => {
    calls.push({ sampleId: sample.id, index, phase });
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    inFlight--;
    return { ...fakeRecord(), promptTokens: index };
  };
  return { send, calls, maxInFlight: () => maxInFlight };
}

test('concurrency: never more in flight than asked, warmups first and never returned', async () => {
  const fake = fakeSend();
  const seen: number[] = [];
  const result = await runLoad({
    samples,
    mode: { kind: 'concurrency', concurrency: 4 },
    numPrompts: 10,
    warmupRequests: 2,
    send: fake.send,
    onRecord: (_r, index) => void seen.push(index),
  });
  assert.equal(fake.maxInFlight(), 4);
  assert.deepEqual(
    fake.calls.slice(0, 2).map((c) => c.phase),
    ['warmup', 'warmup'],
  );
  assert.equal(fake.calls.filter((c) => c.phase === 'warmup').length, 2);
  assert.equal(result.records.length, 10);
  // Records are in index order; promptTokens carries the index in this fake.
  assert.deepEqual(
    result.records.map((r) => r.promptTokens),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  assert.deepEqual(
    seen.sort((a, b) => a - b),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  // Samples cycle when numPrompts exceeds them.
  const measured = fake.calls.filter((c) => c.phase === 'measure').sort((a, b) => a.index - b.index);
  assert.deepEqual(
    measured.slice(0, 4).map((c) => c.sampleId),
    ['a', 'b', 'c', 'a'],
  );
  assert.ok(result.durationSec > 0);
  assert.equal(result.aborted, false);
});

test('sequential: one at a time; resume starts at startIndex', async () => {
  const fake = fakeSend();
  const result = await runLoad({
    samples,
    mode: { kind: 'sequential' },
    numPrompts: 6,
    startIndex: 4,
    warmupRequests: 0,
    send: fake.send,
  });
  assert.equal(fake.maxInFlight(), 1);
  assert.equal(result.startIndex, 4);
  assert.deepEqual(
    result.records.map((r) => r.promptTokens),
    [4, 5],
  );
  assert.deepEqual(
    fake.calls.map((c) => c.sampleId),
    ['b', 'c'],
  );
});

test('abort stops sending; a throwing send stops the run and is rethrown', async () => {
  const controller = new AbortController();
  const fake = fakeSend();
  const result = await runLoad({
    samples,
    mode: { kind: 'concurrency', concurrency: 1 },
    numPrompts: 100,
    warmupRequests: 0,
    send: fake.send,
    onRecord: (_r, index) => (index === 2 ? controller.abort() : undefined),
    signal: controller.signal,
  });
  assert.equal(result.aborted, true);
  assert.equal(result.records.length, 3);
  let sends = 0;
  await assert.rejects(
    runLoad({
      samples,
      mode: { kind: 'concurrency', concurrency: 2 },
      numPrompts: 50,
      warmupRequests: 0,
      send: async () => {
        if (++sends === 3) throw new Error('bad send');
        await new Promise((r) => setImmediate(r));
        return fakeRecord();
      },
    }),
    /bad send/,
  );
  assert.ok(sends <= 4, `stopped after the failure, sent ${sends}`);
});

test('arrivals: seeded, rescaled to N / rate, burstiness sets the spread like vLLM', () => {
  const offsets = arrivalOffsetsSec(2000, 50, 1, 42);
  assert.deepEqual(offsets, arrivalOffsetsSec(2000, 50, 1, 42));
  assert.ok(Math.abs(offsets[offsets.length - 1] - 40) < 1e-9, 'last send at N / rate = 40 s');
  const cv = (xs: number[]) => {
    const gaps = xs.map((x, i) => x - (i ? xs[i - 1] : 0));
    const m = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    return Math.sqrt(gaps.reduce((a, g) => a + (g - m) ** 2, 0) / gaps.length) / m;
  };
  // Gamma(k) gaps have coefficient of variation 1 / sqrt(k): Poisson 1, burstiness 4 -> 0.5, 0.25 -> 2.
  assert.ok(Math.abs(cv(offsets) - 1) < 0.1, `poisson cv ${cv(offsets)}`);
  assert.ok(Math.abs(cv(arrivalOffsetsSec(2000, 50, 4, 1)) - 0.5) < 0.05);
  assert.ok(Math.abs(cv(arrivalOffsetsSec(4000, 50, 0.25, 1)) - 2) < 0.25);
  assert.deepEqual(arrivalOffsetsSec(3, Infinity, 1, 1), [0, 0, 0]);
  const random = seededRandom(3);
  const draws = Array.from({ length: 20000 }, () => sampleGamma(2, 3, random));
  const m = draws.reduce((a, b) => a + b, 0) / draws.length;
  assert.ok(Math.abs(m - 6) < 0.15, `gamma mean ${m} ~ shape * scale`);
});

let sim: SimVllmHandle;
before(async () => {
  sim = await startSimVllm({
    argv: ['tiny/model', '--host', '127.0.0.1', '--port', '0', '--max-model-len', '256'],
    timeScale: 0.0005,
    seed: 5,
  });
});
after(() => sim.close());

test('against the sim: rate mode with a concurrency cap over one shared agent', async () => {
  const agent = createAgent(4);
  try {
    const result = await runLoad({
      samples,
      mode: { kind: 'rate', requestsPerSec: 2000, burstiness: 1, seed: 1, maxConcurrency: 4 },
      numPrompts: 12,
      warmupRequests: 1,
      send: (sample, index) =>
        sendStreamingRequest({
          baseUrl: sim.url,
          endpoint: 'completions',
          model: 'tiny/model',
          prompt: sample.prompt,
          maxTokens: sample.maxTokens,
          agent,
          requestId: `r${index}`,
        }),
    });
    assert.equal(result.records.length, 12);
    assert.ok(
      result.records.every((r) => r.ok && r.completionTokens === 4),
      JSON.stringify(result.records[0]),
    );
  } finally {
    await agent.close();
  }
});
