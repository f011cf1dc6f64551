import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareSweeps } from '../../src/report/compare';
import { sweepResult } from '../helpers/sweep-result';

describe('compareSweeps', () => {
  it('puts each experiment/dataset side by side with deltas and % change', () => {
    const a = sweepResult({ sweepId: 'night-1', tps: 10 });
    const b = sweepResult({ sweepId: 'night-2', tps: 12, failB: true });
    const md = compareSweeps(a, b);
    assert.match(md, /^# night-1 vs night-2/);
    assert.match(md, /## 1A \/ 8k \(EP=on\)\n\n\| Metric \| A \| B \| Δ \| Δ % \|/);
    assert.match(md, /\| TPS \| 10\.00 \| 12\.00 \| \+2\.00 \| \+20\.0% \|/);
    // 2B failed in B: no numbers, status says where it failed.
    assert.match(
      md,
      /## 2B \/ 8k[^#]*\| TPS \| 8\.00 \| - \| - \| - \|[^#]*\| Status \| ok \| failed \(load\) \|/,
    );
  });

  it('lists rows that only one sweep ran and notes changed flags', () => {
    const a = sweepResult({ sweepId: 'a' });
    const b = sweepResult({ sweepId: 'b' });
    b.configs[0]!.rows = b.configs[0]!.rows.filter((r) => r.dataset === '8k');
    b.configs[1]!.flags = { 'max-model-len': 65536 };
    const md = compareSweeps(a, b);
    assert.match(md, /## 1A \/ 16k[^#]*\| Status \| ok \| not run \|/);
    assert.match(md, /Flags differ: A \{"max-model-len":32768\}, B \{"max-model-len":65536\}/);
  });
});
