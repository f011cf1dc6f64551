// A vsweep worker in its own process (the real CLI), so a test can kill -9 it and start another.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/lib/paths';

export interface WorkerProcessOptions {
  address: string;
  taskQueue: string;
  /** VSWEEP_HOME of the worker: its results land in `<home>/results` (shared by every restart). */
  home: string;
  /** Names the log file `<home>/worker-<index>.log`. */
  index: number;
  /** How long to wait for the worker to report that it polls; default 60 s (it bundles workflows). */
  readyTimeoutMs?: number;
}

export interface WorkerProcess {
  pid: number;
  logFile: string;
  child: ChildProcess;
  /** Resolves with the exit code or signal once the process has ended. */
  exited: Promise<string>;
  /** Send a signal and wait for the process to end (SIGKILL: the crash being simulated). */
  kill(signal?: NodeJS.Signals): Promise<string>;
}

const CLI = () => join(projectRoot(), 'dist', 'src', 'cli', 'main.js');
const READY_LINE = 'worker polling task queue';

export async function startWorkerProcess(opts: WorkerProcessOptions): Promise<WorkerProcess> {
  const logFile = join(opts.home, `worker-${opts.index}.log`);
  const stderrFile = join(opts.home, `worker-${opts.index}.stderr`);
  const errFd = openSync(stderrFile, 'a');
  const child = spawn(
    process.execPath,
    [CLI(), '--address', opts.address, '--task-queue', opts.taskQueue, 'worker'],
    {
      env: { ...process.env, VSWEEP_HOME: opts.home, VSWEEP_LOG: logFile, VSWEEP_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', errFd],
    },
  );
  closeSync(errFd);
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? `exit ${code}`)),
  );
  const ready = new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (text: string) => {
      out += text;
      if (out.includes(READY_LINE)) resolve();
    });
    void exited.then((how) =>
      reject(new Error(`worker ${opts.index} ${how} before polling; see ${stderrFile} and ${logFile}`)),
    );
  });
  const timeoutMs = opts.readyTimeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`worker ${opts.index} not polling after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  const proc: WorkerProcess = {
    pid: child.pid!,
    logFile,
    child,
    exited,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  try {
    await Promise.race([ready, timeout]);
  } catch (err) {
    await proc.kill('SIGKILL');
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return proc;
}
