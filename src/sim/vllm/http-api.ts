// The HTTP layer: routes of vLLM's API server over node:http, feeding the engine driver.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import type { EngineDriver } from './driver';
import type { ServeConfig } from './flags';
import { renderMetrics } from './metrics-text';
import {
  ApiError,
  ChunkWriter,
  DONE_EVENT,
  type Endpoint,
  errorBody,
  fullResponse,
  type GenerationRequest,
  parseGenerationRequest,
  usageOf,
} from './openai-protocol';
import { VLLM_VERSION } from './startup-script';

/** Wall-clock times (epoch ms, sub-ms precision) of every SSE chunk with non-empty choices. */
export interface EmissionRecord {
  requestId: string;
  endpoint: Endpoint;
  /** Right before the write syscall that sends the chunk. */
  emittedAtEpochMs: number[];
  /**
   * Right after that syscall returned: over loopback the kernel has queued the bytes on the peer's socket
   * by then (and over a network they have left this host), so this is when a client could first read them.
   */
  deliveredAtEpochMs: number[];
}

export interface ApiContext {
  config: ServeConfig;
  maxModelLen: number;
  driver: EngineDriver;
  /** VLLM_SERVER_DEV_MODE=1 enables /reset_prefix_cache. */
  devMode: boolean;
  onEmission?: (record: EmissionRecord) => void;
  /** uvicorn-style access log line (without prefix). */
  accessLog: (message: string) => void;
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
};

function epochMsNow(): number {
  return performance.timeOrigin + performance.now();
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const sendJson = (res: ServerResponse, status: number, body: string) =>
  send(res, status, 'application/json', body);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function modelsBody(ctx: ApiContext): string {
  const created = Math.floor(Date.now() / 1000);
  const data = ctx.config.servedModelNames.map((id) => ({
    id,
    object: 'model',
    created,
    owned_by: 'vllm',
    root: ctx.config.model,
    parent: null,
    max_model_len: ctx.maxModelLen,
    permission: [
      {
        id: `modelperm-${randomBytes(16).toString('hex')}`,
        object: 'model_permission',
        created,
        allow_create_engine: false,
        allow_sampling: true,
        allow_logprobs: true,
        allow_search_indices: false,
        allow_view: true,
        allow_fine_tuning: false,
        organization: '*',
        group: null,
        is_blocking: false,
      },
    ],
  }));
  return JSON.stringify({ object: 'list', data });
}

let requestCounter = 0;

function startGeneration(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  request: GenerationRequest,
): void {
  const headerId = req.headers['x-request-id'];
  const requestId =
    typeof headerId === 'string' && headerId !== '' ? headerId : randomBytes(16).toString('hex');
  // Engine ids stay unique even if a client reuses an x-request-id.
  const engineId = `${requestId}#${++requestCounter}`;
  const responseId = `${request.endpoint === 'chat' ? 'chatcmpl' : 'cmpl'}-${requestId}`;
  const created = Math.floor(Date.now() / 1000);
  const writer = new ChunkWriter(request.endpoint, responseId, request.model, created);
  const emitted: number[] = [];
  const delivered: number[] = [];
  const promptTokens = request.promptTokens.length;
  const cachedTokensAtEnd = () => {
    if (!ctx.config.enablePromptTokensDetails) return undefined;
    return ctx.driver.scheduler.view(engineId)?.cachedTokens ?? 0;
  };
  let finished = false;
  res.on('close', () => {
    if (!finished) ctx.driver.abort(engineId);
  });
  if (request.stream) {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    ctx.accessLog(
      `${req.socket.remoteAddress}:${req.socket.remotePort} - "${req.method} ${req.url} HTTP/1.1" 200 OK`,
    );
  }
  ctx.driver.submit(
    { id: engineId, promptTokens: request.promptTokens, maxTokens: request.maxTokens },
    {
      onToken: (event) => {
        if (!request.stream) {
          if (!event.last) return;
          finished = true;
          const usage = usageOf(promptTokens, request.maxTokens, cachedTokensAtEnd());
          sendJson(
            res,
            200,
            fullResponse(request.endpoint, responseId, request.model, created, request.maxTokens, usage),
          );
          ctx.accessLog(
            `${req.socket.remoteAddress}:${req.socket.remotePort} - "${req.method} ${req.url} HTTP/1.1" 200 OK`,
          );
          return;
        }
        // Each token goes to the socket now, not at the end of the tick (res.write alone corks the socket
        // until nextTick, so a step's chunks would all leave after the last one was rendered). The times
        // recorded are taken after rendering, right before and right after the write syscall.
        const socket = res.socket;
        socket?.cork();
        const roleChunk = event.index === 0 && request.endpoint === 'chat';
        if (roleChunk) res.write(writer.roleChunk());
        res.write(writer.tokenChunk(event.index, event.last));
        /** Sends what is corked (`flush`), noting the times for each chunk it carries. */
        const timed = (flush: () => void) => {
          const at = epochMsNow();
          flush();
          const done = epochMsNow();
          for (let n = roleChunk ? 2 : 1; n > 0; n--) {
            emitted.push(at);
            delivered.push(done);
          }
        };
        if (!event.last) {
          timed(() => socket?.uncork());
          return;
        }
        finished = true;
        if (request.includeUsage)
          res.write(writer.usageChunk(usageOf(promptTokens, request.maxTokens, cachedTokensAtEnd())));
        // end() uncorks fully and writes the last token, usage and [DONE] in one go.
        timed(() => res.end(DONE_EVENT));
        ctx.onEmission?.({
          requestId,
          endpoint: request.endpoint,
          emittedAtEpochMs: emitted,
          deliveredAtEpochMs: delivered,
        });
      },
    },
  );
}

async function handleGeneration(
  ctx: ApiContext,
  endpoint: Endpoint,
  req: IncomingMessage,
  res: ServerResponse,
) {
  const body = await readBody(req);
  let request: GenerationRequest;
  try {
    request = parseGenerationRequest(endpoint, body, {
      servedModelNames: ctx.config.servedModelNames,
      maxModelLen: ctx.maxModelLen,
    });
  } catch (error) {
    const apiError = error instanceof ApiError ? error : new ApiError(400, String(error));
    sendJson(res, apiError.status, errorBody(apiError));
    ctx.accessLog(
      `${req.socket.remoteAddress}:${req.socket.remotePort} - "${req.method} ${req.url} HTTP/1.1" ${apiError.status} ${STATUS_TEXT[apiError.status] ?? ''}`,
    );
    return;
  }
  startGeneration(ctx, req, res, request);
}

type Route = (ctx: ApiContext, req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

const ROUTES: Record<string, Record<string, Route>> = {
  '/health': { GET: (_ctx, _req, res) => send(res, 200, 'application/json', '') },
  '/ping': { GET: (_ctx, _req, res) => send(res, 200, 'application/json', '') },
  '/version': { GET: (_ctx, _req, res) => sendJson(res, 200, JSON.stringify({ version: VLLM_VERSION })) },
  '/v1/models': { GET: (ctx, _req, res) => sendJson(res, 200, modelsBody(ctx)) },
  '/metrics': {
    GET: (ctx, _req, res) =>
      send(
        res,
        200,
        'text/plain; version=0.0.4; charset=utf-8',
        renderMetrics(ctx.driver.scheduler, ctx.config.servedModelNames[0]),
      ),
  },
  '/v1/completions': { POST: (ctx, req, res) => handleGeneration(ctx, 'completions', req, res) },
  '/v1/chat/completions': { POST: (ctx, req, res) => handleGeneration(ctx, 'chat', req, res) },
  '/reset_prefix_cache': {
    POST: (ctx, _req, res) => {
      if (!ctx.devMode) return sendJson(res, 404, '{"detail":"Not Found"}');
      ctx.driver.scheduler.resetPrefixCache();
      send(res, 200, 'application/json', '');
    },
  },
};

export function createApiHandler(ctx: ApiContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const methods = ROUTES[path];
    const route = methods?.[req.method ?? 'GET'];
    const isGeneration = path === '/v1/completions' || path === '/v1/chat/completions';
    if (!methods) sendJson(res, 404, '{"detail":"Not Found"}');
    else if (!route) sendJson(res, 405, '{"detail":"Method Not Allowed"}');
    else {
      Promise.resolve(route(ctx, req, res)).catch((error: unknown) => {
        if (!res.headersSent)
          sendJson(res, 500, errorBody(new ApiError(500, String(error), 'InternalServerError')));
      });
    }
    // Generation requests log when their response starts; everything else logs here.
    if (!isGeneration || !route) {
      ctx.accessLog(
        `${req.socket.remoteAddress}:${req.socket.remotePort} - "${req.method} ${req.url} HTTP/1.1" ${res.statusCode} ${STATUS_TEXT[res.statusCode] ?? ''}`,
      );
    }
  };
}
