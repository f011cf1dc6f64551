// Bench diagnostics, per process: event-loop delay and GC pauses over a window, as small summaries.
import { type IntervalHistogram, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

export interface LoopDiag {
  /** Event-loop delay (timer lateness sampled every ms), ms. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  gcCount: number;
  gcTotalMs: number;
  gcMaxMs: number;
}

/** Starts watching this process's loop and GC; `stop()` returns the summary since `start()`. */
export class LoopWatch {
  private histogram: IntervalHistogram | undefined;
  private observer: PerformanceObserver | undefined;
  private gcs: number[] = [];

  start(): void {
    this.stop();
    this.gcs = [];
    this.histogram = monitorEventLoopDelay({ resolution: 1 });
    this.histogram.enable();
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) this.gcs.push(entry.duration);
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  stop(): LoopDiag {
    const h = this.histogram;
    h?.disable();
    this.observer?.disconnect();
    this.histogram = undefined;
    this.observer = undefined;
    // monitorEventLoopDelay reports ns and includes the 1 ms sampling period itself.
    const ms = (ns: number) => Math.max(0, ns / 1e6 - 1);
    return {
      loopDelayP99Ms: h && h.count > 0 ? ms(h.percentile(99)) : 0,
      loopDelayMaxMs: h && h.count > 0 ? ms(h.max) : 0,
      gcCount: this.gcs.length,
      gcTotalMs: this.gcs.reduce((a, b) => a + b, 0),
      gcMaxMs: this.gcs.reduce((a, b) => Math.max(a, b), 0),
    };
  }
}
