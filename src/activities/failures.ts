// Map vsweep's errors onto Temporal failures once: the error's class name is the failure type,
// `retryable` decides whether Temporal retries, and the log tail travels as a detail.
import { ApplicationFailure } from '@temporalio/common';
import { VsweepError } from '../lib/errors';

export interface FailureDetails {
  logTail?: string;
  context?: Record<string, unknown>;
}

export function toFailure(err: unknown): unknown {
  if (err instanceof VsweepError) {
    const logTail = typeof err.context.logTail === 'string' ? err.context.logTail : undefined;
    const { logTail: _drop, ...context } = err.context;
    return ApplicationFailure.create({
      message: err.message,
      type: err.name,
      nonRetryable: !err.retryable,
      details: [{ logTail, context } satisfies FailureDetails],
    });
  }
  return err;
}

/** Wrap every activity so its VsweepErrors become typed ApplicationFailures. */
export function withFailureMapping<T extends Record<string, (...args: never[]) => Promise<unknown>>>(
  acts: T,
): T {
  return Object.fromEntries(
    Object.entries(acts).map(([name, fn]) => [
      name,
      async (...args: never[]) => {
        try {
          return await fn(...args);
        } catch (err) {
          throw toFailure(err);
        }
      },
    ]),
  ) as T;
}
