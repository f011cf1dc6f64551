// Checks samples against the server's context length before any request is sent, so a too-long prompt
// fails the experiment at once (naming the sample and the fix) or is skipped on purpose.
import { DatasetInvalid } from '../lib/errors';
import type { Sample } from './load';
import type { OnTooLong } from './schema';

export interface ValidateOptions {
  maxModelLen: number;
  /** The server's tokenizer, or an estimate of it. */
  tokenCount: (text: string) => number;
  onTooLong: OnTooLong;
  /** Chat template tokens per message (role markers); the sim uses 3. Default 0. */
  chatTokensPerMessage?: number;
  /** For messages only. */
  datasetName?: string;
}

export interface SkippedSample {
  id: string;
  promptTokens: number;
  maxTokens: number;
  reason: string;
}

export function promptTokenCount(sample: Sample, options: ValidateOptions): number {
  if (sample.prompt !== undefined) return options.tokenCount(sample.prompt);
  const perMessage = options.chatTokensPerMessage ?? 0;
  return (sample.messages ?? []).reduce((sum, m) => sum + perMessage + options.tokenCount(m.content), 0);
}

/** vLLM rejects a request when prompt tokens + max_tokens > max_model_len; we check the same sum. */
export function validateDataset(
  samples: readonly Sample[],
  options: ValidateOptions,
): { samples: Sample[]; skipped: SkippedSample[] } {
  const label = options.datasetName ? `dataset ${options.datasetName}` : 'dataset';
  const kept: Sample[] = [];
  const skipped: SkippedSample[] = [];
  for (const sample of samples) {
    const promptTokens = promptTokenCount(sample, options);
    if (promptTokens === 0)
      throw new DatasetInvalid(`${label}, sample ${sample.id}: the prompt is empty; remove the sample`);
    const total = promptTokens + sample.maxTokens;
    if (total <= options.maxModelLen) {
      kept.push(sample);
      continue;
    }
    const reason = `prompt ${promptTokens} + max_tokens ${sample.maxTokens} = ${total} tokens > max-model-len ${options.maxModelLen}`;
    if (options.onTooLong === 'skip') {
      skipped.push({ id: sample.id, promptTokens, maxTokens: sample.maxTokens, reason });
      continue;
    }
    throw new DatasetInvalid(
      `${label}, sample ${sample.id}: ${reason}; shorten the prompt or its max_tokens, raise --max-model-len, ` +
        'or set onTooLong: skip to leave such samples out',
    );
  }
  if (kept.length === 0)
    throw new DatasetInvalid(
      `${label}: all ${samples.length} samples exceed max-model-len ${options.maxModelLen}; raise --max-model-len or use shorter samples`,
    );
  return { samples: kept, skipped };
}
