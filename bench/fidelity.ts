// Fidelity: how close are the client's TTFT and ITL to the truth? The simulated vLLM runs in a child
// process and records when it wrote each chunk; we compare with when our stream client saw it.
import path from 'node:path';
import { computeMetrics } from '../src/metrics/compute';
import { percentileSorted, sortedCopy } from '../src/metrics/stats';
import { createDispatcher, runLoad } from '../src/loadgen/runner';
import { sendStreamingRequest, type RequestRecord } from '../src/loadgen/stream-client';
import { seededRandom } from '../src/datasets/synthetic';
import type { EmissionRecord } from '../src/sim/vllm/http-api';
import { epochToMonotonicOffsetMs, forkChild } from './lib/child';

// The sim decodes 8.7 tok/s simulated; at 0.3 wall s per sim s that is one chunk every ~34 ms.
const TIME_SCALE = 0.3;
const OUTPUT_TOKENS = 16;
const STREAMS = [1, 64, 256];
const requestsFor = (streams: number) => Math.max(8, streams * 2);

/** A seed whose first draw is small: the sim's first request waits 1 + 19 * draw simulated seconds. */
function quickColdStartSeed(): number {
  for (let seed = 1; ; seed++) if (seededRandom(seed)() < 0.01) return seed;
}

interface Row {
  streams: number;
  requests: number;
  failed: number;
  ttftErrP50Ms: number;
  ttftErrP99Ms: number;
  itlErrP50Ms: number;
  itlErrP99Ms: number;
  meanItlMs: number;
  tokenCountMismatches: number;
}

function compare(
  streams: number,
  records: RequestRecord[],
  emissions: Map<string, EmissionRecord>,
  clientOffsetMs: number,
  serverOffsetMs: number,
): Row {
  const ttftErrors: number[] = [];
  const itlErrors: number[] = [];
  let mismatches = 0;
  let failed = 0;
  records.forEach((record, index) => {
    const truth = emissions.get(`f${streams}-${index}`);
    if (!record.ok || !truth) {
      failed++;
      return;
    }
    // Both sides on the monotonic clock: arrival = send epoch + offset since send.
    const arrived = record.chunkTimesMs.map((t) => record.startedAtEpochMs + t - clientOffsetMs);
    const emitted = truth.emittedAtEpochMs.map((t) => t - serverOffsetMs);
    if (
      record.completionTokens !== emitted.length ||
      arrived.length !== emitted.length ||
      record.completionTokens !== OUTPUT_TOKENS
    )
      mismatches++;
    const n = Math.min(arrived.length, emitted.length);
    if (n === 0) return;
    ttftErrors.push(Math.abs(arrived[0] - emitted[0]));
    for (let i = 1; i < n; i++)
      itlErrors.push(Math.abs(arrived[i] - arrived[i - 1] - (emitted[i] - emitted[i - 1])));
  });
  const ttft = sortedCopy(ttftErrors);
  const itl = sortedCopy(itlErrors);
  return {
    streams,
    requests: records.length,
    failed,
    ttftErrP50Ms: percentileSorted(ttft, 50),
    ttftErrP99Ms: percentileSorted(ttft, 99),
    itlErrP50Ms: percentileSorted(itl, 50),
    itlErrP99Ms: percentileSorted(itl, 99),
    meanItlMs: computeMetrics(records, { durationSec: 1 }).itl.meanMs,
    tokenCountMismatches: mismatches,
  };
}

async function main() {
  const started = Date.now();
  const sim = await forkChild<{ url: string; clockOffsetMs: number }>(
    path.join(__dirname, 'lib', 'sim-child.js'),
    [String(TIME_SCALE), String(quickColdStartSeed()), '1024'],
  );
  const rows: Row[] = [];
  try {
    const clientOffsetMs = epochToMonotonicOffsetMs();
    const prompt = Array.from({ length: 32 }, (_, i) => `w${i}`).join(' ');
    for (const streams of STREAMS) {
      const dispatcher = createDispatcher(streams);
      try {
        const result = await runLoad({
          samples: [{ id: 'p', prompt, maxTokens: OUTPUT_TOKENS }],
          mode: { kind: 'concurrency', concurrency: streams },
          numPrompts: requestsFor(streams),
          // One warm round per setting: opens the pool's connections and lets the JIT settle before measuring.
          warmupRequests: streams,
          send: (sample, index, phase) =>
            sendStreamingRequest({
              baseUrl: sim.ready.url,
              endpoint: 'completions',
              model: 'tiny/model',
              prompt: sample.prompt,
              maxTokens: sample.maxTokens,
              dispatcher,
              requestId: phase === 'warmup' ? `warm-${index}` : `f${streams}-${index}`,
            }),
        });
        const emitted = await sim.ask<EmissionRecord[]>('emissions');
        const byId = new Map(emitted.map((e) => [e.requestId, e]));
        rows.push(compare(streams, result.records, byId, clientOffsetMs, sim.ready.clockOffsetMs));
      } finally {
        await dispatcher.close();
      }
    }
  } finally {
    await sim.kill();
  }
  const fmt = (v: number) => v.toFixed(3).padStart(9);
  console.log(
    `Fidelity: client-measured vs emitted chunk times (time scale ${TIME_SCALE}, ${OUTPUT_TOKENS} tokens/request)`,
  );
  console.log(
    'streams  requests  failed  mean ITL ms  TTFT err p50  TTFT err p99  ITL err p50  ITL err p99  token mismatches',
  );
  for (const r of rows)
    console.log(
      `${String(r.streams).padStart(7)}  ${String(r.requests).padStart(8)}  ${String(r.failed).padStart(6)}  ${fmt(r.meanItlMs)}    ${fmt(r.ttftErrP50Ms)}     ${fmt(r.ttftErrP99Ms)}    ${fmt(r.itlErrP50Ms)}    ${fmt(r.itlErrP99Ms)}  ${String(r.tokenCountMismatches).padStart(16)}`,
    );
  const at64 = rows.find((r) => r.streams === 64);
  console.log(
    JSON.stringify({
      bench: 'fidelity',
      timeScale: TIME_SCALE,
      outputTokens: OUTPUT_TOKENS,
      p99TtftErrorMs: at64?.ttftErrP99Ms,
      p99ItlErrorMs: at64?.itlErrP99Ms,
      tokenCountMismatches: rows.reduce((a, r) => a + r.tokenCountMismatches, 0),
      failed: rows.reduce((a, r) => a + r.failed, 0),
      wallSec: (Date.now() - started) / 1000,
      rows,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
