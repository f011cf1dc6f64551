// One server configuration, the seed's checklist as durable stages: submit, queue wait, model load,
// warmup, dataset replay per experiment, and teardown (qdel) that always runs.
import * as wf from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { FailureDetails } from '../activities/failures';
import { renderJobScript, runDirFor } from '../jobs/job-script';
import type { LoadTimeout } from '../plan/load-timeout';
import { hash, isOn } from '../plan/plan';
import { NON_RETRYABLE_ERROR_TYPES } from '../lib/errors';
import { SA_STAGE, SA_STATUS } from './search-attributes';
import type { ConfigInput, ConfigProgress, ConfigResult, Outcome, RowResult, Stage } from './types';

type Activities = ReturnType<typeof createActivities>;

export const configProgressQuery = wf.defineQuery<ConfigProgress>('progress');

const retry: wf.RetryPolicy = {
  initialInterval: 1000,
  backoffCoefficient: 2,
  maximumInterval: 30_000,
  nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
};

/**
 * Short scheduler calls (submit, teardown). They do not heartbeat, so a worker that dies during one is
 * noticed only at this timeout; it is safe to cut short because submit adopts and qdel is idempotent.
 * 120 s on a real cluster; on a sped-up simulator scaled down to 15 s, as the heartbeat timeout is.
 */
function quickActivities(timeScale: number) {
  return wf.proxyActivities<Activities>({
    startToCloseTimeout: Math.round(Math.min(120, Math.max(15, 120 * timeScale)) * 1000),
    retry: { ...retry, maximumAttempts: 10 },
  });
}

/** Long waits: each attempt heartbeats; a new worker resumes the same wait (same deadline, same job). */
function longActivities(timeoutSec: number, timeScale: number) {
  return wf.proxyActivities<Activities>({
    startToCloseTimeout: (Math.ceil(timeoutSec) + 120) * 1000,
    // How soon a dead worker's wait is picked up by another: 60 s, shorter on a sped-up simulator.
    heartbeatTimeout: Math.round(Math.min(60, Math.max(10, 60 * timeScale)) * 1000),
    retry: { ...retry, maximumAttempts: 20 },
  });
}

/** What the Temporal UI shows for the model-load activity, e.g. "model load — EP off, eager, timeout 698 s". */
export function loadSummary(flags: ConfigInput['config']['flags'], timeout: LoadTimeout): string {
  const ep = isOn(flags, 'enable-expert-parallel') ? 'on' : 'off';
  const compile = isOn(flags, 'enforce-eager') ? 'eager' : 'torch.compile';
  return `model load — EP ${ep}, ${compile}, timeout ${Math.round(timeout.totalSec)} s`;
}

/** PBS job names: at most 15 characters, letter first, unique per sweep and server config. */
export function jobNameFor(sweepId: string, configKey: string): string {
  return `vs${hash(sweepId).slice(-4)}-${configKey.slice(-6)}`;
}

export async function serverConfigWorkflow(input: ConfigInput): Promise<ConfigResult> {
  const { config, timeScale } = input;
  const samplesTotal = config.experiments.reduce((n, e) => n + e.datasets.length, 0);
  const progress: ConfigProgress = {
    configKey: config.key,
    label: config.label,
    stage: 'pending',
    stageStartedAtMs: Date.now(),
    samplesDone: 0,
    samplesTotal,
  };
  wf.setHandler(configProgressQuery, () => progress);
  const result: ConfigResult = {
    configKey: config.key,
    label: config.label,
    flags: config.flags,
    outcome: 'ok',
    loadTimeout: input.loadTimeout,
    rows: [],
  };

  const enter = (stage: Stage, timeoutSec?: number, details?: string) => {
    Object.assign(progress, { stage, stageStartedAtMs: Date.now(), stageTimeoutSec: timeoutSec });
    wf.upsertSearchAttributes([{ key: SA_STAGE, value: stage }]);
    wf.setCurrentDetails(details ?? `**${config.label}**: ${stage}`);
  };

  const runDir = runDirFor(input.cluster.workDir, input.sweepId, config.key);
  const jobName = jobNameFor(input.sweepId, config.key);
  const jobRef = (jobId: string) => ({ cluster: input.cluster, jobId, timeScale });
  const quick = quickActivities(timeScale);
  const maxResubmits = input.cluster.resubmitOnFailure;
  let stage: Stage = 'submit';

  // Each attempt is one PBS job. A job that died or whose server crashed is resubmitted when the spec
  // allows it (`cluster.resubmitOnFailure`); datasets already measured are kept, not measured again.
  for (let attempt = 0; ; attempt++) {
    // A new run id per attempt: the retried submit never adopts the job that failed.
    const runId = `${input.sweepId}.${config.key}${attempt > 0 ? `.r${attempt}` : ''}`;
    const job: { id?: string; submitted: boolean } = { submitted: false };
    try {
      await runAttempt(runId, attempt, job);
      Object.assign(result, {
        outcome: 'ok',
        failedStage: undefined,
        startupStage: undefined,
        reason: undefined,
        logTail: undefined,
      });
      break;
    } catch (err) {
      const outcome: Outcome = wf.isCancellation(err) ? 'cancelled' : 'failed';
      const failure = describeFailure(err);
      Object.assign(result, {
        outcome,
        failedStage: stage,
        startupStage: failure.startupStage,
        reason: failure.message,
        logTail: failure.logTail,
      });
      if (outcome === 'cancelled') throw err; // after `finally` has deleted the job
      const jobDied = failure.type === 'JobVanished' || failure.type === 'ServerFailed';
      if (!jobDied || attempt >= maxResubmits || stage === 'submit' || stage === 'queue') break;
      wf.log.warn('resubmitting after a job failure', {
        configKey: config.key,
        attempt,
        reason: failure.message,
      });
    } finally {
      await teardown(job, runId);
    }
  }

  markUnfinishedRows(result);
  if (result.rows.some((r) => r.outcome !== 'ok') && result.outcome === 'ok') {
    Object.assign(result, {
      outcome: 'failed',
      failedStage: 'replay',
      reason: result.rows.find((r) => r.reason)?.reason,
    });
  }
  Object.assign(progress, { outcome: result.outcome, reason: result.reason });
  enter(
    'done',
    undefined,
    `**${config.label}**: ${result.outcome}${result.reason ? ` — ${result.reason}` : ''}`,
  );
  wf.upsertSearchAttributes([{ key: SA_STATUS, value: result.outcome }]);
  return result;

  async function runAttempt(
    runId: string,
    attempt: number,
    job: { id?: string; submitted: boolean },
  ): Promise<void> {
    stage = 'submit';
    enter(
      'submit',
      undefined,
      `**${config.label}**: submitting${attempt > 0 ? ` (attempt ${attempt + 1})` : ''}`,
    );
    const script = renderJobScript({
      sweepId: input.sweepId,
      config,
      command: input.command,
      port: input.port,
      runDir,
      setup: input.cluster.setup,
      controllerSilenceSec: input.cluster.controllerSilenceSec * timeScale,
    });
    job.submitted = true;
    const { jobId } = await quick.submitJob.executeWithOptions(
      { summary: `qsub ${jobName}${attempt > 0 ? ` (attempt ${attempt + 1})` : ''}` },
      [
        {
          sweepId: input.sweepId,
          cluster: input.cluster,
          configKey: config.key,
          jobName,
          runId,
          script,
          timeScale,
        },
      ],
    );
    job.id = jobId;
    progress.jobId = jobId;
    result.jobId = jobId;

    stage = 'queue';
    const queueTimeoutSec = input.queueWaitSec * timeScale;
    enter('queue', queueTimeoutSec, `**${config.label}**: job ${jobId} queued`);
    const started = await longActivities(queueTimeoutSec, timeScale).waitForJobStart.executeWithOptions(
      { summary: `queue wait — timeout ${Math.round(input.queueWaitSec)} s` },
      [
        {
          ...jobRef(jobId),
          runDir,
          timeoutSec: queueTimeoutSec,
        },
      ],
    );
    progress.host = started.execHost;
    result.host = started.execHost;

    stage = 'load';
    const loadTimeoutSec = input.loadTimeout.totalSec * timeScale;
    enter(
      'load',
      loadTimeoutSec,
      `**${config.label}**: model load on ${started.execHost}, timeout ${input.loadTimeout.totalSec} s (${input.loadTimeout.explanation})`,
    );
    const endpoint = await longActivities(loadTimeoutSec, timeScale).waitForServerReady.executeWithOptions(
      { summary: loadSummary(config.flags, input.loadTimeout) },
      [
        {
          ...jobRef(jobId),
          runDir,
          port: input.port,
          jobStartedAtMs: started.startedAtMs,
          deadlineMs: started.startedAtMs + loadTimeoutSec * 1000,
          loadTimeout: input.loadTimeout,
        },
      ],
    );
    Object.assign(result, {
      host: endpoint.host,
      port: endpoint.port,
      startupSec: endpoint.startupSec,
      modelMemoryGiB: endpoint.modelMemoryGiB,
    });

    // A dataset may hold many samples: liveness comes from heartbeats, not from this bound.
    const replayActs = longActivities(24 * 3600, timeScale);
    if (input.workload.warmupRequests > 0) {
      stage = 'warmup';
      enter('warmup');
      await replayActs.warmup.executeWithOptions(
        { summary: `warmup — ${input.workload.warmupRequests} request(s), not measured` },
        [
          {
            cluster: input.cluster,
            endpoint,
            workload: input.workload,
            timeScale,
            job: { jobId, runDir },
          },
        ],
      );
    }

    stage = 'replay';
    const measured = new Set(result.rows.map((r) => `${r.experimentId}/${r.dataset}`));
    for (const exp of config.experiments) {
      for (const dataset of exp.datasets.filter((d) => !measured.has(`${exp.id}/${d}`))) {
        enter('replay', undefined, `**${config.label}**: replaying ${dataset} for ${exp.id}`);
        const run = await replayActs.replayDataset.executeWithOptions(
          { summary: `replay ${dataset} for ${exp.id}` },
          [
            {
              sweepId: input.sweepId,
              configKey: config.key,
              experimentId: exp.id,
              cluster: input.cluster,
              endpoint,
              dataset,
              datasetSpec: input.datasets[dataset],
              workload: input.workload,
              timeScale,
              maxModelLen: Number(config.flags['max-model-len']) || undefined,
              attempt,
              job: { jobId, runDir },
            },
          ],
        );
        const failed = run.samples.filter((s) => !s.ok);
        result.rows.push({
          experimentId: exp.id,
          dataset,
          outcome: failed.length === 0 ? 'ok' : 'failed',
          ...(failed.length > 0 && {
            failedStage: 'replay',
            reason: `${failed.length} request(s) failed: ${failed[0].error}`,
          }),
          run,
        });
        progress.samplesDone += 1;
      }
    }
  }

  // qdel in a scope that cancellation cannot interrupt: a GPU job is never left running.
  async function teardown(job: { id?: string; submitted: boolean }, runId: string): Promise<void> {
    if (!job.submitted) return;
    enter('teardown');
    await wf.CancellationScope.nonCancellable(() =>
      quick.teardownJob.executeWithOptions({ summary: `qdel ${job.id ?? jobName}` }, [
        { cluster: input.cluster, jobId: job.id, jobName, runId, timeScale },
      ]),
    );
  }

  function markUnfinishedRows(r: ConfigResult): void {
    const done = new Set(r.rows.map((row) => `${row.experimentId}/${row.dataset}`));
    const missing: RowResult[] = config.experiments.flatMap((exp) =>
      exp.datasets
        .filter((d) => !done.has(`${exp.id}/${d}`))
        .map((dataset) => ({
          experimentId: exp.id,
          dataset,
          outcome: r.outcome === 'cancelled' ? 'cancelled' : 'failed',
          failedStage: r.failedStage,
          startupStage: r.startupStage,
          reason: r.reason,
        })),
    );
    r.rows.push(...missing);
  }
}

function describeFailure(err: unknown): {
  message: string;
  type?: string;
  logTail?: string;
  startupStage?: string;
} {
  let cause: unknown = err;
  // ActivityFailure wraps the ApplicationFailure that carries the activity's own message and details.
  while (cause instanceof wf.ActivityFailure || cause instanceof wf.ChildWorkflowFailure) cause = cause.cause;
  if (cause instanceof wf.ApplicationFailure) {
    const details = cause.details?.[0] as FailureDetails | undefined;
    const startupStage = details?.context?.startupStage;
    return {
      message: cause.message,
      type: cause.type ?? undefined,
      logTail: details?.logTail,
      startupStage: typeof startupStage === 'string' ? startupStage : undefined,
    };
  }
  return { message: cause instanceof Error ? cause.message : String(cause) };
}
