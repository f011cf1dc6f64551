// vLLM's log line shapes: `(APIServer pid=N) INFO MM-DD HH:MM:SS [file.py:NNN] message`, uvicorn's
// `INFO:     message`, and raw lines (tqdm bars, tracebacks) behind the process prefix only.

export type LogProcess = 'APIServer' | 'EngineCore_DP0' | 'Worker_TP0';
export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

export type LogEntry =
  | { kind: 'vllm'; proc: LogProcess; level: LogLevel; source: string; message: string }
  | { kind: 'uvicorn'; level: LogLevel; message: string }
  | { kind: 'raw'; proc: LogProcess; message: string };

export interface LogPids {
  apiServer: number;
  engineCore: number;
  worker: number;
}

export function pidsFor(apiServerPid: number): LogPids {
  // Real vLLM forks the engine core and workers shortly after the API server starts.
  return { apiServer: apiServerPid, engineCore: apiServerPid + 117, worker: apiServerPid + 241 };
}

function pad2(value: number): string {
  return value.toString().padStart(2, '0');
}

/** `MM-DD HH:MM:SS` in local time, as vLLM's default log format prints it. */
export function vllmTimestamp(date: Date): string {
  return (
    `${pad2(date.getMonth() + 1)}-${pad2(date.getDate())} ` +
    `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`
  );
}

function pidOf(proc: LogProcess, pids: LogPids): number {
  return proc === 'APIServer' ? pids.apiServer : proc === 'EngineCore_DP0' ? pids.engineCore : pids.worker;
}

export function formatLogEntry(entry: LogEntry, pids: LogPids, now: Date): string {
  switch (entry.kind) {
    case 'vllm':
      return `(${entry.proc} pid=${pidOf(entry.proc, pids)}) ${entry.level} ${vllmTimestamp(now)} [${entry.source}] ${entry.message}`;
    case 'uvicorn':
      return `(APIServer pid=${pids.apiServer}) ${`${entry.level}:`.padEnd(9)} ${entry.message}`;
    case 'raw':
      return `(${entry.proc} pid=${pidOf(entry.proc, pids)}) ${entry.message}`;
  }
}

export const info = (proc: LogProcess, source: string, message: string): LogEntry => ({
  kind: 'vllm',
  proc,
  level: 'INFO',
  source,
  message,
});

/** `%,d` as Python formats it: 2,000,000. */
export function withThousands(value: number): string {
  return Math.round(value)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** tqdm's `[MM:SS<MM:SS, X.XXs/it]` suffix. */
export function tqdmTiming(elapsedSec: number, remainingSec: number, secPerIt: number): string {
  const clock = (sec: number) => `${pad2(Math.floor(sec / 60))}:${pad2(Math.floor(sec % 60))}`;
  const rate =
    secPerIt >= 1 ? `${secPerIt.toFixed(2)}s/it` : `${(1 / Math.max(secPerIt, 1e-9)).toFixed(2)}it/s`;
  return `[${clock(elapsedSec)}<${clock(remainingSec)}, ${rate}]`;
}
