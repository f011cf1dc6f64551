// Job activities: submit, wait in the queue, delete. Thin: the PBS adapter does the work.
import { activityInfo, heartbeat, sleep } from '@temporalio/activity';
import { JobVanished, SchedulerUnavailable } from '../lib/errors';
import type { PbsScheduler } from '../scheduler/pbs/pbs';
import type { JobRef, SubmitJobInput, WaitForStartResult } from '../workflows/types';
import type { ActivityDeps } from './deps';
import { firstExecHost } from '../scheduler/pbs/model';
import { parseJobStart, readRunFiles } from './run-files';
import { pollIntervalMs, probeIntervalMs } from './timing';

const QUEUED_STATES = new Set(['Q', 'H', 'W', 'T', 'M']);
const RUNNING_STATES = new Set(['R', 'E', 'B', 'S', 'U']);

export function jobActivities(deps: ActivityDeps) {
  return {
    /**
     * Submit once. Every attempt first looks for a job this run already queued (same unique name and
     * VSWEEP_RUN_ID) and adopts it; a qsub whose outcome is unknown is resolved by looking, not by
     * submitting again.
     */
    async submitJob(input: SubmitJobInput): Promise<{ jobId: string; adopted: boolean }> {
      const scheduler = deps.schedulerFor(input.cluster);
      const log = deps.logger.child({ sweepId: input.sweepId, configKey: input.configKey, stage: 'submit' });
      const adopted = await findOwnJob(scheduler, input.jobName, input.runId);
      if (adopted) {
        log.info({ jobId: adopted }, 'adopted the job an earlier attempt submitted');
        return { jobId: adopted, adopted: true };
      }
      const vars: Record<string, string> = { VSWEEP_RUN_ID: input.runId };
      if (input.timeScale !== 1) vars.VSWEEP_TIME_SCALE = String(input.timeScale);
      try {
        const jobId = await scheduler.submit({
          script: input.script,
          name: input.jobName,
          queue: input.cluster.queue,
          select: input.cluster.select,
          walltime: input.cluster.walltime,
          vars,
        });
        log.info({ jobId }, 'job submitted');
        return { jobId, adopted: false };
      } catch (err) {
        if (!(err instanceof SchedulerUnavailable)) throw err;
        const found = await findOwnJob(scheduler, input.jobName, input.runId).catch(() => undefined);
        if (found) {
          log.info({ jobId: found }, 'qsub outcome was unknown; found the job it queued');
          return { jobId: found, adopted: true };
        }
        throw err; // retryable: the next attempt looks again before submitting
      }
    },

    /**
     * Wait until the job runs. The job's own first log line says when and where it started (cheap to
     * read, exact to the millisecond); qstat is asked only every poll interval, to notice a job that
     * ends or vanishes while queued.
     */
    async waitForJobStart(
      input: JobRef & { runDir: string; timeoutSec: number },
    ): Promise<WaitForStartResult> {
      const transport = deps.transportFor(input.cluster);
      // A retried attempt keeps the first attempt's deadline: a worker crash does not extend the wait.
      const resumed = activityInfo().heartbeatDetails as { deadlineMs?: number } | undefined;
      const deadlineMs = resumed?.deadlineMs ?? Date.now() + input.timeoutSec * 1000;
      const qstatEveryMs = pollIntervalMs(input.cluster, input.timeScale);
      let lastQstatMs = 0;
      let runningSeen: { atMs: number; host?: string } | undefined;
      let comment: string | undefined;
      for (;;) {
        const start = parseJobStart((await readRunFiles(transport, input.runDir)).log, input.jobId);
        if (start) return { execHost: start.host, startedAtMs: start.atMs };
        if (Date.now() - lastQstatMs >= qstatEveryMs) {
          lastQstatMs = Date.now();
          const job = await deps.jobStatus(input.cluster, input.jobId, qstatEveryMs);
          if (job === 'unknown') {
            throw new JobVanished(
              `job ${input.jobId} disappeared from the queue before it ran (rejected by routing, or deleted)`,
              { stage: 'queue', jobId: input.jobId },
            );
          }
          comment = job.comment;
          if (RUNNING_STATES.has(job.state)) {
            runningSeen ??= { atMs: Date.now(), host: firstExecHost(job.execHost ?? '') };
          } else if (!QUEUED_STATES.has(job.state)) {
            const exit = job.exitStatus !== undefined ? `, Exit_status ${job.exitStatus}` : '';
            throw new JobVanished(
              `job ${input.jobId} ended before it ran (state ${job.state}${exit}${job.comment ? `: ${job.comment}` : ''})`,
              { stage: 'queue', jobId: input.jobId },
            );
          }
        }
        // Running but no start line (a custom script, a slow shared filesystem): trust qstat after a grace.
        if (runningSeen && Date.now() - runningSeen.atMs > qstatEveryMs) {
          return { execHost: runningSeen.host ?? 'unknown', startedAtMs: runningSeen.atMs };
        }
        if (!runningSeen && Date.now() > deadlineMs) {
          throw new JobVanished(
            `job ${input.jobId} still queued after ${Math.round(input.timeoutSec / input.timeScale)} s${comment ? ` (${comment})` : ''}; raise timeouts.queueWaitSec or pick another queue`,
            { stage: 'queue', jobId: input.jobId },
          );
        }
        heartbeat({ deadlineMs, comment });
        await sleep(probeIntervalMs(input.timeScale));
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

/** The job carrying this run's identity (name and VSWEEP_RUN_ID), if one was queued already. */
export async function findOwnJob(
  scheduler: PbsScheduler,
  jobName: string,
  runId: string,
): Promise<string | undefined> {
  const ids = await scheduler.findByName(jobName);
  if (ids.length === 0) return undefined;
  const statuses = await scheduler.status(ids);
  return ids.find((id) => {
    const job = statuses.get(id);
    return job !== undefined && job !== 'unknown' && job.variables.VSWEEP_RUN_ID === runId;
  });
}
