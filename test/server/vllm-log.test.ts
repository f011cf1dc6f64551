import assert from 'node:assert/strict';
import { test } from 'node:test';
import { logMessage, parseStartupLog, parseStatsLine } from '../../src/server/vllm-log';
import { parseServeArgs } from '../../src/sim/vllm/flags';
import { formatLogEntry, pidsFor } from '../../src/sim/vllm/log-format';
import { planStartup } from '../../src/sim/vllm/profile';
import { readyEntries, startupScript } from '../../src/sim/vllm/startup-script';

/** The sim's startup log up to step `stepCount` (all steps by default), as the process prints it. */
function simLog(args: string, stepCount?: number, ready = false): string {
  const { config, warnings } = parseServeArgs(args.split(' '));
  const script = startupScript(config, planStartup(config), warnings);
  const entries = script.steps.slice(0, stepCount).flatMap((s) => s.entries);
  if (ready) entries.push(...readyEntries('0.0.0.0', 8000, 4242));
  return entries.map((e) => formatLogEntry(e, pidsFor(4242), new Date(2025, 10, 29, 6, 0, 0))).join('\n');
}

const GLM = 'zai-org/GLM-4.6 --tensor-parallel-size 8 --enable-expert-parallel';

test('sim log: stages follow the startup, with figures', () => {
  assert.equal(parseStartupLog(simLog(`${GLM} --enforce-eager`, 1)).stage, 'starting');
  const loading = parseStartupLog(simLog(`${GLM} --enforce-eager`, 30));
  assert.equal(loading.stage, 'loading-weights');
  assert.match(loading.progress ?? '', /^\d+\/93 shards \(\d+%\)$/);
  const compiling = parseStartupLog(simLog(GLM, 93 + 3 + 3 + 2));
  assert.equal(compiling.stage, 'torch-compile');
  assert.equal(compiling.loadSeconds, 155);
  assert.equal(compiling.modelMemoryGiB, 82.6);
  const beforeReady = parseStartupLog(simLog(GLM));
  assert.equal(beforeReady.stage, 'cuda-graphs');
  assert.ok((beforeReady.kvCacheTokens ?? 0) > 8e5); // bf16 KV at 0.9 utilization
  assert.equal(parseStartupLog(simLog(GLM, undefined, true)).stage, 'ready');
});

test('sim log: failures give the root-cause line', () => {
  const oom = parseStartupLog(simLog('zai-org/GLM-4.6 --tensor-parallel-size 4'));
  assert.equal(oom.stage, 'failed');
  assert.match(oom.failure ?? '', /^torch\.OutOfMemoryError: CUDA out of memory\. Tried to allocate/);
  const maxLen = parseStartupLog(simLog(`${GLM} --enforce-eager --max-model-len 9000000`));
  assert.equal(maxLen.stage, 'failed');
  assert.match(maxLen.failure ?? '', /^ValueError: The model's max seq len \(9000000\) is larger than/);
});

test('real vLLM lines (0.11 with process prefixes)', () => {
  const log = [
    '(APIServer pid=1) INFO 03-18 13:40:10 [api_server.py:1839] vLLM API server version 0.11.0',
    '(EngineCore_DP0 pid=191) INFO 03-18 13:40:20 [gpu_model_runner.py:2602] Starting to load model Qwen/Qwen3-8B...',
    '(EngineCore_DP0 pid=191) Loading safetensors checkpoint shards:  50% Completed | 7/14 [00:33<00:35, 5.05s/it]',
  ];
  const loading = parseStartupLog(log.join('\n'));
  assert.deepEqual(loading, { stage: 'loading-weights', progress: '7/14 shards (50%)' });
  log.push(
    '(EngineCore_DP0 pid=191) INFO 03-18 13:41:02 [default_loader.py:267] Loading weights took 71.42 seconds',
    '(EngineCore_DP0 pid=191) INFO 03-18 13:41:03 [gpu_model_runner.py:3659] Model loading took 14.9889 GiB and 72.403920 seconds',
    "(EngineCore_DP0 pid=191) INFO 03-18 13:41:10 [backends.py:548] Using cache directory: /root/.cache/vllm/torch_compile_cache/3f1a/rank_0_0/backbone for vLLM's torch.compile",
    '(EngineCore_DP0 pid=191) INFO 03-18 13:41:15 [backends.py:559] Dynamo bytecode transform time: 5.73 s',
  );
  const compiling = parseStartupLog(log.join('\n'));
  assert.equal(compiling.stage, 'torch-compile');
  assert.equal(compiling.loadSeconds, 71.42);
  assert.equal(compiling.modelMemoryGiB, 14.9889);
  log.push(
    '(EngineCore_DP0 pid=191) INFO 03-18 13:41:31 [backends.py:218] Compiling a graph for compile range (1, 2048) takes 15.02 s',
    '(EngineCore_DP0 pid=191) INFO 03-18 13:41:35 [gpu_worker.py:298] Available KV cache memory: 1.50 GiB',
    '(EngineCore_DP0 pid=191) INFO 03-18 13:41:35 [kv_cache_utils.py:1087] GPU KV cache size: 49,152 tokens',
    '(EngineCore_DP0 pid=191) INFO 03-18 13:41:35 [kv_cache_utils.py:1091] Maximum concurrency for 8,192 tokens per request: 4.27x',
    '(EngineCore_DP0 pid=191) Capturing CUDA graphs (mixed prefill-decode, PIECEWISE):  45%|████▌     | 5/11 [00:01<00:01,  4.10it/s]',
  );
  const graphs = parseStartupLog(log.join('\n'));
  assert.equal(graphs.stage, 'cuda-graphs');
  assert.equal(graphs.progress, 'mixed prefill-decode, PIECEWISE 5/11 (45%)');
  assert.equal(graphs.kvCacheTokens, 49152);
  log.push(
    '(EngineCore_DP0 pid=191) INFO 03-18 13:41:40 [gpu_model_runner.py:3480] Graph capturing finished in 5 secs, took 0.42 GiB',
    '(EngineCore_DP0 pid=191) INFO 03-18 13:41:40 [core.py:210] init engine (profile, create kv cache, warmup model) took 37.12 seconds',
    '(APIServer pid=1) INFO 03-18 13:41:42 [api_server.py:1912] Starting vLLM API server 0 on http://0.0.0.0:8000',
    '(APIServer pid=1) INFO:     Started server process [1]',
    '(APIServer pid=1) INFO:     Waiting for application startup.',
  );
  const almost = parseStartupLog(log.join('\n'));
  assert.equal(almost.stage, 'cuda-graphs');
  assert.equal(almost.progress, 'engine initialized, starting API server');
  log.push('(APIServer pid=1) INFO:     Application startup complete.');
  assert.equal(parseStartupLog(log.join('\n')).stage, 'ready');
});

test('real vLLM lines: older prefixes and newer message variants', () => {
  const log = [
    'INFO 05-14 10:00:00 [loader.py:447] Loading weights took 30.10 seconds',
    'INFO 05-14 10:00:01 [model_runner.py:1115] Model loading took 15.27 GiB memory and 31.29 seconds',
    'INFO 05-14 10:00:09 [backends.py:200] Directly load the compiled graph(s) for compile range (1, 2048) from the cache, took 2.089 s',
  ].join('\n');
  const status = parseStartupLog(log);
  assert.equal(status.stage, 'torch-compile');
  assert.equal(status.modelMemoryGiB, 15.27);
  assert.equal(status.loadSeconds, 30.1);
  assert.equal(logMessage('INFO 07-25 11:48:53 metrics.py:351] Avg prompt'), 'Avg prompt');
});

test('real failure: root cause preferred over the generic RuntimeError, even on a tail', () => {
  const log = [
    '(EngineCore_DP0 pid=191) ERROR 03-18 13:41:35 [core.py:708] EngineCore failed to start.',
    '(EngineCore_DP0 pid=191) ERROR 03-18 13:41:35 [core.py:708] Traceback (most recent call last):',
    '(EngineCore_DP0 pid=191) ERROR 03-18 13:41:35 [core.py:708] ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.',
    '(APIServer pid=1) Traceback (most recent call last):',
    '(APIServer pid=1) RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {}',
  ];
  const status = parseStartupLog(log.join('\n'));
  assert.equal(status.stage, 'failed');
  assert.equal(
    status.failure,
    'ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.',
  );
  const tailOnly = parseStartupLog(log.slice(-1).join('\n'));
  assert.equal(tailOnly.stage, 'failed');
  assert.match(tailOnly.failure ?? '', /^RuntimeError: Engine core initialization failed/);
  const oomOnly = parseStartupLog('torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB.');
  assert.equal(oomOnly.stage, 'failed');
});

test('parseStatsLine: V1 line from a real log and the sim', () => {
  const real =
    '(APIServer pid=1) INFO 05-14 10:02:00 [loggers.py:118] Engine 000: Avg prompt throughput: 0.0 tokens/s, Avg generation throughput: 0.0 tokens/s, Running: 1 reqs, Waiting: 0 reqs, GPU KV cache usage: 0.0%, Prefix cache hit rate: 0.0%';
  assert.deepEqual(parseStatsLine(real), {
    engine: '000',
    promptThroughputTokPerSec: 0,
    generationThroughputTokPerSec: 0,
    runningReqs: 1,
    waitingReqs: 0,
    kvCacheUsagePct: 0,
    prefixCacheHitRatePct: 0,
  });
  const seedLike = parseStatsLine(
    'Engine 000: Avg prompt throughput: 610.1 tokens/s, Avg generation throughput: 8.7 tokens/s, Running: 1 reqs, Waiting: 2 reqs, Preemptions: 3, GPU KV cache usage: 0.3%, Prefix cache hit rate: 50.2%, External prefix cache hit rate: 10.0%',
  );
  assert.equal(seedLike?.promptThroughputTokPerSec, 610.1);
  assert.equal(seedLike?.waitingReqs, 2);
  assert.equal(seedLike?.preemptions, 3);
  assert.equal(seedLike?.prefixCacheHitRatePct, 50.2);
});

test('parseStatsLine: V0 line, and non-stats lines', () => {
  const v0 = parseStatsLine(
    'INFO 07-25 11:48:53 metrics.py:351] Avg prompt throughput: 518.0 tokens/s, Avg generation throughput: 12.3 tokens/s, Running: 2 reqs, Swapped: 0 reqs, Pending: 1 reqs, GPU KV cache usage: 2.4%, CPU KV cache usage: 0.0%.',
  );
  assert.deepEqual(v0, {
    promptThroughputTokPerSec: 518,
    generationThroughputTokPerSec: 12.3,
    runningReqs: 2,
    waitingReqs: 1,
    kvCacheUsagePct: 2.4,
    swappedReqs: 0,
    cpuKvCacheUsagePct: 0,
  });
  assert.equal(parseStatsLine('(APIServer pid=1) INFO:     Application startup complete.'), undefined);
  assert.equal(parseStatsLine('Avg prompt throughput: 1.0 tokens/s'), undefined);
});
