// Job activities: submit, wait in the queue, delete. Thin: the PBS adapter does the work.
import { activityInfo, heartbeat, sleep } from '@temporalio/activity';
import { JobVanished } from '../lib/errors';
import type { JobRef, SubmitJobInput, WaitForStartResult } from '../workflows/types';
import type { ActivityDeps } from './deps';
import { pollIntervalMs } from './timing';

const QUEUED_STATES = new Set(['Q', 'H', 'W', 'T', 'S', 'U']);

export function jobActivities(deps: ActivityDeps) {
  return {
    async submitJob(input: SubmitJobInput): Promise<{ jobId: string }> {
      const scheduler = deps.schedulerFor(input.cluster);
      const vars: Record<string, string> = { VSWEEP_RUN_ID: input.runId };
      if (input.timeScale !== 1) vars.VSWEEP_TIME_SCALE = String(input.timeScale);
      const jobId = await scheduler.submit({
        script: input.script,
        name: input.jobName,
        queue: input.cluster.queue,
        select: input.cluster.select,
        walltime: input.cluster.walltime,
        vars,
      });
      deps.logger.info(
        { sweepId: input.sweepId, configKey: input.configKey, stage: 'submit', jobId },
        'job submitted',
      );
      return { jobId };
    },

    async waitForJobStart(input: JobRef & { timeoutSec: number }): Promise<WaitForStartResult> {
      const scheduler = deps.schedulerFor(input.cluster);
      // A retried attempt keeps the first attempt's deadline: a worker crash does not extend the wait.
      const resumed = activityInfo().heartbeatDetails as { deadlineMs?: number } | undefined;
      const deadlineMs = resumed?.deadlineMs ?? Date.now() + input.timeoutSec * 1000;
      for (;;) {
        const job = (await scheduler.status([input.jobId])).get(input.jobId);
        if (job === undefined || job === 'unknown') {
          throw new JobVanished(
            `job ${input.jobId} disappeared from the queue before it ran (rejected by routing, or deleted)`,
            {
              stage: 'queue',
              jobId: input.jobId,
            },
          );
        }
        if (job.state === 'R' || job.state === 'E' || job.state === 'B') {
          return { execHost: job.execHost ?? 'unknown', startedAtMs: Date.now() };
        }
        if (!QUEUED_STATES.has(job.state)) {
          throw new JobVanished(
            `job ${input.jobId} ended before it ran (state ${job.state}${job.exitStatus !== undefined ? `, Exit_status ${job.exitStatus}` : ''}${job.comment ? `: ${job.comment}` : ''})`,
            { stage: 'queue', jobId: input.jobId },
          );
        }
        if (Date.now() > deadlineMs) {
          throw new JobVanished(
            `job ${input.jobId} still queued after ${Math.round(input.timeoutSec / input.timeScale)} s${job.comment ? ` (${job.comment})` : ''}; raise timeouts.queueWaitSec or pick another queue`,
            { stage: 'queue', jobId: input.jobId },
          );
        }
        heartbeat({ deadlineMs, state: job.state, comment: job.comment });
        await sleep(pollIntervalMs(input.cluster, input.timeScale));
      }
    },

    /** Delete the job; with no job id (submit outcome unknown) find it by its unique name. */
    async teardownJob(input: {
      cluster: JobRef['cluster'];
      jobId?: string;
      jobName: string;
      runId: string;
      timeScale: number;
    }): Promise<{ deleted: string[] }> {
      const scheduler = deps.schedulerFor(input.cluster);
      const ids = input.jobId ? [input.jobId] : await scheduler.findByName(input.jobName);
      const deleted: string[] = [];
      for (const id of ids) {
        const outcome = await scheduler.delete(id);
        deps.logger.info({ stage: 'teardown', jobId: id, outcome }, 'job deleted');
        deleted.push(id);
      }
      return { deleted };
    },
  };
}
