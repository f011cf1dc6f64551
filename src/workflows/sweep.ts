// A sweep: plan the spec into server configurations and run one child workflow per configuration,
// at most `maxConcurrentJobs` at a time. One failing configuration never stops the others.
import * as wf from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { loadTimeoutPolicy } from '../plan/load-timeout';
import { hash, planSweep, type ServerConfigPlan } from '../plan/plan';
import { mergeResumed, resumeNotes, restrictPlan, reusedConfig, rowsToRerun } from './resume';
import { SA_CLUSTER, SA_EXPERIMENT, SA_MODEL, SA_STAGE, SA_STATUS, SA_SWEEP_ID } from './search-attributes';
import { serverConfigWorkflow } from './server-config';
import type { ConfigInput, ConfigResult, SweepInput, SweepProgress, SweepResult } from './types';

export const sweepProgressQuery = wf.defineQuery<SweepProgress>('progress');
/** The sweep's own input (spec, resume): answered while a worker runs, also after the sweep closed. */
export const sweepInputQuery = wf.defineQuery<SweepInput>('input');

// Recording into the worker's SQLite store: short, idempotent (re-recording replaces the sweep's rows).
const { recordResults } = wf.proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: 60_000,
  retry: { initialInterval: 1000, maximumAttempts: 10 },
});

export function configWorkflowId(sweepId: string, configKey: string): string {
  return `${sweepId}.${configKey}`;
}

export async function sweepWorkflow(input: SweepInput): Promise<SweepResult> {
  const { spec, sweepId, resume } = input;
  const plan = planSweep(spec);
  const startedAt = new Date().toISOString();
  // A resumed sweep runs only the rows to re-run; every other config's result is the earlier sweep's.
  const toRun = resume
    ? restrictPlan(plan.configs, new Set(resume.only ?? rowsToRerun(resume.previous)))
    : plan.configs;
  const previous = new Map(resume?.previous.configs.map((c) => [c.configKey, c]));
  const progress: SweepProgress = {
    sweepId,
    specName: spec.name,
    timeScale: spec.timeScale,
    configs: plan.configs.map((c) => {
      const old = previous.get(c.key);
      if (resume && old && !toRun.some((r) => r.key === c.key)) {
        const from = old.rows[0]?.reusedFrom ?? resume.fromSweepId;
        return {
          configKey: c.key,
          label: c.label,
          workflowId: configWorkflowId(from, c.key),
          reusedFrom: from,
          result: reusedConfig(old, resume.fromSweepId),
        };
      }
      return { configKey: c.key, label: c.label, workflowId: configWorkflowId(sweepId, c.key) };
    }),
    done: false,
    resumedFrom: resume?.fromSweepId,
  };
  wf.setHandler(sweepProgressQuery, () => progress);
  wf.setHandler(sweepInputQuery, () => input);
  wf.setCurrentDetails(
    resume
      ? `Sweep **${spec.name}**, resuming ${resume.fromSweepId}: ${toRun.length} of ${plan.configs.length} server configurations run again`
      : `Sweep **${spec.name}**: ${plan.configs.length} server configurations`,
  );

  const results = new Map<string, ConfigResult>();
  const queue = [...toRun];
  const running = new Set<Promise<void>>();
  while (queue.length > 0 || running.size > 0) {
    while (queue.length > 0 && running.size < spec.maxConcurrentJobs) {
      const config = queue.shift()!;
      const task = runConfig(config).then((r) => {
        results.set(config.key, r);
        const entry = progress.configs.find((c) => c.configKey === config.key);
        if (entry) entry.result = r;
        running.delete(task);
      });
      running.add(task);
    }
    await Promise.race(running);
  }

  progress.done = true;
  const configs = resume
    ? mergeResumed(plan.configs, results, resume)
    : plan.configs.map((c) => results.get(c.key)!);
  const outcome = configs.every((c) => c.outcome === 'ok') ? 'ok' : 'failed';
  wf.upsertSearchAttributes([
    { key: SA_STATUS, value: outcome },
    { key: SA_STAGE, value: 'done' },
  ]);
  // The markdown report shows notes per experiment: a resumed row says what it was before there.
  const notes = resumeNotes(configs);
  const result: SweepResult = {
    sweepId,
    specName: spec.name,
    model: spec.server.model,
    cluster: spec.cluster.name,
    timeScale: spec.timeScale,
    varyingFlags: plan.varyingFlags,
    descriptions: Object.fromEntries(
      plan.configs
        .flatMap((c) => c.experiments)
        .map((e) => [e.id, [e.description, notes[e.id]].filter(Boolean).join('; ')]),
    ),
    startedAt,
    finishedAt: new Date().toISOString(),
    workload: spec.workload,
    configs,
  };
  // Results outlive Temporal's retention: the worker's store keeps them. A store that cannot be
  // written does not lose the sweep: the result is still returned and the failure is visible.
  try {
    await recordResults({
      result,
      meta: { specHash: hash(JSON.stringify(spec)), resumedFrom: resume?.fromSweepId },
    });
  } catch (err) {
    wf.log.warn('results not recorded in the store', { sweepId, error: String(err) });
    wf.setCurrentDetails(
      `Sweep **${spec.name}**: done, but not recorded in the results store: ${String(err)}`,
    );
  }
  return result;

  async function runConfig(config: ServerConfigPlan): Promise<ConfigResult> {
    const loadTimeout = loadTimeoutPolicy(spec.timeouts.load, config.flags);
    const childInput: ConfigInput = {
      sweepId,
      specName: spec.name,
      timeScale: spec.timeScale,
      cluster: spec.cluster,
      command: spec.server.command,
      port: spec.server.port,
      config,
      datasets: spec.datasets,
      workload: spec.workload,
      queueWaitSec: spec.timeouts.queueWaitSec,
      loadTimeout,
    };
    try {
      return await wf.executeChild(serverConfigWorkflow, {
        args: [childInput],
        workflowId: configWorkflowId(sweepId, config.key),
        staticSummary: `${config.label}: ${describeFlags(config.flags)}`,
        staticDetails: `Experiments ${config.experiments.map((e) => `${e.id} (${e.datasets.join(', ')})`).join('; ')}. Load timeout ${Math.round(loadTimeout.totalSec)} s: ${loadTimeout.explanation}.`,
        typedSearchAttributes: [
          { key: SA_SWEEP_ID, value: sweepId },
          { key: SA_EXPERIMENT, value: config.label },
          { key: SA_STAGE, value: 'pending' },
          { key: SA_STATUS, value: 'running' },
          { key: SA_MODEL, value: spec.server.model },
          { key: SA_CLUSTER, value: spec.cluster.name },
        ],
      });
    } catch (err) {
      if (wf.isCancellation(err)) throw err;
      // The child itself failed (not one of its stages): report it rather than lose the sweep.
      return {
        configKey: config.key,
        label: config.label,
        flags: config.flags,
        outcome: 'failed',
        reason: err instanceof Error ? err.message : String(err),
        loadTimeout,
        rows: config.experiments.flatMap((e) =>
          e.datasets.map((dataset) => ({ experimentId: e.id, dataset, outcome: 'failed' as const })),
        ),
      };
    }
  }
}

function describeFlags(flags: ServerConfigPlan['flags']): string {
  return Object.entries(flags)
    .map(([k, v]) => (v === true ? k : `${k}=${String(v)}`))
    .join(', ');
}
