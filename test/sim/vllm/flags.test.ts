import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseServeArgs } from '../../../src/sim/vllm/flags';

test('parses the seed recommended command line', () => {
  const { config, warnings } = parseServeArgs(
    (
      'zai-org/GLM-4.6 --tensor-parallel-size 8 --enable-expert-parallel --enforce-eager --dtype bfloat16 ' +
      '--kv-cache-dtype fp8 --gpu-memory-utilization 0.95 --max-model-len 32768 --max-num-seqs 8 ' +
      '--max-num-batched-tokens 32768 --enable-chunked-prefill --enable-prefix-caching --swap-space 32 --trust-remote-code'
    ).split(' '),
  );
  assert.deepEqual(warnings, []);
  assert.equal(config.model, 'zai-org/GLM-4.6');
  assert.equal(config.tensorParallelSize, 8);
  assert.equal(config.enableExpertParallel, true);
  assert.equal(config.enforceEager, true);
  assert.equal(config.kvCacheDtype, 'fp8');
  assert.equal(config.gpuMemoryUtilization, 0.95);
  assert.equal(config.maxModelLen, 32768);
  assert.equal(config.maxNumSeqs, 8);
  assert.equal(config.maxNumBatchedTokens, 32768);
  assert.equal(config.swapSpaceGiB, 32);
  assert.equal(config.trustRemoteCode, true);
  assert.equal(config.nonDefaultArgs.gpu_memory_utilization, 0.95);
});

test('defaults match vLLM', () => {
  const { config } = parseServeArgs(['some/model']);
  assert.equal(config.host, '0.0.0.0');
  assert.equal(config.port, 8000);
  assert.equal(config.maxNumSeqs, 256);
  assert.equal(config.gpuMemoryUtilization, 0.9);
  assert.equal(config.enablePrefixCaching, true);
  assert.equal(config.enforceEager, false);
  assert.equal(config.maxModelLen, undefined);
  assert.deepEqual(config.servedModelNames, ['some/model']);
});

test('accepts --flag=value, underscores, --no- booleans and k suffixes', () => {
  const { config } = parseServeArgs([
    '--model=m',
    '--max_model_len=64k',
    '--no-enable-prefix-caching',
    '--enforce-eager=false',
    '--served-model-name',
    'glm',
    '--port=0',
  ]);
  assert.equal(config.model, 'm');
  assert.equal(config.maxModelLen, 65536);
  assert.equal(config.enablePrefixCaching, false);
  assert.equal(config.enforceEager, false);
  assert.deepEqual(config.servedModelNames, ['glm']);
  assert.equal(config.port, 0);
});

test('unknown flags warn and keep their value away from the model position', () => {
  const { config, warnings } = parseServeArgs(['--block-size', '32', 'my/model', '--disable-log-requests']);
  assert.equal(config.model, 'my/model');
  assert.equal(warnings.length, 2);
  assert.match(warnings[0], /--block-size=32/);
  assert.match(warnings[1], /--disable-log-requests/);
});

test('rejects bad values and a missing model', () => {
  assert.throws(() => parseServeArgs(['m', '--port', 'abc']), /--port: invalid int value/);
  assert.throws(() => parseServeArgs(['m', '--gpu-memory-utilization', 'x']), /invalid float value/);
  assert.throws(() => parseServeArgs(['--enforce-eager']), /required: model_tag/);
});
