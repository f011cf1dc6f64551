// Request send times for a target rate, as vLLM's get_request: gaps drawn from Gamma(shape=burstiness,
// scale=1/(rate*burstiness)) (burstiness 1 = Poisson), then rescaled so the last send is at N/rate.
import { seededRandom } from '../datasets/synthetic';

/** Marsaglia-Tsang gamma sampler; shape < 1 uses the boost gamma(shape + 1) * U^(1/shape). */
export function sampleGamma(shape: number, scale: number, random: () => number): number {
  if (shape < 1) return sampleGamma(shape + 1, scale, random) * Math.pow(1 - random(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      // Box-Muller standard normal.
      x = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v * scale;
  }
}

/** Send offsets in seconds from the benchmark start, one per request, non-decreasing. */
export function arrivalOffsetsSec(
  count: number,
  requestsPerSec: number,
  burstiness: number,
  seed: number,
): number[] {
  if (!(requestsPerSec > 0)) throw new RangeError(`request rate must be > 0, got ${requestsPerSec}`);
  if (!(burstiness > 0)) throw new RangeError(`burstiness must be > 0, got ${burstiness}`);
  if (requestsPerSec === Infinity) return new Array<number>(count).fill(0);
  const random = seededRandom(seed);
  const offsets: number[] = [];
  let total = 0;
  for (let i = 0; i < count; i++) {
    total +=
      burstiness === Infinity
        ? 1 / requestsPerSec
        : sampleGamma(burstiness, 1 / (requestsPerSec * burstiness), random);
    offsets.push(total);
  }
  // vLLM: without rescaling the random sum misses N/rate by 1-2%, which shows up as throughput noise.
  if (total > 0) {
    const factor = count / requestsPerSec / total;
    for (let i = 0; i < count; i++) offsets[i] *= factor;
  }
  return offsets;
}
