// The janitor: reap orphan jobs on one cluster. `vsweep reap` runs it once; a Temporal Schedule
// (`vsweep janitor schedule`) runs it periodically.
import * as wf from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { ReapedJob, ReapInput } from '../activities/reap';

const { reapOrphans } = wf.proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: 5 * 60_000,
  retry: { maximumAttempts: 5, initialInterval: 2000 },
});

export async function janitorWorkflow(input: ReapInput): Promise<ReapedJob[]> {
  const reaped = await reapOrphans(input);
  const orphans = reaped.filter((j) => j.owner !== 'running');
  wf.setCurrentDetails(
    orphans.length === 0
      ? `No orphan jobs on ${input.cluster.name}.`
      : `${input.dryRun ? 'Found' : 'Deleted'} ${orphans.length} orphan job(s) on ${input.cluster.name}: ${orphans.map((j) => j.jobId).join(', ')}`,
  );
  return reaped;
}
