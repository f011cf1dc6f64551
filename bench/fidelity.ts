// Fidelity: how close are the client's TTFT and ITL to the truth? The simulated vLLM runs in a child
// process and records when it wrote each chunk; the measuring client runs in another child; we compare
// when the client saw each chunk with when the server wrote it.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { percentileSorted, sortedCopy } from '../src/metrics/stats';
import { seededRandom } from '../src/datasets/synthetic';
import type { EmissionRecord } from '../src/sim/vllm/http-api';
import { forkChild } from './lib/child';
import type { ClientDiag, ClientSetup, RunReply, RunRequest, SlimRecord } from './lib/client-child';
import type { SimDiag } from './lib/sim-child';

// The sim decodes 8.7 tok/s simulated; at 0.3 wall s per sim s that is one chunk every ~34 ms.
const TIME_SCALE = 0.3;
const OUTPUT_TOKENS = 16;
const HEADLINE_STREAMS = 64;
/** Measured requests per setting: enough rounds that p99 is not just the worst one or two samples. */
const SETTINGS: { streams: number; requests: number; schedule: Schedule }[] = [
  { streams: 1, requests: 16, schedule: 'lockstep' },
  { streams: 64, requests: 64 * 6, schedule: 'lockstep' },
  { streams: 256, requests: 256 * 2, schedule: 'lockstep' },
  { streams: 64, requests: 64 * 4, schedule: 'free' },
];
/** Client: main thread on core 0, the sim on core 1 at lower priority. */
const CLIENT_CPU = 0;
const SIM_CPU = 1;
const CLIENT_NICE = -10;
// Not lower: pinned apart, the sim never competes with the client's main thread, but a niced sim starves
// behind any other load on its core and then writes whole late steps at once.
const SIM_NICE = 0;
// A young generation big enough that a measured setting rarely needs a scavenge.
const CLIENT_NODE_FLAGS = ['--max-semi-space-size=64', '--min-semi-space-size=64', '--expose-gc'];
const VERBOSE = process.argv.includes('--diag');
// For finding where error comes from: --no-pin (no taskset/nice), --default-heap (no client node flags).
const PIN = !process.argv.includes('--no-pin');
const CLIENT_FLAGS = [
  ...(process.argv.includes('--default-heap') ? [] : CLIENT_NODE_FLAGS),
  ...(process.env.FIDELITY_CLIENT_FLAGS?.split(' ').filter(Boolean) ?? []),
];

/**
 * lockstep: the sim emits on its decode-step grid, one token for every running stream per step (vLLM's
 * engine; all streams' chunks are written in one burst). free: each stream on its own timer (the sim's
 * default; streams are staggered by serialized prefills and ±1% decode noise, so bursts are small).
 */
type Schedule = 'lockstep' | 'free';

/** A seed whose first draw is small: the sim's first request waits 1 + 19 * draw simulated seconds. */
function quickColdStartSeed(): number {
  for (let seed = 1; ; seed++) if (seededRandom(seed)() < 0.01) return seed;
}

interface Row {
  streams: number;
  schedule: Schedule;
  requests: number;
  failed: number;
  ttftErrP50Ms: number;
  ttftErrP99Ms: number;
  ttftErrMaxMs: number;
  itlErrP50Ms: number;
  itlErrP99Ms: number;
  itlErrMaxMs: number;
  /** ITL error p99 over gaps between steps where no stream starts or finishes. */
  itlErrP99SteadyMs: number;
  /** … and over gaps touching a step where streams finish and the client sends their next requests. */
  itlErrP99TurnoverMs: number;
  meanItlMs: number;
  /** Chunks the server wrote in one burst (same wake-up), largest seen. */
  maxBurst: number;
  /** p99 of arrival − emission by position in its burst: first quarter … last quarter. */
  latenessP99ByBurstQuarterMs: number[];
  tokenCountMismatches: number;
  /** The same error taken against the time the sim entered its write syscall (includes the kernel's send path). */
  vsWriteStart: { ttftErrP99Ms: number; itlErrP99Ms: number };
  client: ClientDiag;
  sim: SimDiag;
}

const p = (sorted: readonly number[], q: number) => percentileSorted(sorted, q);

function compare(
  setting: (typeof SETTINGS)[number],
  idPrefix: string,
  records: SlimRecord[],
  emissions: Map<string, EmissionRecord>,
  clientOffsetMs: number,
  serverOffsetMs: number,
  truthTimes: (emission: EmissionRecord) => number[],
): Omit<Row, 'client' | 'sim' | 'vsWriteStart'> {
  const ttftErrors: number[] = [];
  const itlErrors: number[] = [];
  const itls: number[] = [];
  const chunks: { emitted: number; late: number; first: boolean; last: boolean; turnover: boolean }[] = [];
  const gaps: { a: (typeof chunks)[number]; b: (typeof chunks)[number]; error: number }[] = [];
  let mismatches = 0;
  let failed = 0;
  records.forEach((record, index) => {
    const truth = emissions.get(`${idPrefix}${index}`);
    if (!record.ok || !truth) {
      failed++;
      return;
    }
    // Both sides on the monotonic clock: arrival = send epoch + offset since send.
    const arrived = record.chunkTimesMs.map((t) => record.startedAtEpochMs + t - clientOffsetMs);
    const emitted = truthTimes(truth).map((t) => t - serverOffsetMs);
    if (
      record.completionTokens !== emitted.length ||
      arrived.length !== emitted.length ||
      record.completionTokens !== OUTPUT_TOKENS
    )
      mismatches++;
    const n = Math.min(arrived.length, emitted.length);
    if (n === 0) return;
    ttftErrors.push(Math.abs(arrived[0] - emitted[0]));
    const mine = emitted.slice(0, n).map((t, i) => ({
      emitted: t,
      late: arrived[i] - t,
      first: i === 0,
      last: i === n - 1,
      turnover: false,
    }));
    chunks.push(...mine);
    for (let i = 1; i < n; i++) {
      itls.push(arrived[i] - arrived[i - 1]);
      const error = Math.abs(arrived[i] - arrived[i - 1] - (emitted[i] - emitted[i - 1]));
      itlErrors.push(error);
      gaps.push({ a: mine[i - 1], b: mine[i], error });
    }
  });
  // Bursts: chunks emitted less than 1 ms after the previous one belong to the same burst.
  chunks.sort((a, b) => a.emitted - b.emitted);
  const quarters: number[][] = [[], [], [], []];
  let maxBurst = 0;
  for (let start = 0; start < chunks.length;) {
    let end = start + 1;
    while (end < chunks.length && chunks[end].emitted - chunks[end - 1].emitted < 1) end++;
    const size = end - start;
    maxBurst = Math.max(maxBurst, size);
    // A turnover burst: some streams finish (and the client sends their next requests) or start.
    if (chunks.slice(start, end).some((c) => c.first || c.last))
      for (let k = start; k < end; k++) chunks[k].turnover = true;
    for (let k = start; k < end; k++)
      quarters[Math.min(3, Math.floor(((k - start) * 4) / size))].push(chunks[k].late);
    start = end;
  }
  const steady = sortedCopy(gaps.filter((g) => !g.a.turnover && !g.b.turnover).map((g) => g.error));
  const turnover = sortedCopy(gaps.filter((g) => g.a.turnover || g.b.turnover).map((g) => g.error));
  const ttft = sortedCopy(ttftErrors);
  const itl = sortedCopy(itlErrors);
  return {
    streams: setting.streams,
    schedule: setting.schedule,
    requests: records.length,
    failed,
    ttftErrP50Ms: p(ttft, 50),
    ttftErrP99Ms: p(ttft, 99),
    ttftErrMaxMs: ttft.length > 0 ? ttft[ttft.length - 1] : 0,
    itlErrP50Ms: p(itl, 50),
    itlErrP99Ms: p(itl, 99),
    itlErrMaxMs: itl.length > 0 ? itl[itl.length - 1] : 0,
    itlErrP99SteadyMs: p(steady, 99),
    itlErrP99TurnoverMs: p(turnover, 99),
    meanItlMs: itls.length > 0 ? itls.reduce((a, b) => a + b, 0) / itls.length : 0,
    maxBurst,
    latenessP99ByBurstQuarterMs: quarters.map((q) => p(sortedCopy(q), 99)),
    tokenCountMismatches: mismatches,
  };
}

/** Other node processes on the machine (other benches or tests skew the numbers), excluding ours. */
function otherNodeProcesses(ours: number[]): string[] {
  try {
    const out = execFileSync('ps', ['-eo', 'pid=,pcpu=,args='], { encoding: 'utf8' });
    return out
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => /\bnode\b/.test(line) && !ours.includes(Number(line.split(/\s+/)[0])));
  } catch {
    return [];
  }
}

async function main() {
  const started = Date.now();
  const loadBefore = loadavg()[0];
  const seed = String(quickColdStartSeed());
  const lib = path.join(__dirname, 'lib');
  const startSim = (lockstep: boolean) =>
    forkChild<{ url: string; clockOffsetMs: number }>(
      path.join(lib, 'sim-child.js'),
      [String(TIME_SCALE), seed, '1024', lockstep ? '1' : '0'],
      PIN ? { cpu: SIM_CPU, nice: SIM_NICE } : {},
    );
  // Both start at once: their scripted startups take a few seconds each.
  const [lockstepSim, freeSim] = await Promise.all([startSim(true), startSim(false)]);
  const sims = { lockstep: lockstepSim, free: freeSim };
  const client = await forkChild<ClientSetup>(
    path.join(lib, 'client-child.js'),
    PIN ? [String(CLIENT_CPU), String(CLIENT_NICE)] : ['-1', '0'],
    { nodeFlags: CLIENT_FLAGS },
  );
  const ours = [process.pid, client.child.pid ?? 0, sims.lockstep.child.pid ?? 0, sims.free.child.pid ?? 0];
  const others = otherNodeProcesses(ours);
  if (others.length > 0)
    console.error(
      `warning: other node processes are running, numbers may be noisy:\n  ${others.join('\n  ')}`,
    );
  const rows: Row[] = [];
  try {
    const clientOffsetMs = client.ready.clockOffsetMs;
    const ask = async (sim: typeof sims.free, request: Omit<RunRequest, 'url' | 'outputTokens'>) => {
      await sim.ask<string>({ kind: 'reset' });
      const reply = await client.ask<RunReply | { error: string }>({
        ...request,
        url: sim.ready.url,
        outputTokens: OUTPUT_TOKENS,
      });
      if ('error' in reply) throw new Error(`client: ${reply.error}`);
      const { emissions, diag } = await sim.ask<{ emissions: EmissionRecord[]; diag: SimDiag }>({
        kind: 'emissions',
      });
      return { reply, emissions, diag };
    };
    // JIT warm-up of both processes' hot paths (and the sims' cold start), not measured.
    for (const sim of [sims.lockstep, sims.free])
      await ask(sim, {
        streams: HEADLINE_STREAMS,
        requests: HEADLINE_STREAMS * 2,
        warmupRequests: 0,
        idPrefix: 'jit-',
      });
    for (const [i, setting] of SETTINGS.entries()) {
      const idPrefix = `f${i}-${setting.streams}-`;
      const { reply, emissions, diag } = await ask(sims[setting.schedule], {
        streams: setting.streams,
        requests: setting.requests,
        // One warm round per setting: opens the pool's connections before measuring.
        warmupRequests: setting.streams,
        idPrefix,
      });
      const byId = new Map(emissions.map((e) => [e.requestId, e]));
      // FIDELITY_DUMP=/tmp/fid: raw records and emissions per setting, for digging into a tail.
      if (process.env.FIDELITY_DUMP)
        writeFileSync(
          `${process.env.FIDELITY_DUMP}-${i}.json`,
          JSON.stringify({
            idPrefix,
            records: reply.records,
            emissions,
            clientOffsetMs: client.ready.clockOffsetMs,
            serverOffsetMs: sims[setting.schedule].ready.clockOffsetMs,
          }),
        );
      const serverOffsetMs = sims[setting.schedule].ready.clockOffsetMs;
      const against = (truth: (e: EmissionRecord) => number[]) =>
        compare(setting, idPrefix, reply.records, byId, clientOffsetMs, serverOffsetMs, truth);
      const writeStart = against((e) => e.emittedAtEpochMs);
      rows.push({
        ...against((e) => e.deliveredAtEpochMs),
        vsWriteStart: { ttftErrP99Ms: writeStart.ttftErrP99Ms, itlErrP99Ms: writeStart.itlErrP99Ms },
        client: reply.diag,
        sim: diag,
      });
    }
  } finally {
    await client.kill();
    await Promise.all([sims.lockstep.kill(), sims.free.kill()]);
  }
  const loadAfter = loadavg()[0];
  const fmt = (v: number) => v.toFixed(3).padStart(8);
  console.log(
    `Fidelity: client-measured chunk arrivals vs the sim's writes (time scale ${TIME_SCALE}, ${OUTPUT_TOKENS} tokens/request; error ms)`,
  );
  console.log(
    'Truth: when the write syscall returned (bytes on the client socket); "vs write start" adds the kernel send path.',
  );
  console.log(
    'streams  schedule  requests  failed  mean ITL  TTFT p50  TTFT p99  TTFT max   ITL p50   ITL p99   ITL max  ITL p99 steady/turnover  burst  mismatches  p99 TTFT/ITL vs write start',
  );
  for (const r of rows)
    console.log(
      `${String(r.streams).padStart(7)}  ${r.schedule.padEnd(8)}  ${String(r.requests).padStart(8)}  ${String(r.failed).padStart(6)}  ${fmt(r.meanItlMs)}  ${fmt(r.ttftErrP50Ms)}  ${fmt(r.ttftErrP99Ms)}  ${fmt(r.ttftErrMaxMs)}  ${fmt(r.itlErrP50Ms)}  ${fmt(r.itlErrP99Ms)}  ${fmt(r.itlErrMaxMs)}  ${fmt(r.itlErrP99SteadyMs)} / ${fmt(r.itlErrP99TurnoverMs)}     ${String(r.maxBurst).padStart(5)}  ${String(r.tokenCountMismatches).padStart(10)}  ${fmt(r.vsWriteStart.ttftErrP99Ms)} / ${fmt(r.vsWriteStart.itlErrP99Ms)}`,
    );
  if (VERBOSE)
    for (const r of rows)
      console.log(
        `  ${r.streams}/${r.schedule}: lateness p99 by burst quarter ${r.latenessP99ByBurstQuarterMs.map((v) => v.toFixed(3)).join(' / ')} ms; client ${JSON.stringify(r.client)}; sim ${JSON.stringify(r.sim)}`,
      );
  console.log(
    `load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after; client main thread on cpu ${client.ready.pinnedCpu} at nice ${client.ready.nice}${client.ready.realtime ? ' SCHED_FIFO' : ''}, sim on cpu ${SIM_CPU} at nice ${SIM_NICE}`,
  );
  const at64 = rows.find((r) => r.streams === HEADLINE_STREAMS && r.schedule === 'lockstep');
  console.log(
    JSON.stringify({
      bench: 'fidelity',
      timeScale: TIME_SCALE,
      outputTokens: OUTPUT_TOKENS,
      schedule: 'lockstep',
      p99TtftErrorMs: at64?.ttftErrP99Ms,
      p99ItlErrorMs: at64?.itlErrP99Ms,
      tokenCountMismatches: rows.reduce((a, r) => a + r.tokenCountMismatches, 0),
      failed: rows.reduce((a, r) => a + r.failed, 0),
      loadAvg1m: [Number(loadBefore.toFixed(2)), Number(loadAfter.toFixed(2))],
      client: { ...client.ready, clockOffsetMs: undefined },
      simCpu: PIN ? SIM_CPU : -1,
      otherNodeProcesses: others.length,
      wallSec: (Date.now() - started) / 1000,
      rows,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
