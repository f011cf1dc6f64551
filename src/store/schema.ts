// The results database's tables, created or upgraded on open (SQLite's user_version counts migrations).
import type Database from 'better-sqlite3';

/** Each entry upgrades the schema by one version; append, never edit, once released. */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE sweeps (
    id           TEXT PRIMARY KEY,
    spec_name    TEXT NOT NULL,
    spec_hash    TEXT,
    model        TEXT NOT NULL,
    cluster      TEXT NOT NULL,
    time_scale   REAL NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    status       TEXT NOT NULL,
    resumed_from TEXT,
    recorded_at  TEXT NOT NULL
  );
  CREATE INDEX sweeps_by_spec ON sweeps (spec_name, started_at);

  CREATE TABLE experiment_runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    sweep_id      TEXT NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
    experiment_id TEXT NOT NULL,
    config_key    TEXT NOT NULL,
    config_label  TEXT NOT NULL,
    dataset       TEXT NOT NULL,
    flags_json    TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    failed_stage  TEXT,
    startup_stage TEXT,
    reason        TEXT,
    metrics_json  TEXT NOT NULL,
    samples_json  TEXT NOT NULL,
    records_file  TEXT,
    attempt       INTEGER NOT NULL,
    resumed       INTEGER NOT NULL,
    created_at    TEXT NOT NULL
  );
  CREATE INDEX runs_by_sweep ON experiment_runs (sweep_id);
  CREATE INDEX runs_by_config ON experiment_runs (config_key, dataset, created_at);
  CREATE INDEX runs_by_experiment ON experiment_runs (experiment_id, dataset, created_at);
  `,
  // v2: the whole SweepResult, so reports rebuilt after Temporal's retention lose nothing (startup
  // stages, load timeouts, descriptions). Sweeps recorded before it have NULL and are rebuilt from rows.
  `ALTER TABLE sweeps ADD COLUMN result_json TEXT;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `results store schema v${current} is newer than this vsweep understands (v${SCHEMA_VERSION}): upgrade vsweep`,
    );
  }
  for (let version = current; version < SCHEMA_VERSION; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
