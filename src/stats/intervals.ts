/**
 * Confidence intervals for the headline numbers of an evaluation.
 */
import { normalQuantile, studentTQuantile } from './distributions.js';

export interface Interval {
  estimate: number;
  low: number;
  high: number;
  /** Nominal coverage, e.g. 0.95. */
  confidence: number;
}

function checkConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
}

/**
 * Wilson (1927) score interval for a proportion `successes / n`. Newcombe (1998) found its
 * actual coverage close to nominal (mean 0.952 for a nominal 0.95) across n and p,
 * unlike the Wald interval, which collapses at 0/n and n/n and undercovers near the ends.
 * Returns NaN bounds when n = 0.
 */
export function wilsonInterval(successes: number, n: number, confidence = 0.95): Interval & { n: number } {
  checkConfidence(confidence);
  if (!(n >= 0) || !(successes >= 0) || successes > n) {
    throw new RangeError(`need 0 ≤ successes ≤ n, got ${successes} of ${n}`);
  }
  if (n === 0) return { estimate: Number.NaN, low: Number.NaN, high: Number.NaN, confidence, n };
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At 0/n and n/n the closed form gives the bound exactly up to rounding; pin it.
  const low = successes === 0 ? 0 : Math.max(0, center - half);
  const high = successes === n ? 1 : Math.min(1, center + half);
  return { estimate: p, low, high, confidence, n };
}

/**
 * Interval for a mean from a sample: mean ± q·s/√n with the sample standard deviation s
 * (n − 1 divisor). `distribution: "normal"` uses the normal quantile (the large-sample
 * interval, central limit theorem); `"t"` uses Student's t with n − 1 degrees of freedom
 * (exact for normal data, Student 1908), which is the safer choice below n ≈ 30.
 * Non-finite values are left out; fewer than two finite values give NaN bounds.
 */
export function meanInterval(
  values: ArrayLike<number>,
  options: { confidence?: number; distribution?: 'normal' | 't' } = {},
): Interval & { n: number; standardError: number } {
  const confidence = options.confidence ?? 0.95;
  checkConfidence(confidence);
  let n = 0;
  let mean = 0;
  let sumSquares = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    // Welford (1962): stable for values with a large common offset (e.g. a loss near 10.0).
    n++;
    const delta = v - mean;
    mean += delta / n;
    sumSquares += delta * (v - mean);
  }
  if (n < 2) {
    return { estimate: n === 1 ? mean : Number.NaN, low: Number.NaN, high: Number.NaN, confidence, n, standardError: Number.NaN };
  }
  const standardError = Math.sqrt(sumSquares / (n - 1) / n);
  const upperProbability = 1 - (1 - confidence) / 2;
  const q = options.distribution === 't' ? studentTQuantile(upperProbability, n - 1) : normalQuantile(upperProbability);
  return { estimate: mean, low: mean - q * standardError, high: mean + q * standardError, confidence, n, standardError };
}
