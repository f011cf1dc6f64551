// One batched `qstat` per login node per interval, shared by every activity of the worker: a cluster
// admin sees one status call every 30 s, however many experiments wait. Job state never goes backward.
import { mergeJobState, type PbsJob } from '../scheduler/pbs/model';
import type { PbsScheduler } from '../scheduler/pbs/pbs';

type Status = PbsJob | 'unknown';

interface Entry {
  status: Status;
  atMs: number;
}

/** Ids not asked about for this long drop out of the batch. */
const FORGET_AFTER_MS = 10 * 60_000;

export class JobPoller {
  private readonly entries = new Map<string, Entry>();
  private readonly lastAskedMs = new Map<string, number>();
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly scheduler: PbsScheduler,
    private readonly now: () => number = Date.now,
  ) {}

  /** The job's status, at most `maxAgeMs` old; concurrent callers share one qstat for all watched ids. */
  async status(jobId: string, maxAgeMs: number): Promise<Status> {
    this.lastAskedMs.set(jobId, this.now());
    const cached = this.entries.get(jobId);
    if (cached && this.now() - cached.atMs <= maxAgeMs) return cached.status;
    // A poll already running may have started before this id was watched: then poll again.
    while (this.inFlight) await this.inFlight;
    const fresh = this.entries.get(jobId);
    if (fresh && this.now() - fresh.atMs <= maxAgeMs) return fresh.status;
    this.inFlight = this.poll().finally(() => (this.inFlight = undefined));
    await this.inFlight;
    return this.entries.get(jobId)?.status ?? 'unknown';
  }

  private async poll(): Promise<void> {
    const cutoff = this.now() - FORGET_AFTER_MS;
    for (const [id, at] of this.lastAskedMs) if (at < cutoff) this.lastAskedMs.delete(id);
    const ids = [...this.lastAskedMs.keys()];
    const observed = await this.scheduler.status(ids); // throws on a failed call: nothing is updated
    const atMs = this.now();
    for (const id of ids) {
      const next = observed.get(id) ?? 'unknown';
      const prev = this.entries.get(id)?.status;
      this.entries.set(id, { status: monotonic(prev, next), atMs });
    }
  }
}

/** A stale or reordered observation cannot move a job back (R after F, Q after R). */
function monotonic(prev: Status | undefined, next: Status): Status {
  if (prev === undefined || prev === 'unknown' || next === 'unknown') return next;
  const state = mergeJobState(prev.state, next.state);
  return state === next.state ? next : { ...next, state };
}
