import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { after, test } from 'node:test';
import { StreamAgent, type StreamRequest } from '../../src/loadgen/http1';
import { until } from '../helpers/wait';

/** A server that speaks raw bytes: `respond` gets each request (head + body) and its socket. */
interface RawServer {
  origin: string;
  /** Connections accepted so far, and closed so far. */
  connections: number;
  closed: number;
  /** Requests seen, as text. */
  requests: string[];
}

const servers: net.Server[] = [];
const serverSockets: net.Socket[] = [];
after(() => {
  for (const server of servers) server.close();
  for (const socket of serverSockets) socket.destroy();
});

async function rawServer(
  respond: (socket: net.Socket, request: string, index: number) => void,
): Promise<RawServer> {
  const state: RawServer = { origin: '', connections: 0, closed: 0, requests: [] };
  const server = net.createServer((socket) => {
    state.connections++;
    serverSockets.push(socket);
    socket.on('close', () => state.closed++);
    socket.setNoDelay(true);
    let buffered = '';
    socket.on('data', (data) => {
      buffered += data.toString('latin1');
      for (;;) {
        const headEnd = buffered.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(buffered.slice(0, headEnd))?.[1] ?? 0);
        if (buffered.length < headEnd + 4 + length) return;
        const request = buffered.slice(0, headEnd + 4 + length);
        buffered = buffered.slice(request.length);
        state.requests.push(request);
        respond(socket, request, state.requests.length - 1);
      }
    });
    socket.on('error', () => undefined);
  });
  servers.push(server);
  server.unref();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.origin = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return state;
}

interface Outcome {
  status?: number;
  headers?: Readonly<Record<string, string>>;
  body: string;
  /** Body pieces as the handler got them. */
  pieces: number;
  sentAtMs?: number;
  error?: Error;
}

function send(
  agent: StreamAgent,
  request: Omit<StreamRequest, 'path'> & { path?: string },
): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { body: '', pieces: 0 };
    const parts: Buffer[] = [];
    agent.request(
      { path: '/v1/completions', method: 'POST', body: '{}', ...request },
      {
        onRequestSent: (atMs) => (outcome.sentAtMs = atMs),
        onResponseStart: (status, headers) => Object.assign(outcome, { status, headers }),
        onResponseData: (chunk) => {
          outcome.pieces++;
          parts.push(Buffer.from(chunk));
        },
        onResponseEnd: () => resolve({ ...outcome, body: Buffer.concat(parts).toString('utf8') }),
        onResponseError: (error) =>
          resolve({ ...outcome, body: Buffer.concat(parts).toString('utf8'), error }),
      },
    );
  });
}

const SSE_HEAD = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n';

test('responses split across reads, one kept-alive connection for all (every split: http1-response)', async () => {
  const events = ['data: {"choices":[{"text":"é"}]}\n\n', 'data: [DONE]\n\n'];
  const body = events.map((e) => `${Buffer.byteLength(e).toString(16)}\r\n${e}\r\n`).join('') + '0\r\n\r\n';
  const bytes = Buffer.from(SSE_HEAD + body);
  // In the status line, the headers, a size line, the é, the last chunk.
  const splits = [5, 40, SSE_HEAD.length + 1, bytes.indexOf('é') + 1, bytes.length - 3];
  const server = await rawServer((socket, _request, index) => {
    const at = splits[index];
    socket.write(bytes.subarray(0, at));
    setTimeout(() => socket.write(bytes.subarray(at)), 2); // paced: two reads
  });
  const agent = new StreamAgent({ connections: 1 });
  for (const at of splits) {
    const outcome = await send(agent, { origin: server.origin });
    assert.equal(outcome.error, undefined, `split at ${at}: ${outcome.error?.message}`);
    assert.deepEqual([outcome.status, outcome.body], [200, events.join('')], `split at ${at}`);
  }
  assert.equal(server.connections, 1);
  await agent.close();
});

test('the request on the wire: method, path, host, headers and a byte-exact content-length', async () => {
  const server = await rawServer((socket) => socket.write('HTTP/1.1 204 No Content\r\n\r\n'));
  const agent = new StreamAgent();
  const outcome = await send(agent, {
    origin: server.origin,
    headers: { 'content-type': 'application/json', 'x-request-id': 'r-1' },
    body: '{"prompt":"ü"}',
  });
  assert.equal(outcome.status, 204);
  assert.equal(outcome.error, undefined);
  assert.equal(
    Buffer.from(server.requests[0], 'latin1').toString('utf8'),
    `POST /v1/completions HTTP/1.1\r\nhost: ${new URL(server.origin).host}\r\ncontent-type: application/json\r\n` +
      'x-request-id: r-1\r\ncontent-length: 15\r\n\r\n{"prompt":"ü"}',
  );
  assert.throws(
    () => agent.request({ origin: server.origin, path: '/x', headers: { 'x-a': 'b\r\nevil: 1' } }, noHandler),
    /invalid header "x-a"/,
  );
  assert.throws(
    () => agent.request({ origin: 'https://example.org', path: '/' }, noHandler),
    /unsupported protocol https: in https:\/\/example\.org: the load generator speaks plain http:/,
  );
  await agent.close();
});

const noHandler = {
  onResponseStart: () => undefined,
  onResponseData: () => undefined,
  onResponseEnd: () => undefined,
  onResponseError: () => undefined,
};

test('sized bodies, bodies that end at close, interim 100 responses and connection: close', async () => {
  const server = await rawServer((socket, request) => {
    if (request.includes('sized'))
      socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello');
    else if (request.includes('close'))
      socket.end('HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok');
    else socket.end('HTTP/1.0 200 OK\r\n\r\nuntil the end');
  });
  const agent = new StreamAgent();
  assert.deepEqual(
    [
      await send(agent, { origin: server.origin, body: 'sized' }),
      await send(agent, { origin: server.origin, body: 'sized' }),
    ].map((o) => [o.status, o.body, o.error]),
    [
      [200, 'hello', undefined],
      [200, 'hello', undefined],
    ],
  );
  assert.equal(server.connections, 1);
  const closing = await send(agent, { origin: server.origin, body: 'close' });
  assert.deepEqual([closing.body, closing.error], ['ok', undefined]);
  const toEnd = await send(agent, { origin: server.origin, body: 'rest' });
  assert.deepEqual([toEnd.body, toEnd.error], ['until the end', undefined]);
  // Neither of the last two connections was kept: a third one serves the next request.
  await send(agent, { origin: server.origin, body: 'sized' });
  assert.equal(server.connections, 3);
  await agent.close();
});

test('broken responses fail with the offending text; a cut-off body is a SocketError', async () => {
  const server = await rawServer((socket, request) => {
    if (request.includes('status')) socket.write('HTTTP/1.1 200 OK\r\n\r\n');
    else if (request.includes('size')) socket.write(`${SSE_HEAD}zz\r\nab\r\n0\r\n\r\n`);
    else if (request.includes('long')) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nabc');
    else {
      socket.write(`${SSE_HEAD}5\r\nhel`);
      setTimeout(() => socket.destroy(), 5);
    }
  });
  const agent = new StreamAgent();
  const status = await send(agent, { origin: server.origin, body: 'status' });
  assert.equal(status.error?.name, 'HTTPParserError');
  assert.match(status.error?.message ?? '', /not an HTTP\/1\.x status line: "HTTTP\/1\.1 200 OK"/);
  const size = await send(agent, { origin: server.origin, body: 'size' });
  assert.match(size.error?.message ?? '', /invalid chunk size line "zz"/);
  const long = await send(agent, { origin: server.origin, body: 'long' });
  assert.match(long.error?.message ?? '', /bytes after the end of the response/);
  const cut = await send(agent, { origin: server.origin, body: 'cut' });
  assert.deepEqual(
    [cut.error?.name, cut.error?.message, cut.body],
    ['SocketError', 'other side closed', 'hel'],
  );
  await agent.close();
});

test('a kept-alive connection the server drops as it is reused: sent again once, on a new one', async () => {
  const server = await rawServer((socket, _request, index) => {
    // The second request (on the first, reused connection) meets a server that just closed it.
    if (index === 1) socket.destroy();
    else socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
  });
  const agent = new StreamAgent({ connections: 1 });
  assert.equal((await send(agent, { origin: server.origin })).body, 'ok');
  const again = await send(agent, { origin: server.origin });
  assert.deepEqual([again.body, again.error], ['ok', undefined]);
  assert.equal(server.requests.length, 3);
  assert.equal(server.connections, 2);
  // The resend's connection belongs to the agent like any other: close() ends it.
  await agent.close();
  await until('the server to see every connection closed', () => server.closed === 2 || undefined, 5000);

  // On a fresh connection the same failure is the request's: no resend.
  const fresh = await rawServer((socket) => socket.destroy());
  const other = new StreamAgent();
  const failed = await send(other, { origin: fresh.origin });
  assert.equal(failed.error?.name, 'SocketError');
  assert.equal(fresh.requests.length, 1);
  await other.close();
});

test('abort: the signal ends a streaming exchange with its reason; the pool serves the next request', async () => {
  const server = await rawServer((socket, request) => {
    if (request.includes('slow'))
      socket.write(`${SSE_HEAD}3\r\nabc\r\n`); // ...and never finishes
    else socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
  });
  const agent = new StreamAgent({ connections: 1 });
  const controller = new AbortController();
  const pending = send(agent, { origin: server.origin, body: 'slow', signal: controller.signal });
  // Queued behind the slow one (one connection): it must get a connection after the abort.
  const queued = send(agent, { origin: server.origin, body: 'fast' });
  while (server.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
  controller.abort(new Error('user cancelled'));
  const aborted = await pending;
  assert.deepEqual([aborted.error?.message, aborted.body], ['user cancelled', 'abc']);
  assert.deepEqual([(await queued).body, (await queued).error], ['ok', undefined]);
  await agent.close();
});

test('timeouts: a silent server fails the exchange with TimeoutError; idle connections are closed', async () => {
  const server = await rawServer((socket, request) => {
    if (!request.includes('silent')) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
  });
  const agent = new StreamAgent({ readTimeoutMs: 100, keepAliveMs: 100 });
  const silent = await send(agent, { origin: server.origin, body: 'silent' });
  assert.equal(silent.error?.name, 'TimeoutError');
  assert.match(silent.error?.message ?? '', /no data from the server for 100 ms/);
  await send(agent, { origin: server.origin });
  const before = server.connections;
  // After the keep-alive period the idle connection is gone, so the next request opens a new one.
  await new Promise((resolve) => setTimeout(resolve, 300));
  await send(agent, { origin: server.origin });
  assert.equal(server.connections, before + 1);
  await agent.close();
});

test('a connection limit queues requests; every one is answered', async () => {
  let open = 0;
  let peak = 0;
  const server = await rawServer((socket) => {
    open++;
    peak = Math.max(peak, open);
    setTimeout(() => {
      open--;
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    }, 5);
  });
  const agent = new StreamAgent({ connections: 2 });
  const outcomes = await Promise.all(Array.from({ length: 7 }, () => send(agent, { origin: server.origin })));
  assert.deepEqual(
    outcomes.map((o) => o.body),
    Array(7).fill('ok'),
  );
  assert.equal(server.connections, 2);
  assert.equal(peak, 2);
  await agent.close();
  assert.throws(() => agent.request({ origin: server.origin, path: '/' }, noHandler), /closed/);
});

test('close() waits for the response in flight, then ends every connection; twice is the same', async () => {
  const server = await rawServer((socket) =>
    setTimeout(() => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'), 20),
  );
  const agent = new StreamAgent();
  const inFlight = send(agent, { origin: server.origin });
  while (server.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
  await Promise.all([agent.close(), agent.close()]);
  assert.deepEqual([(await inFlight).body, (await inFlight).error], ['ok', undefined]);
  await until('the server to see the connection closed', () => server.closed === 1 || undefined, 5000);
});

test('a request still goes out while another response streams without pause', async () => {
  let streaming: NodeJS.Timeout | undefined;
  const server = await rawServer((socket, request) => {
    if (request.includes('endless')) {
      socket.write(SSE_HEAD);
      streaming = setInterval(() => socket.write('2\r\nab\r\n'), 0.1);
    } else socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
  });
  const agent = new StreamAgent();
  const controller = new AbortController();
  const endless = send(agent, { origin: server.origin, body: 'endless', signal: controller.signal });
  while (streaming === undefined) await new Promise((r) => setTimeout(r, 5));
  const other = await send(agent, { origin: server.origin, body: 'short' });
  assert.deepEqual([other.body, other.error], ['ok', undefined]);
  assert.ok(other.sentAtMs !== undefined);
  controller.abort(new Error('enough'));
  clearInterval(streaming);
  assert.equal((await endless).error?.message, 'enough');
  await agent.close();
});

test('idle kept-alive connections do not keep the process alive', async () => {
  const server = await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
  const script = `
    const { StreamAgent } = require(${JSON.stringify(path.resolve(__dirname, '../../src/loadgen/http1.js'))});
    new StreamAgent({ keepAliveMs: 60000 }).request({ origin: ${JSON.stringify(server.origin)}, path: '/' }, {
      onResponseStart() {}, onResponseData() {},
      onResponseEnd() { console.log('done'); }, onResponseError(e) { console.log(String(e)); },
    });`;
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['-e', script], { timeout: 20_000 }, (error, out) =>
      error ? reject(error) : resolve(out),
    ),
  );
  assert.equal(stdout.trim(), 'done');
});
