import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { StreamAgent } from '../../src/loadgen/http1';
import { NO_CHUNK_ERROR, sendStreamingRequest } from '../../src/loadgen/stream-client';
import { type SimVllmHandle } from '../../src/sim/vllm/server';
import { startTinySim } from '../helpers/tiny-sim';

let sim: SimVllmHandle;
const agent = new StreamAgent({ connections: 16 });
const rawServers: Server[] = [];

before(async () => {
  sim = await startTinySim('--enable-prompt-tokens-details', {
    timeScale: 0.001,
    seed: 11,
    recordEmissions: true,
  });
});
after(async () => {
  await sim.close();
  for (const server of rawServers) server.closeAllConnections();
  await Promise.all(rawServers.map((s) => new Promise((resolve) => s.close(resolve))));
  await agent.close();
});

/** A hand-written SSE server: `handler` decides exactly which bytes go out and when. */
async function rawServer(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<string> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (part) => (body += part));
    req.on('end', () => handler(req, res, body));
  });
  rawServers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A 4-token completion from a server that writes `pieces` 5 ms apart (so they arrive as separate reads). */
async function pacedCompletion(pieces: (string | Buffer)[]) {
  const url = await rawServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const writeNext = (i: number) => {
      if (i === pieces.length) return res.end();
      res.write(pieces[i]);
      setTimeout(() => writeNext(i + 1), 5);
    };
    writeNext(0);
  });
  return sendStreamingRequest({
    baseUrl: url,
    endpoint: 'completions',
    model: 'm',
    prompt: 'p',
    maxTokens: 4,
  });
}

const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');

test('completions against the sim: one chunk time per token, exact usage', async () => {
  const record = await sendStreamingRequest({
    baseUrl: sim.url,
    endpoint: 'completions',
    model: 'tiny/model',
    prompt: words(37),
    maxTokens: 20,
    agent,
  });
  assert.equal(record.ok, true, record.error);
  assert.equal(record.httpStatus, 200);
  assert.equal(record.chunkTimesMs.length, 20);
  assert.equal(record.promptTokens, 37);
  assert.equal(record.completionTokens, 20);
  assert.equal(record.cachedTokens, 0);
  for (let i = 1; i < record.chunkTimesMs.length; i++)
    assert.ok(record.chunkTimesMs[i] >= record.chunkTimesMs[i - 1]);
  assert.ok(record.chunkTimesMs[0] > 0);
  const again = await sendStreamingRequest({
    baseUrl: sim.url,
    endpoint: 'completions',
    model: 'tiny/model',
    prompt: words(37),
    maxTokens: 2,
    agent,
  });
  assert.equal(again.cachedTokens, 32);
});

test('chat against the sim: the role chunk counts as the first chunk, as in vLLM', async () => {
  const record = await sendStreamingRequest({
    baseUrl: sim.url,
    endpoint: 'chat',
    model: 'tiny/model',
    messages: [{ role: 'user', content: 'hello there' }],
    maxTokens: 5,
    agent,
  });
  assert.equal(record.ok, true, record.error);
  assert.equal(record.chunkTimesMs.length, 6);
  assert.equal(record.promptTokens, 5);
  assert.equal(record.completionTokens, 5);
});

test('chunk arrivals are never before the server finished writing them', async () => {
  const requestId = 'fidelity-1';
  const record = await sendStreamingRequest({
    baseUrl: sim.url,
    endpoint: 'completions',
    model: 'tiny/model',
    prompt: 'x y',
    maxTokens: 30,
    agent,
    requestId,
  });
  const emission = sim.emissions.find((e) => e.requestId === requestId);
  assert.ok(emission);
  assert.equal(emission.emittedAtEpochMs.length, record.chunkTimesMs.length);
  assert.equal(emission.deliveredAtEpochMs.length, record.chunkTimesMs.length);
  record.chunkTimesMs.forEach((t, i) => {
    assert.ok(emission.deliveredAtEpochMs[i] >= emission.emittedAtEpochMs[i]);
    assert.ok(record.startedAtEpochMs + t >= emission.deliveredAtEpochMs[i]);
  });
});

test('a too-long prompt fails with HTTP 400 and the server message', async () => {
  const record = await sendStreamingRequest({
    baseUrl: sim.url,
    endpoint: 'completions',
    model: 'tiny/model',
    prompt: words(250),
    maxTokens: 10,
    agent,
  });
  assert.equal(record.ok, false);
  assert.equal(record.httpStatus, 400);
  assert.match(
    record.error ?? '',
    /^This model's maximum context length is 256 tokens\. However, you requested 260 tokens/,
  );
  assert.deepEqual(record.chunkTimesMs, []);
});

test('request body follows vllm bench serve; extraBody and x-request-id are passed', async () => {
  const requests: { body: Record<string, unknown>; headers: IncomingMessage['headers']; url?: string }[] = [];
  const url = await rawServer((req, res, body) => {
    requests.push({ body: JSON.parse(body), headers: req.headers, url: req.url });
    res.writeHead(503, { 'content-type': 'text/plain' });
    res.end('overloaded');
  });
  const chat = await sendStreamingRequest({
    baseUrl: `${url}/`,
    endpoint: 'chat',
    model: 'm',
    messages: [{ role: 'user', content: 'q' }],
    maxTokens: 7,
    extraBody: { temperature: 0.5, top_k: 3 },
    requestId: 'abc',
  });
  let seen = requests[0];
  assert.equal(seen.url, '/v1/chat/completions');
  assert.deepEqual(seen.body, {
    model: 'm',
    stream: true,
    stream_options: { include_usage: true },
    ignore_eos: true,
    temperature: 0.5,
    messages: [{ role: 'user', content: 'q' }],
    max_completion_tokens: 7,
    top_k: 3,
  });
  assert.equal(seen.headers['x-request-id'], 'abc');
  assert.deepEqual([chat.ok, chat.httpStatus, chat.error], [false, 503, 'overloaded']);
  await sendStreamingRequest({
    baseUrl: url,
    endpoint: 'completions',
    model: 'm',
    prompt: 'p',
    maxTokens: 3,
  });
  seen = requests[1];
  assert.equal(seen.url, '/v1/completions');
  assert.equal(seen.body.max_tokens, 3);
  assert.equal(seen.body.temperature, 0);
  assert.equal(seen.body.prompt, 'p');
});

test('SSE split across network chunks, comments, CRLF and multi-event chunks', async () => {
  const chunk = (text: string) => `{"choices":[{"index":0,"text":${JSON.stringify(text)}}]}`;
  const pieces = [
    ': keep-alive comment\n\n',
    `data: ${chunk(' a')}\n\ndata: ${chunk(' b')}\n\nda`,
    `ta: ${chunk(' c').slice(0, 10)}`,
    `${chunk(' c').slice(10)}\n`,
    `\ndata: ${chunk(' d')}\r\n\r\n`,
    'event: ping\ndata: {"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13}}\n\n',
    'data: [DONE]\n\n',
    `data: ${chunk(' after done is ignored')}\n\n`,
  ];
  const record = await pacedCompletion(pieces);
  assert.equal(record.ok, true, record.error);
  assert.equal(record.chunkTimesMs.length, 4);
  assert.equal(
    record.chunkTimesMs[0],
    record.chunkTimesMs[1],
    'two events in one network chunk share its arrival time',
  );
  assert.ok(record.chunkTimesMs[2] > record.chunkTimesMs[1]);
  assert.deepEqual([record.promptTokens, record.completionTokens], [9, 4]);
});

test('multi-byte text split across network chunks, then whole one-event chunks (byte fast path)', async () => {
  const event = (text: string) =>
    Buffer.from(`data: {"choices":[{"index":0,"text":${JSON.stringify(text)}}]}\n\n`);
  const split = event(' é€');
  const cut = split.indexOf(Buffer.from('€')) + 1; // inside the 3-byte sequence
  const pieces = [
    event(' a'),
    split.subarray(0, cut),
    split.subarray(cut),
    event(' b'),
    Buffer.from(
      'data: {"choices":[{"index":0,"text":" c"}],"usage":{"prompt_tokens":2,"completion_tokens":4}}\n\n',
    ),
    Buffer.from('data: [DONE]\n\n'),
  ];
  const record = await pacedCompletion(pieces);
  assert.equal(record.ok, true, record.error);
  assert.equal(record.chunkTimesMs.length, 4);
  for (let i = 1; i < 4; i++) assert.ok(record.chunkTimesMs[i] > record.chunkTimesMs[i - 1]);
  assert.deepEqual([record.promptTokens, record.completionTokens], [2, 4]);
});

test('no content chunk: failed with vLLM message; without usage, chunks are counted', async () => {
  const url = await rawServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (req.url === '/v1/completions')
      res.end('data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":0}}\n\ndata: [DONE]\n\n');
    else
      res.end(
        'data: {"choices":[{"delta":{"role":"assistant"}}]}\n\ndata: {"choices":[{"delta":{"content":"x"}}]}\n\ndata: [DONE]\n\n',
      );
  });
  const empty = await sendStreamingRequest({
    baseUrl: url,
    endpoint: 'completions',
    model: 'm',
    prompt: 'p',
    maxTokens: 1,
  });
  assert.deepEqual([empty.ok, empty.httpStatus, empty.error], [false, 200, NO_CHUNK_ERROR]);
  const noUsage = await sendStreamingRequest({
    baseUrl: url,
    endpoint: 'chat',
    model: 'm',
    messages: [],
    maxTokens: 1,
  });
  assert.equal(noUsage.ok, true);
  assert.equal(noUsage.completionTokens, 2);
});

test('exceptions become failed records: refused connection, in-stream error, abort', async () => {
  const refused = await sendStreamingRequest({
    baseUrl: 'http://127.0.0.1:1',
    endpoint: 'completions',
    model: 'm',
    prompt: 'p',
    maxTokens: 1,
  });
  assert.equal(refused.ok, false);
  assert.equal(refused.httpStatus, 0);
  assert.match(refused.error ?? '', /ECONNREFUSED|connect/i);
  const url = await rawServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (req.url === '/v1/completions') res.end('data: {"error":{"message":"engine died","code":500}}\n\n');
    else res.write('data: {"choices":[{"delta":{"content":"x"}}]}\n\n'); // never ends
  });
  const inStream = await sendStreamingRequest({
    baseUrl: url,
    endpoint: 'completions',
    model: 'm',
    prompt: 'p',
    maxTokens: 1,
  });
  assert.match(inStream.error ?? '', /engine died/);
  const controller = new AbortController();
  const pending = sendStreamingRequest({
    baseUrl: url,
    endpoint: 'chat',
    model: 'm',
    messages: [],
    maxTokens: 9,
    signal: controller.signal,
  });
  setTimeout(() => controller.abort(), 20);
  const aborted = await pending;
  assert.equal(aborted.ok, false);
  assert.match(aborted.error ?? '', /abort/i);
});
