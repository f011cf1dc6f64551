// Reads a vLLM server log (or its tail) for the startup stage, the failure's root cause, and the
// figures worth reporting; also parses the periodic stats line. Pure: text in, facts out.
// Line formats: vLLM 0.10-0.12 (see docs/reference vllm-benchmarking.md §5.4, §5.5), any prefix.

export type StartupStage =
  'starting' | 'loading-weights' | 'torch-compile' | 'cuda-graphs' | 'kv-cache' | 'ready' | 'failed';

export interface StartupStatus {
  stage: StartupStage;
  /** Human-readable progress inside the stage, e.g. `47/93 shards (51%)`. */
  progress?: string;
  /** The root-cause line of a failed start, e.g. `torch.OutOfMemoryError: CUDA out of memory. ...`. */
  failure?: string;
  modelMemoryGiB?: number;
  loadSeconds?: number;
  kvCacheTokens?: number;
}

// Log prefixes: `(Proc pid=N) INFO MM-DD HH:MM:SS [file.py:N] `, plain `INFO MM-DD ... [file.py:N] `,
// older `INFO 07-25 11:48:53 metrics.py:351] ` (no `[`), uvicorn `INFO:     `, or a bare `(Proc pid=N) ` in front of tqdm bars and tracebacks.
const PREFIX =
  /^(?:\(\w+ pid=\d+\)\s*)?(?:(?:DEBUG|INFO|WARNING|ERROR|CRITICAL) \d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \[?[^\]\s]*\]\s?|(?:INFO|WARNING|ERROR):\s+)?/;

/** The message part of a log line, without process, level, time and source prefixes. */
export function logMessage(line: string): string {
  return line.replace(PREFIX, '');
}

const ENGINE_FAILED = /EngineCore failed to start|Engine core initialization failed/;
const GENERIC_RUNTIME = /^RuntimeError: Engine core initialization failed/;
// Python exception lines: `ValueError: ...`, `torch.OutOfMemoryError: ...`, `RuntimeError: ...`.
const EXCEPTION_LINE = /^(?:[A-Za-z_][\w]*\.)*[A-Z]\w*(?:Error|Exception)(?::\s.*)?$/;
const OOM = /CUDA out of memory|torch\.OutOfMemoryError/;

function number(text: string): number {
  return Number(text.replace(/,/g, ''));
}

interface Marker {
  stage: StartupStage;
  re: RegExp;
  progress?: (m: RegExpMatchArray) => string;
}

// Later markers in the log win, so the order of this list does not matter.
const MARKERS: Marker[] = [
  { stage: 'starting', re: /vLLM API server version|Initializing a V1 LLM engine|non-default args/ },
  { stage: 'loading-weights', re: /Starting to load model (\S+?)(?:\.\.\.)?$/, progress: () => 'starting' },
  {
    stage: 'loading-weights',
    re: /Time spent downloading weights for \S+: ([\d.]+) seconds/,
    progress: (m) => `downloaded in ${m[1]} s`,
  },
  {
    stage: 'loading-weights',
    re: /Loading safetensors checkpoint shards:\s*(\d+)% Completed \| (\d+)\/(\d+)/,
    progress: (m) => `${m[2]}/${m[3]} shards (${m[1]}%)`,
  },
  {
    stage: 'loading-weights',
    re: /Loading weights took ([\d.]+) seconds/,
    progress: (m) => `weights loaded in ${m[1]} s`,
  },
  {
    stage: 'loading-weights',
    re: /Model loading took ([\d.]+) GiB/,
    progress: (m) => `model loaded (${m[1]} GiB)`,
  },
  { stage: 'torch-compile', re: /for vLLM's torch\.compile$/, progress: () => 'dynamo bytecode transform' },
  {
    stage: 'torch-compile',
    re: /Dynamo bytecode transform time: ([\d.]+) s/,
    progress: (m) => `dynamo done in ${m[1]} s, compiling graphs`,
  },
  {
    stage: 'torch-compile',
    re: /Compiling a graph for .+ takes ([\d.]+) s/,
    progress: (m) => `graph compiled in ${m[1]} s`,
  },
  { stage: 'torch-compile', re: /Directly load the compiled graph/, progress: () => 'loading cached graphs' },
  {
    stage: 'torch-compile',
    re: /torch\.compile takes ([\d.]+) s in total/,
    progress: (m) => `compiled in ${m[1]} s`,
  },
  {
    stage: 'kv-cache',
    re: /Available KV cache memory: ([\d.]+) GiB/,
    progress: (m) => `${m[1]} GiB for KV cache`,
  },
  { stage: 'kv-cache', re: /GPU KV cache size: ([\d,]+) tokens/, progress: (m) => `${m[1]} tokens` },
  {
    stage: 'kv-cache',
    re: /Maximum concurrency for [\d,]+ tokens per request/,
    progress: () => 'KV cache allocated',
  },
  {
    stage: 'cuda-graphs',
    re: /Capturing CUDA graphs(?: \(([^)]*)\))?:\s*(\d+)%.*?(\d+\/\d+)/,
    progress: (m) => `${m[1] ? `${m[1]} ` : ''}${m[3]} (${m[2]}%)`,
  },
  {
    stage: 'cuda-graphs',
    re: /Graph capturing finished in (\d+) secs/,
    progress: (m) => `captured in ${m[1]} s`,
  },
  { stage: 'ready', re: /^Application startup complete\.?$/ },
];

// Engine init done but the HTTP server not yet up: keep the previous stage, show this progress.
const AFTER_ENGINE =
  /init engine \(profile, create kv cache, warmup model\) took ([\d.]+)|Starting vLLM API server/;

export function parseStartupLog(text: string): StartupStatus {
  const status: StartupStatus = { stage: 'starting' };
  let failed = false;
  let rootCause: string | undefined;
  let genericCause: string | undefined;
  for (const rawLine of text.split(/\r?\n|\r/)) {
    const message = logMessage(rawLine).trim();
    if (message === '') continue;
    const figures = extractFigures(message);
    Object.assign(status, figures);
    if (ENGINE_FAILED.test(message) || OOM.test(message)) failed = true;
    if (EXCEPTION_LINE.test(message)) {
      if (GENERIC_RUNTIME.test(message)) genericCause = message;
      else rootCause = message;
      if (OOM.test(message)) failed = true;
    }
    if (AFTER_ENGINE.test(message) && status.stage !== 'failed') {
      status.progress = 'engine initialized, starting API server';
      continue;
    }
    for (const marker of MARKERS) {
      const match = marker.re.exec(message);
      if (!match) continue;
      // A ready server that logs an error later is still a server that started.
      if (marker.stage === 'ready') failed = false;
      status.stage = marker.stage;
      status.progress = marker.progress?.(match);
      break;
    }
  }
  if (failed) {
    status.stage = 'failed';
    status.progress = undefined;
    status.failure =
      rootCause ?? genericCause ?? 'EngineCore failed to start (root cause not in the log tail)';
  }
  if (status.progress === undefined) delete status.progress;
  return status;
}

function extractFigures(message: string): Partial<StartupStatus> {
  // `Model loading took 82.6000 GiB and 156.8 seconds` (0.11) or `... 15.27 GiB memory and 6.29 seconds`.
  const model = /Model loading took ([\d.]+) GiB(?: memory)? and ([\d.]+) seconds/.exec(message);
  if (model) return { modelMemoryGiB: Number(model[1]) };
  const weights = /Loading weights took ([\d.]+) seconds/.exec(message);
  if (weights) return { loadSeconds: Number(weights[1]) };
  const kv = /GPU KV cache size: ([\d,]+) tokens/.exec(message);
  if (kv) return { kvCacheTokens: number(kv[1]) };
  return {};
}

export interface StatsLine {
  /** `000` for `Engine 000:`; undefined for V0 lines and `N Engines Aggregated:`. */
  engine?: string;
  promptThroughputTokPerSec: number;
  generationThroughputTokPerSec: number;
  runningReqs: number;
  waitingReqs: number;
  kvCacheUsagePct: number;
  prefixCacheHitRatePct?: number;
  preemptions?: number;
  /** V0 only. */
  swappedReqs?: number;
  cpuKvCacheUsagePct?: number;
}

const STATS_FIELD =
  /(Avg prompt throughput|Avg generation throughput|Running|Waiting|Pending|Swapped|Preemptions|GPU KV cache usage|CPU KV cache usage|Prefix cache hit rate): ([\d.]+)/g;

/**
 * Parses `Engine 000: Avg prompt throughput: 610.1 tokens/s, Avg generation throughput: 8.7 tokens/s,
 * Running: 1 reqs, Waiting: 0 reqs, GPU KV cache usage: 0.3%, Prefix cache hit rate: 0.0%` (V1) or
 * the V0 form with Swapped/Pending and CPU KV cache usage; undefined for any other line.
 */
export function parseStatsLine(line: string): StatsLine | undefined {
  const message = logMessage(line.trim());
  if (!/Avg prompt throughput: [\d.]+ tokens\/s/.test(message)) return undefined;
  const fields = new Map<string, number>();
  for (const match of message.matchAll(STATS_FIELD)) fields.set(match[1], Number(match[2]));
  const get = (key: string) => fields.get(key);
  const prompt = get('Avg prompt throughput');
  const generation = get('Avg generation throughput');
  const running = get('Running');
  const waiting = get('Waiting') ?? get('Pending');
  const kv = get('GPU KV cache usage');
  if ([prompt, generation, running, waiting, kv].some((v) => v === undefined)) return undefined;
  const engine = /Engine (\d+):/.exec(message)?.[1];
  const parsed: StatsLine = {
    promptThroughputTokPerSec: prompt as number,
    generationThroughputTokPerSec: generation as number,
    runningReqs: running as number,
    waitingReqs: waiting as number,
    kvCacheUsagePct: kv as number,
  };
  if (engine !== undefined) parsed.engine = engine;
  const optional: [keyof StatsLine, string][] = [
    ['prefixCacheHitRatePct', 'Prefix cache hit rate'],
    ['preemptions', 'Preemptions'],
    ['swappedReqs', 'Swapped'],
    ['cpuKvCacheUsagePct', 'CPU KV cache usage'],
  ];
  for (const [key, label] of optional) {
    const value = get(label);
    if (value !== undefined) (parsed as unknown as Record<string, number>)[key] = value;
  }
  return parsed;
}
