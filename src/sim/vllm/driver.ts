// Drives the pure scheduler in real time with one timer loop (not a timer per token) and logs the
// periodic stats line. Sub-2 ms waits spin on setImmediate because setTimeout rounds to whole ms.
// Optional lockstep mode (decodeStepMs): tokens go out only on a fixed step grid, every token due within
// a step together, as vLLM's engine emits one token per running sequence per decode step.
import { performance } from 'node:perf_hooks';
import type { EngineScheduler, SubmitRequest, TokenEvent } from './engine';
import { formatStatsLine } from './metrics-text';

export interface TokenSink {
  onToken(event: TokenEvent): void;
}

const SPIN_THRESHOLD_MS = 2;
// vLLM's VLLM_LOG_STATS_INTERVAL default.
export const STATS_INTERVAL_SIM_SEC = 10;

export interface EngineDriverOptions {
  /** Emit on a grid of this many wall ms (all tokens due in a step at its end); default: at each due time. */
  decodeStepMs?: number;
}

export class EngineDriver {
  private readonly sinks = new Map<string, TokenSink>();
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private statsTimer: NodeJS.Timeout | undefined;
  private lastStatsMs = performance.now();
  private closed = false;
  private readonly stepMs: number;

  constructor(
    readonly scheduler: EngineScheduler,
    private readonly timeScale: number,
    private readonly logStats: (line: string) => void,
    options: EngineDriverOptions = {},
  ) {
    this.stepMs = options.decodeStepMs !== undefined && options.decodeStepMs > 0 ? options.decodeStepMs : 0;
    this.statsTimer = setInterval(() => this.emitStats(), STATS_INTERVAL_SIM_SEC * 1000 * timeScale);
    this.statsTimer.unref();
  }

  submit(request: SubmitRequest, sink: TokenSink): void {
    this.sinks.set(request.id, sink);
    this.scheduler.submit(request, performance.now());
    this.reschedule();
  }

  abort(id: string): void {
    if (!this.sinks.delete(id)) return;
    this.scheduler.abort(id, performance.now());
    this.reschedule();
  }

  close(): void {
    this.closed = true;
    this.clearPending();
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.sinks.clear();
  }

  private clearPending(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  private reschedule(): void {
    this.clearPending();
    if (this.closed) return;
    let dueMs = this.scheduler.nextDueMs();
    if (dueMs === undefined) return;
    if (this.stepMs > 0) dueMs = Math.ceil(dueMs / this.stepMs) * this.stepMs;
    const waitMs = dueMs - performance.now();
    if (waitMs > SPIN_THRESHOLD_MS) {
      this.timer = setTimeout(() => this.run(), waitMs - 1);
    } else {
      this.immediate = setImmediate(() => this.run());
    }
  }

  private run(): void {
    this.timer = undefined;
    this.immediate = undefined;
    const nowMs = performance.now();
    // Lockstep: everything due up to the last step boundary passed, never a token of a later step.
    const upToMs = this.stepMs > 0 ? Math.floor(nowMs / this.stepMs) * this.stepMs : nowMs;
    for (const event of this.scheduler.advance(upToMs)) {
      const sink = this.sinks.get(event.id);
      // The sink reads the request's view (cached tokens) on its last token, so forget it after.
      sink?.onToken(event);
      if (event.last) {
        this.sinks.delete(event.id);
        this.scheduler.forget(event.id);
      }
    }
    this.reschedule();
  }

  private emitStats(): void {
    const nowMs = performance.now();
    const windowSimSeconds = (nowMs - this.lastStatsMs) / 1000 / this.timeScale;
    this.lastStatsMs = nowMs;
    const window = this.scheduler.takeStatsWindow();
    const busy = this.scheduler.numRunning + this.scheduler.numWaiting > 0;
    // vLLM logs at INFO only while something happens; idle windows go to DEBUG (not printed).
    if (!busy && window.promptTokens === 0 && window.generationTokens === 0) return;
    this.logStats(
      formatStatsLine({
        window,
        windowSimSeconds,
        running: this.scheduler.numRunning,
        waiting: this.scheduler.numWaiting,
        kvCacheUsage: this.scheduler.kvCacheUsage(),
        prefixHitRate: this.scheduler.recentPrefixHitRate(),
      }),
    );
  }
}
