// Seeded synthetic prompts: a given number of tokens (one whitespace-separated word = one token in the
// simulator), reproducible from the seed, with an optional shared prefix so prefix caching has work.

const VOCABULARY = (
  'the model serves tokens across experts while the scheduler queues jobs on nodes and the cache keeps ' +
  'blocks of attention keys values for prompts that share a prefix benchmark latency throughput memory ' +
  'tensor parallel pipeline decode prefill batch sequence request stream chunk usage report sweep config'
).split(' ');

import { seededRandom } from '../lib/random';

export { seededRandom };

export function syntheticWords(count: number, random: () => number): string[] {
  return Array.from({ length: count }, () => VOCABULARY[Math.floor(random() * VOCABULARY.length)]);
}

/** A prompt of exactly `tokens` words; the first `sharedPrefixTokens` come from `prefixSeed`. */
export function syntheticPrompt(
  tokens: number,
  seed: number,
  sharedPrefixTokens = 0,
  prefixSeed = 1,
): string {
  const prefix = syntheticWords(Math.min(sharedPrefixTokens, tokens), seededRandom(prefixSeed));
  const rest = syntheticWords(tokens - prefix.length, seededRandom(seed));
  return [...prefix, ...rest].join(' ');
}
