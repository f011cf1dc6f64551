// A durable results store in one SQLite file: no server, and it keeps sweeps after Temporal forgets them.
import Database from 'better-sqlite3';
import type { Outcome, SweepResult } from '../workflows/types';
import { runMetrics, toStoredSample } from './metrics';
import { migrate } from './schema';
import type {
  BaselineQuery,
  HistoryFilter,
  LatestRow,
  StoredRun,
  StoredSweep,
  SweepMeta,
  SweepStatus,
} from './types';

export interface ResultsStore {
  /** Records (or re-records, replacing its rows) one sweep in a single transaction. */
  recordSweep(result: SweepResult, meta?: SweepMeta): StoredSweep;
  sweep(sweepId: string): StoredSweep | undefined;
  /** Recorded sweeps, newest start first (`sweeps_by_spec` serves the order). */
  sweeps(limit?: number): StoredSweep[];
  /** The SweepResult as recorded; undefined for sweeps recorded before schema v2 (or unknown ones). */
  sweepResult(sweepId: string): SweepResult | undefined;
  latestRows(sweepId: string): LatestRow[];
  /** Runs matching the filter, oldest first. */
  history(filter?: HistoryFilter): StoredRun[];
  /** The last N good runs (outcome ok, with ok samples) of one config on one dataset, oldest first. */
  baseline(query: BaselineQuery): StoredRun[];
  close(): void;
}

interface SweepRow {
  id: string;
  spec_name: string;
  spec_hash: string | null;
  model: string;
  cluster: string;
  time_scale: number;
  started_at: string;
  finished_at: string | null;
  status: SweepStatus;
  resumed_from: string | null;
  recorded_at: string;
}

interface RunRow {
  id: number;
  sweep_id: string;
  spec_name: string;
  model: string;
  cluster: string;
  sweep_started_at: string;
  experiment_id: string;
  config_key: string;
  config_label: string;
  dataset: string;
  flags_json: string;
  outcome: Outcome;
  failed_stage: string | null;
  startup_stage: string | null;
  reason: string | null;
  metrics_json: string;
  samples_json: string;
  records_file: string | null;
  attempt: number;
  resumed: number;
  created_at: string;
}

const RUN_SELECT = `
  SELECT r.*, s.spec_name, s.model, s.cluster, s.started_at AS sweep_started_at
  FROM experiment_runs r JOIN sweeps s ON s.id = r.sweep_id`;

/**
 * Rows a resumed sweep took over unchanged are the earlier sweep's runs, already recorded there: only
 * the rows it ran are its own runs (the resume chain gives the full picture), so no run is counted twice
 * in a baseline. The sweep's whole result, reused rows included, is kept beside them for reports.
 */
export function ownRows(result: SweepResult): SweepResult {
  return {
    ...result,
    configs: result.configs
      .map((c) => ({ ...c, rows: c.rows.filter((r) => !r.reusedFrom) }))
      .filter((c) => c.rows.length > 0),
  };
}

/** Opens (creating if needed) the store at `path`; `:memory:` works for tests. */
export function openStore(path: string): ResultsStore {
  const db = new Database(path);
  // WAL lets the CLI read while a worker writes; the busy timeout rides out short write locks.
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return new SqliteStore(db);
}

class SqliteStore implements ResultsStore {
  constructor(private readonly db: Database.Database) {}

  recordSweep(result: SweepResult, meta: SweepMeta = {}): StoredSweep {
    const recordedAt = meta.recordedAt ?? new Date().toISOString();
    const sweep: StoredSweep = {
      id: result.sweepId,
      specName: result.specName,
      specHash: meta.specHash,
      model: result.model,
      cluster: result.cluster,
      timeScale: result.timeScale,
      startedAt: toIso(result.startedAt),
      finishedAt: result.finishedAt ? toIso(result.finishedAt) : undefined,
      status: meta.status ?? deriveStatus(result),
      resumedFrom: meta.resumedFrom,
      recordedAt,
    };
    const insertRun = this.db.prepare(`
      INSERT INTO experiment_runs (sweep_id, experiment_id, config_key, config_label, dataset, flags_json,
        outcome, failed_stage, startup_stage, reason, metrics_json, samples_json, records_file, attempt,
        resumed, created_at)
      VALUES (@sweepId, @experimentId, @configKey, @configLabel, @dataset, @flags, @outcome, @failedStage,
        @startupStage, @reason, @metrics, @samples, @recordsFile, @attempt, @resumed, @createdAt)`);
    this.db.transaction(() => {
      // Re-recording (a retried activity, a late `record` from the CLI) replaces, never duplicates.
      this.db.prepare('DELETE FROM experiment_runs WHERE sweep_id = ?').run(sweep.id);
      this.db
        .prepare(
          `INSERT INTO sweeps (id, spec_name, spec_hash, model, cluster, time_scale, started_at, finished_at,
             status, resumed_from, recorded_at, result_json)
           VALUES (@id, @specName, @specHash, @model, @cluster, @timeScale, @startedAt, @finishedAt, @status,
             @resumedFrom, @recordedAt, @resultJson)
           ON CONFLICT (id) DO UPDATE SET spec_name = excluded.spec_name, spec_hash = excluded.spec_hash,
             model = excluded.model, cluster = excluded.cluster, time_scale = excluded.time_scale,
             started_at = excluded.started_at, finished_at = excluded.finished_at, status = excluded.status,
             resumed_from = excluded.resumed_from, recorded_at = excluded.recorded_at,
             result_json = excluded.result_json`,
        )
        .run({
          ...sweep,
          resultJson: JSON.stringify(result),
          specHash: sweep.specHash ?? null,
          finishedAt: sweep.finishedAt ?? null,
          resumedFrom: sweep.resumedFrom ?? null,
        });
      const earlier = this.chainRuns(this.ancestors(sweep.resumedFrom));
      for (const config of ownRows(result).configs) {
        for (const row of config.rows) {
          const samples = row.run?.samples ?? [];
          const previousAttempts = earlier.filter(
            (r) => r.experimentId === row.experimentId && r.dataset === row.dataset,
          ).length;
          insertRun.run({
            sweepId: sweep.id,
            experimentId: row.experimentId,
            configKey: config.configKey,
            configLabel: config.label,
            dataset: row.dataset,
            flags: JSON.stringify(config.flags),
            outcome: row.outcome,
            failedStage: row.failedStage ?? null,
            startupStage: row.startupStage ?? null,
            reason: row.reason ?? null,
            metrics: JSON.stringify(runMetrics(samples)),
            samples: JSON.stringify(samples.map(toStoredSample)),
            recordsFile: row.run?.recordsFile ?? null,
            attempt: previousAttempts + 1,
            resumed: sweep.resumedFrom ? 1 : 0,
            createdAt: recordedAt,
          });
        }
      }
    })();
    return sweep;
  }

  sweep(sweepId: string): StoredSweep | undefined {
    const row = this.db.prepare('SELECT * FROM sweeps WHERE id = ?').get(sweepId) as SweepRow | undefined;
    return row && toSweep(row);
  }

  sweeps(limit = -1): StoredSweep[] {
    const rows = this.db
      .prepare(
        `SELECT id, spec_name, spec_hash, model, cluster, time_scale, started_at, finished_at, status,
           resumed_from, recorded_at FROM sweeps ORDER BY started_at DESC, id LIMIT ?`,
      )
      .all(limit) as SweepRow[];
    return rows.map(toSweep);
  }

  sweepResult(sweepId: string): SweepResult | undefined {
    const row = this.db.prepare('SELECT result_json FROM sweeps WHERE id = ?').get(sweepId) as
      { result_json: string | null } | undefined;
    return row?.result_json ? (JSON.parse(row.result_json) as SweepResult) : undefined;
  }

  latestRows(sweepId: string): LatestRow[] {
    const runs = this.chainRuns(this.ancestors(sweepId));
    const byRow = new Map<string, StoredRun[]>();
    for (const run of runs) {
      const key = JSON.stringify([run.experimentId, run.dataset]);
      byRow.set(key, [...(byRow.get(key) ?? []), run]);
    }
    return [...byRow.values()].map((history) => ({
      experimentId: history[0]!.experimentId,
      dataset: history[0]!.dataset,
      latest: history[history.length - 1]!,
      history,
    }));
  }

  history(filter: HistoryFilter = {}): StoredRun[] {
    const where: string[] = [];
    const params: Record<string, string | number> = {};
    const equal = {
      specName: 's.spec_name',
      configKey: 'r.config_key',
      experimentId: 'r.experiment_id',
      dataset: 'r.dataset',
    } as const;
    for (const [field, column] of Object.entries(equal) as [keyof typeof equal, string][]) {
      const value = filter[field];
      if (value !== undefined) {
        where.push(`${column} = @${field}`);
        params[field] = value;
      }
    }
    if (filter.since !== undefined) {
      where.push('s.started_at >= @since');
      params.since = toIso(filter.since);
    }
    if (filter.until !== undefined) {
      where.push('s.started_at <= @until');
      params.until = toIso(filter.until);
    }
    params.limit = filter.limit ?? -1; // SQLite reads a negative LIMIT as "no limit".
    const rows = this.db
      .prepare(
        `${RUN_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY s.started_at DESC, r.id DESC LIMIT @limit`,
      )
      .all(params) as RunRow[];
    return rows.reverse().map(toRun);
  }

  baseline(query: BaselineQuery): StoredRun[] {
    const rows = this.db
      .prepare(
        `${RUN_SELECT}
         WHERE s.spec_name = @specName AND r.config_key = @configKey AND r.dataset = @dataset
           AND r.outcome = 'ok' AND json_extract(r.metrics_json, '$.samplesOk') > 0
           AND (@pinned IS NULL OR r.sweep_id = @pinned)
           AND (@exclude IS NULL OR r.sweep_id <> @exclude)
         ORDER BY s.started_at DESC, r.id DESC LIMIT @limit`,
      )
      .all({
        specName: query.specName,
        configKey: query.configKey,
        dataset: query.dataset,
        pinned: query.pinnedSweepId ?? null,
        exclude: query.excludeSweepId ?? null,
        limit: query.pinnedSweepId ? 1 : query.lastN,
      }) as RunRow[];
    return rows.reverse().map(toRun);
  }

  close(): void {
    this.db.close();
  }

  /** The sweep and those it resumed, oldest first; stops at a sweep not recorded or at a cycle. */
  private ancestors(sweepId: string | undefined): string[] {
    const chain: string[] = [];
    for (let id = sweepId; id && !chain.includes(id);) {
      const row = this.db.prepare('SELECT resumed_from FROM sweeps WHERE id = ?').get(id) as
        { resumed_from: string | null } | undefined;
      if (!row) break;
      chain.unshift(id);
      id = row.resumed_from ?? undefined;
    }
    return chain;
  }

  /** All runs of the given sweeps, in chain order then insertion order. */
  private chainRuns(sweepIds: string[]): StoredRun[] {
    const select = this.db.prepare(`${RUN_SELECT} WHERE r.sweep_id = ? ORDER BY r.id`);
    return sweepIds.flatMap((id) => (select.all(id) as RunRow[]).map(toRun));
  }
}

/** completed: every row ok; failed: none ok; cancelled: any config cancelled; else partial. */
export function deriveStatus(result: SweepResult): SweepStatus {
  const rows = result.configs.flatMap((c) => c.rows);
  if (result.configs.some((c) => c.outcome === 'cancelled')) return 'cancelled';
  const ok = rows.filter((r) => r.outcome === 'ok').length;
  if (rows.length > 0 && ok === rows.length) return 'completed';
  return ok === 0 ? 'failed' : 'partial';
}

/** ISO-8601 in UTC, so text order is time order; text that is not a time is kept as it is. */
function toIso(value: string | Date): string {
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString();
}

function toSweep(row: SweepRow): StoredSweep {
  return {
    id: row.id,
    specName: row.spec_name,
    specHash: row.spec_hash ?? undefined,
    model: row.model,
    cluster: row.cluster,
    timeScale: row.time_scale,
    startedAt: row.started_at,
    finishedAt: row.finished_at ?? undefined,
    status: row.status,
    resumedFrom: row.resumed_from ?? undefined,
    recordedAt: row.recorded_at,
  };
}

function toRun(row: RunRow): StoredRun {
  return {
    runId: row.id,
    sweepId: row.sweep_id,
    specName: row.spec_name,
    model: row.model,
    cluster: row.cluster,
    sweepStartedAt: row.sweep_started_at,
    experimentId: row.experiment_id,
    configKey: row.config_key,
    configLabel: row.config_label,
    dataset: row.dataset,
    flags: JSON.parse(row.flags_json) as StoredRun['flags'],
    outcome: row.outcome,
    failedStage: (row.failed_stage ?? undefined) as StoredRun['failedStage'],
    startupStage: row.startup_stage ?? undefined,
    reason: row.reason ?? undefined,
    metrics: JSON.parse(row.metrics_json) as StoredRun['metrics'],
    samples: JSON.parse(row.samples_json) as StoredRun['samples'],
    recordsFile: row.records_file ?? undefined,
    attempt: row.attempt,
    resumed: row.resumed === 1,
    createdAt: row.created_at,
  };
}
