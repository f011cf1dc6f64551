// startSimVllm: runs the scripted startup, then serves the OpenAI API on a real port (in-process).
import { createWriteStream, type WriteStream } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EngineDriver } from './driver';
import { EngineScheduler } from './engine';
import { parseServeArgs, type ServeConfig } from './flags';
import { createApiHandler, type EmissionRecord } from './http-api';
import { formatLogEntry, info, type LogEntry, pidsFor } from './log-format';
import { H200_MEMORY_GIB, planStartup, type StartupPlan } from './profile';
import { decodeFactorFor, type SlowdownRule } from './slowdown';
import { readyEntries, shutdownEntries, startupScript } from './startup-script';

export interface SimVllmOptions {
  /** Arguments after `vllm serve`: the model, then flags. */
  argv: readonly string[];
  /** Wall seconds per simulated second (VSWEEP_TIME_SCALE); default 1. */
  timeScale?: number;
  /** Memory per GPU (VSWEEP_SIM_GPU_MEM_GIB); default 141 (H200). */
  gpuMemoryGiB?: number;
  /** Seed for the cold-start delay and decode noise (VSWEEP_SIM_SEED); default port + pid. */
  seed?: number;
  /** Address to bind instead of 0.0.0.0 (VSWEEP_SIM_NODE_ADDR). */
  nodeAddr?: string;
  /** VLLM_SERVER_DEV_MODE=1: enables POST /reset_prefix_cache. */
  devMode?: boolean;
  /** Append one JSON line per finished streamed request (VSWEEP_SIM_EMISSION_LOG). */
  emissionLogPath?: string;
  /** Keep emission records in memory (handle.emissions), for in-process tests and benchmarks. */
  recordEmissions?: boolean;
  /**
   * Emit tokens in lockstep on the nominal decode-step grid (1 / decode tokens/s, time-scaled): every
   * token due within a step goes out together at its end, as one vLLM decode step serves all running
   * sequences. Default: each token at its own due time.
   */
  lockstepDecode?: boolean;
  /** Receives each log line (no trailing newline); default: discard. */
  log?: (line: string) => void;
  /** pid shown in log prefixes; default process.pid. */
  pid?: number;
  /** Aborting stops the startup (rejects with an AbortError). */
  signal?: AbortSignal;
  /** Slowdown rules (VSWEEP_SIM_SLOWDOWN): the decode rate is multiplied by the matching factors. */
  slowdown?: SlowdownRule[];
}

export interface SimVllmHandle {
  url: string;
  host: string;
  port: number;
  config: ServeConfig;
  plan: StartupPlan;
  scheduler: EngineScheduler;
  emissions: EmissionRecord[];
  close(): Promise<void>;
}

/** The engine failed to start (OOM, KV cache too small); `rootCause` is the exception line. */
export class SimVllmStartupError extends Error {
  constructor(readonly rootCause: string) {
    super(`simulated vLLM engine failed to start: ${rootCause}`);
    this.name = 'SimVllmStartupError';
  }
}

import { seededRandom } from '../../lib/random';

export { seededRandom };

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

export async function startSimVllm(options: SimVllmOptions): Promise<SimVllmHandle> {
  const { config, warnings } = parseServeArgs(options.argv);
  const timeScale = options.timeScale ?? 1;
  const pid = options.pid ?? process.pid;
  const pids = pidsFor(pid);
  const sink = options.log ?? (() => {});
  const print = (entries: LogEntry[]) => {
    const now = new Date();
    for (const entry of entries) sink(formatLogEntry(entry, pids, now));
  };
  const plan = planStartup(config, options.gpuMemoryGiB ?? H200_MEMORY_GIB);
  const script = startupScript(config, plan, warnings);
  for (const step of script.steps) {
    if (step.delaySec > 0) await sleep(step.delaySec * 1000 * timeScale, options.signal);
    print(step.entries);
  }
  if (script.failure !== undefined) throw new SimVllmStartupError(script.failure);

  const random = seededRandom(options.seed ?? config.port + pid);
  const decodeTokensPerSec =
    plan.profile.decodeTokensPerSec * decodeFactorFor(options.slowdown ?? [], config);
  const scheduler = new EngineScheduler({
    timeScale,
    maxNumSeqs: config.maxNumSeqs,
    kvCacheTokens: plan.kvCacheTokens,
    enablePrefixCaching: config.enablePrefixCaching,
    decodeTokensPerSec,
    prefillTokensPerSec: plan.profile.prefillTokensPerSec,
    // The seed's first request after startup ran 1-20 s slower than the rest.
    coldStartSeconds: 1 + 19 * random(),
    random,
  });
  const driver = new EngineDriver(
    scheduler,
    timeScale,
    (line) => print([info('APIServer', 'loggers.py:123', line)]),
    // One step = one token at the engine's decode rate.
    { decodeStepMs: options.lockstepDecode ? (1000 * timeScale) / decodeTokensPerSec : undefined },
  );
  const emissions: EmissionRecord[] = [];
  let emissionLog: WriteStream | undefined;
  if (options.emissionLogPath) emissionLog = createWriteStream(options.emissionLogPath, { flags: 'a' });
  const server = createServer(
    createApiHandler({
      config,
      maxModelLen: plan.maxModelLen,
      driver,
      devMode: options.devMode ?? false,
      onEmission: (record) => {
        if (options.recordEmissions) emissions.push(record);
        emissionLog?.write(`${JSON.stringify(record)}\n`);
      },
      accessLog: (message) => print([{ kind: 'uvicorn', level: 'INFO', message }]),
    }),
  );
  server.keepAliveTimeout = 5000; // uvicorn's default keep-alive
  const bindHost = config.host === '0.0.0.0' && options.nodeAddr ? options.nodeAddr : config.host;
  let address: AddressInfo;
  try {
    address = await listen(server, config.port, bindHost);
  } catch (error) {
    driver.close();
    emissionLog?.end();
    throw error;
  }
  print(readyEntries(bindHost, address.port, pid));
  const urlHost = bindHost === '0.0.0.0' ? '127.0.0.1' : bindHost.includes(':') ? `[${bindHost}]` : bindHost;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}`,
    host: bindHost,
    port: address.port,
    config,
    plan,
    scheduler,
    emissions,
    close() {
      closing ??= new Promise<void>((resolve) => {
        print(shutdownEntries(pid).slice(0, 1));
        driver.close();
        server.close(() => {
          print(shutdownEntries(pid).slice(1));
          if (emissionLog) emissionLog.end(() => resolve());
          else resolve();
        });
        // In-flight streams are cut, as when uvicorn shuts down on SIGTERM.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
