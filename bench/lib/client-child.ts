// Bench child: the measuring client (runner + stream client) alone in its process, so nothing else runs
// on its event loop while chunks arrive. IPC: ready -> {clockOffsetMs}; a RunRequest -> RunReply.
import { execFileSync } from 'node:child_process';
import { setPriority } from 'node:os';
import { createAgent, runLoad } from '../../src/loadgen/runner';
import { sendStreamingRequest } from '../../src/loadgen/stream-client';
import { epochToMonotonicOffsetMs } from './child';
import { type LoopDiag, LoopWatch } from './diag';

export interface RunRequest {
  url: string;
  streams: number;
  requests: number;
  warmupRequests: number;
  outputTokens: number;
  /** Measured request i is sent as `${idPrefix}${i}`. */
  idPrefix: string;
}

/** Only what the comparison needs, to keep the IPC message small. */
export interface SlimRecord {
  ok: boolean;
  startedAtEpochMs: number;
  chunkTimesMs: number[];
  completionTokens: number;
  error?: string;
}

export interface ClientDiag extends LoopDiag {
  /** Client CPU (user + system) over the measured phase per chunk received, µs. */
  cpuUsPerChunk: number;
}

export interface RunReply {
  records: SlimRecord[];
  diag: ClientDiag;
}

export interface ClientSetup {
  clockOffsetMs: number;
  /** The core the client's main thread is pinned to, or -1. */
  pinnedCpu: number;
  nice: number;
  /** The main thread runs SCHED_FIFO. */
  realtime: boolean;
}

/** Best effort: the main thread alone on `cpu` (V8's helper threads keep the full mask), higher priority. */
const REALTIME_PRIORITY = 10;

function placeSelf(cpu: number, nice: number): { pinnedCpu: number; nice: number; realtime: boolean } {
  let pinnedCpu = -1;
  let niceSet = 0;
  if (cpu >= 0) {
    try {
      execFileSync('taskset', ['-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' });
      pinnedCpu = cpu;
    } catch {
      // No taskset or not allowed: run unpinned.
    }
  }
  try {
    setPriority(nice);
    niceSet = nice;
  } catch {
    // Raising priority needs CAP_SYS_NICE: keep the default.
  }
  // Real-time (FIFO) for the main thread alone: it sleeps in epoll between chunks and, when woken,
  // runs before any ordinary task on its core instead of waiting for the scheduler's next slice.
  let realtime = false;
  try {
    execFileSync('chrt', ['-f', '-p', String(REALTIME_PRIORITY), String(process.pid)], { stdio: 'ignore' });
    realtime = true;
  } catch {
    // Needs CAP_SYS_NICE too.
  }
  return { pinnedCpu, nice: niceSet, realtime };
}

const prompt = Array.from({ length: 32 }, (_, i) => `w${i}`).join(' ');

async function run(request: RunRequest): Promise<RunReply> {
  const agent = createAgent(request.streams);
  const watch = new LoopWatch();
  let cpu = process.cpuUsage();
  try {
    const result = await runLoad({
      samples: [{ id: 'p', prompt, maxTokens: request.outputTokens }],
      mode: { kind: 'concurrency', concurrency: request.streams },
      numPrompts: request.requests,
      warmupRequests: request.warmupRequests,
      send: (sample, index, phase) => {
        if (phase === 'measure' && index === 0) {
          // Start the measured phase from a clean young generation; watch from here.
          (globalThis as { gc?: () => void }).gc?.();
          watch.start();
          cpu = process.cpuUsage();
        }
        return sendStreamingRequest({
          baseUrl: request.url,
          endpoint: 'completions',
          model: 'tiny/model',
          prompt: sample.prompt,
          maxTokens: sample.maxTokens,
          agent,
          requestId: phase === 'warmup' ? `warm-${request.idPrefix}${index}` : `${request.idPrefix}${index}`,
        });
      },
    });
    const used = process.cpuUsage(cpu);
    const chunks = result.records.reduce((a, r) => a + r.chunkTimesMs.length, 0);
    const diag = { ...watch.stop(), cpuUsPerChunk: (used.user + used.system) / Math.max(1, chunks) };
    const records = result.records.map((r) => ({
      ok: r.ok,
      startedAtEpochMs: r.startedAtEpochMs,
      chunkTimesMs: r.chunkTimesMs,
      completionTokens: r.completionTokens,
      error: r.error,
    }));
    return { records, diag };
  } finally {
    watch.stop();
    await agent.close();
  }
}

function main() {
  const [cpu, nice] = process.argv.slice(2).map(Number);
  const placed = cpu >= 0 ? placeSelf(cpu, nice) : { pinnedCpu: -1, nice: 0, realtime: false };
  process.on('message', (message) => {
    void run(message as RunRequest).then(
      (reply) => process.send?.(reply),
      (error: unknown) => process.send?.({ error: String(error) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
  const setup: ClientSetup = { clockOffsetMs: epochToMonotonicOffsetMs(), ...placed };
  process.send?.(setup);
}

main();
