// A sweep: plan the spec into server configurations and run one child workflow per configuration,
// at most `maxConcurrentJobs` at a time. One failing configuration never stops the others.
import * as wf from '@temporalio/workflow';
import { loadTimeoutPolicy } from '../plan/load-timeout';
import { planSweep, type ServerConfigPlan } from '../plan/plan';
import { SA_CLUSTER, SA_EXPERIMENT, SA_MODEL, SA_STAGE, SA_STATUS, SA_SWEEP_ID } from './search-attributes';
import { serverConfigWorkflow } from './server-config';
import type { ConfigInput, ConfigResult, SweepInput, SweepProgress, SweepResult } from './types';

export const sweepProgressQuery = wf.defineQuery<SweepProgress>('progress');

export function configWorkflowId(sweepId: string, configKey: string): string {
  return `${sweepId}.${configKey}`;
}

export async function sweepWorkflow(input: SweepInput): Promise<SweepResult> {
  const { spec, sweepId } = input;
  const plan = planSweep(spec);
  const startedAt = new Date().toISOString();
  const progress: SweepProgress = {
    sweepId,
    specName: spec.name,
    timeScale: spec.timeScale,
    configs: plan.configs.map((c) => ({
      configKey: c.key,
      label: c.label,
      workflowId: configWorkflowId(sweepId, c.key),
    })),
    done: false,
  };
  wf.setHandler(sweepProgressQuery, () => progress);
  wf.setCurrentDetails(`Sweep **${spec.name}**: ${plan.configs.length} server configurations`);

  const results = new Map<string, ConfigResult>();
  const queue = [...plan.configs];
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
  const configs = plan.configs.map((c) => results.get(c.key)!);
  const outcome = configs.every((c) => c.outcome === 'ok') ? 'ok' : 'failed';
  wf.upsertSearchAttributes([
    { key: SA_STATUS, value: outcome },
    { key: SA_STAGE, value: 'done' },
  ]);
  return {
    sweepId,
    specName: spec.name,
    model: spec.server.model,
    cluster: spec.cluster.name,
    timeScale: spec.timeScale,
    varyingFlags: plan.varyingFlags,
    descriptions: Object.fromEntries(
      plan.configs.flatMap((c) => c.experiments).map((e) => [e.id, e.description ?? '']),
    ),
    startedAt,
    finishedAt: new Date().toISOString(),
    configs,
  };

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
