// A replay's heartbeats: progress for `vsweep watch` and the measured records Temporal keeps for a retry
// on another host, within what Temporal accepts and without stalling the measuring event loop.

/**
 * Temporal rejects a payload over 2 MB (its blob size limit; newer SDKs fail the attempt). A record is
 * ~4-10 KB of JSON per 512 streamed tokens, so a long replay's records outgrow that: the heartbeat keeps
 * the oldest records up to this budget. A retry on the same host reads the full records file; on another
 * host it keeps what the heartbeat carried (whole runs) and measures the rest again.
 */
export const RECORDS_BUDGET_BYTES = 1024 * 1024;
/** Each heartbeat serializes its records (up to the budget): at most this often, besides `flush()`. */
export const HEARTBEAT_EVERY_MS = 1000;

export interface ReplayHeartbeat<R> {
  run: number;
  samplesDone: number;
  samplesTotal: number;
  /** The oldest measured records, as many as fit `RECORDS_BUDGET_BYTES`. */
  records: R[];
}

export class ReplayHeartbeats<R> {
  private readonly records: R[] = [];
  private bytes = 0;
  private full = false;
  private samplesDone = 0;
  private run = 0;
  private lastSentAtMs = -Infinity;
  private pending = false;

  constructor(
    private readonly send: (details: ReplayHeartbeat<R>) => void,
    private readonly samplesTotal: number,
    private readonly budgetBytes = RECORDS_BUDGET_BYTES,
    private readonly nowMs = () => Date.now(),
  ) {}

  /** A measured record and its JSON size (the records file's line, already serialized). */
  add(record: R, jsonBytes: number, run: number): void {
    this.samplesDone++;
    this.run = run;
    if (!this.full && this.bytes + jsonBytes + 1 <= this.budgetBytes) {
      this.records.push(record);
      this.bytes += jsonBytes + 1;
    } else this.full = true; // later records would leave a hole: the durable list stays a prefix
    this.pending = true;
    if (this.nowMs() - this.lastSentAtMs >= HEARTBEAT_EVERY_MS) this.flush();
  }

  /** Sends what is not sent yet (end of a run, end of the replay). */
  flush(): void {
    if (!this.pending) return;
    this.pending = false;
    this.lastSentAtMs = this.nowMs();
    this.send({
      run: this.run,
      samplesDone: this.samplesDone,
      samplesTotal: this.samplesTotal,
      records: this.records,
    });
  }
}
