/**
 * Distribution-free trend statistics for a series: is it going up or down, and how fast?
 *
 * Both functions compare every pair of points, O(n²) time (Theil–Sen also O(n²) memory for
 * the pairwise slopes): a few thousand points take milliseconds, 100k points would not
 * finish. Callers thin long series (or take their tail) first.
 * Non-finite points are left out, pairwise.
 */
import { normalQuantile, normalSurvival } from './distributions.js';
import { quantileSorted } from './robust.js';

export interface MannKendallResult {
  /** Number of finite points used. */
  n: number;
  /** Kendall's S: (# increasing pairs) − (# decreasing pairs), pairs taken in series order. */
  s: number;
  /** Var(S) under no trend, corrected for tied values. */
  variance: number;
  /** Kendall's τ-b between the values and their order (−1 … 1). */
  tau: number;
  /** Standardised statistic (with the continuity correction when asked). */
  z: number;
  /** Two-sided p-value from the normal approximation. */
  pValue: number;
  continuityCorrection: boolean;
}

/** Sum over groups of tied values of f(group size); `sorted` must be ascending. */
function sumOverTies(sorted: ArrayLike<number>, f: (t: number) => number): number {
  let total = 0;
  let run = 1;
  for (let i = 1; i <= sorted.length; i++) {
    if (i < sorted.length && sorted[i] === sorted[i - 1]) run++;
    else {
      if (run > 1) total += f(run);
      run = 1;
    }
  }
  return total;
}

const tieVarianceTerm = (t: number): number => t * (t - 1) * (2 * t + 5);

/**
 * Mann–Kendall test for a monotonic trend (Mann 1945; Kendall 1975, with the tie-corrected
 * variance Var(S) = [n(n−1)(2n+5) − Σ t(t−1)(2t+5)]/18). Under no trend and independent
 * points, the two-sided p-value is a test at the stated level: P(p ≤ α) ≤ α, approximately
 * for n ≥ 10 (the normal approximation; for smaller n it is conservative with the
 * continuity correction). Serial correlation inflates the false-positive rate (Hamed &
 * Rao 1998): smooth the series' noise away or thin it before testing.
 * Without the continuity correction, z and p equal scipy.stats.kendalltau(range(n), y)'s.
 */
export function mannKendall(values: ArrayLike<number>, options: { continuityCorrection?: boolean } = {}): MannKendallResult {
  const continuityCorrection = options.continuityCorrection ?? true;
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) finite.push(values[i]!);
  const n = finite.length;
  let s = 0;
  for (let i = 0; i < n - 1; i++) {
    const yi = finite[i]!;
    for (let j = i + 1; j < n; j++) s += Math.sign(finite[j]! - yi);
  }
  const sorted = Float64Array.from(finite).sort();
  const variance = (n * (n - 1) * (2 * n + 5) - sumOverTies(sorted, tieVarianceTerm)) / 18;
  const pairs = (n * (n - 1)) / 2;
  const tiedPairs = sumOverTies(sorted, (t) => (t * (t - 1)) / 2);
  const tau = pairs > 0 && pairs > tiedPairs ? s / Math.sqrt(pairs * (pairs - tiedPairs)) : Number.NaN;
  let z = 0;
  if (variance > 0) {
    const corrected = continuityCorrection ? s - Math.sign(s) : s;
    z = corrected / Math.sqrt(variance);
  }
  const pValue = variance > 0 ? Math.min(1, 2 * normalSurvival(Math.abs(z))) : 1;
  return { n, s, variance, tau, z, pValue, continuityCorrection };
}

export interface TheilSenResult {
  n: number;
  /** Median of the pairwise slopes (Theil 1950; Sen 1968). */
  slope: number;
  /** median(y) − slope·median(x), as scipy.stats.theilslopes(method="separate"). */
  intercept: number;
  /** Confidence interval for the slope (Sen 1968), from the distribution of Kendall's S. */
  low: number;
  high: number;
  confidence: number;
}

/**
 * Theil–Sen slope with Sen's (1968) distribution-free confidence interval: the interval's
 * ends are the order statistics of the pairwise slopes at ranks (N ∓ z·σ_S)/2, where N is
 * the number of slopes and σ_S the tie-corrected standard deviation of Kendall's S. Its
 * coverage is the stated confidence for independent errors (exact up to the normal
 * approximation of S). Breakdown point about 29 %: up to that share of wild points
 * cannot move the slope arbitrarily. Pairs with equal x are skipped.
 * Matches scipy.stats.theilslopes(y, x, confidence, method="separate").
 */
export function theilSen(x: ArrayLike<number>, y: ArrayLike<number>, confidence = 0.95): TheilSenResult {
  if (x.length !== y.length) throw new RangeError(`x and y differ in length (${x.length} vs ${y.length})`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i]!) && Number.isFinite(y[i]!)) {
      xs.push(x[i]!);
      ys.push(y[i]!);
    }
  }
  const n = xs.length;
  let count = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (xs[j]! > xs[i]!) count++;
  const slopes = new Float64Array(count);
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const dx = xs[j]! - xs[i]!;
      if (dx > 0) slopes[k++] = (ys[j]! - ys[i]!) / dx;
    }
  }
  slopes.sort();
  const slope = quantileSorted(slopes, 0.5);
  const sortedX = Float64Array.from(xs).sort();
  const sortedY = Float64Array.from(ys).sort();
  const intercept = quantileSorted(sortedY, 0.5) - slope * quantileSorted(sortedX, 0.5);
  if (count === 0) return { n, slope: Number.NaN, intercept: Number.NaN, low: Number.NaN, high: Number.NaN, confidence };
  const variance =
    (n * (n - 1) * (2 * n + 5) - sumOverTies(sortedX, tieVarianceTerm) - sumOverTies(sortedY, tieVarianceTerm)) / 18;
  const spread = normalQuantile(1 - (1 - confidence) / 2) * Math.sqrt(Math.max(variance, 0));
  // Same rank arithmetic as scipy (0-based ranks, clamped to the available slopes).
  const upperRank = Math.min(Math.round((count + spread) / 2), count - 1);
  const lowerRank = Math.max(Math.round((count - spread) / 2) - 1, 0);
  return { n, slope, intercept, low: slopes[lowerRank]!, high: slopes[upperRank]!, confidence };
}
