// Posts a JSON payload to a chat webhook, bounded in time, failing with what the server said.
import { request } from 'undici';
import { VsweepError } from '../lib/errors';

/** The webhook refused the message or could not be reached; a later retry may succeed. */
export class WebhookFailed extends VsweepError {
  readonly code = 'VSWEEP_WEBHOOK_FAILED';
  readonly retryable = true;
}

export interface WebhookOptions {
  /** Whole request, connect to last byte. */
  timeoutMs?: number;
}

export async function postWebhook(
  url: string,
  payload: unknown,
  options: WebhookOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  // The URL carries the webhook's secret token: name only its host in errors and logs.
  const host = safeHost(url);
  let response;
  try {
    response = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(timeoutMs),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  } catch (err) {
    const why =
      err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : String(err);
    throw new WebhookFailed(
      `webhook at ${host} could not be reached: ${why}; check the URL and the network`,
      { host },
      { cause: err },
    );
  }
  const body = await response.body.text();
  if (response.statusCode < 200 || response.statusCode >= 300) {
    throw new WebhookFailed(
      `webhook at ${host} answered HTTP ${response.statusCode}: ${body.slice(0, 200)}; check the URL and the payload`,
      { host },
    );
  }
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid URL)';
  }
}
