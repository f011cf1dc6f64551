// The worker process: registers the workflows and the activities (with one SSH connection per login node).
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { createActivities } from './activities';
import { connectClient, DEFAULT_TASK_QUEUE } from './client';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { installTemporalLogger, logger as rootLogger } from './lib/log';
import { stateDir } from './lib/paths';
import { PbsScheduler } from './scheduler/pbs/pbs';
import type { ClusterSpec } from './spec/schema';
import { TransportPool, transportKey, type TransportConfig } from './transport';
import { JobPoller } from './activities/job-poller';
import { openStore, type ResultsStore } from './store';

export interface WorkerOptions {
  address: string;
  namespace?: string;
  taskQueue?: string;
  resultsDir?: string;
  /** The results store's SQLite file; default `results.db` next to the results folder
   * (`$VSWEEP_HOME/results.db`). */
  storeFile?: string;
  /** Where secrets such as webhook URLs are looked up; default process.env. */
  env?: Record<string, string | undefined>;
  logger?: Logger;
  /** A pre-built workflow bundle (tests bundle once); default: bundle from source at start. */
  workflowBundle?: WorkflowBundleOption;
}

export function transportConfigFor(cluster: ClusterSpec): TransportConfig {
  const access = cluster.access;
  if (access.kind === 'local') {
    return { kind: 'local', pathPrepend: access.pathPrepend, hostAliases: cluster.hostAliases };
  }
  return {
    kind: 'ssh',
    host: access.host,
    port: access.port,
    username: access.user,
    identityFile: access.identityFile,
    knownHostsFile: access.knownHostsFile,
    strictHostKeyChecking: access.strictHostKeyChecking,
    hostAliases: cluster.hostAliases,
  };
}

export interface RunningWorker {
  worker: Worker;
  /** Resolves when the worker has stopped and its connections are closed. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const log = opts.logger ?? rootLogger;
  installTemporalLogger(log);
  const pool = new TransportPool({ logger: log });
  let clientPromise: Promise<Client> | undefined;
  const client = () => (clientPromise ??= connectClient(opts.address, opts.namespace ?? 'default'));
  const schedulerFor = (cluster: ClusterSpec) =>
    new PbsScheduler(pool.get(transportConfigFor(cluster)), { commands: cluster.commands });
  // One poller per login node: every waiting activity shares its batched qstat.
  const pollers = new Map<string, JobPoller>();
  const pollerFor = (cluster: ClusterSpec) => {
    const key = transportKey(transportConfigFor(cluster));
    let poller = pollers.get(key);
    if (!poller) pollers.set(key, (poller = new JobPoller(schedulerFor(cluster))));
    return poller;
  };
  const resultsDir = opts.resultsDir ?? join(stateDir(), 'results');
  const storeFile = opts.storeFile ?? join(dirname(resultsDir), 'results.db');
  let store: ResultsStore | undefined;
  const openResultsStore = () => {
    if (!store) {
      mkdirSync(dirname(storeFile), { recursive: true });
      store = openStore(storeFile);
    }
    return store;
  };
  const activities = createActivities({
    transportFor: (cluster) => pool.get(transportConfigFor(cluster)),
    schedulerFor,
    jobStatus: (cluster, jobId, maxAgeMs) => pollerFor(cluster).status(jobId, maxAgeMs),
    workflowState: async (workflowId) => {
      try {
        const { status } = await (await client()).workflow.getHandle(workflowId).describe();
        return status.name === 'RUNNING' ? 'running' : 'closed';
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return 'unknown';
        throw err;
      }
    },
    resultsDir,
    store: openResultsStore,
    env: opts.env ?? process.env,
    logger: log,
  });
  const connection = await NativeConnection.connect({ address: opts.address });
  const worker = await Worker.create({
    connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue ?? DEFAULT_TASK_QUEUE,
    ...(opts.workflowBundle
      ? { workflowBundle: opts.workflowBundle }
      : { workflowsPath: require.resolve('./workflows') }),
    activities,
    // Heartbeats carry the live startup stage and samples done to `vsweep status`; the SDK's default
    // throttle (up to 80% of the heartbeat timeout) would show them a minute late.
    maxHeartbeatThrottleInterval: 2000,
  });
  const done = worker.run().finally(async () => {
    await pool.closeAll();
    store?.close();
    await connection.close();
    if (clientPromise) await (await clientPromise).connection.close();
  });
  return {
    worker,
    done,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
