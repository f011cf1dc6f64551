// Bench child: an OpenAI-style completions endpoint that streams a pre-rendered response of N token
// chunks (+ usage + [DONE]) as fast as the socket takes it, so the client is the bottleneck.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChunkWriter, DONE_EVENT, usageOf } from '../../src/sim/vllm/openai-protocol';

const tokens = Number(process.argv[2] ?? 128);
// Several events per write, as a busy server's socket would coalesce them; one write per event would
// make this server, not the client, the bottleneck on a 2-core machine.
const EVENTS_PER_WRITE = 8;
const writer = new ChunkWriter('completions', 'cmpl-bench', 'bench/model', 1_700_000_000);
const events = Array.from({ length: tokens }, (_, i) => writer.tokenChunk(i, i === tokens - 1));
events.push(writer.usageChunk(usageOf(8, tokens)), DONE_EVENT);
const pieces: Buffer[] = [];
for (let i = 0; i < events.length; i += EVENTS_PER_WRITE)
  pieces.push(Buffer.from(events.slice(i, i + EVENTS_PER_WRITE).join('')));

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    for (let i = 0; i < pieces.length - 1; i++) res.write(pieces[i]);
    res.end(pieces[pieces.length - 1]);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send?.({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
});
process.on('disconnect', () => process.exit(0));
