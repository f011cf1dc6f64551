// Student's t distribution and Welch's test, written out so the regression check needs no stats package.

/** ln Γ(x) by the Lanczos approximation (g = 7, 9 terms; ~15 significant digits for x > 0). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let sum = c[0]!;
  for (let i = 1; i < 9; i++) sum += c[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** The regularized incomplete beta I_x(a, b), by Lentz's continued fraction (Numerical Recipes 6.4). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The fraction converges fast only below the mean; use the symmetry I_x(a,b) = 1 - I_{1-x}(b,a) above it.
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  return (front * betaContinuedFraction(x, a, b)) / a;
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    for (const numerator of [
      (m * (b - m) * x) / ((a + m2 - 1) * (a + m2)),
      (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1)),
    ]) {
      d = 1 + numerator * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + numerator / c;
      if (Math.abs(c) < tiny) c = tiny;
      h *= d * c;
    }
    if (Math.abs(d * c - 1) < 1e-15) break;
  }
  return h;
}

/** P(|T| >= |t|) for Student's t with `df` degrees of freedom (df may be fractional, as Welch's is). */
export function tTwoSidedP(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return Number.NaN;
  if (!Number.isFinite(t)) return 0;
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

export function sampleVariance(values: readonly number[]): number {
  const m = values.reduce((s, v) => s + v, 0) / values.length;
  return values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1);
}

export interface TTestResult {
  t: number;
  df: number;
  pValue: number;
}

/** Welch's unequal-variance t-test of mean(a) - mean(b); needs at least two values on each side. */
export function welchT(a: readonly number[], b: readonly number[]): TTestResult {
  const meanA = a.reduce((s, v) => s + v, 0) / a.length;
  const meanB = b.reduce((s, v) => s + v, 0) / b.length;
  const seA = sampleVariance(a) / a.length;
  const seB = sampleVariance(b) / b.length;
  const se = Math.sqrt(seA + seB);
  if (se === 0) return zeroVariance(meanA - meanB, a.length + b.length - 2);
  const df = (seA + seB) ** 2 / (seA ** 2 / (a.length - 1) + seB ** 2 / (b.length - 1));
  const t = (meanA - meanB) / se;
  return { t, df, pValue: tTwoSidedP(t, df) };
}

/**
 * Is one new value drawn from the same population as `b`? t = (x - mean) / (s * sqrt(1 + 1/n)), df = n - 1:
 * the prediction-interval test, i.e. Welch with the new value's variance taken to be the baseline's.
 */
export function predictionT(x: number, b: readonly number[]): TTestResult {
  const meanB = b.reduce((s, v) => s + v, 0) / b.length;
  const se = Math.sqrt(sampleVariance(b) * (1 + 1 / b.length));
  if (se === 0) return zeroVariance(x - meanB, b.length - 1);
  const t = (x - meanB) / se;
  return { t, df: b.length - 1, pValue: tTwoSidedP(t, b.length - 1) };
}

/** Identical values on both sides: any difference at all is certain, none is no evidence. */
function zeroVariance(diff: number, df: number): TTestResult {
  return diff === 0 ? { t: 0, df, pValue: 1 } : { t: Math.sign(diff) * Infinity, df, pValue: 0 };
}
