import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { percentile, runMetrics } from '../../src/store/metrics';
import { samples } from '../helpers/sweep-result';

describe('run metrics', () => {
  it('percentile interpolates between ranks', () => {
    assert.equal(percentile([4, 1, 3, 2], 50), 2.5);
    assert.equal(percentile([1, 2, 3, 4, 5], 90), 4.6);
    assert.equal(percentile([7], 99), 7);
    assert.ok(Number.isNaN(percentile([], 50)));
  });

  it('aggregates only successful samples', () => {
    const rows = samples('8k', 10, 4);
    rows.push({ ...rows[0]!, sampleId: 'bad', tokensPerSec: 1000, ok: false, error: 'timeout' });
    const m = runMetrics(rows);
    assert.equal(m.samplesOk, 4);
    assert.equal(m.samplesFailed, 1);
    assert.ok(Math.abs(m.tpsMean! - 10) < 1e-9);
    assert.ok(m.ttftP99! >= m.ttftP50!);
    assert.deepEqual(runMetrics([]), { samplesOk: 0, samplesFailed: 0 });
  });
});
