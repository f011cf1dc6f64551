// The results store and the nightly check: record a finished sweep, judge it against its baseline,
// and tell a chat webhook. The webhook's URL is read from the worker's environment, never an input.
import { baselinesFromStore, postWebhook, regressionSummary, slackPayload } from '../regression';
import { summaryOptionsOf, toBaselineRun } from '../regression/summary';
import type { RegressionSpec } from '../spec/schema';
import type { BaselineSource, RegressionSummary } from '../regression';
import type { ResultsStore, StoredSweep, SweepMeta } from '../store';
import type { SweepResult } from '../workflows/types';
import type { ActivityDeps } from './deps';

export interface BaselineChoice {
  /** The last N good runs of each config/dataset before the sweep (default 5). */
  lastN?: number;
  /** A pinned sweep instead of the last N. */
  sweepId?: string;
}

export interface RecordResultsInput {
  result: SweepResult;
  meta: SweepMeta;
}

export interface CheckRegressionsInput {
  result: SweepResult;
  baseline: BaselineChoice;
  /** The sweep spec's `regression` section (thresholds). */
  thresholds?: RegressionSpec;
}

export interface NotifyInput {
  /** Name of the worker's environment variable that holds the webhook URL. */
  webhookEnv: string;
  summary: RegressionSummary;
}

export type NotifyOutcome = 'posted' | 'no-url';

export const DEFAULT_BASELINE_RUNS = 5;

/**
 * Baselines for judging `sweep`: a pinned sweep, or the last N good runs recorded before it started
 * (never itself, never a later sweep, so judging an old sweep again gives the same answer).
 */
export function baselinesBefore(
  store: ResultsStore,
  sweep: { sweepId: string; startedAt: string },
  choice: BaselineChoice,
): BaselineSource {
  if (choice.sweepId) {
    return baselinesFromStore(store, {
      lastN: 1,
      pinnedSweepId: choice.sweepId,
      excludeSweepId: sweep.sweepId,
    });
  }
  const lastN = choice.lastN ?? DEFAULT_BASELINE_RUNS;
  return (row) =>
    store
      .history({
        specName: row.specName,
        configKey: row.configKey,
        dataset: row.dataset,
        until: sweep.startedAt,
      })
      .filter((run) => run.sweepId !== sweep.sweepId && run.outcome === 'ok' && run.samples.some((s) => s.ok))
      .slice(-lastN)
      .map(toBaselineRun);
}

export function checkSweep(
  store: ResultsStore,
  result: SweepResult,
  choice: BaselineChoice,
  thresholds?: RegressionSpec,
): RegressionSummary {
  return regressionSummary(result, baselinesBefore(store, result, choice), summaryOptionsOf(thresholds));
}

export function resultsActivities(deps: ActivityDeps) {
  const store = () => {
    if (!deps.store) throw new Error('this worker has no results store (ActivityDeps.store is not set)');
    return deps.store();
  };
  return {
    async recordResults(input: RecordResultsInput): Promise<StoredSweep> {
      const stored = store().recordSweep(input.result, input.meta);
      deps.logger.info(
        { sweepId: stored.id, status: stored.status, resumedFrom: stored.resumedFrom },
        'sweep recorded in the results store',
      );
      return stored;
    },

    async checkRegressions(input: CheckRegressionsInput): Promise<RegressionSummary> {
      return checkSweep(store(), input.result, input.baseline, input.thresholds);
    },

    async notifyWebhook(input: NotifyInput): Promise<NotifyOutcome> {
      const url = (deps.env ?? process.env)[input.webhookEnv];
      if (!url) {
        deps.logger.warn(
          { sweepId: input.summary.sweepId, webhookEnv: input.webhookEnv },
          "webhook not posted: the worker's environment does not set this variable",
        );
        return 'no-url';
      }
      await postWebhook(url, slackPayload(input.summary));
      deps.logger.info({ sweepId: input.summary.sweepId, webhookEnv: input.webhookEnv }, 'webhook posted');
      return 'posted';
    },
  };
}
