// The sweep spec's schema: the single source of its TypeScript type, its validation and its JSON Schema.
import { z } from 'zod';
import { datasetSourceSchema } from '../datasets/schema';

/** Experiment ids end up in job names, file paths and search attributes: keep them to a safe alphabet. */
export const EXPERIMENT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
const FLAG_NAME = /^[a-z0-9][a-z0-9-]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const WALLTIME = /^(\d+:)?(\d+:)?\d+$/;

/** A server flag's value: `true` passes `--flag`, `false` or `null` leaves it out, others pass `--flag value`. */
export const flagValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null()], {
  error: (issue) =>
    `a flag value must be a string, number, boolean or null (got ${describeValue(issue.input)}); ` +
    'write lists as a comma-separated string and use `true` for switches such as enforce-eager',
});

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === undefined) return 'nothing';
  return typeof value === 'object' ? 'a mapping' : typeof value;
}

const flagsSchema = z.record(
  z.string().regex(FLAG_NAME, 'flag names are written without dashes in front, e.g. `max-model-len`'),
  flagValueSchema,
);

const envSchema = z.record(
  z.string().regex(ENV_NAME, 'environment variable names match [A-Za-z_][A-Za-z0-9_]*'),
  z.union([z.string(), z.number(), z.boolean()]).transform(String),
);

const sshAccessSchema = z
  .object({
    kind: z.literal('ssh'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(22),
    user: z.string().min(1),
    /** Path to the private key; its content never enters a workflow, a log or a report. */
    identityFile: z.string().min(1),
    knownHostsFile: z.string().optional(),
    strictHostKeyChecking: z.boolean().default(true),
  })
  .strict();

const localAccessSchema = z
  .object({
    kind: z.literal('local'),
    /** Extra PATH entries (e.g. where qsub lives when the worker runs on the login node). */
    pathPrepend: z.array(z.string()).default([]),
  })
  .strict();

export const clusterSchema = z
  .object({
    name: z.string().regex(EXPERIMENT_ID, 'cluster names use letters, digits, `_`, `.` and `-`'),
    scheduler: z.literal('pbs'),
    access: z.discriminatedUnion('kind', [sshAccessSchema, localAccessSchema]),
    queue: z
      .string()
      .regex(/^[A-Za-z0-9_.@-]+$/)
      .optional(),
    select: z.string().regex(/^[A-Za-z0-9_:=+.-]+$/, 'select is a PBS chunk spec like 1:ncpus=64:ngpus=8'),
    walltime: z.string().regex(WALLTIME, 'walltime is [[HH:]MM:]SS, e.g. 02:00:00'),
    /** Run directories live here, relative to the remote home unless absolute. */
    workDir: z.string().default('vsweep-runs'),
    /** Shell lines run in the job before the server starts (module load, venv activation). */
    setup: z.array(z.string()).default([]),
    /** How the worker reaches the model server: through the SSH connection, or directly. */
    serverAccess: z.enum(['tunnel', 'direct']).default('tunnel'),
    /** Node name -> address, for sites where node names do not resolve from the worker. */
    hostAliases: z.record(z.string(), z.string()).default({}),
    pollIntervalSec: z.number().positive().default(30),
    /** Resubmit a job that died (node failure, preemption, walltime) or whose server crashed, this often. */
    resubmitOnFailure: z.number().int().min(0).default(0),
    /** The job stops its server when no worker has looked at it for this long (0 = never). */
    controllerSilenceSec: z.number().min(0).default(3600),
    commands: z
      .object({ qsub: z.string(), qstat: z.string(), qdel: z.string(), qselect: z.string() })
      .partial()
      .default({}),
  })
  .strict();

export const serverSchema = z
  .object({
    engine: z.literal('vllm'),
    model: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(8000),
    /** The command that starts the server; `vllm` must be on the job's PATH after `setup`. */
    command: z.string().default('vllm'),
    flags: flagsSchema.default({}),
    env: envSchema.default({}),
  })
  .strict();

/** A dataset file (JSON, JSONL, ShareGPT) or a seeded synthetic set; see src/datasets/schema.ts. */
export const datasetSchema = datasetSourceSchema;

const loadModeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('sequential') }).strict(),
  z.object({ kind: z.literal('concurrency'), concurrency: z.number().int().positive() }).strict(),
  z
    .object({
      kind: z.literal('rate'),
      requestsPerSec: z.number().positive(),
      /** 1 = Poisson arrivals, < 1 burstier, > 1 more regular (vllm bench serve's --burstiness). */
      burstiness: z.number().positive().default(1),
      seed: z.number().int().default(0),
      maxConcurrency: z.number().int().positive().optional(),
    })
    .strict(),
]);

export const workloadSchema = z
  .object({
    endpoint: z.enum(['completions', 'chat']).default('completions'),
    /** Requests sent after the server is ready and before measuring; never counted. */
    warmupRequests: z.number().int().min(0).default(1),
    /** sequential (the seed's way), a fixed number of streams, or a request rate. */
    mode: loadModeSchema.default({ kind: 'sequential' }),
    /** Measured requests per run (samples reused in order); default: every sample once. */
    numPrompts: z.number().int().positive().optional(),
    /** Stop sending new requests after this long. */
    durationSec: z.number().positive().optional(),
    /** Runs per experiment and dataset; the report gives mean, median and a 95% interval across runs. */
    repeats: z.number().int().positive().default(1),
    /** POST /reset_prefix_cache between runs (needs VLLM_SERVER_DEV_MODE=1 on the server). */
    resetPrefixCache: z.boolean().default(false),
    /** Goodput targets in ms (a request is good when it meets all given). */
    slo: z
      .object({ ttftMs: z.number().positive(), tpotMs: z.number().positive(), e2elMs: z.number().positive() })
      .partial()
      .optional(),
    percentiles: z.array(z.number().gt(0).lt(100)).default([50, 90, 99]),
    /** How often /metrics is scraped during a replay. */
    scrapeIntervalSec: z.number().positive().default(5),
    requestTimeoutSec: z.number().positive().default(1800),
  })
  .strict();

export const loadTimeoutSchema = z
  .object({
    /** adaptive: base x2 without expert parallelism, plus a compile budget without eager mode. */
    policy: z.enum(['adaptive', 'fixed']).default('adaptive'),
    baseLoadSec: z.number().positive().default(155),
    margin: z.number().min(1).default(1.5),
    compileBudgetSec: z.number().min(0).default(1800),
    /** The single startup timeout used when policy is `fixed` (the seed used 300 s). */
    fixedSec: z.number().positive().default(300),
  })
  .strict();

export const timeoutsSchema = z
  .object({
    queueWaitSec: z
      .number()
      .positive()
      .default(6 * 3600),
    load: loadTimeoutSchema.default(loadTimeoutSchema.parse({})),
  })
  .strict();

const changePct = z.number().min(0).max(1000);

/** How sure and how large a change must be before a nightly check calls it a regression. */
export const regressionSchema = z
  .object({
    /** Two-sided significance level, across every metric of every row (Holm-corrected). */
    alpha: z.number().gt(0).lt(1).default(0.05),
    /** Smallest change worth flagging, in % of the baseline mean, for every metric… */
    minChangePct: changePct.default(5),
    /** …unless set here per metric (the names of `src/regression`'s metrics). */
    metrics: z
      .object({ tokensPerSec: changePct, latencySec: changePct, ttftSec: changePct })
      .partial()
      .strict()
      .default({}),
  })
  .strict();

export const experimentSchema = z
  .object({
    id: z
      .string()
      .regex(
        EXPERIMENT_ID,
        'experiment ids use letters, digits, `_`, `.` and `-` (at most 32, no spaces or shell characters), e.g. `1A`',
      ),
    description: z.string().optional(),
    flags: flagsSchema.default({}),
    env: envSchema.default({}),
    datasets: z.array(z.string()).min(1, 'name at least one dataset'),
  })
  .strict();

export const matrixSchema = z
  .object({
    idPrefix: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$/)
      .default('m'),
    flags: z.record(z.string().regex(FLAG_NAME), z.array(flagValueSchema).min(1)),
    datasets: z.array(z.string()).min(1),
  })
  .strict();

export const sweepSpecSchema = z
  .object({
    name: z.string().regex(EXPERIMENT_ID, 'sweep names use letters, digits, `_`, `.` and `-`'),
    description: z.string().optional(),
    /** Simulator only: every duration is multiplied by this (0.01 = 100x faster). Real clusters use 1. */
    timeScale: z.number().positive().max(1).default(1),
    maxConcurrentJobs: z.number().int().positive().default(2),
    cluster: clusterSchema,
    server: serverSchema,
    datasets: z.record(z.string().regex(EXPERIMENT_ID), datasetSchema),
    workload: workloadSchema.default(workloadSchema.parse({})),
    timeouts: timeoutsSchema.default(timeoutsSchema.parse({})),
    regression: regressionSchema.default(regressionSchema.parse({})),
    experiments: z.array(experimentSchema).default([]),
    matrix: matrixSchema.optional(),
  })
  .strict();

export type SweepSpec = z.infer<typeof sweepSpecSchema>;
export type ClusterSpec = SweepSpec['cluster'];
export type ServerSpec = SweepSpec['server'];
export type DatasetSpec = SweepSpec['datasets'][string];
export type WorkloadSpec = SweepSpec['workload'];
export type LoadTimeoutSpec = SweepSpec['timeouts']['load'];
export type RegressionSpec = SweepSpec['regression'];
export type ExperimentSpec = SweepSpec['experiments'][number];
export type FlagValue = z.infer<typeof flagValueSchema>;
export type Flags = Record<string, FlagValue>;

/** JSON Schema for editors (`vsweep schema > vsweep.schema.json`). */
export function sweepSpecJsonSchema(): unknown {
  return z.toJSONSchema(sweepSpecSchema, { io: 'input' });
}
