/**
 * How much of a result is the seed? Spread across seeds, the probability that one
 * configuration beats another on a random seed, and the expected best of N trials.
 *
 * References:
 * - Sample-SD confidence interval from (n − 1)s²/σ² ~ χ²(n − 1) for normal data (e.g.
 *   Sheskin, Handbook of Parametric and Nonparametric Statistical Procedures, test 3).
 * - Bouthillier et al. (2021), "Accounting for Variance in Machine Learning Benchmarks",
 *   MLSys: P(A > B), the probability that A outperforms B on a random draw of the sources of
 *   variation (seed, split), estimated over paired runs with a percentile bootstrap interval.
 * - Dodge et al. (2019), "Show Your Work: Improved Reporting of Experimental Results",
 *   EMNLP: expected validation performance of the best of N hyperparameter trials, from the
 *   empirical distribution of the n observed trials.
 *
 * Arrays in, plain objects out; the bootstrap takes a seed and reports it.
 */
import { chiSquareCdf, chiSquareSurvival, normalQuantile, normalSurvival, studentTQuantile } from './distributions.js';
import { bootstrapReplicates, DEFAULT_RESAMPLES, intervalFromReplicates, type BootstrapInterval } from './bootstrap.js';
import type { Interval } from './intervals.js';
import { createRng } from './rng.js';

function checkConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
}

function finiteCopy(values: ArrayLike<number>, what: string): Float64Array {
  const data = Float64Array.from(values);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) throw new RangeError(`${what}: value ${i} is not finite (${data[i]})`);
  }
  return data;
}

/**
 * χ² quantile with k degrees of freedom: bisection on the CDF (lower levels) or the
 * survival function (upper levels), so that neither end loses precision to 1 − p. Bisection
 * to adjacent doubles is slow-ish (≈ 1,100 halvings at worst) but a seed-noise report asks
 * for two quantiles, and it cannot diverge.
 */
function chiSquareQuantile(p: number, degreesOfFreedom: number): number {
  if (!(p > 0 && p < 1) || !(degreesOfFreedom > 0)) return Number.NaN;
  const upper = p > 0.5;
  const target = upper ? 1 - p : p;
  // Decreasing in x on the tail that is solved for: below the quantile it is too large (upper) or too small (lower).
  const belowQuantile = (x: number): boolean => (upper ? chiSquareSurvival(x, degreesOfFreedom) > target : chiSquareCdf(x, degreesOfFreedom) < target);
  let high = Math.max(1, degreesOfFreedom);
  while (belowQuantile(high)) high *= 2;
  let low = 0;
  for (;;) {
    const middle = (low + high) / 2;
    if (middle <= low || middle >= high) return middle;
    if (belowQuantile(middle)) low = middle;
    else high = middle;
  }
}

export interface SeedSpread {
  /** Number of seeds (finite values). */
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1 divisor); NaN below two seeds. */
  sd: number;
  min: number;
  max: number;
  /** max − min. */
  range: number;
  /**
   * Confidence interval of the seed SD σ: [s·√((n−1)/χ²_{1−α/2}), s·√((n−1)/χ²_{α/2})] with
   * n − 1 degrees of freedom. Exact for normally distributed seed results; with 3 to 5 seeds it
   * is wide (at n = 3 the upper end is 4.4·s), which is the point of reporting it.
   */
  sdInterval: Interval;
}

/** Between-seed spread of one metric for one configuration (one value per seed). */
export function seedSpread(values: ArrayLike<number>, options: { confidence?: number } = {}): SeedSpread {
  const confidence = options.confidence ?? 0.95;
  checkConfidence(confidence);
  const data = finiteCopy(values, 'seedSpread');
  const n = data.length;
  if (n === 0) throw new RangeError('seedSpread needs at least one value');
  let mean = 0;
  let sumSquares = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    // Welford (1962): metrics such as 0.9132 vs 0.9141 share a large offset.
    const v = data[i]!;
    const delta = v - mean;
    mean += delta / (i + 1);
    sumSquares += delta * (v - mean);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (n < 2) {
    return { n, mean, sd: Number.NaN, min, max, range: 0, sdInterval: { estimate: Number.NaN, low: Number.NaN, high: Number.NaN, confidence } };
  }
  const df = n - 1;
  const variance = sumSquares / df;
  const sd = Math.sqrt(variance);
  const alpha = (1 - confidence) / 2;
  const low = Math.sqrt((df * variance) / chiSquareQuantile(1 - alpha, df));
  const high = Math.sqrt((df * variance) / chiSquareQuantile(alpha, df));
  return { n, mean, sd, min, max, range: max - min, sdInterval: { estimate: sd, low, high, confidence } };
}

export type GapVerdict = 'within-noise' | 'beyond-noise' | 'inconclusive';

export interface GapVersusSeedNoise {
  /** The gap compared: the claimed one when given, else mean(A) − mean(B). */
  gap: number;
  /** mean(A) − mean(B) over the seeds given. */
  observedGap: number;
  /** Seed SD: pooled over both configurations when both have ≥ 2 seeds, else the one that has. */
  seedSd: Interval & { degreesOfFreedom: number };
  /** Runs per configuration behind the claimed gap (1 = one run each, the usual table entry). */
  runsPerConfiguration: number;
  /** SD of a difference of two means of `runsPerConfiguration` runs from seed noise alone: σ·√(2/k). */
  noiseSdOfGap: number;
  /** |gap| / noiseSdOfGap. */
  gapInNoiseSds: number;
  /**
   * Two-sided probability that seed noise alone gives a difference at least |gap| (normal
   * seed noise, σ at its point estimate).
   */
  probabilityNoiseAtLeastGap: number;
  /** |gap| ≤ the largest seed range of the two configurations. */
  withinSeedRange: boolean;
  /**
   * `beyond-noise`: |gap| > z_{1−α/2}·σ_high·√(2/k), i.e. even the largest plausible seed SD
   * produces a gap this size less than α of the time. `within-noise`: |gap| ≤ z·σ_low·√(2/k),
   * even the smallest plausible SD produces it more often than α. Otherwise `inconclusive`
   * (more seeds narrow the SD interval).
   */
  verdict: GapVerdict;
  confidence: number;
}

/**
 * Compares a claimed gap between configurations A and B with their spread across seeds.
 * `a` and `b` hold one metric value per seed (B may be empty when only A was rerun: its
 * spread then stands for both). The noise model is the one the claim implicitly rejects:
 * both configurations share the seed SD σ, and the gap is a difference of means of k runs.
 */
export function gapVersusSeedNoise(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options: { claimedGap?: number; runsPerConfiguration?: number; confidence?: number } = {},
): GapVersusSeedNoise {
  const confidence = options.confidence ?? 0.95;
  checkConfidence(confidence);
  const k = options.runsPerConfiguration ?? 1;
  if (!Number.isSafeInteger(k) || k < 1) throw new RangeError(`runsPerConfiguration must be a positive integer, got ${k}`);
  const spreadA = seedSpread(a, { confidence });
  const spreadB = b.length > 0 ? seedSpread(b, { confidence }) : undefined;
  const dfA = spreadA.n - 1;
  const dfB = spreadB ? spreadB.n - 1 : 0;
  const df = dfA + dfB;
  if (df < 1) throw new RangeError('gapVersusSeedNoise needs at least two seeds of one configuration');
  const pooledVariance = ((dfA > 0 ? dfA * spreadA.sd ** 2 : 0) + (spreadB && dfB > 0 ? dfB * spreadB.sd ** 2 : 0)) / df;
  const alpha = (1 - confidence) / 2;
  const sd = Math.sqrt(pooledVariance);
  const sdLow = Math.sqrt((df * pooledVariance) / chiSquareQuantile(1 - alpha, df));
  const sdHigh = Math.sqrt((df * pooledVariance) / chiSquareQuantile(alpha, df));
  const observedGap = spreadB ? spreadA.mean - spreadB.mean : Number.NaN;
  const gap = options.claimedGap ?? observedGap;
  if (!Number.isFinite(gap)) throw new RangeError('gapVersusSeedNoise: give claimedGap, or seeds of both configurations');
  const scale = Math.sqrt(2 / k);
  const noiseSdOfGap = sd * scale;
  const size = Math.abs(gap);
  const z = normalQuantile(1 - alpha);
  const gapInNoiseSds = noiseSdOfGap > 0 ? size / noiseSdOfGap : size > 0 ? Number.POSITIVE_INFINITY : 0;
  const probabilityNoiseAtLeastGap = noiseSdOfGap > 0 ? 2 * normalSurvival(gapInNoiseSds) : size > 0 ? 0 : 1;
  const verdict: GapVerdict = size > z * sdHigh * scale ? 'beyond-noise' : size <= z * sdLow * scale ? 'within-noise' : 'inconclusive';
  return {
    gap,
    observedGap,
    seedSd: { estimate: sd, low: sdLow, high: sdHigh, confidence, degreesOfFreedom: df },
    runsPerConfiguration: k,
    noiseSdOfGap,
    gapInNoiseSds,
    probabilityNoiseAtLeastGap,
    withinSeedRange: size <= Math.max(spreadA.range, spreadB?.range ?? 0),
    verdict,
    confidence,
  };
}

/**
 * Seeds per arm for a two-sided comparison of two means (pooled t test, equal seeds per arm)
 * at level 1 − `confidence` to show a gap of `gap` with probability `power`, when runs spread
 * across seeds with SD `sd`: the smallest n ≥ 2 with
 *   n ≥ 2 · ((t_{1−α/2, 2n−2} + t_{power, 2n−2}) · sd / gap)²,
 * the usual t correction of the normal formula (whose n is Lehr's rule 16 / d², d = gap / sd,
 * at α = 0.05 and power 0.8; Lehr 1992). It reproduces Cohen's table (Statistical Power
 * Analysis, 1988, table 2.4.1): 17, 26 and 64 seeds per arm at d = 1, 0.8 and 0.5. The
 * normal formula alone gives a t test well under the power asked for with few seeds (0.73 at
 * d = 1.5, n = 7). Infinite for a zero gap with a non-zero SD.
 */
export function seedsForPower(sd: number, gap: number, options: { confidence?: number; power?: number } = {}): number {
  const confidence = options.confidence ?? 0.95;
  const power = options.power ?? 0.8;
  checkConfidence(confidence);
  if (!(power > 0 && power < 1)) throw new RangeError(`power must be in (0, 1), got ${power}`);
  if (!(sd >= 0) || !Number.isFinite(sd)) throw new RangeError(`sd must be a finite non-negative number, got ${sd}`);
  if (!Number.isFinite(gap)) throw new RangeError(`gap must be finite, got ${gap}`);
  const size = Math.abs(gap);
  if (sd === 0) return 2;
  if (size === 0) return Number.POSITIVE_INFINITY;
  const required = (n: number) => 2 * (((studentTQuantile(1 - (1 - confidence) / 2, 2 * n - 2) + studentTQuantile(power, 2 * n - 2)) * sd) / size) ** 2;
  // The normal formula's n is a lower bound (t quantiles exceed z); step up from it.
  const z = normalQuantile(1 - (1 - confidence) / 2) + normalQuantile(power);
  let n = Math.max(2, Math.ceil(2 * ((z * sd) / size) ** 2));
  while (n < required(n)) n++;
  return n;
}

/** γ of Bouthillier et al. (2021): P(A > B) ≥ 0.75 is their example of a meaningful improvement. */
export const DEFAULT_MEANINGFUL_PROBABILITY = 0.75;

export interface ProbabilityOfOutperforming {
  /** Share of pairs where A beats B, ties counting ½. */
  estimate: number;
  /** Percentile bootstrap over the pairs. */
  interval: BootstrapInterval;
  n: number;
  wins: number;
  ties: number;
  losses: number;
  /** The interval excludes 0.5 (on either side). */
  significant: boolean;
  /** A is better: the interval lies above 0.5 and its lower bound exceeds γ. */
  meaningful: boolean;
  gamma: number;
  /** Whether a larger value is better (accuracy) or a smaller one (loss, error). */
  higherIsBetter: boolean;
}

/**
 * P(A > B) over paired runs (Bouthillier et al. 2021, §4): a[i] and b[i] come from the same
 * seed/split i. The estimate is the share of pairs where A is better, ties counting ½; its
 * interval is the percentile bootstrap over pairs (seeded). Decision rule of the paper's
 * recommendations: the improvement is `significant` when the interval excludes 0.5, and
 * `meaningful` when A is the better one (lower bound above 0.5) and the interval's upper
 * bound exceeds γ (default 0.75, the paper's example; a parameter because what is meaningful
 * depends on the field): the data do not rule out an improvement worth reporting. Stated from
 * the paper as recalled; its text was not available here to quote (see the closing note of
 * issue 4). The stricter reading (lower bound above γ) is `interval.low > gamma`.
 */
export function probabilityOfOutperforming(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options: { gamma?: number; higherIsBetter?: boolean; resamples?: number; seed?: number; confidence?: number } = {},
): ProbabilityOfOutperforming {
  const gamma = options.gamma ?? DEFAULT_MEANINGFUL_PROBABILITY;
  if (!(gamma >= 0.5 && gamma < 1)) throw new RangeError(`gamma must be in [0.5, 1), got ${gamma}`);
  const higherIsBetter = options.higherIsBetter ?? true;
  const confidence = options.confidence ?? 0.95;
  checkConfidence(confidence);
  const x = finiteCopy(a, 'probabilityOfOutperforming (A)');
  const y = finiteCopy(b, 'probabilityOfOutperforming (B)');
  if (x.length !== y.length) throw new RangeError(`probabilityOfOutperforming: ${x.length} runs of A but ${y.length} of B`);
  const n = x.length;
  if (n < 2) throw new RangeError(`probabilityOfOutperforming needs at least 2 pairs, got ${n}`);
  const outcomes = new Float64Array(n);
  let wins = 0;
  let ties = 0;
  for (let i = 0; i < n; i++) {
    const d = higherIsBetter ? x[i]! - y[i]! : y[i]! - x[i]!;
    if (d > 0) {
      outcomes[i] = 1;
      wins++;
    } else if (d === 0) {
      outcomes[i] = 0.5;
      ties++;
    }
  }
  const seed = options.seed ?? 0;
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const replicates = bootstrapReplicates(outcomes, 'mean', resamples, createRng(seed));
  const interval = intervalFromReplicates(outcomes, 'mean', replicates, { confidence, method: 'percentile', seed });
  const significant = interval.low > 0.5 || interval.high < 0.5;
  return {
    estimate: interval.estimate,
    interval,
    n,
    wins,
    ties,
    losses: n - wins - ties,
    significant,
    meaningful: interval.low > 0.5 && interval.high > gamma,
    gamma,
    higherIsBetter,
  };
}

export interface ExpectedMaximumCurve {
  /** N = 1, 2, …, maxTrials. */
  trials: Int32Array;
  /** E[max of N draws] from the empirical distribution of the scores. */
  expectedMax: Float64Array;
  /** Var[max of N draws]. */
  variance: Float64Array;
  /** √variance. */
  sd: Float64Array;
  /** Number of observed scores. */
  n: number;
}

/**
 * Expected maximum of N trials (Dodge et al. 2019, §3): with the n observed scores sorted
 * ascending v₍₁₎ ≤ … ≤ v₍ₙ₎, the best of N i.i.d. draws from their empirical distribution is
 * v₍ᵢ₎ with probability wᵢ = (i/n)^N − ((i−1)/n)^N, so E = Σ wᵢ v₍ᵢ₎ and
 * Var = Σ wᵢ v₍ᵢ₎² − E². The variance is computed as Σ wᵢ (v₍ᵢ₎ − E)² (the same quantity) so
 * that it cannot come out negative by cancellation. Ties need no special case: tied values
 * take the sum of their weights. `maxTrials` defaults to n; larger N extrapolates (the curve
 * then approaches the observed maximum, it never exceeds it).
 */
export function expectedMaximum(scores: ArrayLike<number>, options: { maxTrials?: number } = {}): ExpectedMaximumCurve {
  const sorted = finiteCopy(scores, 'expectedMaximum').sort();
  const n = sorted.length;
  if (n === 0) throw new RangeError('expectedMaximum needs at least one score');
  const maxTrials = options.maxTrials ?? n;
  if (!Number.isSafeInteger(maxTrials) || maxTrials < 1) throw new RangeError(`maxTrials must be a positive integer, got ${maxTrials}`);
  const trials = new Int32Array(maxTrials);
  const expectedMax = new Float64Array(maxTrials);
  const variance = new Float64Array(maxTrials);
  const sd = new Float64Array(maxTrials);
  const weights = new Float64Array(n);
  for (let t = 0; t < maxTrials; t++) {
    const draws = t + 1;
    let previous = 0;
    let mean = 0;
    for (let i = 0; i < n; i++) {
      const current = ((i + 1) / n) ** draws;
      weights[i] = current - previous;
      previous = current;
      mean += weights[i]! * sorted[i]!;
    }
    let spread = 0;
    for (let i = 0; i < n; i++) spread += weights[i]! * (sorted[i]! - mean) ** 2;
    trials[t] = draws;
    expectedMax[t] = mean;
    variance[t] = spread;
    sd[t] = Math.sqrt(spread);
  }
  return { trials, expectedMax, variance, sd, n };
}
