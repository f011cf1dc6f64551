import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareToBaseline } from '../../src/regression/compare';

/** A run of four samples whose mean is exactly `mean`. */
const run = (mean: number) => [mean * 0.97, mean * 1.03, mean * 0.99, mean * 1.01];
const nightly = [100, 102, 98, 101, 99].map(run);

describe('compareToBaseline', () => {
  it('flags a clear drop in a higher-is-better metric as a regression', () => {
    const r = compareToBaseline(run(80), nightly, { direction: 'higher-is-better' });
    assert.equal(r.verdict, 'regression');
    assert.equal(r.test, 'prediction-t');
    assert.ok(Math.abs(r.changePct + 20) < 1e-9);
    assert.ok(r.pValue < 0.001);
    assert.equal(r.baselineRuns, 5);
  });

  it('the same drop is an improvement when lower is better', () => {
    assert.equal(
      compareToBaseline(run(80), nightly, { direction: 'lower-is-better' }).verdict,
      'improvement',
    );
  });

  it('a change within the nightly noise is no change', () => {
    const r = compareToBaseline(run(103), nightly, { direction: 'higher-is-better', minEffectPct: 1 });
    assert.equal(r.verdict, 'no-change');
    assert.ok(r.pValue > 0.05);
  });

  it('noisy baselines need a bigger change: -12% against runs that swing +-20% is not significant', () => {
    const noisy = [80, 120, 90, 110].map(run);
    const r = compareToBaseline(run(88), noisy, { direction: 'higher-is-better' });
    assert.equal(r.verdict, 'no-change');
    assert.ok(r.pValue > 0.05);
  });

  it('a significant change smaller than minEffectPct is no change', () => {
    const steady = [[100], [100], [100]];
    assert.equal(compareToBaseline([102], steady, { direction: 'higher-is-better' }).verdict, 'no-change');
    assert.equal(
      compareToBaseline([102], steady, { direction: 'higher-is-better', minEffectPct: 1 }).verdict,
      'improvement',
    );
  });

  it('alpha decides borderline cases', () => {
    const r = compareToBaseline(run(95), nightly, {
      direction: 'higher-is-better',
      minEffectPct: 1,
      alpha: 0.2,
    });
    const strict = compareToBaseline(run(95), nightly, {
      direction: 'higher-is-better',
      minEffectPct: 1,
      alpha: r.pValue / 2,
    });
    assert.equal(r.verdict, 'regression');
    assert.equal(strict.verdict, 'no-change');
  });

  it('a pinned single baseline run falls back to Welch on samples', () => {
    const r = compareToBaseline(run(90), [run(100)], { direction: 'higher-is-better' });
    assert.equal(r.test, 'welch-t-samples');
    assert.equal(r.verdict, 'regression');
  });

  it('several current runs use Welch on run means', () => {
    const r = compareToBaseline([80, 81, 79], [[100], [102], [98]], {
      direction: 'higher-is-better',
      current: 'runs',
    });
    assert.equal(r.test, 'welch-t-runs');
    assert.equal(r.verdict, 'regression');
  });

  it('without enough data says so', () => {
    const none = compareToBaseline(run(80), [], { direction: 'higher-is-better' });
    assert.equal(none.verdict, 'insufficient-data');
    assert.equal(none.test, 'none');
    assert.equal(
      compareToBaseline([], nightly, { direction: 'higher-is-better' }).verdict,
      'insufficient-data',
    );
    assert.equal(
      compareToBaseline([90], [[100]], { direction: 'higher-is-better' }).verdict,
      'insufficient-data',
    );
    assert.equal(
      compareToBaseline([NaN, Infinity], nightly, { direction: 'higher-is-better' }).verdict,
      'insufficient-data',
    );
    assert.equal(
      compareToBaseline([1], [[0], [0]], { direction: 'higher-is-better' }).verdict,
      'insufficient-data',
    );
  });
});
