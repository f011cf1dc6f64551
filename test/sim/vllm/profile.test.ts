import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseServeArgs } from '../../../src/sim/vllm/flags';
import { planStartup, readySeconds, weightLoadSeconds, modelProfile } from '../../../src/sim/vllm/profile';

const glm = (flags: string) =>
  parseServeArgs(`zai-org/GLM-4.6 --tensor-parallel-size 8 ${flags}`.trim().split(/\s+/)).config;

test('GLM-4.6 at TP 8 holds 82.6 GiB of weights per GPU', () => {
  const plan = planStartup(glm('--enable-expert-parallel --enforce-eager'));
  assert.ok(Math.abs(plan.weightsPerGpuGiB - 82.6) < 1e-9);
  assert.equal(plan.failure, undefined);
});

test('loading takes 155 s with EP and 310 s without (seed exp 2B)', () => {
  assert.equal(planStartup(glm('--enable-expert-parallel')).loadSeconds, 155);
  assert.equal(planStartup(glm('')).loadSeconds, 310);
  assert.equal(
    weightLoadSeconds(modelProfile('unknown/dense'), false),
    weightLoadSeconds(modelProfile('unknown/dense'), true),
  );
});

test('torch.compile adds about 21 minutes plus CUDA graph capture unless --enforce-eager', () => {
  const eager = planStartup(glm('--enable-expert-parallel --enforce-eager'));
  const compiled = planStartup(glm('--enable-expert-parallel'));
  assert.equal(eager.dynamoSeconds + eager.graphCompileSeconds + eager.cudaGraphSeconds, 0);
  assert.equal(compiled.dynamoSeconds, 21.5);
  assert.equal(compiled.dynamoSeconds + compiled.graphCompileSeconds, 21 * 60);
  assert.equal(compiled.cudaGraphSeconds, 45);
  assert.equal(readySeconds(compiled) - readySeconds(eager), 21 * 60 + 45);
});

test('fp8 KV at 0.95 holds ~2.0M tokens, so one 8k request uses ~0.3% (seed)', () => {
  const plan = planStartup(glm('--enforce-eager --kv-cache-dtype fp8 --gpu-memory-utilization 0.95'));
  assert.ok(plan.kvCacheTokens > 1.9e6 && plan.kvCacheTokens < 2.1e6, String(plan.kvCacheTokens));
  assert.equal(plan.kvCacheTokens % 16, 0);
  const bf16 = planStartup(glm('--enforce-eager --gpu-memory-utilization 0.95'));
  assert.ok(Math.abs(plan.kvCacheTokens / bf16.kvCacheTokens - 2) < 0.001);
});

test('out of memory when weights exceed memory x utilization', () => {
  const tp4 = planStartup(parseServeArgs(['zai-org/GLM-4.6', '--tensor-parallel-size', '4']).config);
  assert.equal(tp4.failure?.kind, 'oom-weights');
  const smallGpu = planStartup(glm(''), 80);
  assert.equal(smallGpu.failure?.kind, 'oom-weights');
});

test('max-model-len above the KV capacity fails; the default max len is the profile', () => {
  const plan = planStartup(glm('--max-model-len 4000000'));
  assert.deepEqual(plan.failure, {
    kind: 'max-len-exceeds-kv',
    maxModelLen: 4000000,
    kvCacheTokens: plan.kvCacheTokens,
  });
  assert.equal(planStartup(glm('')).maxModelLen, 202752);
});

test('weights that fit but leave nothing for the KV cache fail with no-kv-memory', () => {
  const plan = planStartup(glm(''), 95); // 85.5 GiB budget: 82.6 GiB of weights fit, the 7.5 GiB profile peak not
  assert.equal(plan.failure?.kind, 'no-kv-memory');
});
