// Resuming a sweep: which rows run again, and how the re-run rows and the reused ones make one result.
// Pure (runs inside the sweep workflow and in unit tests).
import type { ServerConfigPlan } from '../plan/plan';
import type { ConfigResult, ResumeInput, RowResult, SweepResult } from './types';

export type ResumeSelection = 'not-ok' | 'failed' | 'timeout';

export const rowKey = (experimentId: string, dataset: string) => `${experimentId}/${dataset}`;

/** A startup or queue wait that ran out of time (as opposed to a crash or an out-of-memory engine). */
export function isTimeout(row: RowResult): boolean {
  return (
    row.outcome === 'failed' &&
    (row.failedStage === 'load' || row.failedStage === 'queue') &&
    /\bwithin \d+ s\b|timed out|timeout/i.test(row.reason ?? '')
  );
}

/** Rows of `previous` to run again: every row not ok (default), only failed ones, or only timeouts. */
export function rowsToRerun(previous: SweepResult, selection: ResumeSelection = 'not-ok'): string[] {
  const pick: Record<ResumeSelection, (row: RowResult) => boolean> = {
    'not-ok': (row) => row.outcome !== 'ok',
    failed: (row) => row.outcome === 'failed',
    timeout: isTimeout,
  };
  return previous.configs
    .flatMap((c) => c.rows)
    .filter(pick[selection])
    .map((row) => rowKey(row.experimentId, row.dataset));
}

/** The configurations to run again, each cut down to its rows to re-run; label and key stay the same. */
export function restrictPlan(configs: ServerConfigPlan[], rerun: ReadonlySet<string>): ServerConfigPlan[] {
  return configs
    .map((config) => ({
      ...config,
      experiments: config.experiments
        .map((exp) => ({ ...exp, datasets: exp.datasets.filter((d) => rerun.has(rowKey(exp.id, d))) }))
        .filter((exp) => exp.datasets.length > 0),
    }))
    .filter((config) => config.experiments.length > 0);
}

/** A config result taken over unchanged: each row names the sweep that measured it. */
export function reusedConfig(old: ConfigResult, fromSweepId: string): ConfigResult {
  return { ...old, rows: old.rows.map((r) => ({ ...r, reusedFrom: r.reusedFrom ?? fromSweepId })) };
}

/**
 * One result in the full plan's order: re-run rows carry what they were before (`resumedFrom`), the
 * others are the earlier sweep's rows (`reusedFrom`).
 */
export function mergeResumed(
  planned: ServerConfigPlan[],
  fresh: ReadonlyMap<string, ConfigResult>,
  resume: ResumeInput,
): ConfigResult[] {
  const before = new Map(resume.previous.configs.map((c) => [c.configKey, c]));
  return planned.map((config): ConfigResult => {
    const old = before.get(config.key);
    const now = fresh.get(config.key);
    if (!now && old) return reusedConfig(old, resume.fromSweepId);
    const oldRows = new Map(old?.rows.map((r) => [rowKey(r.experimentId, r.dataset), r]));
    const newRows = new Map(now?.rows.map((r) => [rowKey(r.experimentId, r.dataset), r]));
    const rows = config.experiments.flatMap((exp) =>
      exp.datasets.map((dataset): RowResult => {
        const key = rowKey(exp.id, dataset);
        const n = newRows.get(key);
        const o = oldRows.get(key);
        if (n && o) {
          const { reusedFrom, run: _run, resumedFrom: _r, ...was } = o;
          return {
            ...n,
            resumedFrom: {
              sweepId: reusedFrom ?? resume.fromSweepId,
              outcome: was.outcome,
              failedStage: was.failedStage,
              startupStage: was.startupStage,
              reason: was.reason,
            },
          };
        }
        if (n) return n;
        if (o) return { ...o, reusedFrom: o.reusedFrom ?? resume.fromSweepId };
        return { experimentId: exp.id, dataset, outcome: 'failed', reason: 'neither run nor reused' };
      }),
    );
    const base = now ?? old!;
    const outcome = rows.every((r) => r.outcome === 'ok')
      ? 'ok'
      : base.outcome === 'cancelled'
        ? 'cancelled'
        : 'failed';
    return { ...base, rows, outcome };
  });
}

/** A line per experiment for the report's notes: what a re-run row was before, and where. */
export function resumeNotes(configs: ConfigResult[]): Record<string, string> {
  const notes: Record<string, string[]> = {};
  for (const config of configs) {
    const datasets = new Map<string, number>();
    for (const row of config.rows) datasets.set(row.experimentId, (datasets.get(row.experimentId) ?? 0) + 1);
    for (const row of config.rows) {
      const was = row.resumedFrom;
      if (!was) continue;
      const where = [was.failedStage, was.startupStage].filter(Boolean).join(': ');
      const which = (datasets.get(row.experimentId) ?? 0) > 1 ? ` ${row.dataset}` : '';
      (notes[row.experimentId] ??= []).push(
        `resumed${which}: was ${was.outcome}${where ? ` (${where})` : ''} in ${was.sweepId}`,
      );
    }
  }
  return Object.fromEntries(Object.entries(notes).map(([id, lines]) => [id, lines.join('; ')]));
}
