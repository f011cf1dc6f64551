#!/usr/bin/python3
"""Streams completions the way `vllm bench serve` does (vllm/benchmarks/lib/endpoint_request_func.py):
aiohttp, per-chunk SSE split and json.loads, perf_counter time stamps. Prints one JSON line.

usage: aiohttp_client.py URL CONCURRENCY REQUESTS MAX_TOKENS
"""
import asyncio
import json
import sys
import time

import aiohttp


class StreamedResponseHandler:
    def __init__(self):
        self.buffer = ""

    def add_chunk(self, chunk_bytes):
        self.buffer += chunk_bytes.decode("utf-8")
        messages = []
        while "\n\n" in self.buffer:
            message, self.buffer = self.buffer.split("\n\n", 1)
            message = message.strip()
            if message:
                messages.append(message)
        # vLLM: the caller strips each network chunk, so a complete last event has no "\n\n" left.
        if self.buffer.startswith("data: "):
            content = self.buffer.removeprefix("data: ").strip()
            if content == "[DONE]":
                messages.append(self.buffer.strip())
                self.buffer = ""
            elif content:
                try:
                    json.loads(content)
                    messages.append(self.buffer.strip())
                    self.buffer = ""
                except json.JSONDecodeError:
                    pass
        return messages


async def one_request(session, url, payload):
    st = time.perf_counter()
    last = st
    ttft = 0.0
    itl = []
    output_tokens = 0
    async with session.post(url=url, json=payload) as response:
        if response.status != 200:
            return False, 0
        handler = StreamedResponseHandler()
        first = False
        async for chunk_bytes in response.content.iter_any():
            chunk_bytes = chunk_bytes.strip()
            if not chunk_bytes:
                continue
            for message in handler.add_chunk(chunk_bytes):
                if message.startswith(":"):
                    continue
                chunk = message.removeprefix("data: ")
                if chunk == "[DONE]":
                    continue
                data = json.loads(chunk)
                if data.get("choices"):
                    ts = time.perf_counter()
                    if not first:
                        first = True
                        ttft = ts - st
                    else:
                        itl.append(ts - last)
                    last = ts
                elif usage := data.get("usage"):
                    output_tokens = usage.get("completion_tokens")
    return first, output_tokens


async def main():
    url, concurrency, requests, max_tokens = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    payload = {"model": "bench/model", "prompt": "hello", "max_tokens": max_tokens, "stream": True,
               "stream_options": {"include_usage": True}, "ignore_eos": True}
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency, keepalive_timeout=60)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=600)) as session:
        semaphore = asyncio.Semaphore(concurrency)

        async def limited():
            async with semaphore:
                return await one_request(session, url + "/v1/completions", payload)

        cpu0, wall0 = time.process_time(), time.perf_counter()
        results = await asyncio.gather(*[limited() for _ in range(requests)])
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    ok = sum(1 for r in results if r[0])
    tokens = sum(r[1] for r in results)
    print(json.dumps({"requests": requests, "ok": ok, "tokens": tokens, "wallSec": wall, "cpuSec": cpu}))


asyncio.run(main())
