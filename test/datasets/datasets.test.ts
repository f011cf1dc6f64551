import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadDataset } from '../../src/datasets/load';
import { lengthRange } from '../../src/datasets/random';
import { datasetSourceSchema, syntheticDatasetSchema } from '../../src/datasets/schema';
import { validateDataset } from '../../src/datasets/validate';
import { DatasetInvalid } from '../../src/lib/errors';

const dir = mkdtempSync(join(tmpdir(), 'vsweep-datasets-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const words = (text: string) => text.split(/\s+/).filter((w) => w !== '').length;

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

test('ShareGPT: first human turn is the prompt, the gpt reply sets max tokens, else the default', () => {
  const path = file('sharegpt.json', [
    {
      id: 'a',
      conversations: [
        { from: 'human', value: 'hello there friend' },
        { from: 'gpt', value: 'one two three four five' },
      ],
    },
    {
      conversations: [
        { from: 'system', value: 'be brief' },
        { from: 'human', value: 'only a question' },
      ],
    },
    { id: 'c', conversations: [{ from: 'gpt', value: 'no human turn here' }] },
  ]);
  const spec = datasetSourceSchema.parse({ path, format: 'sharegpt', maxTokens: 64 });
  const samples = loadDataset('sg', spec);
  assert.deepEqual(samples, [
    { id: 'a', prompt: 'hello there friend', maxTokens: 5 },
    { id: 'sg_2', prompt: 'only a question', maxTokens: 64 },
  ]);
  const notShareGpt = file('plain.json', [{ prompt: 'x' }]);
  assert.throws(
    () => loadDataset('p', { path: notShareGpt, format: 'sharegpt', maxTokens: 8 }),
    /conversations/,
  );
});

test('JSONL and chat messages still load through the dispatch', () => {
  const path = file(
    'chat.jsonl',
    '{"messages":[{"role":"user","content":"hi"}],"max_tokens":3}\n\n{"prompt":"p q"}\n',
  );
  const samples = loadDataset('c', { path, format: 'jsonl', maxTokens: 9 });
  assert.deepEqual(samples[0].messages, [{ role: 'user', content: 'hi' }]);
  assert.equal(samples[0].maxTokens, 3);
  assert.equal(samples[1].maxTokens, 9);
});

test('synthetic random: lengths in range, shared prefix, reproducible from the seed', () => {
  const spec = syntheticDatasetSchema.parse({
    synthetic: { input_len: 100, output_len: 20, num_prompts: 50, seed: 7, range_ratio: 0.5, prefix_len: 10 },
  });
  const samples = loadDataset('r', spec);
  assert.equal(samples.length, 50);
  const [inLow, inHigh] = lengthRange(100, 0.5);
  assert.deepEqual([inLow, inHigh], [50, 150]);
  const inputs = samples.map((s) => words(s.prompt ?? '') - 10);
  assert.ok(
    inputs.every((n) => n >= 50 && n <= 150),
    `inputs ${inputs.join(',')}`,
  );
  assert.ok(new Set(inputs).size > 10, 'lengths actually vary');
  assert.ok(samples.every((s) => s.maxTokens >= 10 && s.maxTokens <= 30));
  const prefixes = new Set(samples.map((s) => (s.prompt ?? '').split(' ').slice(0, 10).join(' ')));
  assert.equal(prefixes.size, 1, 'every prompt starts with the same 10 words');
  assert.deepEqual(loadDataset('r', spec), samples);
  const other = loadDataset('r', { synthetic: { ...spec.synthetic, seed: 8 } });
  assert.notDeepEqual(other, samples);
  const fixed = loadDataset(
    'f',
    datasetSourceSchema.parse({ synthetic: { input_len: 32, output_len: 4, num_prompts: 3 } }),
  );
  assert.deepEqual(
    fixed.map((s) => [words(s.prompt ?? ''), s.maxTokens]),
    [
      [32, 4],
      [32, 4],
      [32, 4],
    ],
  );
});

test('schema: defaults, and rejects unknown keys and a range ratio of 1', () => {
  const parsed = datasetSourceSchema.parse({ path: 'x.json' });
  assert.deepEqual(parsed, { path: 'x.json', format: 'json', maxTokens: 512, onTooLong: 'error' });
  assert.equal(datasetSourceSchema.safeParse({ path: 'x', fmt: 'json' }).success, false);
  const bad = { synthetic: { input_len: 1, output_len: 1, num_prompts: 1, range_ratio: 1 } };
  assert.equal(datasetSourceSchema.safeParse(bad).success, false);
});

test('validateDataset: prompt + max tokens against max-model-len, error names sample and fix, or skip', () => {
  const samples = [
    { id: 'fits', prompt: 'a b c', maxTokens: 7 },
    { id: 'long', prompt: 'a b c d', maxTokens: 7 },
    { id: 'chat', messages: [{ role: 'user', content: 'a b' }], maxTokens: 3 },
  ];
  const base = { maxModelLen: 10, tokenCount: words, datasetName: 'd' };
  assert.throws(
    () => validateDataset(samples, { ...base, onTooLong: 'error' }),
    (err: unknown) =>
      err instanceof DatasetInvalid &&
      /sample long: prompt 4 \+ max_tokens 7 = 11 tokens > max-model-len 10/.test(err.message) &&
      /onTooLong: skip/.test(err.message),
  );
  const result = validateDataset(samples, { ...base, onTooLong: 'skip', chatTokensPerMessage: 3 });
  assert.deepEqual(
    result.samples.map((s) => s.id),
    ['fits', 'chat'],
  );
  assert.equal(result.skipped.length, 1);
  assert.equal(result.skipped[0].id, 'long');
  // 2 words + 3 template tokens + 6 output = 11 > 10
  const tight = validateDataset([samples[0], { ...samples[2], maxTokens: 6 }], {
    ...base,
    onTooLong: 'skip',
    chatTokensPerMessage: 3,
  });
  assert.deepEqual(
    tight.skipped.map((s) => s.id),
    ['chat'],
  );
  assert.throws(() => validateDataset([samples[1]], { ...base, onTooLong: 'skip' }), /all 1 samples exceed/);
  assert.throws(
    () => validateDataset([{ id: 'e', prompt: '  ', maxTokens: 1 }], { ...base, onTooLong: 'skip' }),
    /empty/,
  );
});
