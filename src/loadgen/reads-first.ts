// The load generator's event-loop policy: reads first. A read is time-stamped the moment the loop sees
// it; parsing it, and writing new requests, wait for turns in which nothing is landing. On one thread
// that is the only way a chunk's time stamp does not include the work done for the chunks before it.
import { performance } from 'node:perf_hooks';

/** Request writes wait until no response bytes arrived for this long… */
const QUIET_MS = 0.2;
/** …or until they have waited this long (a server streaming without pause must still get requests). */
const MAX_SEND_DELAY_MS = 5;
/** Writes per event-loop turn once quiet; the loop polls its sockets between turns. */
const WRITES_PER_TURN = 2;
/** Parsing per event-loop turn before the loop polls its sockets again. */
const PARSE_SLICE_MS = 0.1;

/** When a response byte last arrived on any connection (performance.now() ms). */
let lastReadAtMs = -Infinity;

// Read time stamps. When a decode step emits a token for every running stream at once, the loop wakes
// with many sockets readable and reads them one by one; every socket libuv hands over in one poll phase
// was readable when the poll returned, so the first stamp taken in that phase is an upper bound on all
// their arrivals, and a tighter one than each read's own clock: reads of one wake-up share it. A stamp
// dies in the check phase that follows (setImmediate), and whenever the loop has slept since it was
// taken (its idle time moved), so a stamp never predates the poll that delivered the bytes.
let wakeStampMs = -1;
let wakeStampIdleMs = -1;
const endWakeStamp = () => {
  wakeStampMs = -1;
};

/** The time stamp (performance.now() ms) for a read happening now; call it from the read callback. */
export function readStamp(): number {
  const idleMs = performance.nodeTiming.idleTime;
  if (wakeStampMs < 0 || idleMs !== wakeStampIdleMs) {
    if (wakeStampMs < 0) setImmediate(endWakeStamp);
    wakeStampMs = performance.now();
    wakeStampIdleMs = idleMs;
  }
  lastReadAtMs = wakeStampMs;
  return wakeStampMs;
}

export type SocketEvent =
  { kind: 'data'; data: Buffer; atMs: number } | { kind: 'end' } | { kind: 'error'; error: Error };

export interface SocketEventTarget {
  handle(event: SocketEvent): void;
}

/**
 * Socket events in arrival order, handled in slices of PARSE_SLICE_MS between polls. A read callback
 * only stamps and copies (a few µs), so when 64 streams' chunks land together each is stamped within
 * a few reads of landing; parsing them (status line, headers, chunk framing, SSE) waits its turn. Ends
 * and errors queue behind the data that preceded them.
 */
class Inbox {
  private readonly queue: { target: SocketEventTarget; event: SocketEvent }[] = [];
  private head = 0;
  private scheduled = false;

  push(target: SocketEventTarget, event: SocketEvent): void {
    this.queue.push({ target, event });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  }

  private readonly drain = () => {
    this.scheduled = false;
    const untilMs = performance.now() + PARSE_SLICE_MS;
    while (this.head < this.queue.length) {
      const { target, event } = this.queue[this.head++];
      target.handle(event);
      if (performance.now() >= untilMs) break;
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  };
}

/** One per process: every connection's events, in the order the loop saw them. */
export const inbox = new Inbox();

/**
 * Request writes, deferred while responses stream in. A write is a syscall plus bookkeeping (tens of µs
 * on a VM); when a decode step finishes 64 streams, writing their successors as each finishes would
 * delay the reading (and time-stamping) of every chunk of that step still in flight. Waiting until the
 * sockets are quiet for QUIET_MS (or at most MAX_SEND_DELAY_MS) moves the writes behind the burst;
 * the send time recorded is the actual write, so no measured time includes the wait.
 */
export class Sender {
  private readonly queue: { write: () => void; queuedAtMs: number }[] = [];
  private head = 0;
  private scheduled = false;

  enqueue(write: () => void): void {
    this.queue.push({ write, queuedAtMs: performance.now() });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = () => {
    this.scheduled = false;
    const nowMs = performance.now();
    const first = this.queue[this.head];
    if (first && (nowMs - lastReadAtMs >= QUIET_MS || nowMs - first.queuedAtMs >= MAX_SEND_DELAY_MS)) {
      for (let k = 0; k < WRITES_PER_TURN && this.head < this.queue.length; k++)
        this.queue[this.head++].write();
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
      }
    }
    // Polls again next turn (without sleeping, so a chunk landing meanwhile is read at once).
    if (this.head < this.queue.length) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  };
}
