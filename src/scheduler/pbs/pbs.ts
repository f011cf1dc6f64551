// The PBS scheduler adapter: qsub/qstat/qdel/qselect over a Transport, mapping every exit code once.
import { JobSubmitRejected, SchedulerOutputInvalid, SchedulerUnavailable } from '../../lib/errors';
import { shJoin } from '../../lib/shell';
import type { ExecResult, Transport } from '../../transport/types';
import { jobFromRecord, type PbsJob, type QstatRecord } from './model';
import { buildQsubArgs, sanitizeJobName, type QsubRequest } from './qsub-args';
import { parseQstatJson } from './qstat-json';
import { parseQstatF } from './qstat-text';

/** Shell exit codes are pbs_errno & 0xFF (reference §1.1). */
export const PBS_EXIT = {
  unknownJobId: 153,
  jobHasFinished: 35,
  requestInvalidForState: 168,
  systemError: 162,
  invalidCredential: 171,
  protocolError: 183,
} as const;

/** Failures ERT retries on: the server was unreachable, nothing was decided. */
const TRANSIENT_EXIT_CODES: readonly number[] = [
  PBS_EXIT.systemError,
  PBS_EXIT.invalidCredential,
  PBS_EXIT.protocolError,
];
/** qstat and qdel: the listed jobs are valid even when some ids were unknown or finished. */
const GONE_EXIT_CODES: readonly number[] = [0, PBS_EXIT.unknownJobId, PBS_EXIT.jobHasFinished];

const JOB_ID = /^[0-9]+(\[[0-9]*\])?(\.[A-Za-z0-9_.-]+)?(@[A-Za-z0-9_.-]+)?$/;

export interface PbsCommands {
  qsub: string;
  qstat: string;
  qdel: string;
  qselect: string;
}

export interface PbsSchedulerOptions {
  /** Command paths, e.g. `{ qsub: '/opt/pbs/bin/qsub' }`; defaults are the bare names. */
  commands?: Partial<PbsCommands>;
  commandTimeoutMs?: number;
  /** qdel attempts on exit 168 (wrong state) before `qdel -W force`. */
  deleteAttempts?: number;
  deleteRetryDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface PbsSubmitRequest extends QsubRequest {
  /** The job script, sent on qsub's stdin. */
  script: string;
}

export type DeleteOutcome = 'deleted' | 'already-gone';

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function describe(result: ExecResult): string {
  const stderr = result.stderr.trim();
  return `exit ${result.code ?? 'unknown'}${stderr ? `: ${stderr}` : ''}`;
}

export class PbsScheduler {
  private readonly commands: PbsCommands;
  private readonly commandTimeoutMs: number;
  private readonly deleteAttempts: number;
  private readonly deleteRetryDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly transport: Transport,
    options: PbsSchedulerOptions = {},
  ) {
    this.commands = { qsub: 'qsub', qstat: 'qstat', qdel: 'qdel', qselect: 'qselect', ...options.commands };
    this.commandTimeoutMs = options.commandTimeoutMs ?? 60_000;
    this.deleteAttempts = options.deleteAttempts ?? 3;
    this.deleteRetryDelayMs = options.deleteRetryDelayMs ?? 2_000;
    this.sleep = options.sleep ?? defaultSleep;
  }

  private run(argv: string[], stdin?: string): Promise<ExecResult> {
    return this.transport.exec(shJoin(argv), { stdin, timeoutMs: this.commandTimeoutMs });
  }

  /** Submit a job; returns the id exactly as qsub printed it (`<seq>.<server>`). */
  async submit(request: PbsSubmitRequest): Promise<string> {
    const { args, jobName } = buildQsubArgs(request);
    const result = await this.run([this.commands.qsub, ...args], request.script);
    const context = { stage: 'submit', host: this.transport.description, jobName };
    if (result.code === null) {
      // qsub may or may not have queued the job: the caller must look it up before resubmitting.
      throw new SchedulerUnavailable(
        `qsub outcome unknown on ${this.transport.description} (no exit status); check findByName(${JSON.stringify(jobName)}) before resubmitting`,
        context,
      );
    }
    if (TRANSIENT_EXIT_CODES.includes(result.code)) {
      throw new SchedulerUnavailable(`qsub could not reach the PBS server (${describe(result)})`, context);
    }
    if (result.code !== 0) {
      const message = result.stderr.trim() || `qsub failed with exit ${result.code} and no message`;
      throw new JobSubmitRejected(message, context);
    }
    const jobId = result.stdout.trim();
    if (!JOB_ID.test(jobId)) {
      throw new SchedulerOutputInvalid(`qsub printed no job id: ${JSON.stringify(result.stdout)}`, context);
    }
    return jobId;
  }

  /**
   * One batched `qstat -x -f -F json` for all ids. Ids qstat does not know map to 'unknown'. A failed call
   * throws instead of reporting anything, so callers never update state from it.
   */
  async status(jobIds: readonly string[]): Promise<Map<string, PbsJob | 'unknown'>> {
    const statuses = new Map<string, PbsJob | 'unknown'>();
    if (jobIds.length === 0) return statuses;
    const json = await this.qstat(['-x', '-f', '-F', 'json', ...jobIds]);
    let records: QstatRecord[];
    try {
      records = parseQstatJson(json.stdout).records;
    } catch {
      // Known PBS JSON bugs: ask again in the text format, whose parser does not depend on them.
      const text = await this.qstat(['-x', '-f', ...jobIds]);
      records = parseQstatF(text.stdout);
    }
    const jobs = records.flatMap((record) => jobFromRecord(record) ?? []);
    for (const jobId of jobIds) statuses.set(jobId, matchJob(jobId, jobs) ?? 'unknown');
    return statuses;
  }

  private async qstat(args: string[]): Promise<ExecResult> {
    const result = await this.run([this.commands.qstat, ...args]);
    if (result.code === null || !GONE_EXIT_CODES.includes(result.code)) {
      throw new SchedulerUnavailable(`qstat failed on ${this.transport.description} (${describe(result)})`, {
        stage: 'status',
      });
    }
    return result;
  }

  /** Idempotent: exit 0, 153 and 35 all mean the job is not running any more. */
  async delete(jobId: string): Promise<DeleteOutcome> {
    for (let attempt = 1; attempt <= this.deleteAttempts; attempt++) {
      const outcome = await this.qdel([jobId]);
      if (outcome !== 'wrong-state') return outcome;
      if (attempt < this.deleteAttempts) await this.sleep(this.deleteRetryDelayMs);
    }
    const forced = await this.qdel(['-W', 'force', jobId]);
    if (forced !== 'wrong-state') return forced;
    throw new SchedulerUnavailable(`qdel -W force ${jobId} still says the job is in the wrong state`, {
      stage: 'delete',
      jobId,
    });
  }

  private async qdel(args: string[]): Promise<DeleteOutcome | 'wrong-state'> {
    const result = await this.run([this.commands.qdel, ...args]);
    if (result.code === 0) return 'deleted';
    if (result.code === PBS_EXIT.unknownJobId || result.code === PBS_EXIT.jobHasFinished)
      return 'already-gone';
    if (result.code === PBS_EXIT.requestInvalidForState) return 'wrong-state';
    throw new SchedulerUnavailable(
      `qdel ${args.join(' ')} failed on ${this.transport.description} (${describe(result)})`,
      {
        stage: 'delete',
        jobId: args[args.length - 1],
      },
    );
  }

  /** Ids of jobs (finished ones included) carrying the name submit() would give `name`, for adoption. */
  async findByName(name: string, options: { user?: string } = {}): Promise<string[]> {
    const argv = [this.commands.qselect, '-N', sanitizeJobName(name), '-x'];
    if (options.user !== undefined) argv.push('-u', options.user);
    return this.select(argv);
  }

  /** Ids of `user`'s jobs that may still hold resources (queued, held, running, exiting...). */
  async liveJobs(user: string): Promise<string[]> {
    return this.select([this.commands.qselect, '-u', user, '-s', 'QRHWTSEUB']);
  }

  private async select(argv: string[]): Promise<string[]> {
    const result = await this.run(argv);
    if (result.code !== 0) {
      throw new SchedulerUnavailable(
        `qselect failed on ${this.transport.description} (${describe(result)})`,
        {
          stage: 'adopt',
        },
      );
    }
    const ids = result.stdout.split(/\s+/).filter((word) => word !== '');
    const invalid = ids.find((id) => !JOB_ID.test(id));
    if (invalid !== undefined) {
      throw new SchedulerOutputInvalid(
        `qselect printed ${JSON.stringify(invalid)}, not a job id:\n${result.stdout}`,
      );
    }
    return ids;
  }
}

/** The sequence number and the first label of the server, so `1234.pbs` matches `1234.pbs.example.org`. */
function shortId(jobId: string): string {
  const [seq, server = ''] = jobId.split('@')[0].split('.', 2);
  return `${seq}.${server}`;
}

function matchJob(jobId: string, jobs: readonly PbsJob[]): PbsJob | undefined {
  const exact = jobs.find((job) => job.id === jobId);
  if (exact) return exact;
  const bareSeq = !jobId.includes('.');
  const candidates = jobs.filter((job) =>
    bareSeq ? job.id.split('.')[0] === jobId : shortId(job.id) === shortId(jobId),
  );
  return candidates.length === 1 ? candidates[0] : undefined;
}
