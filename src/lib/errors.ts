// Every failure a user can meet, named once, with a stable code and whether a retry can help.

export interface VsweepErrorContext {
  sweepId?: string;
  experiment?: string;
  stage?: string;
  jobId?: string;
  host?: string;
  [key: string]: string | number | undefined;
}

export abstract class VsweepError extends Error {
  abstract readonly code: string;
  /** True when retrying the same call may succeed (transient infrastructure trouble). */
  abstract readonly retryable: boolean;
  readonly context: VsweepErrorContext;

  constructor(message: string, context: VsweepErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.context = context;
  }
}

/** The sweep spec (or a file it names) is wrong; `path` names the field, e.g. `experiments[2].id`. */
export class SpecInvalid extends VsweepError {
  readonly code = 'VSWEEP_SPEC_INVALID';
  readonly retryable = false;
  constructor(
    readonly issues: { path: string; message: string }[],
    source = 'spec',
  ) {
    super(
      `${source} is invalid:\n${issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n')}`,
    );
  }
}

/** qsub refused the job (resource limits, unknown queue, bad arguments). */
export class JobSubmitRejected extends VsweepError {
  readonly code = 'VSWEEP_JOB_SUBMIT_REJECTED';
  readonly retryable = false;
}

/** A scheduler command failed in a way a retry may fix (connection refused, protocol error). */
export class SchedulerUnavailable extends VsweepError {
  readonly code = 'VSWEEP_SCHEDULER_UNAVAILABLE';
  readonly retryable = true;
}

/** The scheduler printed something we cannot parse; the raw text is kept in the message. */
export class SchedulerOutputInvalid extends VsweepError {
  readonly code = 'VSWEEP_SCHEDULER_OUTPUT_INVALID';
  readonly retryable = true;
}

/** The job left the queue or died before the experiment finished with it. */
export class JobVanished extends VsweepError {
  readonly code = 'VSWEEP_JOB_VANISHED';
  readonly retryable = false;
}

/** The model server did not become ready in time; `stage` says where startup stood. */
export class ServerStartTimeout extends VsweepError {
  readonly code = 'VSWEEP_SERVER_START_TIMEOUT';
  readonly retryable = false;
}

/** The model server's engine failed (out of memory, engine core died). */
export class ServerFailed extends VsweepError {
  readonly code = 'VSWEEP_SERVER_FAILED';
  readonly retryable = false;
}

/** The login node's host key is not the one in known_hosts. */
export class HostKeyMismatch extends VsweepError {
  readonly code = 'VSWEEP_HOST_KEY_MISMATCH';
  readonly retryable = false;
}

/** SSH connection trouble that a reconnect may fix. */
export class TransportUnavailable extends VsweepError {
  readonly code = 'VSWEEP_TRANSPORT_UNAVAILABLE';
  readonly retryable = true;
}

/** The login node refused our key (or the key could not be read): retrying cannot help. */
export class TransportAuthFailed extends VsweepError {
  readonly code = 'VSWEEP_TRANSPORT_AUTH_FAILED';
  readonly retryable = false;
}

/** A dataset file is missing, malformed, or does not fit the experiment. */
export class DatasetInvalid extends VsweepError {
  readonly code = 'VSWEEP_DATASET_INVALID';
  readonly retryable = false;
}

/** The names of all non-retryable error classes, for Temporal's `nonRetryableErrorTypes`. */
export const NON_RETRYABLE_ERROR_TYPES = [
  'SpecInvalid',
  'JobSubmitRejected',
  'JobVanished',
  'ServerStartTimeout',
  'ServerFailed',
  'HostKeyMismatch',
  'TransportAuthFailed',
  'DatasetInvalid',
] as const;
