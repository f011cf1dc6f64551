// A nightly regression run (the action of a `vsweep schedule`): run the sweep as a child, judge every
// config/dataset against its baseline from the results store, and tell the webhook named by an
// environment variable of the worker (the URL is a secret: it never enters inputs or history).
import * as wf from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { BaselineChoice, NotifyOutcome } from '../activities/results';
import type { RegressionSummary } from '../regression/summary';
import type { SweepSpec } from '../spec/schema';
import { SA_STATUS, SA_SWEEP_ID } from './search-attributes';
import { sweepWorkflow } from './sweep';
import { sweepIdFor, sweepWorkflowLabels } from './sweep-options';
import type { SweepResult } from './types';

export interface NightlyInput {
  spec: SweepSpec;
  baseline: BaselineChoice;
  /** Name of the worker's environment variable holding the webhook URL; none = no message. */
  webhookEnv?: string;
}

export interface NightlyResult {
  sweepId: string;
  summary: RegressionSummary;
  webhook: NotifyOutcome | 'not-configured' | 'failed';
}

const { checkRegressions } = wf.proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: 120_000,
  retry: { initialInterval: 2000, maximumAttempts: 5 },
});
// A chat service that is down for a while should not lose tonight's message: retry for ~30 minutes.
const { notifyWebhook } = wf.proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: 30_000,
  retry: { initialInterval: 5000, backoffCoefficient: 2, maximumInterval: 300_000, maximumAttempts: 10 },
});

export async function nightlyWorkflow(input: NightlyInput): Promise<NightlyResult> {
  const { spec } = input;
  const sweepId = sweepIdFor(spec.name, new Date(), wf.uuid4().replace(/-/g, ''));
  wf.upsertSearchAttributes([{ key: SA_SWEEP_ID, value: sweepId }]);
  wf.setCurrentDetails(`Nightly **${spec.name}**: running sweep ${sweepId}`);

  const result: SweepResult = await wf.executeChild(sweepWorkflow, {
    args: [{ sweepId, spec }],
    workflowId: sweepId,
    ...sweepWorkflowLabels(sweepId, spec, 'nightly'),
  });

  const summary = await checkRegressions({
    result,
    baseline: input.baseline,
    thresholds: input.spec.regression,
  });
  const c = summary.counts;
  const verdict = c.regression > 0 ? 'regression' : c.failed > 0 ? 'failed' : 'ok';
  wf.upsertSearchAttributes([{ key: SA_STATUS, value: verdict }]);
  const flagged = summary.rows.filter((r) => r.verdict === 'regression').map((r) => r.experimentId);
  wf.setCurrentDetails(
    `Nightly **${spec.name}**, sweep ${sweepId}: ${c.regression} regression(s)${flagged.length ? ` (${flagged.join(', ')})` : ''}, ` +
      `${c.failed} failed, ${c.improvement} improvement(s), ${c['no-change']} unchanged, ${c['insufficient-data']} without baseline`,
  );

  let webhook: NightlyResult['webhook'] = 'not-configured';
  if (input.webhookEnv) {
    try {
      webhook = await notifyWebhook({ webhookEnv: input.webhookEnv, summary });
    } catch (err) {
      // The verdict stands without the message; the failure is in the history and the logs.
      webhook = 'failed';
      wf.log.warn('webhook not delivered', { sweepId, error: String(err) });
    }
  }
  return { sweepId, summary, webhook };
}
