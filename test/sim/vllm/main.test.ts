import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const MAIN = join(__dirname, '../../../src/sim/vllm/main.js');
const children: ChildProcess[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'sim-vllm-main-'));
after(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  /** Resolves with the port once `Application startup complete.` is printed. */
  ready: Promise<number>;
}

function serve(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [MAIN, 'serve', ...args], {
    env: { ...process.env, VSWEEP_TIME_SCALE: '0.001', VSWEEP_SIM_SEED: '3', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let text = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<number>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (part: string) => {
      text += part;
      const port = /Starting vLLM API server 0 on http:\/\/[^:]+:(\d+)/.exec(text)?.[1];
      if (port && text.includes('Application startup complete.')) resolve(Number(port));
    });
    child.stderr?.setEncoding('utf8').on('data', (part: string) => (text += part));
    void exited.then((code) => reject(new Error(`exited ${code} before ready:\n${text}`)));
  });
  ready.catch(() => {});
  return { child, output: () => text, exited, ready };
}

test('serves after the scripted startup and exits 0 on SIGTERM', async () => {
  const emissionLog = join(tmp, 'emissions.jsonl');
  const run = serve(
    [
      'zai-org/GLM-4.6',
      '--tensor-parallel-size',
      '8',
      '--enable-expert-parallel',
      '--enforce-eager',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
    ],
    {
      VSWEEP_SIM_EMISSION_LOG: emissionLog,
    },
  );
  const port = await run.ready;
  const url = `http://127.0.0.1:${port}`;
  assert.equal((await fetch(`${url}/health`)).status, 200);
  const res = await fetch(`${url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': 'req-1' },
    body: JSON.stringify({ prompt: 'a b c', max_tokens: 4, stream: true }),
  });
  assert.match(await res.text(), /data: \[DONE\]\n\n$/);
  run.child.kill('SIGTERM');
  assert.equal(await run.exited, 0);
  const out = run.output();
  const order = [
    'vLLM API server version',
    'Initializing a V1 LLM engine (v0.11.0)',
    'Starting to load model zai-org/GLM-4.6...',
    'Loading safetensors checkpoint shards: 100% Completed | 93/93',
    'Loading weights took 155.00 seconds',
    'Model loading took 82.6000 GiB',
    'Available KV cache memory:',
    'GPU KV cache size:',
    'Maximum concurrency for 202,752 tokens per request',
    'init engine (profile, create kv cache, warmup model) took',
    'Starting vLLM API server 0 on',
    'Started server process',
    'Application startup complete.',
    'Shutting down',
  ];
  let at = -1;
  for (const needle of order) {
    const next = out.indexOf(needle, at + 1);
    assert.ok(next > at, `"${needle}" missing or out of order`);
    at = next;
  }
  assert.ok(!out.includes('torch.compile'), 'eager mode does not compile');
  const record = JSON.parse(readFileSync(emissionLog, 'utf8').trim());
  assert.equal(record.requestId, 'req-1');
  assert.equal(record.emittedAtEpochMs.length, 4);
  assert.ok(record.emittedAtEpochMs[0] > Date.now() - 60_000);
});

test('without --enforce-eager it logs torch.compile and CUDA graph capture', async () => {
  const run = serve([
    'zai-org/GLM-4.6',
    '--tensor-parallel-size=8',
    '--enable-expert-parallel',
    '--port=0',
    '--host=127.0.0.1',
  ]);
  await run.ready;
  run.child.kill('SIGTERM');
  assert.equal(await run.exited, 0);
  const out = run.output();
  for (const needle of [
    "for vLLM's torch.compile",
    'Dynamo bytecode transform time: 21.50 s',
    'Compiling a graph for dynamic shape takes 1238.50 s',
    'torch.compile takes 1260.00 s in total',
    'Capturing CUDA graphs (mixed prefill-decode, PIECEWISE): 100%',
    'Graph capturing finished in 45 secs, took 1.23 GiB',
  ]) {
    assert.ok(out.includes(needle), needle);
  }
});

test('max-model-len beyond the KV cache exits 1 with vLLM error lines', async () => {
  const run = serve([
    'zai-org/GLM-4.6',
    '--tensor-parallel-size',
    '8',
    '--enforce-eager',
    '--max-model-len',
    '4000000',
    '--port',
    '0',
  ]);
  assert.equal(await run.exited, 1);
  const out = run.output();
  assert.match(
    out,
    /ValueError: The model's max seq len \(4000000\) is larger than the maximum number of tokens that can be stored in KV cache \(\d+\)\. Try increasing gpu_memory_utilization or decreasing max_model_len when initializing the engine\./,
  );
  assert.match(
    out,
    /\(EngineCore_DP0 pid=\d+\) ERROR \d\d-\d\d [\d:]+ \[core\.py:\d+\] EngineCore failed to start\./,
  );
  assert.match(out, /RuntimeError: Engine core initialization failed\. See root cause above\./);
});

test('VSWEEP_SIM_GPU_MEM_GIB small enough gives CUDA OOM, exit 1', async () => {
  const run = serve(['zai-org/GLM-4.6', '--tensor-parallel-size', '8', '--enforce-eager', '--port', '0'], {
    VSWEEP_SIM_GPU_MEM_GIB: '80',
  });
  assert.equal(await run.exited, 1);
  assert.match(run.output(), /torch\.OutOfMemoryError: CUDA out of memory\./);
});

test('SIGTERM during startup exits 0 promptly', async () => {
  const run = serve(['zai-org/GLM-4.6', '--tensor-parallel-size', '8', '--port', '0'], {
    VSWEEP_TIME_SCALE: '0.02',
  });
  await new Promise<void>((resolve) => {
    const check = () => (run.output().includes('Starting to load model') ? resolve() : setTimeout(check, 20));
    check();
  });
  run.child.kill('SIGTERM');
  assert.equal(await run.exited, 0);
});

test('bad usage exits 2', async () => {
  const child = spawn(process.execPath, [MAIN, 'bench'], { stdio: 'ignore' });
  children.push(child);
  assert.equal(await new Promise((resolve) => child.on('exit', resolve)), 2);
});
