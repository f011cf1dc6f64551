// Orphan reaping: delete vsweep jobs whose owning workflow is closed or unknown (a terminated
// workflow, a lost Temporal database). What no workflow's teardown can catch, this catches.
import type { ClusterSpec } from '../spec/schema';
import type { ActivityDeps } from './deps';

export interface ReapInput {
  cluster: ClusterSpec;
  /** List only; delete nothing. */
  dryRun: boolean;
}

export interface ReapedJob {
  jobId: string;
  runId: string;
  state: string;
  owner: 'running' | 'closed' | 'unknown';
  deleted: boolean;
}

export function reapActivities(deps: ActivityDeps) {
  return {
    async reapOrphans(input: ReapInput): Promise<ReapedJob[]> {
      const scheduler = deps.schedulerFor(input.cluster);
      const user = await remoteUser(deps, input.cluster);
      const ids = await scheduler.liveJobs(user);
      const statuses = ids.length > 0 ? await scheduler.status(ids) : new Map();
      const found: ReapedJob[] = [];
      for (const [jobId, job] of statuses) {
        const runId = job === 'unknown' ? undefined : job.variables.VSWEEP_RUN_ID;
        if (!runId || job === 'unknown') continue; // not ours, or gone meanwhile
        // The run id is the id of the workflow that owns the job (sweep id + config key).
        const owner = await deps.workflowState(runId);
        const orphan = owner !== 'running';
        if (orphan && !input.dryRun) await scheduler.delete(jobId);
        found.push({ jobId, runId, state: job.state, owner, deleted: orphan && !input.dryRun });
        if (orphan) deps.logger.warn({ jobId, runId, owner, dryRun: input.dryRun }, 'orphan vsweep job');
      }
      return found;
    },
  };
}

async function remoteUser(deps: ActivityDeps, cluster: ClusterSpec): Promise<string> {
  if (cluster.access.kind === 'ssh') return cluster.access.user;
  const res = await deps.transportFor(cluster).exec('id -un');
  const user = res.stdout.trim();
  if (res.code !== 0 || !user)
    throw new Error(`cannot tell the login node's user (id -un: ${res.stderr.trim()})`);
  return user;
}
