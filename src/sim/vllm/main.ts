#!/usr/bin/env node
// `node main.js serve <model> [--flags]`: the simulated vLLM server as a process (the `vllm` shim).
import { startSimVllm, SimVllmStartupError, type SimVllmHandle } from './server';
import { parseSlowdown } from './slowdown';

function numberFromEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got '${raw}'`);
  return value;
}

function writeLine(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'serve') {
    process.stderr.write('usage: vllm serve <model> [--flag value ...]\n');
    return 2;
  }
  const abort = new AbortController();
  let handle: SimVllmHandle | undefined;
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    if (handle) void handle.close().then(() => process.exit(0));
    else {
      abort.abort(new Error('terminated during startup'));
      process.exit(0);
    }
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  try {
    handle = await startSimVllm({
      argv: rest,
      timeScale: numberFromEnv('VSWEEP_TIME_SCALE'),
      gpuMemoryGiB: numberFromEnv('VSWEEP_SIM_GPU_MEM_GIB'),
      seed: numberFromEnv('VSWEEP_SIM_SEED'),
      nodeAddr: process.env.VSWEEP_SIM_NODE_ADDR || undefined,
      devMode: process.env.VLLM_SERVER_DEV_MODE === '1',
      emissionLogPath: process.env.VSWEEP_SIM_EMISSION_LOG || undefined,
      slowdown: parseSlowdown(process.env.VSWEEP_SIM_SLOWDOWN),
      log: writeLine,
      signal: abort.signal,
    });
    if (stopping) await handle.close();
    return stopping ? 0 : -1;
  } catch (error) {
    if (stopping) return 0;
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      // What uvicorn/vLLM print when the port is taken.
      writeLine(`(APIServer pid=${process.pid}) OSError: [Errno 98] Address already in use`);
    } else if (!(error instanceof SimVllmStartupError)) {
      process.stderr.write(`vllm: error: ${String(error)}\n`);
    }
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // -1: serving; the open server keeps the process alive until SIGTERM.
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exitCode = 1;
  },
);
