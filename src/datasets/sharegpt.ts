// ShareGPT conversations (`[{conversations: [{from: human|gpt, value}]}]`) to samples: the first human
// turn is the prompt; the reply's word count sets the output length, as vLLM's sharegpt loader does.
import { DatasetInvalid } from '../lib/errors';
import type { Sample } from './load';

interface Turn {
  from?: unknown;
  value?: unknown;
}

const HUMAN = new Set(['human', 'user']);
const ASSISTANT = new Set(['gpt', 'assistant', 'chatgpt', 'bard']);

function wordCount(text: string): number {
  return text.split(/\s+/).filter((w) => w !== '').length;
}

/** Conversations without a human turn are skipped (ShareGPT dumps hold many); none at all is an error. */
export function shareGptSamples(name: string, rows: readonly unknown[], defaultMaxTokens: number): Sample[] {
  const samples: Sample[] = [];
  rows.forEach((row, index) => {
    const where = `dataset ${name}, conversation ${index + 1}`;
    if (!row || typeof row !== 'object') throw new DatasetInvalid(`${where}: expected an object`);
    const r = row as { id?: unknown; conversations?: unknown };
    if (!Array.isArray(r.conversations))
      throw new DatasetInvalid(
        `${where}: needs a \`conversations\` list (is this ShareGPT? else use format: json)`,
      );
    const turns = r.conversations as Turn[];
    const first = turns.findIndex((t) => typeof t?.from === 'string' && HUMAN.has(t.from));
    if (first < 0 || typeof turns[first].value !== 'string' || wordCount(turns[first].value) === 0) return;
    const reply = turns[first + 1];
    const replyWords =
      reply && typeof reply.from === 'string' && ASSISTANT.has(reply.from) && typeof reply.value === 'string'
        ? wordCount(reply.value)
        : 0;
    const id = typeof r.id === 'string' || typeof r.id === 'number' ? String(r.id) : `${name}_${index + 1}`;
    samples.push({
      id,
      prompt: turns[first].value as string,
      maxTokens: replyWords > 0 ? replyWords : defaultMaxTokens,
    });
  });
  if (samples.length === 0)
    throw new DatasetInvalid(`dataset ${name}: no conversation has a non-empty human turn`);
  return samples;
}
