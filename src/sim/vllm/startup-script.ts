// The startup log as a pure script: which vLLM lines appear, in vLLM 0.11's order, after how many
// simulated seconds. The runtime only sleeps and prints; tests read the script directly.
import { createHash } from 'node:crypto';
import type { ServeConfig } from './flags';
import { info, type LogEntry, tqdmTiming, withThousands } from './log-format';
import { type StartupPlan, STARTUP_OVERHEAD_SECONDS } from './profile';

export const VLLM_VERSION = '0.11.0';
const PY_VLLM = '/usr/local/lib/python3.12/dist-packages/vllm';

export interface StartupStep {
  /** Simulated seconds to wait before printing this step's lines. */
  delaySec: number;
  entries: LogEntry[];
}

export interface StartupScript {
  steps: StartupStep[];
  /** Set when the engine fails: the root-cause line (also printed in the steps). */
  failure?: string;
}

function pyRepr(value: string | number | boolean): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return typeof value === 'number' ? String(value) : `'${value}'`;
}

function engineConfigLine(config: ServeConfig, plan: StartupPlan): string {
  const dtype = config.dtype === 'auto' ? 'torch.bfloat16' : `torch.${config.dtype}`;
  return (
    `Initializing a V1 LLM engine (v${VLLM_VERSION}) with config: model='${config.model}', ` +
    `speculative_config=None, tokenizer='${config.model}', skip_tokenizer_init=False, tokenizer_mode=auto, ` +
    `revision=None, trust_remote_code=${pyRepr(config.trustRemoteCode)}, dtype=${dtype}, ` +
    `max_seq_len=${plan.maxModelLen}, download_dir=None, load_format=auto, ` +
    `tensor_parallel_size=${config.tensorParallelSize}, pipeline_parallel_size=1, data_parallel_size=1, ` +
    `disable_custom_all_reduce=False, quantization=None, enforce_eager=${pyRepr(config.enforceEager)}, ` +
    `kv_cache_dtype=${config.kvCacheDtype}, device_config=cuda, seed=0, ` +
    `served_model_name=${config.servedModelNames[0]}, enable_prefix_caching=${pyRepr(config.enablePrefixCaching)}, ` +
    `chunked_prefill_enabled=${pyRepr(config.enableChunkedPrefill)}, pooler_config=None, ` +
    `compilation_config={"level":${config.enforceEager ? 0 : 3},"use_cudagraph":${!config.enforceEager}}`
  );
}

/** EngineCore's traceback around a root cause, then the API server's RuntimeError, as vLLM prints them. */
export function failureEntries(rootCause: string, frames: string[]): LogEntry[] {
  const err = (message: string): LogEntry => ({
    kind: 'vllm',
    proc: 'EngineCore_DP0',
    level: 'ERROR',
    source: 'core.py:708',
    message,
  });
  const api = (message: string): LogEntry => ({ kind: 'raw', proc: 'APIServer', message });
  return [
    err('EngineCore failed to start.'),
    err('Traceback (most recent call last):'),
    err(`  File "${PY_VLLM}/v1/engine/core.py", line 699, in run_engine_core`),
    err('    engine_core = EngineCoreProc(*args, **kwargs)'),
    ...frames.map(err),
    err(rootCause),
    { kind: 'raw', proc: 'EngineCore_DP0', message: 'Process EngineCore_DP0:' },
    api('Traceback (most recent call last):'),
    api('  File "/usr/local/bin/vllm", line 10, in <module>'),
    api('    sys.exit(main())'),
    api(`  File "${PY_VLLM}/v1/engine/utils.py", line 774, in wait_for_engine_startup`),
    api('    raise RuntimeError("Engine core initialization failed. "'),
    api('RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {}'),
  ];
}

function loadingSteps(plan: StartupPlan): { steps: StartupStep[]; failure?: string } {
  const shards = plan.profile.safetensorShards;
  const secPerShard = plan.loadSeconds / shards;
  const bar = (done: number): LogEntry => ({
    kind: 'raw',
    proc: 'Worker_TP0',
    message:
      `Loading safetensors checkpoint shards: ${`${Math.round((100 * done) / shards)}`.padStart(3)}% Completed | ` +
      `${done}/${shards} ${tqdmTiming(done * secPerShard, (shards - done) * secPerShard, secPerShard)}`,
  });
  const steps: StartupStep[] = [{ delaySec: 0, entries: [bar(0)] }];
  const oom = plan.failure?.kind === 'oom-weights' ? plan.failure : undefined;
  const lastShard = oom ? oom.atShard : shards;
  for (let done = 1; done <= lastShard; done++) steps.push({ delaySec: secPerShard, entries: [bar(done)] });
  if (oom) {
    const totalGiB = plan.gpuMemoryGiB;
    const rootCause =
      `torch.OutOfMemoryError: CUDA out of memory. Tried to allocate ${oom.requestedGiB.toFixed(2)} GiB. ` +
      `GPU 0 has a total capacity of ${totalGiB.toFixed(2)} GiB of which ${oom.freeGiB.toFixed(2)} GiB is free. ` +
      `Including non-PyTorch memory, this process has ${(totalGiB - oom.freeGiB).toFixed(2)} GiB memory in use. ` +
      `If reserved but unallocated memory is large try setting PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True ` +
      `to avoid fragmentation.  See documentation for Memory Management  ` +
      `(https://pytorch.org/docs/stable/notes/cuda.html#environment-variables)`;
    const frames = [
      `  File "${PY_VLLM}/model_executor/model_loader/default_loader.py", line 264, in load_weights`,
      '    loaded_weights = model.load_weights(self.get_all_weights(model_config, model))',
    ];
    steps.push({ delaySec: 0.4, entries: failureEntries(rootCause, frames) });
    return { steps, failure: rootCause };
  }
  steps.push({
    delaySec: 0.1,
    entries: [
      info(
        'Worker_TP0',
        'default_loader.py:267',
        `Loading weights took ${plan.loadSeconds.toFixed(2)} seconds`,
      ),
    ],
  });
  const modelLoadSec = plan.loadSeconds + STARTUP_OVERHEAD_SECONDS.afterLoad;
  steps.push({
    delaySec: STARTUP_OVERHEAD_SECONDS.afterLoad - 0.1,
    entries: [
      info(
        'Worker_TP0',
        'gpu_model_runner.py:2653',
        `Model loading took ${plan.weightsPerGpuGiB.toFixed(4)} GiB and ${modelLoadSec.toFixed(6)} seconds`,
      ),
    ],
  });
  return { steps };
}

function compileSteps(config: ServeConfig, plan: StartupPlan): StartupStep[] {
  if (config.enforceEager) return [];
  const cacheHash = createHash('sha1').update(JSON.stringify(config)).digest('hex').slice(0, 10);
  const totalSec = plan.dynamoSeconds + plan.graphCompileSeconds;
  return [
    {
      delaySec: 0.2,
      entries: [
        info(
          'Worker_TP0',
          'backends.py:548',
          `Using cache directory: /root/.cache/vllm/torch_compile_cache/${cacheHash}/rank_0_0/backbone for vLLM's torch.compile`,
        ),
      ],
    },
    {
      delaySec: plan.dynamoSeconds,
      entries: [
        info(
          'Worker_TP0',
          'backends.py:559',
          `Dynamo bytecode transform time: ${plan.dynamoSeconds.toFixed(2)} s`,
        ),
        info('Worker_TP0', 'backends.py:197', 'Cache the graph for dynamic shape for later use'),
      ],
    },
    {
      delaySec: plan.graphCompileSeconds,
      entries: [
        info(
          'Worker_TP0',
          'backends.py:218',
          `Compiling a graph for dynamic shape takes ${plan.graphCompileSeconds.toFixed(2)} s`,
        ),
        info('Worker_TP0', 'monitor.py:34', `torch.compile takes ${totalSec.toFixed(2)} s in total`),
      ],
    },
  ];
}

function kvCacheSteps(plan: StartupPlan): { steps: StartupStep[]; failure?: string } {
  const available = info(
    'Worker_TP0',
    'gpu_worker.py:298',
    `Available KV cache memory: ${plan.availableKvGiB.toFixed(2)} GiB`,
  );
  const failure = plan.failure;
  if (failure?.kind === 'no-kv-memory' || failure?.kind === 'max-len-exceeds-kv') {
    const rootCause =
      failure.kind === 'no-kv-memory'
        ? 'ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.'
        : `ValueError: The model's max seq len (${failure.maxModelLen}) is larger than the maximum number of tokens ` +
          `that can be stored in KV cache (${failure.kvCacheTokens}). Try increasing gpu_memory_utilization or ` +
          `decreasing max_model_len when initializing the engine.`;
    const frames = [
      `  File "${PY_VLLM}/v1/core/kv_cache_utils.py", line 699, in check_enough_kv_cache_memory`,
      '    raise ValueError(',
    ];
    const entries = failure.kind === 'no-kv-memory' ? [] : [available];
    return {
      steps: [
        { delaySec: plan.profilingSeconds, entries: [...entries, ...failureEntries(rootCause, frames)] },
      ],
      failure: rootCause,
    };
  }
  const concurrency = plan.kvCacheTokens / plan.maxModelLen;
  return {
    steps: [
      {
        delaySec: plan.profilingSeconds,
        entries: [
          available,
          info(
            'EngineCore_DP0',
            'kv_cache_utils.py:1087',
            `GPU KV cache size: ${withThousands(plan.kvCacheTokens)} tokens`,
          ),
          info(
            'EngineCore_DP0',
            'kv_cache_utils.py:1091',
            `Maximum concurrency for ${withThousands(plan.maxModelLen)} tokens per request: ${concurrency.toFixed(2)}x`,
          ),
        ],
      },
    ],
  };
}

function cudaGraphSteps(plan: StartupPlan): StartupStep[] {
  if (plan.cudaGraphSeconds <= 0) return [];
  // Two capture passes as in vLLM 0.11 (FULL_AND_PIECEWISE): 67 piecewise sizes, then 35 decode sizes.
  const passes = [
    { label: 'mixed prefill-decode, PIECEWISE', sizes: 67, share: 0.65 },
    { label: 'decode, FULL', sizes: 35, share: 0.35 },
  ];
  const steps: StartupStep[] = [];
  for (const pass of passes) {
    const passSec = plan.cudaGraphSeconds * pass.share;
    for (const fraction of [0.25, 0.5, 0.75, 1]) {
      const done = Math.round(pass.sizes * fraction);
      const width = Math.round(fraction * 10);
      const bar = `${'█'.repeat(width)}${' '.repeat(10 - width)}`;
      steps.push({
        delaySec: passSec / 4,
        entries: [
          {
            kind: 'raw',
            proc: 'Worker_TP0',
            message:
              `Capturing CUDA graphs (${pass.label}): ${`${Math.round(fraction * 100)}`.padStart(3)}%|${bar}| ` +
              `${done}/${pass.sizes} ${tqdmTiming(passSec * fraction, passSec * (1 - fraction), passSec / pass.sizes)}`,
          },
        ],
      });
    }
  }
  steps.push({
    delaySec: 0,
    entries: [
      info(
        'Worker_TP0',
        'gpu_model_runner.py:3480',
        `Graph capturing finished in ${Math.round(plan.cudaGraphSeconds)} secs, took ${plan.profile.cudaGraphGiB.toFixed(2)} GiB`,
      ),
    ],
  });
  return steps;
}

/** The whole startup up to (not including) the HTTP server's own lines; see `readyEntries`. */
export function startupScript(
  config: ServeConfig,
  plan: StartupPlan,
  warnings: readonly string[],
): StartupScript {
  const nonDefault = Object.entries({ model_tag: config.model, ...config.nonDefaultArgs })
    .map(([key, value]) => `'${key}': ${pyRepr(value)}`)
    .join(', ');
  const steps: StartupStep[] = [
    {
      delaySec: 0,
      entries: [
        info('APIServer', 'api_server.py:1839', `vLLM API server version ${VLLM_VERSION}`),
        info('APIServer', 'utils.py:233', `non-default args: {${nonDefault}}`),
        ...warnings.map((w): LogEntry => ({
          kind: 'vllm',
          proc: 'APIServer',
          level: 'WARNING',
          source: 'arg_utils.py:1741',
          message: w,
        })),
        info('APIServer', 'model.py:547', `Resolved architecture: ${plan.profile.architecture}`),
        info('APIServer', 'model.py:1510', `Using max model len ${plan.maxModelLen}`),
      ],
    },
    { delaySec: 4, entries: [info('EngineCore_DP0', 'core.py:77', engineConfigLine(config, plan))] },
    {
      delaySec: STARTUP_OVERHEAD_SECONDS.beforeLoad - 4,
      entries: [
        info(
          'Worker_TP0',
          'parallel_state.py:1208',
          `rank 0 in world size ${config.tensorParallelSize} is assigned as DP rank 0, PP rank 0, TP rank 0, EP rank 0`,
        ),
        info('Worker_TP0', 'gpu_model_runner.py:2602', `Starting to load model ${config.model}...`),
      ],
    },
  ];
  const loading = loadingSteps(plan);
  steps.push(...loading.steps);
  if (loading.failure) return { steps, failure: loading.failure };
  steps.push(...compileSteps(config, plan));
  const kv = kvCacheSteps(plan);
  steps.push(...kv.steps);
  if (kv.failure) return { steps, failure: kv.failure };
  steps.push(...cudaGraphSteps(plan));
  const initSec =
    plan.dynamoSeconds + plan.graphCompileSeconds + plan.profilingSeconds + plan.cudaGraphSeconds + 0.3;
  steps.push({
    delaySec: 0.3,
    entries: [
      info(
        'EngineCore_DP0',
        'core.py:210',
        `init engine (profile, create kv cache, warmup model) took ${initSec.toFixed(2)} seconds`,
      ),
      info(
        'APIServer',
        'loggers.py:147',
        `Engine 000: vllm cache_config_info with initialization after num_gpu_blocks is: ${plan.kvCacheTokens / 16}`,
      ),
      info('APIServer', 'api_server.py:1634', "Supported_tasks: ['generate']"),
    ],
  });
  return { steps };
}

/** Lines printed once the HTTP socket is listening. */
export function readyEntries(host: string, port: number, pid: number): LogEntry[] {
  const routes = ['/health', '/v1/models', '/version', '/v1/completions', '/v1/chat/completions', '/metrics'];
  return [
    info('APIServer', 'api_server.py:1912', `Starting vLLM API server 0 on http://${host}:${port}`),
    info('APIServer', 'launcher.py:34', 'Available routes are:'),
    ...routes.map((route) =>
      info(
        'APIServer',
        'launcher.py:42',
        `Route: ${route}, Methods: ${route.startsWith('/v1/c') ? 'POST' : 'GET'}`,
      ),
    ),
    { kind: 'uvicorn', level: 'INFO', message: `Started server process [${pid}]` },
    { kind: 'uvicorn', level: 'INFO', message: 'Waiting for application startup.' },
    { kind: 'uvicorn', level: 'INFO', message: 'Application startup complete.' },
  ];
}

export function shutdownEntries(pid: number): LogEntry[] {
  return [
    info('APIServer', 'launcher.py:101', 'Shutting down FastAPI HTTP server.'),
    { kind: 'uvicorn', level: 'INFO', message: 'Shutting down' },
    { kind: 'uvicorn', level: 'INFO', message: 'Waiting for application shutdown.' },
    { kind: 'uvicorn', level: 'INFO', message: 'Application shutdown complete.' },
    { kind: 'uvicorn', level: 'INFO', message: `Finished server process [${pid}]` },
  ];
}
