// Write the stand-ins for the seed's dataset_8k.json and dataset_64k.json (examples/datasets/).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { syntheticPrompt } from '../src/datasets/synthetic';

const outDir = process.argv[2] ?? 'examples/datasets';
mkdirSync(outDir, { recursive: true });

// The seed's prompt sizes: 6101, 6101, 6102 tokens (8k) and 47490 x2 (64k), 512 tokens out each.
const sets = {
  'dataset_8k.json': [6101, 6101, 6102].map((n, i) => ({ id: `8k_${i + 1}`, n, seed: 800 + i })),
  'dataset_64k.json': [47490, 47490].map((n, i) => ({ id: `64k_${i + 1}`, n, seed: 6400 + i })),
};
for (const [file, samples] of Object.entries(sets)) {
  const rows = samples.map(({ id, n, seed }) => ({
    id,
    // Samples share half their prompt, like documents with a common preamble: prefix caching hits.
    prompt: syntheticPrompt(n, seed, Math.floor(n / 2), 42),
    max_tokens: 512,
  }));
  writeFileSync(join(outDir, file), JSON.stringify(rows, null, 1) + '\n');
}
