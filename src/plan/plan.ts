// Expand a validated spec into experiments, grouped by server configuration (one job serves a group).
// Pure and deterministic: the sweep workflow runs it too.
import type { Flags, FlagValue, SweepSpec } from '../spec/schema';

export interface PlannedExperiment {
  id: string;
  description?: string;
  datasets: string[];
}

/** One server configuration: one PBS job, one model load, every dataset of every experiment in it. */
export interface ServerConfigPlan {
  /** Stable short key derived from the effective config, used in job names and paths. */
  key: string;
  /** The experiment ids this server serves, e.g. `3C` or `1A+2A`. */
  label: string;
  experiments: PlannedExperiment[];
  model: string;
  flags: Flags;
  env: Record<string, string>;
}

export interface SweepPlan {
  configs: ServerConfigPlan[];
  /** Flags whose value differs between configs: what the report's Config column shows. */
  varyingFlags: string[];
}

interface ExpandedExperiment extends PlannedExperiment {
  flags: Flags;
  env: Record<string, string>;
}

export function planSweep(spec: SweepSpec): SweepPlan {
  const experiments = [...spec.experiments.map(explicit(spec)), ...expandMatrix(spec)];
  const groups = new Map<string, ServerConfigPlan>();
  for (const exp of experiments) {
    const identity = canonical({ model: spec.server.model, flags: exp.flags, env: exp.env });
    const existing = groups.get(identity);
    const planned: PlannedExperiment = { id: exp.id, description: exp.description, datasets: exp.datasets };
    if (existing) {
      existing.experiments.push(planned);
      existing.label = existing.experiments.map((e) => e.id).join('+');
    } else {
      groups.set(identity, {
        key: `${safeKey(exp.id)}-${hash(identity)}`,
        label: exp.id,
        experiments: [planned],
        model: spec.server.model,
        flags: exp.flags,
        env: exp.env,
      });
    }
  }
  const configs = [...groups.values()];
  return { configs, varyingFlags: varyingFlags(configs) };
}

function explicit(spec: SweepSpec) {
  return (exp: SweepSpec['experiments'][number]): ExpandedExperiment => ({
    id: exp.id,
    description: exp.description,
    datasets: exp.datasets,
    flags: effectiveFlags(spec.server.flags, exp.flags),
    env: { ...spec.server.env, ...exp.env },
  });
}

function expandMatrix(spec: SweepSpec): ExpandedExperiment[] {
  if (!spec.matrix) return [];
  const { flags, datasets, idPrefix } = spec.matrix;
  let combos: Flags[] = [{}];
  for (const [name, values] of Object.entries(flags)) {
    combos = combos.flatMap((combo) => values.map((value) => ({ ...combo, [name]: value })));
  }
  return combos.map((combo, i) => ({
    id: `${idPrefix}${i + 1}`,
    description: Object.entries(combo)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(', '),
    datasets,
    flags: effectiveFlags(spec.server.flags, combo),
    env: { ...spec.server.env },
  }));
}

/** Base flags overridden by the experiment's; `false`/`null` remove a flag. Sorted for stable identity. */
export function effectiveFlags(base: Flags, overrides: Flags): Flags {
  const merged: Flags = { ...base, ...overrides };
  return Object.fromEntries(
    Object.entries(merged)
      .filter(([, v]) => v !== false && v !== null)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

/** The server's argv after the model: `--flag` for true, `--flag value` otherwise. */
export function flagArgs(flags: Flags): string[] {
  return Object.entries(flags).flatMap(([name, value]: [string, FlagValue]) =>
    value === true ? [`--${name}`] : value === false || value === null ? [] : [`--${name}`, String(value)],
  );
}

export function isOn(flags: Flags, name: string): boolean {
  return flags[name] === true || flags[name] === 'true';
}

function varyingFlags(configs: ServerConfigPlan[]): string[] {
  const names = new Set(configs.flatMap((c) => Object.keys(c.flags)));
  return [...names]
    .filter((name) => new Set(configs.map((c) => String(c.flags[name] ?? 'off'))).size > 1)
    .sort();
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** FNV-1a, 32 bit, as 6 base-36 characters: short, stable, workflow-safe (no crypto in the sandbox). */
export function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36).padStart(6, '0').slice(-6);
}

function safeKey(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 12);
}
