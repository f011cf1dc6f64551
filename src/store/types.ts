// What the results store hands back: plain objects, independent of SQLite.
import type { Flags } from '../spec/schema';
import type { Outcome, Stage } from '../workflows/types';
import type { RunMetrics, StoredSample } from './metrics';

export type SweepStatus = 'completed' | 'partial' | 'failed' | 'cancelled';

/** Facts about a sweep that its `SweepResult` does not carry. */
export interface SweepMeta {
  specHash?: string;
  /** Defaults to one derived from the outcomes (`deriveStatus`). */
  status?: SweepStatus;
  /** The sweep this one resumed: its rows count as later attempts of the same experiments. */
  resumedFrom?: string;
  /** ISO time of recording; defaults to now (tests pin it). */
  recordedAt?: string;
}

export interface StoredSweep {
  id: string;
  specName: string;
  specHash?: string;
  model: string;
  cluster: string;
  timeScale: number;
  startedAt: string;
  finishedAt?: string;
  status: SweepStatus;
  resumedFrom?: string;
  recordedAt: string;
}

/** One experiment's run on one dataset, as recorded. */
export interface StoredRun {
  runId: number;
  sweepId: string;
  specName: string;
  model: string;
  cluster: string;
  sweepStartedAt: string;
  experimentId: string;
  configKey: string;
  configLabel: string;
  dataset: string;
  flags: Flags;
  outcome: Outcome;
  failedStage?: Stage;
  startupStage?: string;
  reason?: string;
  metrics: RunMetrics;
  samples: StoredSample[];
  recordsFile?: string;
  /** 1 for the first run of this experiment/dataset in a resume chain, 2 for its first retry, ... */
  attempt: number;
  /** True when the run belongs to a sweep that resumed another. */
  resumed: boolean;
  createdAt: string;
}

export interface LatestRow {
  experimentId: string;
  dataset: string;
  latest: StoredRun;
  /** Every attempt along the resume chain, oldest first; the last one is `latest`. */
  history: StoredRun[];
}

export interface HistoryFilter {
  specName?: string;
  configKey?: string;
  experimentId?: string;
  dataset?: string;
  /** Inclusive bounds on the sweep's start time (ISO string or Date). */
  since?: string | Date;
  until?: string | Date;
  /** Keeps the newest `limit` runs. */
  limit?: number;
}

export interface BaselineQuery {
  specName: string;
  configKey: string;
  dataset: string;
  lastN: number;
  /** Use this sweep's run instead of the last N. */
  pinnedSweepId?: string;
  /** Leave out the sweep being judged, so it is not its own baseline. */
  excludeSweepId?: string;
}
