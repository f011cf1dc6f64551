import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { effectiveFlags, flagArgs, planSweep } from '../../src/plan/plan';
import { exampleSpec } from '../helpers/spec';

describe('sweep planning', () => {
  it("expands the seed's matrix into one server config per experiment and six rows", () => {
    const plan = planSweep(exampleSpec());
    assert.deepEqual(
      plan.configs.map((c) => c.label),
      ['1A', '1B', '3A', '3C', '2B'],
    );
    const rows = plan.configs.flatMap((c) =>
      c.experiments.flatMap((e) => e.datasets.map((d) => `${e.id}/${d}`)),
    );
    assert.deepEqual(rows, ['1A/8k', '1B/8k', '3A/8k', '3C/8k', '3C/64k', '2B/8k']);
    assert.deepEqual(plan.varyingFlags, ['enable-expert-parallel', 'enforce-eager', 'max-model-len']);
  });

  it('groups experiments that share a server configuration onto one job', () => {
    const spec = exampleSpec('sim-glm46.yaml', (raw) => {
      (raw.experiments as unknown[]).push({
        id: '1A-64k',
        flags: { 'max-model-len': 32768 },
        datasets: ['64k'],
      });
    });
    const plan = planSweep(spec);
    assert.equal(plan.configs.length, 5);
    const baseline = plan.configs.find((c) => c.label === '1A+1A-64k');
    assert.ok(baseline, 'the identical config is shared');
    assert.equal(baseline.experiments.length, 2);
  });

  it('expands a matrix and keeps keys stable across runs', () => {
    const spec = exampleSpec('sim-glm46.yaml', (raw) => {
      raw.experiments = [];
      raw.matrix = { flags: { 'max-num-seqs': [4, 8], 'enforce-eager': [true, false] }, datasets: ['8k'] };
    });
    const a = planSweep(spec);
    assert.deepEqual(
      a.configs.map((c) => c.label),
      ['m1', 'm2', 'm3', 'm4'],
    );
    assert.deepEqual(
      a.configs.map((c) => c.key),
      planSweep(spec).configs.map((c) => c.key),
    );
    assert.equal(new Set(a.configs.map((c) => c.key)).size, 4);
  });

  it('merges flags: false and null remove a base flag, true is a switch', () => {
    const flags = effectiveFlags(
      { 'enforce-eager': true, 'max-model-len': 32768, dtype: 'bfloat16' },
      {
        'enforce-eager': false,
        dtype: null,
        'max-model-len': 8192,
      },
    );
    assert.deepEqual(flags, { 'max-model-len': 8192 });
    assert.deepEqual(flagArgs({ 'enable-expert-parallel': true, 'max-model-len': 8192 }), [
      '--enable-expert-parallel',
      '--max-model-len',
      '8192',
    ]);
  });
});
