// Prometheus-style cumulative histogram with vLLM's bucket boundaries.

// vllm/v1/metrics/loggers.py bucket lists (seconds).
export const TTFT_BUCKETS_SEC = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0,
  80.0, 160.0, 640.0, 2560.0,
];
export const E2E_BUCKETS_SEC = [
  0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0,
  960.0, 1920.0, 7680.0,
];

export class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly bucketsSec: readonly number[]) {
    this.counts = bucketsSec.map(() => 0);
  }

  observe(valueSec: number): void {
    this.sum += valueSec;
    this.count += 1;
    for (let i = 0; i < this.bucketsSec.length; i++) {
      if (valueSec <= this.bucketsSec[i]) this.counts[i] += 1;
    }
  }
}
