import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';
import { parseStartupLog } from '../../../src/server/vllm-log';
import { type SimVllmHandle, SimVllmStartupError, startSimVllm } from '../../../src/sim/vllm/server';
import { startTinySim } from '../../helpers/tiny-sim';

const TIME_SCALE = 0.001;
let sim: SimVllmHandle;
const logLines: string[] = [];

before(async () => {
  sim = await startTinySim('--enable-prompt-tokens-details', {
    timeScale: TIME_SCALE,
    seed: 7,
    devMode: true,
    recordEmissions: true,
    log: (line) => logLines.push(line),
  });
});
after(() => sim.close());

async function post(path: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((event) => event.startsWith('data: '))
    .map((event) => event.slice(6));
}

test('startup log reads as ready with the model and KV figures', () => {
  const status = parseStartupLog(logLines.join('\n'));
  assert.equal(status.stage, 'ready');
  assert.equal(status.kvCacheTokens, sim.plan.kvCacheTokens);
  assert.equal(status.modelMemoryGiB, 1.5);
  assert.ok(
    logLines.some((l) =>
      /^\(APIServer pid=\d+\) INFO \d\d-\d\d \d\d:\d\d:\d\d \[api_server\.py:\d+\] vLLM API server version 0\.11\.0$/.test(
        l,
      ),
    ),
  );
});

test('health, version and models endpoints', async () => {
  const health = await fetch(`${sim.url}/health`);
  assert.equal(health.status, 200);
  assert.equal(await health.text(), '');
  assert.deepEqual(await (await fetch(`${sim.url}/version`)).json(), { version: '0.11.0' });
  const models = (await (await fetch(`${sim.url}/v1/models`)).json()) as {
    object: string;
    data: Record<string, unknown>[];
  };
  assert.equal(models.object, 'list');
  assert.equal(models.data[0].id, 'tiny/model');
  assert.equal(models.data[0].object, 'model');
  assert.equal(models.data[0].max_model_len, 256);
  assert.equal((await fetch(`${sim.url}/nope`)).status, 404);
});

test('streamed completion: one chunk per token, finish_reason length, usage then [DONE]', async () => {
  const before = sim.emissions.length;
  const { status, text } = await post('/v1/completions', {
    model: 'tiny/model',
    prompt: 'one two three four',
    max_tokens: 5,
    stream: true,
    stream_options: { include_usage: true },
  });
  assert.equal(status, 200);
  const data = sseData(text);
  assert.equal(data.at(-1), '[DONE]');
  const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
  assert.equal(chunks.length, 6);
  assert.deepEqual(
    chunks.slice(0, 5).map((c) => c.choices[0].finish_reason),
    [null, null, null, null, 'length'],
  );
  assert.equal(typeof chunks[0].choices[0].text, 'string');
  assert.deepEqual(chunks[5].choices, []);
  assert.deepEqual(chunks[5].usage, {
    prompt_tokens: 4,
    total_tokens: 9,
    completion_tokens: 5,
    prompt_tokens_details: { cached_tokens: 0 },
  });
  const emission = sim.emissions.slice(before).find((r) => r.endpoint === 'completions');
  assert.equal(emission?.emittedAtEpochMs.length, 5);
});

test('streamed chat: role chunk first, then delta.content per token', async () => {
  const { text } = await post('/v1/chat/completions', {
    model: 'tiny/model',
    messages: [{ role: 'user', content: 'hi there' }],
    max_completion_tokens: 3,
    stream: true,
    stream_options: { include_usage: true },
  });
  const chunks = sseData(text)
    .slice(0, -1)
    .map((d) => JSON.parse(d));
  assert.equal(chunks[0].object, 'chat.completion.chunk');
  assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '' });
  assert.equal(chunks.length, 1 + 3 + 1);
  assert.equal(chunks[3].choices[0].finish_reason, 'length');
  assert.equal(chunks[4].usage.prompt_tokens, 2 + 3);
});

test('non-streaming completion defaults to 16 tokens', async () => {
  const { status, text } = await post('/v1/completions', { prompt: 'a b c' });
  assert.equal(status, 200);
  const body = JSON.parse(text);
  assert.equal(body.usage.completion_tokens, 16);
  assert.equal(body.choices[0].text.trim().split(/\s+/).length, 16);
  assert.equal(body.choices[0].finish_reason, 'length');
});

test('prompt + max_tokens above max-model-len is a 400 with vLLM message', async () => {
  const { status, text } = await post('/v1/completions', {
    model: 'tiny/model',
    prompt: 'w '.repeat(250),
    max_tokens: 10,
  });
  assert.equal(status, 400);
  assert.equal(
    JSON.parse(text).error.message,
    "This model's maximum context length is 256 tokens. However, you requested 260 tokens (250 in the messages, 10 in the completion). Please reduce the length of the messages or completion.",
  );
  const wrongModel = await post('/v1/completions', { model: 'other', prompt: 'x' });
  assert.equal(wrongModel.status, 404);
});

test('repeated prompts report cached tokens; reset_prefix_cache clears them', async () => {
  const prompt = Array.from({ length: 40 }, (_, i) => `p${i}`).join(' ');
  const ask = async () =>
    JSON.parse((await post('/v1/completions', { prompt, max_tokens: 1 })).text).usage.prompt_tokens_details
      .cached_tokens;
  assert.equal(await ask(), 0);
  assert.equal(await ask(), 32);
  assert.equal((await post('/reset_prefix_cache', {})).status, 200);
  assert.equal(await ask(), 0);
});

test('metrics count the served requests', async () => {
  const text = await (await fetch(`${sim.url}/metrics`)).text();
  const success =
    /^vllm:request_success_total\{engine="0",model_name="tiny\/model",finished_reason="length"\} (\d+)/m.exec(
      text,
    );
  assert.ok(success && Number(success[1]) >= 4, text.slice(0, 200));
  assert.match(text, /^vllm:prefix_cache_hits_total\{[^}]*\} [1-9]/m);
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('the port refuses connections until startup completes', async () => {
  const port = await freePort();
  const starting = startSimVllm({
    argv: [
      'zai-org/GLM-4.6',
      '--tensor-parallel-size',
      '8',
      '--enable-expert-parallel',
      '--enforce-eager',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
    ],
    timeScale: TIME_SCALE,
  });
  await assert.rejects(
    fetch(`http://127.0.0.1:${port}/health`),
    (error: Error & { cause?: { code?: string } }) => error.cause?.code === 'ECONNREFUSED',
  );
  const glm = await starting;
  try {
    assert.equal((await fetch(`${glm.url}/health`)).status, 200);
    const notDev = await fetch(`${glm.url}/reset_prefix_cache`, { method: 'POST' });
    assert.equal(notDev.status, 404);
  } finally {
    await glm.close();
  }
});

test('OOM at TP 4 rejects with the root cause, and the log parses as failed', async () => {
  const lines: string[] = [];
  await assert.rejects(
    startSimVllm({
      argv: ['zai-org/GLM-4.6', '--tensor-parallel-size', '4'],
      timeScale: TIME_SCALE,
      log: (l) => lines.push(l),
    }),
    (error) =>
      error instanceof SimVllmStartupError &&
      error.rootCause.startsWith('torch.OutOfMemoryError: CUDA out of memory.'),
  );
  const status = parseStartupLog(lines.join('\n'));
  assert.equal(status.stage, 'failed');
  assert.match(status.failure ?? '', /^torch\.OutOfMemoryError: CUDA out of memory\./);
  assert.ok(lines.some((l) => l.endsWith('EngineCore failed to start.')));
  assert.ok(
    lines.some((l) =>
      l.endsWith(
        'RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {}',
      ),
    ),
  );
});

test('VSWEEP_SIM_NODE_ADDR-style nodeAddr replaces the 0.0.0.0 bind address', async () => {
  const lines: string[] = [];
  const bound = await startSimVllm({
    argv: ['tiny/model', '--port', '0'],
    timeScale: TIME_SCALE,
    nodeAddr: '127.0.0.2',
    log: (l) => lines.push(l),
  });
  try {
    assert.equal(bound.host, '127.0.0.2');
    assert.ok(lines.some((l) => l.includes(`Starting vLLM API server 0 on http://127.0.0.2:${bound.port}`)));
    assert.equal((await fetch(`${bound.url}/health`)).status, 200);
  } finally {
    await bound.close();
  }
});
