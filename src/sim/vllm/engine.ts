// The pure sequence scheduler: given arrivals and a clock value, it says which token of which request
// is due when. No timers and no I/O here; the HTTP layer drives it with `advance(nowMs)`.
//
// Model: FCFS admission up to max-num-seqs (and KV blocks reserved for prompt + max_tokens, so nothing
// is ever preempted); prefills run one at a time at prefillTokensPerSec over the uncached part of the
// prompt (the first request after startup adds a cold-start delay); then each running sequence
// decodes at its own decodeTokensPerSec (seeded ±1% noise), unaffected by prompt length or batch size.
// Times are wall ms (performance.now()); simulated durations are scaled by timeScale.
import { E2E_BUCKETS_SEC, Histogram, TTFT_BUCKETS_SEC } from './histogram';
import { KV_BLOCK_TOKENS } from './profile';
import { blockHashes, PrefixCache } from './prefix-cache';

export interface EngineParams {
  /** Wall seconds per simulated second (VSWEEP_TIME_SCALE). */
  timeScale: number;
  maxNumSeqs: number;
  kvCacheTokens: number;
  enablePrefixCaching: boolean;
  decodeTokensPerSec: number;
  prefillTokensPerSec: number;
  /** Simulated seconds added to the first request's prefill (cold kernels, allocator warm-up). */
  coldStartSeconds: number;
  /** Uniform [0, 1) source for the per-request decode noise; seed it for reproducible runs. */
  random: () => number;
}

export interface SubmitRequest {
  id: string;
  promptTokens: readonly string[];
  maxTokens: number;
}

/** One generated token, due at `dueMs` (the ideal schedule; the driver may run a little late). */
export interface TokenEvent {
  id: string;
  index: number;
  last: boolean;
  dueMs: number;
}

export interface SequenceView {
  id: string;
  promptTokens: number;
  cachedTokens: number;
  maxTokens: number;
  arrivalMs: number;
  firstTokenMs?: number;
  emittedTokens: number;
  state: 'waiting' | 'running' | 'finished' | 'aborted';
}

interface Sequence extends SequenceView {
  tokens: readonly string[];
  hashes: string[];
  reservedBlocks: number;
  intervalMs: number;
  nextDueMs: number;
  order: number;
}

export interface StatsWindow {
  promptTokens: number;
  generationTokens: number;
}

// vLLM reports the logged prefix hit rate over roughly the most recent 1k requests.
const RECENT_PREFIX_REQUESTS = 1000;

export class EngineScheduler {
  readonly ttftHistogram = new Histogram(TTFT_BUCKETS_SEC);
  readonly e2eHistogram = new Histogram(E2E_BUCKETS_SEC);
  readonly totals = {
    promptTokens: 0,
    generationTokens: 0,
    prefixQueries: 0,
    prefixHits: 0,
    preemptions: 0,
    finishedLength: 0,
  };
  private window: StatsWindow = { promptTokens: 0, generationTokens: 0 };
  private readonly recentPrefix: { queries: number; hits: number }[] = [];
  private readonly sequences = new Map<string, Sequence>();
  private readonly waiting: Sequence[] = [];
  private readonly heap: Sequence[] = [];
  private readonly prefixCache: PrefixCache;
  private readonly totalBlocks: number;
  private reservedBlocks = 0;
  private runningCount = 0;
  private prefillBusyUntilMs = -Infinity;
  private coldStartPending = true;
  private orderCounter = 0;

  constructor(private readonly params: EngineParams) {
    this.totalBlocks = Math.floor(params.kvCacheTokens / KV_BLOCK_TOKENS);
    this.prefixCache = new PrefixCache(this.totalBlocks);
  }

  submit(request: SubmitRequest, nowMs: number): void {
    if (this.sequences.has(request.id)) throw new Error(`duplicate request id ${request.id}`);
    const sequence: Sequence = {
      id: request.id,
      tokens: request.promptTokens,
      promptTokens: request.promptTokens.length,
      cachedTokens: 0,
      maxTokens: request.maxTokens,
      arrivalMs: nowMs,
      emittedTokens: 0,
      state: 'waiting',
      hashes: [],
      reservedBlocks: Math.ceil((request.promptTokens.length + request.maxTokens) / KV_BLOCK_TOKENS),
      intervalMs: 0,
      nextDueMs: Infinity,
      order: this.orderCounter++,
    };
    this.sequences.set(request.id, sequence);
    this.waiting.push(sequence);
    this.admitWaiting(nowMs);
  }

  /** Drops a request (client went away); its slot and KV blocks go to the next waiting request. */
  abort(id: string, nowMs: number): void {
    const sequence = this.sequences.get(id);
    if (!sequence) return;
    this.sequences.delete(id);
    if (sequence.state === 'waiting') {
      this.waiting.splice(this.waiting.indexOf(sequence), 1);
    } else if (sequence.state === 'running') {
      this.release(sequence);
      this.admitWaiting(nowMs);
    }
    sequence.state = 'aborted';
  }

  /** Earliest due token, or undefined when nothing is running. */
  nextDueMs(): number | undefined {
    return this.heap.length > 0 ? this.heap[0].nextDueMs : undefined;
  }

  /** Emits every token due at or before nowMs, in due-time order; finished requests free their slot. */
  advance(nowMs: number): TokenEvent[] {
    const events: TokenEvent[] = [];
    while (this.heap.length > 0 && this.heap[0].nextDueMs <= nowMs) {
      const sequence = this.heap[0];
      const dueMs = sequence.nextDueMs;
      const index = sequence.emittedTokens;
      const last = index + 1 >= sequence.maxTokens;
      sequence.emittedTokens += 1;
      this.totals.generationTokens += 1;
      this.window.generationTokens += 1;
      if (index === 0) this.recordFirstToken(sequence, dueMs);
      events.push({ id: sequence.id, index, last, dueMs });
      if (last) {
        this.heapPop();
        this.finish(sequence, dueMs);
        // Freed slot: waiting requests are admitted at the finish time, not at nowMs, so the
        // schedule does not depend on how often the driver calls advance().
        this.admitWaiting(dueMs);
      } else {
        // Absolute schedule (first token + k intervals): timer lateness never accumulates as drift.
        sequence.nextDueMs = (sequence.firstTokenMs ?? dueMs) + (index + 1) * sequence.intervalMs;
        this.heapSiftDown(0);
      }
    }
    return events;
  }

  view(id: string): SequenceView | undefined {
    const sequence = this.sequences.get(id);
    if (!sequence) return undefined;
    const {
      tokens: _t,
      hashes: _h,
      reservedBlocks: _r,
      intervalMs: _i,
      nextDueMs: _n,
      order: _o,
      ...view
    } = sequence;
    return view;
  }

  /** Forget a finished request once the HTTP layer has read its view. */
  forget(id: string): void {
    const sequence = this.sequences.get(id);
    if (sequence && sequence.state === 'finished') this.sequences.delete(id);
  }

  get numRunning(): number {
    return this.runningCount;
  }

  get numWaiting(): number {
    return this.waiting.length;
  }

  /** Fraction (0-1) of KV blocks holding the tokens of running requests. */
  kvCacheUsage(): number {
    if (this.totalBlocks === 0) return 0;
    let usedBlocks = 0;
    for (const sequence of this.heap) {
      usedBlocks += Math.ceil((sequence.promptTokens + sequence.emittedTokens) / KV_BLOCK_TOKENS);
    }
    return usedBlocks / this.totalBlocks;
  }

  /** Hit rate (0-1) over the most recent requests, as vLLM's logged "Prefix cache hit rate". */
  recentPrefixHitRate(): number {
    let queries = 0;
    let hits = 0;
    for (const entry of this.recentPrefix) {
      queries += entry.queries;
      hits += entry.hits;
    }
    return queries === 0 ? 0 : hits / queries;
  }

  /** Tokens counted since the previous call, for the periodic stats line. */
  takeStatsWindow(): StatsWindow {
    const window = this.window;
    this.window = { promptTokens: 0, generationTokens: 0 };
    return window;
  }

  resetPrefixCache(): void {
    this.prefixCache.reset();
  }

  private simMs(simSeconds: number): number {
    return simSeconds * 1000 * this.params.timeScale;
  }

  private admitWaiting(nowMs: number): void {
    while (this.waiting.length > 0 && this.runningCount < this.params.maxNumSeqs) {
      const head = this.waiting[0];
      if (this.reservedBlocks + head.reservedBlocks > this.totalBlocks) break;
      this.waiting.shift();
      this.admit(head, nowMs);
    }
  }

  private admit(sequence: Sequence, nowMs: number): void {
    sequence.state = 'running';
    this.runningCount += 1;
    this.reservedBlocks += sequence.reservedBlocks;
    if (this.params.enablePrefixCaching) {
      sequence.hashes = blockHashes(sequence.tokens);
      sequence.cachedTokens = this.prefixCache.lookupTokens(sequence.hashes, sequence.promptTokens);
      this.prefixCache.insert(sequence.hashes);
      this.recordPrefixQuery(sequence.promptTokens, sequence.cachedTokens);
    }
    let prefillSec = (sequence.promptTokens - sequence.cachedTokens) / this.params.prefillTokensPerSec;
    if (this.coldStartPending) {
      prefillSec += this.params.coldStartSeconds;
      this.coldStartPending = false;
    }
    const prefillStartMs = Math.max(nowMs, this.prefillBusyUntilMs);
    this.prefillBusyUntilMs = prefillStartMs + this.simMs(prefillSec);
    const noise = 1 + (this.params.random() * 2 - 1) * 0.01;
    sequence.intervalMs = this.simMs(1 / (this.params.decodeTokensPerSec * noise));
    sequence.nextDueMs = this.prefillBusyUntilMs;
    if (sequence.maxTokens <= 0) {
      // Nothing to generate (max_tokens 0 is rejected upstream, but stay safe): finish at prefill end.
      this.finish(sequence, sequence.nextDueMs);
      return;
    }
    this.heapPush(sequence);
  }

  private recordPrefixQuery(queries: number, hits: number): void {
    this.totals.prefixQueries += queries;
    this.totals.prefixHits += hits;
    this.recentPrefix.push({ queries, hits });
    if (this.recentPrefix.length > RECENT_PREFIX_REQUESTS) this.recentPrefix.shift();
  }

  private recordFirstToken(sequence: Sequence, dueMs: number): void {
    sequence.firstTokenMs = dueMs;
    // vLLM counts the whole prompt (cached or not) when the prefill finishes.
    this.totals.promptTokens += sequence.promptTokens;
    this.window.promptTokens += sequence.promptTokens;
    this.ttftHistogram.observe((dueMs - sequence.arrivalMs) / 1000 / this.params.timeScale);
  }

  private finish(sequence: Sequence, atMs: number): void {
    sequence.state = 'finished';
    this.release(sequence);
    this.totals.finishedLength += 1;
    this.e2eHistogram.observe((atMs - sequence.arrivalMs) / 1000 / this.params.timeScale);
  }

  private release(sequence: Sequence): void {
    this.runningCount -= 1;
    this.reservedBlocks -= sequence.reservedBlocks;
    const at = this.heap.indexOf(sequence);
    if (at >= 0) this.heapRemoveAt(at);
  }

  // A binary min-heap on (nextDueMs, arrival order): one entry per running sequence.
  private less(a: Sequence, b: Sequence): boolean {
    return a.nextDueMs < b.nextDueMs || (a.nextDueMs === b.nextDueMs && a.order < b.order);
  }

  private heapPush(sequence: Sequence): void {
    this.heap.push(sequence);
    this.heapSiftUp(this.heap.length - 1);
  }

  private heapPop(): void {
    this.heapRemoveAt(0);
  }

  private heapRemoveAt(index: number): void {
    const last = this.heap.pop();
    if (last === undefined || index >= this.heap.length) return;
    this.heap[index] = last;
    this.heapSiftDown(index);
    this.heapSiftUp(index);
  }

  private heapSiftUp(start: number): void {
    let index = start;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.less(this.heap[index], this.heap[parent])) break;
      [this.heap[index], this.heap[parent]] = [this.heap[parent], this.heap[index]];
      index = parent;
    }
  }

  private heapSiftDown(start: number): void {
    let index = start;
    for (;;) {
      const left = index * 2 + 1;
      const right = left + 1;
      let smallest = index;
      if (left < this.heap.length && this.less(this.heap[left], this.heap[smallest])) smallest = left;
      if (right < this.heap.length && this.less(this.heap[right], this.heap[smallest])) smallest = right;
      if (smallest === index) return;
      [this.heap[index], this.heap[smallest]] = [this.heap[smallest], this.heap[index]];
      index = smallest;
    }
  }
}
