// The spec fragment for one dataset: a file (JSON, JSONL, ShareGPT) or a seeded synthetic set. The lead
// merges `datasetSourceSchema` into src/spec/schema.ts; the type comes from the schema (z.infer).
import { z } from 'zod';

export const onTooLongSchema = z
  .enum(['error', 'skip'])
  .default('error')
  .describe('What to do with a sample whose prompt + max tokens exceed --max-model-len');

export const fileDatasetSchema = z
  .object({
    path: z.string().min(1),
    format: z.enum(['json', 'jsonl', 'sharegpt']).default('json'),
    /** Output tokens per request when the sample does not say. */
    maxTokens: z.number().int().positive().default(512),
    onTooLong: onTooLongSchema,
  })
  .strict();

/** vLLM's `--dataset-name random`: lengths drawn uniformly in [len * (1 - r), len * (1 + r)]. */
export const syntheticRandomSchema = z
  .object({
    input_len: z.number().int().positive(),
    output_len: z.number().int().positive(),
    num_prompts: z.number().int().positive(),
    seed: z.number().int().nonnegative().default(0),
    range_ratio: z.number().min(0).lt(1).default(0),
    /** Tokens shared by every prompt, in front of its own input_len tokens (prefix-cache workloads). */
    prefix_len: z.number().int().nonnegative().default(0),
  })
  .strict();

export const syntheticDatasetSchema = z
  .object({ synthetic: syntheticRandomSchema, onTooLong: onTooLongSchema })
  .strict();

export const datasetSourceSchema = z.union([fileDatasetSchema, syntheticDatasetSchema]);

export type FileDatasetSpec = z.infer<typeof fileDatasetSchema>;
export type SyntheticRandomSpec = z.infer<typeof syntheticRandomSchema>;
export type SyntheticDatasetSpec = z.infer<typeof syntheticDatasetSchema>;
export type DatasetSourceSpec = z.infer<typeof datasetSourceSchema>;
export type OnTooLong = z.infer<typeof onTooLongSchema>;
