// Client side: start sweeps, read their progress and results. Used by the CLI and the tests.
import { Client, Connection, ScheduleOverlapPolicy, WorkflowNotFoundError } from '@temporalio/client';
import type { ReapedJob, ReapInput } from './activities/reap';
import type { ClusterSpec, SweepSpec } from './spec/schema';
import type { NightlyInput, NightlyResult } from './workflows/nightly';
import { rowsToRerun, type ResumeSelection } from './workflows/resume';
import { SA_CLUSTER, SA_MODEL } from './workflows/search-attributes';
import { sweepIdFor, sweepWorkflowLabels } from './workflows/sweep-options';
import type { ConfigProgress, SweepInput, SweepProgress, SweepResult } from './workflows/types';

export const DEFAULT_TASK_QUEUE = 'vsweep';
export const DEFAULT_ADDRESS = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';

export async function connectClient(address = DEFAULT_ADDRESS, namespace = 'default'): Promise<Client> {
  const connection = await Connection.connect({ address, connectTimeout: 5000 });
  return new Client({ connection, namespace });
}

/** `<spec name>-<UTC yyyymmdd-hhmmss>-<4 random chars>`: sortable, readable, unique. */
export function newSweepId(specName: string, now = new Date()): string {
  return sweepIdFor(specName, now, Math.random().toString(36).slice(2, 6).padEnd(4, '0'));
}

export async function startSweep(
  client: Client,
  spec: SweepSpec,
  opts: { taskQueue?: string; sweepId?: string; resume?: SweepInput['resume'] } = {},
): Promise<string> {
  const sweepId = opts.sweepId ?? newSweepId(spec.name);
  const input: SweepInput = { sweepId, spec, ...(opts.resume && { resume: opts.resume }) };
  await client.workflow.start('sweepWorkflow', {
    args: [input],
    taskQueue: opts.taskQueue ?? DEFAULT_TASK_QUEUE,
    workflowId: sweepId,
    ...sweepWorkflowLabels(sweepId, spec, opts.resume && `resumes ${opts.resume.fromSweepId}`),
  });
  return sweepId;
}

/** A sweep's input (spec and resume), from its start event: needs no worker, works on closed sweeps. */
export async function getSweepInput(client: Client, sweepId: string): Promise<SweepInput> {
  const history = await client.workflow.getHandle(sweepId).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) throw new Error(`${sweepId}: its start event carries no input`);
  return client.options.loadedDataConverter.payloadConverter.fromPayload(payload) as SweepInput;
}

export interface ResumeOptions {
  taskQueue?: string;
  /** Which rows run again: every row not ok (default), only failed ones, or only timeouts. */
  only?: ResumeSelection;
  /** Changes to the earlier sweep's spec, e.g. a longer load timeout. */
  editSpec?: (spec: SweepSpec) => SweepSpec;
}

/**
 * Start a new sweep that re-runs only the rows of `fromSweepId` that did not succeed and reuses the
 * others. Returns the new sweep's id and the rows it re-runs (`<experiment>/<dataset>`).
 */
export async function resumeSweep(
  client: Client,
  fromSweepId: string,
  previous: SweepResult,
  opts: ResumeOptions = {},
): Promise<{ sweepId: string; rerun: string[] }> {
  const input = await getSweepInput(client, fromSweepId);
  const rerun = rowsToRerun(previous, opts.only);
  if (rerun.length === 0) return { sweepId: '', rerun };
  const spec = opts.editSpec ? opts.editSpec(input.spec) : input.spec;
  const sweepId = await startSweep(client, spec, {
    taskQueue: opts.taskQueue,
    resume: { fromSweepId, previous, only: rerun },
  });
  return { sweepId, rerun };
}

export interface SweepListEntry {
  sweepId: string;
  /** Temporal's status (RUNNING, COMPLETED, ...) or, for sweeps past retention, the store's. */
  status: string;
  startedAt: string;
  closedAt?: string;
  source: 'temporal' | 'store';
  specName?: string;
}

/** Recent sweeps from Temporal's visibility, newest first. */
export async function listSweeps(client: Client, limit: number): Promise<SweepListEntry[]> {
  const out: SweepListEntry[] = [];
  for await (const wf of client.workflow.list({ query: 'WorkflowType = "sweepWorkflow"' })) {
    out.push({
      sweepId: wf.workflowId,
      status: wf.status.name,
      startedAt: wf.startTime.toISOString(),
      closedAt: wf.closeTime?.toISOString(),
      source: 'temporal',
    });
    if (out.length >= limit) break;
  }
  return out;
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
      if (c.reusedFrom && c.result) {
        // Taken over from an earlier sweep by `vsweep resume`: nothing runs for it.
        return {
          ...base,
          stage: 'done' as const,
          stageStartedAtMs: 0,
          samplesDone: c.result.rows.length,
          samplesTotal: c.result.rows.length,
          outcome: c.result.outcome,
          reason: `reused from ${c.reusedFrom}`,
        };
      }
      try {
        const child = client.workflow.getHandle(c.workflowId);
        const [p, d] = await Promise.all([child.query<ConfigProgress>('progress'), child.describe()]);
        const pending = d.raw.pendingActivities?.[0];
        const details = pending?.heartbeatDetails?.payloads?.[0];
        const decoded = details
          ? (client.options.loadedDataConverter.payloadConverter.fromPayload(details) as Record<
              string,
              unknown
            >)
          : undefined;
        // The progress fields; a replay's measured records (its durable copy, up to 1 MB) are not status.
        const { records: _records, ...activity } = decoded ?? {};
        return { ...p, ...base, activity: decoded ? activity : undefined };
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

export interface NightlyScheduleOptions {
  scheduleId?: string;
  /** Cron expression in UTC, e.g. `0 2 * * *`. */
  cron: string;
  baseline: NightlyInput['baseline'];
  webhookEnv?: string;
  taskQueue?: string;
  paused?: boolean;
}

/** A Temporal Schedule whose action is a nightly regression run of `spec`. */
export async function createNightlySchedule(
  client: Client,
  spec: SweepSpec,
  opts: NightlyScheduleOptions,
): Promise<string> {
  const scheduleId = opts.scheduleId ?? `vsweep-nightly-${spec.name}`;
  const input: NightlyInput = { spec, baseline: opts.baseline, webhookEnv: opts.webhookEnv };
  await client.schedule.create({
    scheduleId,
    spec: { cronExpressions: [opts.cron] },
    action: {
      type: 'startWorkflow',
      workflowType: 'nightlyWorkflow',
      args: [input],
      taskQueue: opts.taskQueue ?? DEFAULT_TASK_QUEUE,
      workflowId: scheduleId,
      staticSummary: `Nightly ${spec.name}: ${spec.server.model} on ${spec.cluster.name}, checked against its baseline`,
      typedSearchAttributes: [
        { key: SA_MODEL, value: spec.server.model },
        { key: SA_CLUSTER, value: spec.cluster.name },
      ],
    },
    // A night that runs long never overlaps the next one.
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
    // Temporal keeps the cron only as calendar ranges: the memo keeps it as people wrote it.
    memo: { cron: opts.cron, spec: spec.name },
    state: { paused: opts.paused ?? false, note: opts.paused ? 'created paused' : undefined },
  });
  return scheduleId;
}

export interface ScheduleListEntry {
  scheduleId: string;
  workflowType?: string;
  paused: boolean;
  note?: string;
  cron: string[];
  nextRuns: string[];
  recentRuns: { workflowId: string; takenAt: string }[];
}

/** vsweep's schedules (nightly runs and janitors). */
export async function listSchedules(client: Client): Promise<ScheduleListEntry[]> {
  const out: ScheduleListEntry[] = [];
  for await (const s of client.schedule.list()) {
    if (!s.scheduleId.startsWith('vsweep-')) continue;
    out.push({
      scheduleId: s.scheduleId,
      workflowType: s.action?.type === 'startWorkflow' ? s.action.workflowType : undefined,
      paused: s.state.paused,
      note: s.state.note,
      cron: typeof s.memo?.cron === 'string' ? [s.memo.cron] : [],
      nextRuns: s.info.nextActionTimes.map((d) => d.toISOString()),
      recentRuns: s.info.recentActions.map((a) => ({
        workflowId: a.action.workflow.workflowId,
        takenAt: a.takenAt.toISOString(),
      })),
    });
  }
  return out;
}

/**
 * Run a schedule's action now and return the workflow it started: the schedule's recent actions gain
 * one entry (polled, at most `timeoutMs`).
 */
export async function triggerSchedule(
  client: Client,
  scheduleId: string,
  timeoutMs = 30_000,
): Promise<string> {
  const handle = client.schedule.getHandle(scheduleId);
  const seen = new Set((await handle.describe()).info.recentActions.map((a) => a.action.workflow.workflowId));
  await handle.trigger(ScheduleOverlapPolicy.ALLOW_ALL);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const started = (await handle.describe()).info.recentActions.find(
      (a) => !seen.has(a.action.workflow.workflowId),
    );
    if (started) return started.action.workflow.workflowId;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `schedule ${scheduleId} was triggered but started no workflow within ${timeoutMs / 1000} s`,
  );
}

export async function getNightlyResult(client: Client, workflowId: string): Promise<NightlyResult> {
  return client.workflow.getHandle(workflowId).result() as Promise<NightlyResult>;
}
