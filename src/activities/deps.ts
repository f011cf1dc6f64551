// What activities need from the worker process: connections, a results folder, a logger.
import type { Logger } from 'pino';
import type { ResultsStore } from '../store';
import type { PbsJob } from '../scheduler/pbs/model';
import type { PbsScheduler } from '../scheduler/pbs/pbs';
import type { ClusterSpec } from '../spec/schema';
import type { Transport } from '../transport/types';

export interface ActivityDeps {
  /** One shared transport per cluster (one SSH connection per login node). */
  transportFor(cluster: ClusterSpec): Transport;
  schedulerFor(cluster: ClusterSpec): PbsScheduler;
  /** The job's status from the worker's shared, batched qstat poll, at most `maxAgeMs` old. */
  jobStatus(cluster: ClusterSpec, jobId: string, maxAgeMs: number): Promise<PbsJob | 'unknown'>;
  /** Whether the workflow that owns a job (its VSWEEP_RUN_ID) still runs. */
  workflowState(workflowId: string): Promise<'running' | 'closed' | 'unknown'>;
  /** Where per-request records are written (JSONL per experiment and dataset). */
  resultsDir: string;
  /** The worker's results store (one SQLite file, opened once on first use); the worker always sets it. */
  store?: () => ResultsStore;
  /** The worker's environment: secrets such as webhook URLs are read here, never passed as inputs.
   * Default: process.env. */
  env?: Record<string, string | undefined>;
  logger: Logger;
}
