// Helpers shared by the benches: fork a bench child, wait for its first IPC message, stop it for sure.
import { type ChildProcess, fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';

/**
 * Offset from this process's epoch clock (timeOrigin + performance.now()) to the system-wide monotonic
 * clock. Each process derives timeOrigin from the wall clock at start (ms granularity), so epoch times of
 * two processes can disagree by up to ~1 ms; monotonic times cannot.
 */
export function epochToMonotonicOffsetMs(): number {
  const monotonicMs = Number(process.hrtime.bigint()) / 1e6;
  const epochMs = performance.timeOrigin + performance.now();
  return epochMs - monotonicMs;
}

export interface ForkedChild<Ready> {
  child: ChildProcess;
  ready: Ready;
  /** Sends a message and resolves with the child's next reply. */
  ask<Reply>(message: unknown): Promise<Reply>;
  kill(): Promise<void>;
}

export async function forkChild<Ready>(modulePath: string, args: string[]): Promise<ForkedChild<Ready>> {
  const child = fork(modulePath, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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
      return new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      });
    },
  };
}
