// Client throughput: how many streamed tokens/s can each client take from a server that never waits?
// (a) our runner + stream client, (b) wrk (raw HTTP ceiling, no SSE parsing), (c) an aiohttp client that
// parses like `vllm bench serve`. The server is a child process; every client sees the same requests.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createAgent, runLoad } from '../src/loadgen/runner';
import { sendStreamingRequest } from '../src/loadgen/stream-client';
import { forkChild } from './lib/child';

const TOKENS_PER_REQUEST = 128;
const CONCURRENCIES = [64, 256, 1024];
const requestsFor = (concurrency: number) => Math.max(4096, concurrency * 4);
const REPO = path.resolve(__dirname, '..', '..');
const WRK_THREADS = 2;

interface Measurement {
  client: 'vsweep' | 'wrk' | 'aiohttp';
  concurrency: number;
  requests: number;
  ok: number;
  wallSec: number;
  cpuSec: number;
  tokensPerSec: number;
  requestsPerSec: number;
  cpuMsPer1kTokens: number;
}

function measurement(
  client: Measurement['client'],
  concurrency: number,
  requests: number,
  ok: number,
  tokens: number,
  wallSec: number,
  cpuSec: number,
): Measurement {
  return {
    client,
    concurrency,
    requests,
    ok,
    wallSec,
    cpuSec,
    tokensPerSec: tokens / wallSec,
    requestsPerSec: ok / wallSec,
    cpuMsPer1kTokens: tokens > 0 ? (cpuSec * 1000 * 1000) / tokens : NaN,
  };
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(file, args, { maxBuffer: 16 * 1024 * 1024, timeout: 120_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${file} failed: ${error.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
}

async function ours(url: string, concurrency: number, requests: number): Promise<Measurement> {
  const agent = createAgent(concurrency);
  try {
    const cpu0 = process.cpuUsage();
    const result = await runLoad({
      samples: [{ id: 'p', prompt: 'hello', maxTokens: TOKENS_PER_REQUEST }],
      mode: { kind: 'concurrency', concurrency },
      numPrompts: requests,
      warmupRequests: 0,
      send: (sample) =>
        sendStreamingRequest({
          baseUrl: url,
          endpoint: 'completions',
          model: 'bench/model',
          prompt: sample.prompt,
          maxTokens: sample.maxTokens,
          agent,
        }),
    });
    const cpu = process.cpuUsage(cpu0);
    const ok = result.records.filter((r) => r.ok);
    const tokens = ok.reduce((a, r) => a + r.chunkTimesMs.length, 0);
    return measurement(
      'vsweep',
      concurrency,
      requests,
      ok.length,
      tokens,
      result.durationSec,
      (cpu.user + cpu.system) / 1e6,
    );
  } finally {
    await agent.close();
  }
}

// wrk sends the same POST. It runs for a fixed time, not a request count (a thread that stops early
// still waits out -d), so its request count differs; rates are comparable. `times` prints the CPU time
// of the shell's children (wrk) on its last line.
const WRK_DURATION_SEC = 3;
const WRK_SCRIPT = `
wrk.method = "POST"
wrk.body = '{"model":"bench/model","prompt":"hello","max_tokens":${TOKENS_PER_REQUEST},"stream":true,"stream_options":{"include_usage":true}}'
wrk.headers["Content-Type"] = "application/json"
`;

function seconds(text: string): number {
  const m = /(\d+)m([\d.]+)s/.exec(text);
  return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
}

async function wrk(url: string, concurrency: number, scriptPath: string): Promise<Measurement> {
  const out = await run('/bin/bash', [
    '-c',
    `wrk -t${WRK_THREADS} -c${concurrency} -d${WRK_DURATION_SEC}s -s ${scriptPath} ${url}/v1/completions; times`,
  ]);
  const done = /(\d+) requests in ([\d.]+)(ms|s|m)/.exec(out);
  if (!done) throw new Error(`cannot read wrk output:\n${out}`);
  const count = Number(done[1]);
  const wallSec = Number(done[2]) * (done[3] === 'ms' ? 0.001 : done[3] === 'm' ? 60 : 1);
  const times = out.trim().split('\n').slice(-1)[0].split(/\s+/);
  const cpuSec = seconds(times[0]) + seconds(times[1]);
  return measurement('wrk', concurrency, count, count, count * TOKENS_PER_REQUEST, wallSec, cpuSec);
}

async function aiohttp(url: string, concurrency: number, requests: number): Promise<Measurement> {
  const out = await run('/usr/bin/python3', [
    path.join(REPO, 'bench', 'aiohttp_client.py'),
    url,
    String(concurrency),
    String(requests),
    String(TOKENS_PER_REQUEST),
  ]);
  const r = JSON.parse(out.trim().split('\n').slice(-1)[0]) as {
    ok: number;
    tokens: number;
    wallSec: number;
    cpuSec: number;
  };
  return measurement('aiohttp', concurrency, requests, r.ok, r.tokens, r.wallSec, r.cpuSec);
}

async function main() {
  const started = Date.now();
  const scriptPath = path.join(tmpdir(), `vsweep-wrk-${process.pid}.lua`);
  writeFileSync(scriptPath, WRK_SCRIPT);
  const server = await forkChild<{ url: string }>(path.join(__dirname, 'lib', 'sse-child.js'), [
    String(TOKENS_PER_REQUEST),
  ]);
  const rows: Measurement[] = [];
  try {
    const url = server.ready.url;
    await ours(url, 16, 256); // JIT and connection warmup, not reported
    for (const concurrency of CONCURRENCIES) {
      const requests = requestsFor(concurrency);
      rows.push(await ours(url, concurrency, requests));
      rows.push(await wrk(url, concurrency, scriptPath));
      rows.push(await aiohttp(url, concurrency, requests));
    }
  } finally {
    await server.kill();
  }
  console.log(`Client throughput against an instant SSE server (${TOKENS_PER_REQUEST} tokens/request)`);
  console.log('client   streams  requests  ok      wall s   tokens/s     req/s    CPU ms/1k tokens');
  for (const r of rows)
    console.log(
      `${r.client.padEnd(8)} ${String(r.concurrency).padStart(7)}  ${String(r.requests).padStart(8)}  ${String(r.ok).padStart(6)} ${r.wallSec.toFixed(2).padStart(7)}  ${r.tokensPerSec.toFixed(0).padStart(9)}  ${r.requestsPerSec.toFixed(0).padStart(8)}  ${r.cpuMsPer1kTokens.toFixed(3).padStart(10)}`,
    );
  const at = (client: Measurement['client']) =>
    rows.find((r) => r.client === client && r.concurrency === 256);
  const mine = at('vsweep');
  console.log(
    JSON.stringify({
      bench: 'loadgen',
      tokensPerRequest: TOKENS_PER_REQUEST,
      ratioVsAiohttp: mine && at('aiohttp') ? mine.tokensPerSec / (at('aiohttp')?.tokensPerSec ?? NaN) : null,
      ratioVsWrk: mine && at('wrk') ? mine.tokensPerSec / (at('wrk')?.tokensPerSec ?? NaN) : null,
      // Client CPU per token, aiohttp over ours: independent of how fast the one-core server can go.
      cpuRatioVsAiohttp:
        mine && at('aiohttp') ? (at('aiohttp')?.cpuMsPer1kTokens ?? NaN) / mine.cpuMsPer1kTokens : null,
      wallSec: (Date.now() - started) / 1000,
      rows,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
