// Spec overrides people reach for without editing the spec file.
import { regressionSchema, type RegressionSpec, type SweepSpec } from '../spec/schema';

/** `2400`, `2400s`, `40m`, `1.5h` -> seconds. */
export function parseDurationSec(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h)?$/.exec(text.trim());
  const seconds = m ? Number(m[1]) * { s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 's' | 'm' | 'h'] : NaN;
  if (!(seconds > 0)) {
    throw new Error(`${option} must be a positive duration such as 300, 300s, 40m or 1h (got ${text})`);
  }
  return seconds;
}

/**
 * `--fixed-load-timeout S` (seconds) and `--load-timeout D` (a duration) both set one fixed startup
 * timeout for every configuration, the seed's way: predictable, and what a re-run with "more time" means.
 */
export function applyOverrides(
  spec: SweepSpec,
  opts: { fixedLoadTimeout?: string; loadTimeout?: string },
): SweepSpec {
  if (opts.fixedLoadTimeout !== undefined && opts.loadTimeout !== undefined) {
    throw new Error('give either --fixed-load-timeout or --load-timeout, not both');
  }
  let seconds: number;
  if (opts.loadTimeout !== undefined) seconds = parseDurationSec(opts.loadTimeout, '--load-timeout');
  else if (opts.fixedLoadTimeout !== undefined) {
    seconds = Number(opts.fixedLoadTimeout);
    if (!Number.isFinite(seconds) || seconds <= 0) {
      throw new Error(
        `--fixed-load-timeout must be a positive number of seconds (got ${opts.fixedLoadTimeout})`,
      );
    }
  } else return spec;
  return {
    ...spec,
    timeouts: { ...spec.timeouts, load: { ...spec.timeouts.load, policy: 'fixed', fixedSec: seconds } },
  };
}

const METRIC_NAMES = Object.keys(regressionSchema.shape.metrics.unwrap().shape);

/**
 * `vsweep regressions` thresholds over the sweep's own: `--min-change 5` (every metric),
 * `--min-change ttftSec=10,tokensPerSec=3` (per metric) or both, and `--alpha 0.01`.
 */
export function applyRegressionOverrides(
  base: RegressionSpec | undefined,
  opts: { minChange?: string; alpha?: string },
): RegressionSpec {
  const spec = regressionSchema.parse(base ?? {});
  const metrics: Record<string, number> = { ...spec.metrics };
  let minChangePct = spec.minChangePct;
  for (const part of opts.minChange?.split(',').map((p) => p.trim()) ?? []) {
    const [name, value] = part.includes('=') ? part.split('=', 2) : [undefined, part];
    const pct = Number(value);
    if (value === undefined || value.trim() === '' || !Number.isFinite(pct) || pct < 0)
      throw new Error(`--min-change: ${JSON.stringify(part)} is not a percentage (e.g. 5 or ttftSec=10)`);
    if (name === undefined) minChangePct = pct;
    else if (METRIC_NAMES.includes(name.trim())) metrics[name.trim()] = pct;
    else
      throw new Error(
        `--min-change: ${JSON.stringify(name)} is not a metric; use one of ${METRIC_NAMES.join(', ')}`,
      );
  }
  const alpha = opts.alpha === undefined ? spec.alpha : Number(opts.alpha);
  if (!(alpha > 0 && alpha < 1)) throw new Error(`--alpha must be between 0 and 1 (got ${opts.alpha})`);
  return regressionSchema.parse({ alpha, minChangePct, metrics });
}
