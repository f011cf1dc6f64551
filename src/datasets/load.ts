// Read a dataset file into samples, or fail with an error that names the file, the sample and the fix.
import { readFileSync } from 'node:fs';
import { DatasetInvalid } from '../lib/errors';
import { randomSamples } from './random';
import type { SyntheticRandomSpec } from './schema';
import { shareGptSamples } from './sharegpt';

export interface ChatMessage {
  role: string;
  content: string;
}

export interface Sample {
  id: string;
  prompt?: string;
  messages?: ChatMessage[];
  maxTokens: number;
}

/** What loadDataset needs: the spec schema's dataset entry (old or new form) fits it. */
export type LoadableDatasetSpec =
  | { path: string; format: 'json' | 'jsonl' | 'sharegpt'; maxTokens: number }
  | { synthetic: SyntheticRandomSpec };

/**
 * Load a JSON array or JSONL file of `{id?, prompt | messages, max_tokens? | output_len?}` objects, a
 * ShareGPT JSON file, or generate a synthetic random set.
 */
export function loadDataset(name: string, spec: LoadableDatasetSpec): Sample[] {
  if ('synthetic' in spec) return randomSamples(name, spec.synthetic);
  let text: string;
  try {
    text = readFileSync(spec.path, 'utf8');
  } catch (err) {
    throw new DatasetInvalid(`dataset ${name}: cannot read ${spec.path}: ${(err as Error).message}`);
  }
  const rows = spec.format === 'jsonl' ? parseJsonl(name, text) : parseJsonArray(name, text);
  if (rows.length === 0) throw new DatasetInvalid(`dataset ${name} (${spec.path}) has no samples`);
  if (spec.format === 'sharegpt') return shareGptSamples(name, rows, spec.maxTokens);
  return rows.map((row, i) => toSample(name, row, i, spec.maxTokens));
}

function parseJsonArray(name: string, text: string): unknown[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new DatasetInvalid(
      `dataset ${name}: not valid JSON (${(err as Error).message}); use format: jsonl for one object per line`,
    );
  }
  if (!Array.isArray(data)) throw new DatasetInvalid(`dataset ${name}: expected a JSON array of samples`);
  return data;
}

function parseJsonl(name: string, text: string): unknown[] {
  return text
    .split('\n')
    .map((line, i) => ({ line: line.trim(), i }))
    .filter(({ line }) => line !== '')
    .map(({ line, i }) => {
      try {
        return JSON.parse(line) as unknown;
      } catch (err) {
        throw new DatasetInvalid(
          `dataset ${name}: line ${i + 1} is not valid JSON (${(err as Error).message})`,
        );
      }
    });
}

function toSample(name: string, row: unknown, index: number, defaultMaxTokens: number): Sample {
  const where = `dataset ${name}, sample ${index + 1}`;
  if (!row || typeof row !== 'object') throw new DatasetInvalid(`${where}: expected an object`);
  const r = row as Record<string, unknown>;
  const id = typeof r.id === 'string' || typeof r.id === 'number' ? String(r.id) : `${name}_${index + 1}`;
  const maxTokens = r.max_tokens ?? r.output_len ?? defaultMaxTokens;
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) {
    throw new DatasetInvalid(`${where}: max_tokens must be a positive integer`);
  }
  if (typeof r.prompt === 'string' && r.prompt.length > 0) return { id, prompt: r.prompt, maxTokens };
  if (Array.isArray(r.messages) && r.messages.every(isMessage))
    return { id, messages: r.messages, maxTokens };
  throw new DatasetInvalid(
    `${where}: needs a non-empty \`prompt\` string or a \`messages\` list of {role, content}`,
  );
}

function isMessage(m: unknown): m is ChatMessage {
  return (
    !!m &&
    typeof m === 'object' &&
    typeof (m as ChatMessage).role === 'string' &&
    typeof (m as ChatMessage).content === 'string'
  );
}
