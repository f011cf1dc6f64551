// Drives a load pattern over a dataset: sequential, a fixed number of streams, or a target request
// rate; warmups first (never returned), then the measured requests, which it times as vLLM does.
import { performance } from 'node:perf_hooks';
import type { Sample } from '../datasets/load';
import { arrivalOffsetsSec } from './arrivals';
import { StreamAgent } from './http1';
import type { RequestRecord } from './stream-client';

export type LoadMode =
  | { kind: 'sequential' }
  | { kind: 'concurrency'; concurrency: number }
  | {
      kind: 'rate';
      requestsPerSec: number;
      /** 1 = Poisson arrivals; < 1 burstier, > 1 more regular (gamma shape). */
      burstiness: number;
      seed: number;
      /** Optional cap on requests in flight, like `--max-concurrency` with `--request-rate`. */
      maxConcurrency?: number;
    };

export type Phase = 'warmup' | 'measure';

export interface RunLoadOptions {
  samples: readonly Sample[];
  mode: LoadMode;
  /** Measured requests; samples are reused in order when it exceeds their number. Default: all samples. */
  numPrompts?: number;
  /** Stop sending new requests after this long (in-flight ones finish). */
  durationSec?: number;
  warmupRequests: number;
  /**
   * `index` is the request's place in the run (warmups count separately from 0). Should not throw (the
   * stream client returns failed records); a throw stops the run and is rethrown.
   */
  send: (sample: Sample, index: number, phase: Phase) => Promise<RequestRecord>;
  /** Called as each measured request finishes (e.g. to persist it); awaited. */
  onRecord?: (record: RequestRecord, index: number) => void | Promise<void>;
  /** Resume: skip measured requests below this index (the arrival schedule keeps its shape). */
  startIndex?: number;
  /** Aborting stops sending; requests in flight are the `send` function's to cancel. */
  signal?: AbortSignal;
}

export interface LoadResult {
  /** Measured records in index order, starting at `startIndex`. */
  records: RequestRecord[];
  startIndex: number;
  /** From the first measured send to the last response, as vLLM's benchmark_duration. */
  durationSec: number;
  aborted: boolean;
}

/** One keep-alive pool for the whole run, with as many connections as requests in flight. */
export function createAgent(concurrency: number): StreamAgent {
  return new StreamAgent({ connections: Math.max(1, concurrency) });
}

function concurrencyOf(mode: LoadMode, pending: number): number {
  if (mode.kind === 'sequential') return 1;
  if (mode.kind === 'concurrency') return mode.concurrency;
  return mode.maxConcurrency ?? pending;
}

function sleepUntil(targetMs: number, signal?: AbortSignal): Promise<void> {
  const waitMs = targetMs - performance.now();
  if (waitMs <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, waitMs);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs `count` jobs with at most `limit` in flight, each started no earlier than its offset. A job that
 * throws stops new starts; the others finish before the error is rethrown, so nothing runs on unseen.
 */
async function pump(
  count: number,
  limit: number,
  offsetsMs: readonly number[] | undefined,
  job: (i: number) => Promise<void>,
  shouldStop: () => boolean,
  signal?: AbortSignal,
): Promise<void> {
  const t0 = performance.now();
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < count && failure === undefined && !shouldStop()) {
      const i = next++;
      if (offsetsMs) await sleepUntil(t0 + offsetsMs[i], signal);
      if (shouldStop()) return;
      try {
        await job(i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, count)) }, worker));
  if (failure) throw failure.error;
}

export async function runLoad(options: RunLoadOptions): Promise<LoadResult> {
  const { samples, mode, signal } = options;
  if (samples.length === 0) throw new RangeError('runLoad needs at least one sample');
  const startIndex = options.startIndex ?? 0;
  const total =
    options.numPrompts ??
    (mode.kind === 'rate' && options.durationSec !== undefined
      ? Math.ceil(mode.requestsPerSec * options.durationSec)
      : options.durationSec !== undefined
        ? Number.MAX_SAFE_INTEGER
        : samples.length);
  const pending = Math.max(0, total - startIndex);
  const limit = concurrencyOf(mode, Math.max(pending, 1));
  const sampleAt = (i: number) => samples[i % samples.length];

  // Warmups: vLLM sends them at the run's concurrency and waits for all before measuring.
  const warmups = options.warmupRequests;
  await pump(
    warmups,
    concurrencyOf(mode, warmups),
    undefined,
    async (i) => {
      await options.send(sampleAt(i), i, 'warmup');
    },
    () => signal?.aborted === true,
  );

  let offsetsMs: number[] | undefined;
  if (mode.kind === 'rate' && total !== Number.MAX_SAFE_INTEGER) {
    const all = arrivalOffsetsSec(total, mode.requestsPerSec, mode.burstiness, mode.seed);
    const base = startIndex > 0 ? all[startIndex - 1] : 0;
    offsetsMs = all.slice(startIndex).map((s) => (s - base) * 1000);
  }
  const records: RequestRecord[] = [];
  const startMs = performance.now();
  const deadlineMs = options.durationSec === undefined ? Infinity : startMs + options.durationSec * 1000;
  let aborted = false;
  const shouldStop = () => {
    if (signal?.aborted) aborted = true;
    return aborted || performance.now() >= deadlineMs;
  };
  await pump(
    pending,
    limit,
    offsetsMs,
    async (k) => {
      const index = startIndex + k;
      const record = await options.send(sampleAt(index), index, 'measure');
      records[k] = record;
      await options.onRecord?.(record, index);
    },
    shouldStop,
    signal,
  );
  const durationSec = (performance.now() - startMs) / 1000;
  // Requests are taken in index order, so the ones sent form a prefix; holes would mean a bug.
  const sent = records.length;
  for (let k = 0; k < sent; k++)
    if (records[k] === undefined) throw new Error(`request ${startIndex + k} lost`);
  return { records, startIndex, durationSec, aborted };
}
