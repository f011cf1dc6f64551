// Spec overrides people reach for without editing the spec file.
import type { SweepSpec } from '../spec/schema';

export function applyOverrides(spec: SweepSpec, opts: { fixedLoadTimeout?: string }): SweepSpec {
  if (opts.fixedLoadTimeout === undefined) return spec;
  const seconds = Number(opts.fixedLoadTimeout);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new Error(
      `--fixed-load-timeout must be a positive number of seconds (got ${opts.fixedLoadTimeout})`,
    );
  }
  return {
    ...spec,
    timeouts: { ...spec.timeouts, load: { ...spec.timeouts.load, policy: 'fixed', fixedSec: seconds } },
  };
}
