// Helpers shared by the benches: fork a bench child, wait for its first IPC message, stop it for sure.
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';

/**
 * Offset from this process's epoch clock (timeOrigin + performance.now()) to the system-wide monotonic
 * clock. Each process derives timeOrigin from the wall clock at start (ms granularity), so epoch times of
 * two processes can disagree by up to ~1 ms; monotonic times cannot. Both clocks tick together, so the
 * offset is a constant, but reading it takes two calls: the first, cold ones are tens of µs apart (up to
 * ms on a busy machine), which would shift every converted time. So: many brackets hrtime / epoch / hrtime,
 * keep the tightest, and use its midpoint.
 */
export function epochToMonotonicOffsetMs(): number {
  let best = Infinity;
  let offset = 0;
  for (let i = 0; i < 2000; i++) {
    const before = process.hrtime.bigint();
    const epochMs = performance.timeOrigin + performance.now();
    const after = process.hrtime.bigint();
    const width = Number(after - before);
    if (width < best) {
      best = width;
      offset = epochMs - Number(before + after) / 2e6;
    }
  }
  return offset;
}

export interface ForkedChild<Ready> {
  child: ChildProcess;
  ready: Ready;
  /** Sends a message and resolves with the child's next reply. */
  ask<Reply>(message: unknown): Promise<Reply>;
  kill(): Promise<void>;
}

export interface Placement {
  /** Pin every thread of the child to this core (`taskset -c`), if taskset exists. */
  cpu?: number;
  /** Run the child at this niceness (`nice -n`, lower priority only). */
  nice?: number;
  /** Extra node flags, e.g. --max-semi-space-size. */
  nodeFlags?: string[];
}

function have(command: string): boolean {
  try {
    execFileSync(command, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function forkChild<Ready>(
  modulePath: string,
  args: string[],
  placement: Placement = {},
): Promise<ForkedChild<Ready>> {
  // fork() runs `execPath ...execArgv modulePath ...args`; taskset and nice exec node keeping the IPC fd.
  const wrapper: string[] = [];
  if (placement.cpu !== undefined && have('taskset')) wrapper.push('taskset', '-c', String(placement.cpu));
  if (placement.nice !== undefined && have('nice')) wrapper.push('nice', '-n', String(placement.nice));
  const nodeFlags = placement.nodeFlags ?? [];
  const child =
    wrapper.length === 0
      ? fork(modulePath, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: nodeFlags })
      : fork(modulePath, args, {
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
          execPath: wrapper[0],
          execArgv: [...wrapper.slice(1), process.execPath, ...nodeFlags],
        });
  const nextMessage = <T>() =>
    new Promise<T>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`${modulePath} exited with ${code}`));
      child.once('exit', onExit);
      child.once('message', (message) => {
        child.off('exit', onExit);
        resolve(message as T);
      });
    });
  const ready = await nextMessage<Ready>();
  return {
    child,
    ready,
    ask<Reply>(message: unknown) {
      const reply = nextMessage<Reply>();
      child.send(message as object);
      return reply;
    },
    kill() {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      // Politely first (closing the IPC channel makes our children exit), then for sure.
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        if (child.connected) child.disconnect();
        else child.kill('SIGKILL');
      });
    },
  };
}
