import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  outputTokenText,
  tokenizeChat,
  tokenizeCompletionPrompt,
  tokenizeText,
} from '../../../src/sim/vllm/tokenizer';

test('one token per whitespace-separated word', () => {
  assert.equal(tokenizeText('  hello   world\n\tagain ').length, 3);
  assert.equal(tokenizeText('').length, 0);
  assert.deepEqual(tokenizeCompletionPrompt([5, 6, 7]), ['#5', '#6', '#7']);
});

test('chat costs 3 tokens per message plus the words of its content', () => {
  const tokens = tokenizeChat([
    { role: 'system', content: 'be brief' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'one two' },
        { type: 'text', text: 'three' },
      ],
    },
  ]);
  assert.equal(tokens.length, 3 + 2 + 3 + 3);
});

test('generated text re-tokenizes to the number of tokens', () => {
  let text = '';
  for (let i = 0; i < 25; i++) text += outputTokenText(i);
  assert.equal(tokenizeText(text).length, 25);
});
