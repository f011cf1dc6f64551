// Client side: start sweeps, read their progress and results. Used by the CLI and the tests.
import { Client, Connection, ScheduleOverlapPolicy, WorkflowNotFoundError } from '@temporalio/client';
import type { ReapedJob, ReapInput } from './activities/reap';
import type { ClusterSpec, SweepSpec } from './spec/schema';
import { SA_CLUSTER, SA_MODEL, SA_STAGE, SA_STATUS, SA_SWEEP_ID } from './workflows/search-attributes';
import type { ConfigProgress, SweepProgress, SweepResult } from './workflows/types';

export const DEFAULT_TASK_QUEUE = 'vsweep';
export const DEFAULT_ADDRESS = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';

export async function connectClient(address = DEFAULT_ADDRESS, namespace = 'default'): Promise<Client> {
  const connection = await Connection.connect({ address, connectTimeout: 5000 });
  return new Client({ connection, namespace });
}

/** `<spec name>-<UTC yyyymmdd-hhmmss>-<4 random chars>`: sortable, readable, unique. */
export function newSweepId(specName: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${specName}-${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}

export async function startSweep(
  client: Client,
  spec: SweepSpec,
  opts: { taskQueue?: string; sweepId?: string } = {},
): Promise<string> {
  const sweepId = opts.sweepId ?? newSweepId(spec.name);
  await client.workflow.start('sweepWorkflow', {
    args: [{ sweepId, spec }],
    taskQueue: opts.taskQueue ?? DEFAULT_TASK_QUEUE,
    workflowId: sweepId,
    staticSummary: `Sweep ${spec.name}: ${spec.server.model} on ${spec.cluster.name}`,
    staticDetails: spec.description,
    typedSearchAttributes: [
      { key: SA_SWEEP_ID, value: sweepId },
      { key: SA_STAGE, value: 'running' },
      { key: SA_STATUS, value: 'running' },
      { key: SA_MODEL, value: spec.server.model },
      { key: SA_CLUSTER, value: spec.cluster.name },
    ],
  });
  return sweepId;
}

export interface SweepStatus {
  sweepId: string;
  status: string;
  progress: SweepProgress;
  configs: (ConfigProgress & { workflowId: string; activity?: Record<string, unknown> })[];
}

/** One look at a sweep: the sweep's query, each child's query and its running activity's heartbeat. */
export async function getSweepStatus(client: Client, sweepId: string): Promise<SweepStatus> {
  const handle = client.workflow.getHandle(sweepId);
  const description = await handle.describe();
  const progress = await handle.query<SweepProgress>('progress');
  const configs = await Promise.all(
    progress.configs.map(async (c) => {
      const base = { configKey: c.configKey, label: c.label, workflowId: c.workflowId };
      try {
        const child = client.workflow.getHandle(c.workflowId);
        const [p, d] = await Promise.all([child.query<ConfigProgress>('progress'), child.describe()]);
        const pending = d.raw.pendingActivities?.[0];
        const details = pending?.heartbeatDetails?.payloads?.[0];
        const activity = details
          ? (client.options.loadedDataConverter.payloadConverter.fromPayload(details) as Record<
              string,
              unknown
            >)
          : undefined;
        return { ...p, ...base, activity };
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) {
          return { ...base, stage: 'pending' as const, stageStartedAtMs: 0, samplesDone: 0, samplesTotal: 0 };
        }
        throw err;
      }
    }),
  );
  return { sweepId, status: description.status.name, progress, configs };
}

export async function getSweepResult(client: Client, sweepId: string): Promise<SweepResult> {
  return client.workflow.getHandle(sweepId).result() as Promise<SweepResult>;
}

/** Cancel a sweep: every server-config workflow deletes its job (teardown cannot be cancelled). */
export async function cancelSweep(client: Client, sweepId: string, waitMs = 120_000): Promise<string> {
  const handle = client.workflow.getHandle(sweepId);
  await handle.cancel();
  const closed = await Promise.race([
    handle.result().then(
      () => 'completed',
      () => 'cancelled',
    ),
    new Promise<string>((resolve) => setTimeout(() => resolve('still closing'), waitMs).unref()),
  ]);
  return closed;
}

/** Run the janitor once on a cluster and return what it found (and deleted unless `dryRun`). */
export async function reapOrphans(
  client: Client,
  cluster: ClusterSpec,
  opts: { dryRun: boolean; taskQueue?: string },
): Promise<ReapedJob[]> {
  return client.workflow.execute('janitorWorkflow', {
    args: [{ cluster, dryRun: opts.dryRun } satisfies ReapInput],
    taskQueue: opts.taskQueue ?? DEFAULT_TASK_QUEUE,
    workflowId: `vsweep-reap-${cluster.name}-${Date.now()}`,
    staticSummary: `Reap orphan vsweep jobs on ${cluster.name}${opts.dryRun ? ' (dry run)' : ''}`,
  });
}

/** A Temporal Schedule that runs the janitor on a cluster every `every` (e.g. `15m`). */
export async function scheduleJanitor(
  client: Client,
  cluster: ClusterSpec,
  every: string,
  taskQueue = DEFAULT_TASK_QUEUE,
): Promise<string> {
  const scheduleId = `vsweep-janitor-${cluster.name}`;
  await client.schedule.create({
    scheduleId,
    spec: { intervals: [{ every: every as `${number}m` }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'janitorWorkflow',
      args: [{ cluster, dryRun: false } satisfies ReapInput],
      taskQueue,
      staticSummary: `Reap orphan vsweep jobs on ${cluster.name}`,
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
  });
  return scheduleId;
}
