// Sends one streaming request to an OpenAI-compatible server and records raw per-chunk timing, as
// vLLM's benchmarks/lib/endpoint_request_func.py does. Aggregates (TTFT, ITL, TPOT) live elsewhere.
// Hot path: the load generator's own HTTP/1.1 client (./http1), so a chunk is time-stamped in the
// callback that read it from the socket, and token chunks are recognized without JSON.parse.
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import { StreamAgent, type StreamResponseHandler } from './http1';

export interface ChatMessage {
  role: string;
  content: string;
}

export interface BaseOptions {
  /** e.g. `http://127.0.0.1:8000` (no trailing `/v1`). */
  baseUrl: string;
  model: string;
  maxTokens: number;
  /** Keep-alive connections shared by a run's requests; default: one agent per process. */
  agent?: StreamAgent;
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
  /**
   * Wall-clock send time, epoch ms with sub-ms precision (performance.timeOrigin + now()), taken right
   * before the request was written to its connection.
   */
  startedAtEpochMs: number;
  /**
   * Arrival of each data chunk with non-empty `choices`, ms since send (when the event loop woke up to
   * the read that brought it; see `readStamp` in ./reads-first).
   */
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

let sharedAgent: StreamAgent | undefined;
const defaultAgent = () => (sharedAgent ??= new StreamAgent());

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

/** The endpoint's origin and path, parsed once per base URL (a run sends thousands of requests). */
const targets = new Map<string, { origin: string; path: string }>();

function targetOf(baseUrl: string, endpoint: StreamingRequestOptions['endpoint']) {
  const key = `${endpoint} ${baseUrl}`;
  let target = targets.get(key);
  if (!target) {
    const url = new URL(
      `${baseUrl.replace(/\/+$/, '')}/v1/${endpoint === 'chat' ? 'chat/completions' : 'completions'}`,
    );
    target = { origin: url.origin, path: url.pathname };
    if (targets.size > 64) targets.clear();
    targets.set(key, target);
  }
  return target;
}

export async function sendStreamingRequest(options: StreamingRequestOptions): Promise<RequestRecord> {
  const target = targetOf(options.baseUrl, options.endpoint);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.requestId !== undefined) headers['x-request-id'] = options.requestId;
  const payload = requestBody(options);
  // Until the request is written (the agent may hold it while responses stream in; see http1.ts).
  const startMs = performance.now();
  const record: RequestRecord = {
    startedAtEpochMs: performance.timeOrigin + startMs,
    chunkTimesMs: [],
    promptTokens: 0,
    completionTokens: 0,
    httpStatus: 0,
    ok: false,
  };
  const missing = options.endpoint === 'chat' ? options.messages === undefined : options.prompt === undefined;
  if (missing) {
    record.error =
      options.endpoint === 'chat' ? 'chat request without messages' : 'completions request without prompt';
    return record;
  }
  const parser = new SseParser(startMs, record);
  await new Promise<void>((resolve) => {
    let errorBody: Buffer[] | undefined;
    let abort: ((reason: Error) => void) | undefined;
    const handler: StreamResponseHandler = {
      onRequestSent(atMs) {
        parser.startMs = atMs;
        record.startedAtEpochMs = performance.timeOrigin + atMs;
      },
      onResponseStart(statusCode) {
        record.httpStatus = statusCode;
        if (statusCode !== 200) errorBody = [];
      },
      onResponseData(chunk, arrivedAtMs) {
        if (errorBody) {
          errorBody.push(chunk);
          return;
        }
        const failure = parser.push(chunk, arrivedAtMs);
        if (failure !== undefined) {
          record.error = `Error: ${failure}`;
          abort?.(new Error(failure));
        }
      },
      onResponseEnd() {
        if (errorBody)
          record.error = errorMessage(record.httpStatus, Buffer.concat(errorBody).toString('utf8'));
        resolve();
      },
      onResponseError(error) {
        if (record.error === undefined) record.error = `${error.name}: ${error.message}`;
        resolve();
      },
    };
    try {
      abort = (options.agent ?? defaultAgent()).request(
        {
          origin: target.origin,
          path: target.path,
          method: 'POST',
          headers,
          body: payload,
          signal: options.signal,
        },
        handler,
      );
    } catch (error) {
      handler.onResponseError(error instanceof Error ? error : new Error(String(error)));
    }
  });
  if (record.error !== undefined) return record;
  const usage = parser.usage;
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

// A token chunk always has a non-empty choices array; with unescaped quotes this text cannot occur
// inside a JSON string value, so finding it is as good as parsing (other chunks are parsed in full).
const CHOICE_MARKER = '"choices":[{';
const USAGE_MARKER = '"usage":{';

/** Incremental SSE reader over one response: events end at a blank line (LF, CRLF or CR line ends). */
class SseParser {
  usage: Usage | undefined;
  /** Created on the first chunk that ends inside a multi-byte character (costs µs per request otherwise). */
  private decoder: StringDecoder | undefined;
  private buffer = '';
  private done = false;
  private crlf = false;
  private pendingCR = false;
  /** Nothing buffered (text, UTF-8 bytes, CR) and LF line ends so far: the byte fast path applies. */
  private clean = true;

  constructor(
    /** The request's send time (performance.now() ms); chunk times are relative to it. */
    public startMs: number,
    private readonly record: RequestRecord,
  ) {}

  /** Consumes one network chunk that arrived at `nowMs`; returns an in-stream error message, if any. */
  push(chunk: Buffer, nowMs: number): string | undefined {
    if (this.done) return undefined;
    // Fast path, on the bytes: a token chunk that is exactly one `data: {...}\n\n` event, with nothing
    // carried over (servers write one event per chunk; this is nearly every chunk of a stream).
    if (this.clean && isPlainTokenEvent(chunk)) {
      this.record.chunkTimesMs.push(nowMs - this.startMs);
      return undefined;
    }
    // No partial UTF-8 sequence stays in the decoder when the chunk ends in an ASCII byte.
    this.clean = chunk.length > 0 && chunk[chunk.length - 1] < 0x80;
    let text: string;
    if (this.decoder) text = this.decoder.write(chunk);
    else if (chunk.length > 0 && chunk[chunk.length - 1] >= 0x80) {
      this.decoder = new StringDecoder('utf8');
      text = this.decoder.write(chunk);
    } else text = chunk.toString('utf8');
    if (this.crlf || text.includes('\r')) text = this.normalize(text);
    this.buffer = this.buffer === '' ? text : this.buffer + text;
    const arrivedMs = nowMs - this.startMs;
    let from = 0;
    for (let end = this.buffer.indexOf('\n\n'); end >= 0; end = this.buffer.indexOf('\n\n', from)) {
      const event = this.buffer.slice(from, end);
      from = end + 2;
      const failure = this.onEvent(event, arrivedMs);
      if (failure !== undefined || this.done) {
        this.buffer = '';
        return failure;
      }
    }
    this.buffer = from === 0 ? this.buffer : this.buffer.slice(from);
    if (this.buffer !== '' || this.pendingCR) this.clean = false;
    return undefined;
  }

  private normalize(text: string): string {
    this.crlf = true;
    if (this.pendingCR) text = `\r${text}`;
    // A CR at the end may be the first half of a CRLF split across network chunks.
    this.pendingCR = text.endsWith('\r');
    if (this.pendingCR) text = text.slice(0, -1);
    return text.replace(/\r\n?/g, '\n');
  }

  private onEvent(event: string, arrivedMs: number): string | undefined {
    // Common case: one `data: ` line; otherwise the general SSE rules.
    const data = event.startsWith('data: ') && !event.includes('\n') ? event.slice(6) : eventData(event);
    if (data === undefined) return undefined;
    if (data === '[DONE]') {
      this.done = true;
      return undefined;
    }
    if (data.includes(CHOICE_MARKER)) {
      this.record.chunkTimesMs.push(arrivedMs);
      // continuous_usage_stats puts usage on every chunk; the last one wins as in the slow path.
      if (data.includes(USAGE_MARKER)) this.usage = (JSON.parse(data) as StreamChunk).usage ?? this.usage;
      return undefined;
    }
    let chunk: StreamChunk;
    try {
      chunk = JSON.parse(data) as StreamChunk;
    } catch (error) {
      return `invalid JSON in stream: ${(error as Error).message}`;
    }
    if (chunk.error) return chunk.error.message ?? JSON.stringify(chunk.error);
    if (chunk.choices && chunk.choices.length > 0) this.record.chunkTimesMs.push(arrivedMs);
    if (chunk.usage) this.usage = chunk.usage;
    return undefined;
  }
}

const DATA_PREFIX = Buffer.from('data: ');
const CHOICE_MARKER_BYTES = Buffer.from(CHOICE_MARKER);
const USAGE_MARKER_BYTES = Buffer.from(USAGE_MARKER);
const LF = 10;
const CR = 13;

/** `data: …\n\n` with one line, no CR, a non-empty choices array and no usage: counted, nothing else to do. */
function isPlainTokenEvent(chunk: Buffer): boolean {
  const n = chunk.length;
  return (
    n > DATA_PREFIX.length + 2 &&
    chunk[n - 1] === LF &&
    chunk[n - 2] === LF &&
    chunk.indexOf(LF) === n - 2 &&
    chunk.indexOf(CR) === -1 &&
    chunk.compare(DATA_PREFIX, 0, DATA_PREFIX.length, 0, DATA_PREFIX.length) === 0 &&
    chunk.indexOf(CHOICE_MARKER_BYTES) >= 0 &&
    chunk.indexOf(USAGE_MARKER_BYTES) < 0
  );
}

/** The event's `data:` payload (multi-line data joined by \n); undefined for comments-only events. */
function eventData(event: string): string | undefined {
  let data: string | undefined;
  for (const line of event.split('\n')) {
    if (!line.startsWith('data:')) continue; // comments (`:`), `event:`, `id:` and blank lines
    const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
    data = data === undefined ? value : `${data}\n${value}`;
  }
  return data;
}
