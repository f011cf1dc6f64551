// Sends one streaming request to an OpenAI-compatible server and records raw per-chunk timing, as
// vLLM's benchmarks/lib/endpoint_request_func.py does. Aggregates (TTFT, ITL, TPOT) live elsewhere.
import { performance } from 'node:perf_hooks';
import { type Dispatcher, request } from 'undici';

export interface ChatMessage {
  role: string;
  content: string;
}

export interface BaseOptions {
  /** e.g. `http://127.0.0.1:8000` (no trailing `/v1`). */
  baseUrl: string;
  model: string;
  maxTokens: number;
  /** A shared undici Agent/Pool; default: undici's global dispatcher. */
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
  /** Merged last into the JSON body (e.g. `{temperature: 0.7}` or vLLM sampling extensions). */
  extraBody?: Record<string, unknown>;
  /** Sent as `x-request-id`, so server-side records (vLLM logs, the sim's emission log) can be joined. */
  requestId?: string;
}

/** `prompt` for completions, `messages` for chat (a missing one fails the request, not the caller). */
export interface StreamingRequestOptions extends BaseOptions {
  endpoint: 'completions' | 'chat';
  prompt?: string;
  messages?: ChatMessage[];
}

/** The raw facts of one request; TTFT = chunkTimesMs[0], E2EL = last chunk time. */
export interface RequestRecord {
  /** Wall-clock send time, epoch ms with sub-ms precision (performance.timeOrigin + now()). */
  startedAtEpochMs: number;
  /** Arrival of each data chunk with non-empty `choices`, ms since send (performance.now()). */
  chunkTimesMs: number[];
  /** From the final usage chunk; 0 when the server sent none. */
  promptTokens: number;
  /** From the usage chunk; without one, the number of content chunks. */
  completionTokens: number;
  cachedTokens?: number;
  /** 0 when no HTTP response arrived. */
  httpStatus: number;
  ok: boolean;
  error?: string;
}

export const NO_CHUNK_ERROR = 'Never received a valid chunk to calculate TTFT.';

function requestBody(options: StreamingRequestOptions): string {
  const body: Record<string, unknown> = {
    model: options.model,
    stream: true,
    stream_options: { include_usage: true },
    ignore_eos: true,
    temperature: 0,
  };
  if (options.endpoint === 'chat') {
    body.messages = options.messages;
    body.max_completion_tokens = options.maxTokens;
  } else {
    body.prompt = options.prompt;
    body.max_tokens = options.maxTokens;
  }
  return JSON.stringify({ ...body, ...options.extraBody });
}

/** vLLM's error bodies: `{"error":{"message"}}` (≥0.10.2), `{"message"}` (older), `{"detail"}` (FastAPI). */
function errorMessage(status: number, text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown }; message?: unknown; detail?: unknown };
    const message = parsed.error?.message ?? parsed.message ?? parsed.detail;
    if (message !== undefined) return typeof message === 'string' ? message : JSON.stringify(message);
  } catch {
    // Not JSON: keep the raw text below.
  }
  return text.trim() === '' ? `HTTP ${status}` : text.trim();
}

interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
}

interface StreamChunk {
  choices?: unknown[];
  usage?: Usage | null;
  error?: { message?: string };
}

export async function sendStreamingRequest(options: StreamingRequestOptions): Promise<RequestRecord> {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/v1/${options.endpoint === 'chat' ? 'chat/completions' : 'completions'}`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.requestId !== undefined) headers['x-request-id'] = options.requestId;
  const payload = requestBody(options);
  const startMs = performance.now();
  const record: RequestRecord = {
    startedAtEpochMs: performance.timeOrigin + startMs,
    chunkTimesMs: [],
    promptTokens: 0,
    completionTokens: 0,
    httpStatus: 0,
    ok: false,
  };
  let usage: Usage | undefined;
  const missing = options.endpoint === 'chat' ? options.messages === undefined : options.prompt === undefined;
  if (missing) {
    record.error =
      options.endpoint === 'chat' ? 'chat request without messages' : 'completions request without prompt';
    return record;
  }
  try {
    const response = await request(url, {
      method: 'POST',
      headers,
      body: payload,
      dispatcher: options.dispatcher,
      signal: options.signal,
    });
    record.httpStatus = response.statusCode;
    if (response.statusCode !== 200) {
      record.error = errorMessage(response.statusCode, await response.body.text());
      return record;
    }
    response.body.setEncoding('utf8');
    let buffer = '';
    let done = false;
    for await (const piece of response.body as AsyncIterable<string>) {
      const arrivedMs = performance.now() - startMs;
      buffer += piece;
      // Events end at a blank line; one network chunk may hold several events or part of one.
      for (let end = nextEventEnd(buffer); !done && end.at >= 0; end = nextEventEnd(buffer)) {
        const event = buffer.slice(0, end.at);
        buffer = buffer.slice(end.at + end.separatorLength);
        const data = eventData(event);
        if (data === undefined) continue;
        if (data === '[DONE]') {
          done = true;
          break;
        }
        const chunk = JSON.parse(data) as StreamChunk;
        if (chunk.error) throw new Error(chunk.error.message ?? JSON.stringify(chunk.error));
        if (chunk.choices && chunk.choices.length > 0) record.chunkTimesMs.push(arrivedMs);
        if (chunk.usage) usage = chunk.usage;
      }
      if (done) break;
    }
  } catch (error) {
    record.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return record;
  }
  record.promptTokens = usage?.prompt_tokens ?? 0;
  record.completionTokens = usage?.completion_tokens ?? record.chunkTimesMs.length;
  const cached = usage?.prompt_tokens_details?.cached_tokens;
  if (cached !== undefined) record.cachedTokens = cached;
  if (record.chunkTimesMs.length === 0) {
    record.error = NO_CHUNK_ERROR;
    return record;
  }
  record.ok = true;
  return record;
}

/** Where the first complete event ends (\n\n, or \r\n\r\n from CRLF servers); at = -1 if none yet. */
function nextEventEnd(buffer: string): { at: number; separatorLength: number } {
  const lf = buffer.indexOf('\n\n');
  const crlf = buffer.indexOf('\r\n\r\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { at: crlf, separatorLength: 4 };
  return { at: lf, separatorLength: 2 };
}

/** The event's `data:` payload (multi-line data joined by \n); undefined for comments-only events. */
function eventData(event: string): string | undefined {
  let data: string | undefined;
  for (const rawLine of event.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (!line.startsWith('data:')) continue; // comments (`:`), `event:`, `id:` and blank lines
    const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
    data = data === undefined ? value : `${data}\n${value}`;
  }
  return data;
}
