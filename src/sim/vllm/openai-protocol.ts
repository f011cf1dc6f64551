// Request validation and response bodies of vLLM's OpenAI-compatible API (no I/O here).
import type { ChatMessage } from './tokenizer';
import { outputTokenText, tokenizeChat, tokenizeCompletionPrompt } from './tokenizer';

export type Endpoint = 'completions' | 'chat';

export interface GenerationRequest {
  endpoint: Endpoint;
  model: string;
  promptTokens: string[];
  maxTokens: number;
  stream: boolean;
  includeUsage: boolean;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string = 'BadRequestError',
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

/** vLLM ≥ 0.10.2 error body (OpenAI style, nested under "error"). */
export function errorBody(error: ApiError): string {
  return JSON.stringify({
    error: { message: error.message, type: error.type, param: error.param, code: error.status },
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalInt(body: Record<string, unknown>, key: string): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ApiError(400, `${key} must be at least 1, got ${String(value)}.`, 'BadRequestError', key);
  }
  return value;
}

function promptOf(body: Record<string, unknown>): string[] {
  const prompt = body.prompt;
  if (typeof prompt === 'string') return tokenizeCompletionPrompt(prompt);
  if (Array.isArray(prompt) && prompt.every((id) => typeof id === 'number'))
    return tokenizeCompletionPrompt(prompt);
  if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string') {
    return tokenizeCompletionPrompt(prompt[0]);
  }
  throw new ApiError(
    400,
    'prompt must be a string, a list of token ids, or a list with one string',
    'BadRequestError',
    'prompt',
  );
}

function messagesOf(body: Record<string, unknown>): ChatMessage[] {
  const messages = body.messages;
  if (
    !Array.isArray(messages) ||
    messages.length === 0 ||
    !messages.every((m) => isRecord(m) && typeof m.role === 'string')
  ) {
    throw new ApiError(
      400,
      'messages must be a non-empty list of {role, content}',
      'BadRequestError',
      'messages',
    );
  }
  return messages as ChatMessage[];
}

export interface ServingLimits {
  servedModelNames: readonly string[];
  maxModelLen: number;
}

/** Parses and validates a request body the way vLLM's serving_completion/serving_chat do. */
export function parseGenerationRequest(
  endpoint: Endpoint,
  rawBody: string,
  limits: ServingLimits,
): GenerationRequest {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw new ApiError(400, 'Invalid JSON body');
  }
  if (!isRecord(body)) throw new ApiError(400, 'Request body must be a JSON object');
  const model = typeof body.model === 'string' ? body.model : limits.servedModelNames[0];
  if (!limits.servedModelNames.includes(model)) {
    throw new ApiError(404, `The model \`${model}\` does not exist.`, 'NotFoundError', 'model');
  }
  const promptTokens = endpoint === 'chat' ? tokenizeChat(messagesOf(body)) : promptOf(body);
  const requested =
    endpoint === 'chat'
      ? (optionalInt(body, 'max_completion_tokens') ?? optionalInt(body, 'max_tokens'))
      : (optionalInt(body, 'max_tokens') ?? 16);
  const promptLen = promptTokens.length;
  const maxLen = limits.maxModelLen;
  if (requested === undefined && promptLen >= maxLen) {
    throw new ApiError(
      400,
      `This model's maximum context length is ${maxLen} tokens. However, you requested ${promptLen} tokens in the messages, Please reduce the length of the messages.`,
    );
  }
  if (requested !== undefined && promptLen + requested > maxLen) {
    throw new ApiError(
      400,
      `This model's maximum context length is ${maxLen} tokens. However, you requested ${promptLen + requested} tokens (${promptLen} in the messages, ${requested} in the completion). Please reduce the length of the messages or completion.`,
    );
  }
  const streamOptions = isRecord(body.stream_options) ? body.stream_options : {};
  return {
    endpoint,
    model,
    promptTokens,
    // Chat without a limit generates up to the context length, as vLLM does.
    maxTokens: requested ?? maxLen - promptLen,
    stream: body.stream === true,
    includeUsage: streamOptions.include_usage === true,
  };
}

export interface Usage {
  prompt_tokens: number;
  total_tokens: number;
  completion_tokens: number;
  prompt_tokens_details?: { cached_tokens: number } | null;
}

export function usageOf(promptTokens: number, completionTokens: number, cachedTokens?: number): Usage {
  const usage: Usage = {
    prompt_tokens: promptTokens,
    total_tokens: promptTokens + completionTokens,
    completion_tokens: completionTokens,
  };
  if (cachedTokens !== undefined) usage.prompt_tokens_details = { cached_tokens: cachedTokens };
  return usage;
}

/**
 * Pre-rendered SSE chunk builder for one request: only the token text and finish reason change
 * between chunks, so the JSON head is built once (the sim must out-run the clients it tests).
 */
export class ChunkWriter {
  private readonly head: string;

  constructor(
    private readonly endpoint: Endpoint,
    readonly responseId: string,
    model: string,
    created: number,
  ) {
    const object = endpoint === 'chat' ? 'chat.completion.chunk' : 'text_completion';
    this.head = `{"id":${JSON.stringify(responseId)},"object":"${object}","created":${created},"model":${JSON.stringify(model)},`;
  }

  /** The chat stream's first chunk: role only, sent together with the first token. */
  roleChunk(): string {
    return `data: ${this.head}"choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}\n\n`;
  }

  tokenChunk(index: number, last: boolean): string {
    const text = JSON.stringify(outputTokenText(index));
    const finish = last ? '"length"' : 'null';
    const choice =
      this.endpoint === 'chat'
        ? `{"index":0,"delta":{"content":${text}},"logprobs":null,"finish_reason":${finish}}`
        : `{"index":0,"text":${text},"logprobs":null,"finish_reason":${finish},"stop_reason":null}`;
    return `data: ${this.head}"choices":[${choice}]}\n\n`;
  }

  usageChunk(usage: Usage): string {
    return `data: ${this.head}"choices":[],"usage":${JSON.stringify(usage)}}\n\n`;
  }
}

export const DONE_EVENT = 'data: [DONE]\n\n';

export function fullResponse(
  endpoint: Endpoint,
  responseId: string,
  model: string,
  created: number,
  completionTokens: number,
  usage: Usage,
): string {
  let text = '';
  for (let i = 0; i < completionTokens; i++) text += outputTokenText(i);
  const choice =
    endpoint === 'chat'
      ? {
          index: 0,
          message: { role: 'assistant', content: text, tool_calls: [] },
          logprobs: null,
          finish_reason: 'length',
          stop_reason: null,
        }
      : { index: 0, text, logprobs: null, finish_reason: 'length', stop_reason: null, prompt_logprobs: null };
  const object = endpoint === 'chat' ? 'chat.completion' : 'text_completion';
  return JSON.stringify({ id: responseId, object, created, model, choices: [choice], usage });
}
