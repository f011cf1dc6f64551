// Data that crosses the workflow boundary: inputs, results and progress. Plain JSON, no secrets.
import type { BenchmarkMetrics } from '../metrics/compute';
import type { LoadTimeout } from '../plan/load-timeout';
import type { ScrapeSummary } from '../server/metrics-scrape';
import type { ServerConfigPlan } from '../plan/plan';
import type { ClusterSpec, DatasetSpec, SweepSpec, WorkloadSpec } from '../spec/schema';

export type Stage = 'pending' | 'submit' | 'queue' | 'load' | 'warmup' | 'replay' | 'teardown' | 'done';
export type Outcome = 'ok' | 'failed' | 'cancelled';

export interface SweepInput {
  sweepId: string;
  spec: SweepSpec;
  /** Re-run only some rows of an earlier sweep and reuse the others (`vsweep resume`). */
  resume?: ResumeInput;
}

export interface ResumeInput {
  fromSweepId: string;
  /** The earlier sweep's result: rows not re-run are taken from it. */
  previous: SweepResult;
  /** Rows to re-run as `<experiment>/<dataset>`; default: every row that did not succeed. */
  only?: string[];
}

/** What a re-run row was before, in the sweep it was resumed from. */
export interface ResumedFrom {
  sweepId: string;
  outcome: Outcome;
  failedStage?: Stage;
  startupStage?: string;
  reason?: string;
}

export interface ConfigInput {
  sweepId: string;
  specName: string;
  timeScale: number;
  cluster: ClusterSpec;
  command: string;
  port: number;
  config: ServerConfigPlan;
  datasets: Record<string, DatasetSpec>;
  workload: WorkloadSpec;
  queueWaitSec: number;
  loadTimeout: LoadTimeout;
}

/** One measured request. Durations are in spec time: measured / timeScale (equal on real clusters). */
export interface SampleResult {
  sampleId: string;
  promptTokens: number;
  completionTokens: number;
  cachedTokens?: number;
  ttftSec: number;
  latencySec: number;
  /** The seed's figure: completion tokens / request time. */
  tokensPerSec: number;
  ok: boolean;
  error?: string;
}

export interface DatasetRun {
  dataset: string;
  samples: SampleResult[];
  /** vllm bench serve's figures over the measured requests, in spec time (one per repeat). */
  metrics?: BenchmarkMetrics[];
  /** The server's own view during the replay (/metrics, or its stats log lines). */
  serverMetrics?: ScrapeSummary;
  /** Samples left out because they do not fit --max-model-len (onTooLong: skip). */
  skipped?: string[];
  /** Where the raw per-request records were written (JSONL, on the worker's machine). */
  recordsFile: string;
}

export interface RowResult {
  experimentId: string;
  dataset: string;
  outcome: Outcome;
  failedStage?: Stage;
  /** Where server startup stood when it failed (e.g. `loading-weights`, `torch-compile`). */
  startupStage?: string;
  reason?: string;
  run?: DatasetRun;
  /** Set on a row re-run by a resumed sweep: its outcome before. */
  resumedFrom?: ResumedFrom;
  /** Set on a row a resumed sweep took over unchanged: the sweep that measured it. */
  reusedFrom?: string;
}

export interface ConfigResult {
  configKey: string;
  label: string;
  flags: ServerConfigPlan['flags'];
  outcome: Outcome;
  failedStage?: Stage;
  startupStage?: string;
  reason?: string;
  logTail?: string;
  jobId?: string;
  host?: string;
  port?: number;
  /** Seconds from job start to ready, in spec time. */
  startupSec?: number;
  modelMemoryGiB?: number;
  loadTimeout: LoadTimeout;
  rows: RowResult[];
}

export interface SweepResult {
  sweepId: string;
  specName: string;
  model: string;
  cluster: string;
  timeScale: number;
  varyingFlags: string[];
  /** Experiment id -> the spec's description (the report's Notes). */
  descriptions: Record<string, string>;
  startedAt: string;
  finishedAt: string;
  /** The spec's workload (load mode, endpoint), for exports that state it; absent in older results. */
  workload?: WorkloadSpec;
  configs: ConfigResult[];
}

/** What a server-config workflow answers to the `progress` query (costs no history events). */
export interface ConfigProgress {
  configKey: string;
  label: string;
  stage: Stage;
  stageStartedAtMs: number;
  /** The current stage's timeout in real seconds, if it has one. */
  stageTimeoutSec?: number;
  jobId?: string;
  host?: string;
  samplesDone: number;
  samplesTotal: number;
  outcome?: Outcome;
  reason?: string;
}

export interface SweepProgress {
  sweepId: string;
  specName: string;
  timeScale: number;
  configs: {
    configKey: string;
    label: string;
    workflowId: string;
    result?: ConfigResult;
    /** A resumed sweep reuses this config's result from that earlier sweep (no workflow runs). */
    reusedFrom?: string;
  }[];
  done: boolean;
  /** The sweep this one resumed. */
  resumedFrom?: string;
}

/** Activity inputs. */
export interface SubmitJobInput {
  sweepId: string;
  cluster: ClusterSpec;
  configKey: string;
  jobName: string;
  runId: string;
  script: string;
  timeScale: number;
}

export interface JobRef {
  cluster: ClusterSpec;
  jobId: string;
  timeScale: number;
}

export interface WaitForStartResult {
  execHost: string;
  /** Epoch ms when the job started running (PBS stime, or when first seen running). */
  startedAtMs: number;
}

export interface WaitForReadyInput extends JobRef {
  runDir: string;
  port: number;
  /** Epoch ms when the job started running, and after which the wait fails with the stage it reached. */
  jobStartedAtMs: number;
  deadlineMs: number;
  loadTimeout: LoadTimeout;
}

export interface ServerEndpoint {
  host: string;
  port: number;
  startupSec: number;
  modelMemoryGiB?: number;
  model: string;
}

export interface ReplayInput {
  sweepId: string;
  configKey: string;
  experimentId: string;
  cluster: ClusterSpec;
  endpoint: ServerEndpoint;
  dataset: string;
  datasetSpec: DatasetSpec;
  workload: WorkloadSpec;
  timeScale: number;
  /** The server's --max-model-len: samples that do not fit are skipped or rejected before sending. */
  maxModelLen?: number;
  /** Which job of the configuration serves it (> 0 after a resubmission): records are kept per job. */
  attempt?: number;
  /** The job serving the endpoint and its run directory: a failed request is checked against them. */
  job?: ServingJob;
}

export interface WarmupInput {
  cluster: ClusterSpec;
  endpoint: ServerEndpoint;
  workload: WorkloadSpec;
  timeScale: number;
  job?: ServingJob;
}

export interface ServingJob {
  jobId: string;
  runDir: string;
}
