// What activities need from the worker process: connections, a results folder, a logger.
import type { Logger } from 'pino';
import type { PbsScheduler } from '../scheduler/pbs/pbs';
import type { ClusterSpec } from '../spec/schema';
import type { Transport } from '../transport/types';

export interface ActivityDeps {
  /** One shared transport per cluster (one SSH connection per login node). */
  transportFor(cluster: ClusterSpec): Transport;
  schedulerFor(cluster: ClusterSpec): PbsScheduler;
  /** Where per-request records are written (JSONL per experiment and dataset). */
  resultsDir: string;
  logger: Logger;
}
