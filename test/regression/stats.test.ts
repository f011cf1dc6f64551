import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { incompleteBeta, logGamma, predictionT, tTwoSidedP, welchT } from '../../src/regression/stats';

const close = (actual: number, expected: number, tol: number) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} is not within ${tol} of ${expected}`);

/** Student's t density, integrated by Simpson's rule: an independent route to the tail probability. */
function tTailByIntegration(t: number, df: number): number {
  const logNorm = logGamma((df + 1) / 2) - logGamma(df / 2) - 0.5 * Math.log(df * Math.PI);
  const pdf = (x: number) => Math.exp(logNorm - ((df + 1) / 2) * Math.log(1 + (x * x) / df));
  const steps = 20000;
  const h = Math.abs(t) / steps;
  let sum = pdf(0) + pdf(Math.abs(t));
  for (let i = 1; i < steps; i++) sum += (i % 2 ? 4 : 2) * pdf(i * h);
  return 1 - 2 * ((sum * h) / 3);
}

describe('t distribution', () => {
  it('logGamma matches factorials and Γ(1/2)', () => {
    close(logGamma(5), Math.log(24), 1e-12);
    close(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-12);
    close(logGamma(101), 363.73937555556347, 1e-9);
  });

  it('incompleteBeta matches closed forms', () => {
    close(incompleteBeta(0.3, 1, 1), 0.3, 1e-12); // uniform
    close(incompleteBeta(0.3, 2, 1), 0.09, 1e-12); // x^a when b = 1
    close(incompleteBeta(0.8, 1, 3), 1 - 0.2 ** 3, 1e-12);
  });

  it('two-sided p matches df = 1 and df = 2 closed forms', () => {
    for (const t of [0.1, 1, 3, 40]) {
      close(tTwoSidedP(t, 1), 1 - (2 / Math.PI) * Math.atan(t), 1e-10);
      close(tTwoSidedP(-t, 2), 1 - t / Math.sqrt(2 + t * t), 1e-10);
    }
  });

  it('two-sided p matches table critical values', () => {
    close(tTwoSidedP(2.228138852, 10), 0.05, 1e-7);
    close(tTwoSidedP(4.032142984, 5), 0.01, 1e-7);
    close(tTwoSidedP(2.042272456, 30), 0.05, 1e-7);
    close(tTwoSidedP(1.959963985, 1e7), 0.05, 1e-5);
  });

  it('fractional df (as Welch gives) agrees with numeric integration of the density', () => {
    for (const [t, df] of [
      [1.7, 3.4],
      [2.9, 7.25],
      [0.4, 1.5],
    ] as const)
      close(tTwoSidedP(t, df), tTailByIntegration(t, df), 1e-7);
  });

  it('edge cases', () => {
    assert.equal(tTwoSidedP(0, 4), 1);
    assert.equal(tTwoSidedP(Infinity, 4), 0);
    assert.ok(Number.isNaN(tTwoSidedP(1, 0)));
  });
});

describe('Welch and prediction tests', () => {
  it('welchT computes t and the Welch-Satterthwaite df', () => {
    // By hand: means 2.5 and 6, variances 5/3 and 10, se^2 = 5/12 + 2, df = (29/12)^2 / ((5/12)^2/3 + 1).
    const r = welchT([1, 2, 3, 4], [2, 4, 6, 8, 10]);
    close(r.t, -3.5 / Math.sqrt(29 / 12), 1e-12);
    close(r.df, (29 / 12) ** 2 / ((5 / 12) ** 2 / 3 + 1), 1e-12);
    close(r.pValue, tTwoSidedP(r.t, r.df), 1e-15);
    assert.ok(r.pValue > 0.05 && r.pValue < 0.1);
  });

  it('predictionT widens by sqrt(1 + 1/n)', () => {
    const r = predictionT(110, [98, 100, 102]);
    close(r.t, 10 / (2 * Math.sqrt(4 / 3)), 1e-12);
    assert.equal(r.df, 2);
  });

  it('zero variance: any difference is certain, none is not', () => {
    assert.equal(welchT([1, 1], [2, 2]).pValue, 0);
    assert.equal(predictionT(5, [5, 5, 5]).pValue, 1);
  });
});
