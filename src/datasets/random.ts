// vLLM's `--dataset-name random`, reproducible from a seed: per-request input and output lengths drawn
// uniformly in [len * (1 - range_ratio), len * (1 + range_ratio)], behind an optional shared prefix.
import type { Sample } from './load';
import type { SyntheticRandomSpec } from './schema';
import { seededRandom, syntheticPrompt } from './synthetic';

/** Inclusive integer range around `len`, as vLLM (floor of the low end, ceil of the high end, >= 1). */
export function lengthRange(len: number, rangeRatio: number): [number, number] {
  return [Math.max(1, Math.floor(len * (1 - rangeRatio))), Math.ceil(len * (1 + rangeRatio))];
}

export function randomSamples(name: string, spec: SyntheticRandomSpec): Sample[] {
  const random = seededRandom(spec.seed);
  const draw = ([low, high]: [number, number]) => low + Math.floor(random() * (high - low + 1));
  const inputRange = lengthRange(spec.input_len, spec.range_ratio);
  const outputRange = lengthRange(spec.output_len, spec.range_ratio);
  // The prefix is one text for the whole set, so prefix caching sees identical leading tokens.
  const prefixSeed = spec.seed + 0x9e3779b9;
  return Array.from({ length: spec.num_prompts }, (_, i) => {
    const inputTokens = draw(inputRange);
    const maxTokens = draw(outputRange);
    const promptSeed = Math.floor(random() * 2 ** 32);
    return {
      id: `${name}_${i + 1}`,
      prompt: syntheticPrompt(spec.prefix_len + inputTokens, promptSeed, spec.prefix_len, prefixSeed),
      maxTokens,
    };
  });
}
