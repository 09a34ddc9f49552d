/**
 * Is the difference between two systems on the same items real? Paired tests and power.
 *
 * References:
 * - Koehn (2004), "Statistical significance tests for machine translation evaluation", EMNLP
 *   (paired bootstrap resampling).
 * - Berg-Kirkpatrick, Burkett & Klein (2012), "An empirical investigation of statistical
 *   significance in NLP", EMNLP (the bootstrap p-value as a shifted test).
 * - Noreen (1989), Computer-Intensive Methods for Testing Hypotheses (approximate
 *   randomization); Riezler & Maxwell (2005) for its use on paired system outputs.
 * - McNemar (1947), Psychometrika 12:153–157; the exact form is the binomial test on the
 *   discordant pairs (as statsmodels' `mcnemar(exact=True)` and scipy's `binomtest`).
 * - Power: the normal approximation for a paired difference (e.g. Connor 1987, Biometrics
 *   43:207–211, with the null standard deviation in both terms).
 *
 * Every system's score is the mean of per-item scores; the paired difference is the mean of
 * d_i = a_i − b_i. Random tests take a seed and report it.
 */
import { binomialCdf, normalQuantile } from './distributions.js';
import { bootstrapReplicates, DEFAULT_RESAMPLES, intervalFromReplicates, type BootstrapInterval, type BootstrapMethod } from './bootstrap.js';
import { sampleBinomial } from './binomial-sampler.js';
import { createRng, type Rng } from './rng.js';

export interface PairedTestResult {
  test: 'paired-bootstrap' | 'approximate-randomization' | 'mcnemar-exact';
  /** Mean of a − b over the items. */
  difference: number;
  /** Two-sided p-value. */
  pValue: number;
  n: number;
}

function differences(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  if (a.length !== b.length) throw new RangeError(`paired test: ${a.length} items in A but ${b.length} in B`);
  const d = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    d[i] = a[i]! - b[i]!;
    if (!Number.isFinite(d[i]!)) throw new RangeError(`paired test: item ${i} has a non-finite score (${a[i]}, ${b[i]})`);
  }
  return d;
}

function mean(values: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/**
 * Floating-point sums of the same numbers in another order differ in the last bits; a
 * resample whose sum equals the observed one must count as "at least as extreme".
 */
function sumTolerance(d: Float64Array): number {
  let scale = 0;
  for (let i = 0; i < d.length; i++) scale += Math.abs(d[i]!);
  return 1e-12 * scale;
}

/** The four agreement cells of paired 0/1 outcomes, or null when any outcome is not 0 or 1. */
function agreementCells(a: ArrayLike<number>, b: ArrayLike<number>): { onlyA: number; onlyB: number } | null {
  let onlyA = 0;
  let onlyB = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if ((x !== 0 && x !== 1) || (y !== 0 && y !== 1)) return null;
    if (x !== y) {
      if (x === 1) onlyA++;
      else onlyB++;
    }
  }
  return { onlyA, onlyB };
}

/**
 * Bootstrap replicates of the mean difference for 0/1 outcomes without touching items: a
 * resample of n items with replacement puts Multinomial(n; p11, p10, p01, p00) items in the
 * four agreement cells (both right, only A, only B, both wrong, at their observed shares),
 * and its mean difference is (n10* − n01*)/n. The multinomial is drawn as a chain of exact
 * binomials, n10* ~ Bin(n, p10) then n01* ~ Bin(n − n10*, p01/(1 − p10)); the split of the
 * rest between the two concordant cells does not move the difference, so it is not drawn.
 * The replicates have exactly the distribution of the item-level bootstrap's (another
 * random stream, so other values for the same seed), at O(1) cost per resample.
 */
function agreementCellReplicates(n: number, onlyA: number, onlyB: number, resamples: number, rng: Rng): Float64Array {
  const replicates = new Float64Array(resamples);
  const pOnlyA = onlyA / n;
  const pOnlyBGivenNotA = onlyB / (n - onlyA);
  for (let r = 0; r < resamples; r++) {
    const resampledA = sampleBinomial(rng, n, pOnlyA);
    const resampledB = n - resampledA > 0 ? sampleBinomial(rng, n - resampledA, Math.min(1, pOnlyBGivenNotA)) : 0;
    replicates[r] = (resampledA - resampledB) / n;
  }
  return replicates;
}

/**
 * Paired bootstrap (Koehn 2004): resample items with replacement, keeping each item's pair
 * together. The p-value is the two-sided shifted form of Berg-Kirkpatrick et al. (2012):
 * the resampled differences, centred on the observed one, stand for the null distribution,
 * so p = (#{|δ* − δ| ≥ |δ|} + 1)/(B + 1). (Their one-sided form counts δ* > 2δ, the same
 * shift.) The +1 counts the observed sample among the resamples, so p is never 0 from a
 * finite number of resamples. The same replicates give the interval of the difference.
 *
 * When every outcome is 0 or 1, `resampling: 'auto'` (the default) draws the resamples
 * from the four agreement cells (see agreementCellReplicates): same distribution, O(B)
 * instead of O(B·n). `resampling: 'items'` forces the item-level draw.
 */
export function pairedBootstrap(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options: { resamples?: number; seed?: number; confidence?: number; method?: BootstrapMethod; resampling?: 'auto' | 'items' } = {},
): PairedTestResult & {
  test: 'paired-bootstrap';
  interval: BootstrapInterval;
  resamples: number;
  seed: number;
  /** How the resamples were drawn: item indices, or agreement-cell counts (0/1 outcomes). */
  resampling: 'items' | 'agreement-cells';
} {
  const d = differences(a, b);
  const seed = options.seed ?? 0;
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  if (d.length < 2) throw new RangeError(`paired bootstrap needs at least 2 items, got ${d.length}`);
  if (!Number.isSafeInteger(resamples) || resamples < 2) throw new RangeError(`resamples must be an integer ≥ 2, got ${resamples}`);
  const observed = mean(d);
  const cells = (options.resampling ?? 'auto') === 'auto' ? agreementCells(a, b) : null;
  const replicates = cells
    ? agreementCellReplicates(d.length, cells.onlyA, cells.onlyB, resamples, createRng(seed))
    : bootstrapReplicates(d, 'mean', resamples, createRng(seed));
  const tolerance = sumTolerance(d) / d.length;
  let extreme = 0;
  for (let r = 0; r < resamples; r++) if (Math.abs(replicates[r]! - observed) >= Math.abs(observed) - tolerance) extreme++;
  const pValue = (extreme + 1) / (resamples + 1);
  const interval = intervalFromReplicates(d, 'mean', replicates, { confidence: options.confidence, method: options.method, seed });
  return { test: 'paired-bootstrap', difference: observed, pValue, n: d.length, interval, resamples, seed, resampling: cells ? 'agreement-cells' : 'items' };
}

/**
 * Approximate randomization (Noreen 1989): under the null the two systems' outputs on an
 * item are exchangeable, so each round swaps every pair with probability ½ (flips the sign
 * of d_i) and p = (#{|mean d^r| ≥ |mean d|} + 1)/(R + 1). Pairs with d_i = 0 cannot change
 * and draw no random bit.
 */
export function approximateRandomization(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options: { rounds?: number; seed?: number } = {},
): PairedTestResult & { test: 'approximate-randomization'; rounds: number; seed: number } {
  const d = differences(a, b);
  const rounds = options.rounds ?? DEFAULT_RESAMPLES;
  if (!Number.isSafeInteger(rounds) || rounds < 1) throw new RangeError(`rounds must be a positive integer, got ${rounds}`);
  const seed = options.seed ?? 0;
  const rng = createRng(seed);
  const nonzero = d.filter((x) => x !== 0);
  const observedSum = nonzero.reduce((s, x) => s + x, 0);
  const tolerance = sumTolerance(nonzero);
  let extreme = 0;
  for (let r = 0; r < rounds; r++) {
    let sum = 0;
    let bits = 0;
    let left = 0;
    for (let i = 0; i < nonzero.length; i++) {
      if (left === 0) {
        bits = rng.nextUint32();
        left = 32;
      }
      sum += bits & 1 ? -nonzero[i]! : nonzero[i]!;
      bits >>>= 1;
      left--;
    }
    if (Math.abs(sum) >= Math.abs(observedSum) - tolerance) extreme++;
  }
  return {
    test: 'approximate-randomization',
    difference: d.length > 0 ? observedSum / d.length : Number.NaN,
    pValue: (extreme + 1) / (rounds + 1),
    n: d.length,
    rounds,
    seed,
  };
}

export interface McNemarResult extends PairedTestResult {
  test: 'mcnemar-exact';
  /** Items A got right and B wrong. */
  onlyA: number;
  /** Items B got right and A wrong. */
  onlyB: number;
}

/**
 * Exact McNemar test from the discordant counts: under the null each discordant pair is
 * equally likely to favour either system, so min(b, c) ~ Binomial(b + c, ½) and the
 * two-sided p = min(1, 2·P(X ≤ min(b, c))) (the binomial is symmetric at ½, so this equals
 * scipy.stats.binomtest(b, b + c).pvalue). No discordant pair gives p = 1.
 */
export function mcnemarExact(onlyA: number, onlyB: number, n = onlyA + onlyB): McNemarResult {
  if (!Number.isSafeInteger(onlyA) || !Number.isSafeInteger(onlyB) || onlyA < 0 || onlyB < 0 || n < onlyA + onlyB) {
    throw new RangeError(`mcnemarExact: need non-negative integer counts with b + c ≤ n, got b=${onlyA}, c=${onlyB}, n=${n}`);
  }
  const discordant = onlyA + onlyB;
  const pValue = discordant === 0 ? 1 : Math.min(1, 2 * binomialCdf(Math.min(onlyA, onlyB), discordant, 0.5));
  return { test: 'mcnemar-exact', difference: n > 0 ? (onlyA - onlyB) / n : Number.NaN, pValue, n, onlyA, onlyB };
}

/** McNemar on paired 0/1 outcomes; anything other than 0 or 1 is an error. */
export function mcnemarFromOutcomes(a: ArrayLike<number>, b: ArrayLike<number>): McNemarResult {
  if (a.length !== b.length) throw new RangeError(`McNemar: ${a.length} items in A but ${b.length} in B`);
  let onlyA = 0;
  let onlyB = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if ((x !== 0 && x !== 1) || (y !== 0 && y !== 1)) throw new RangeError(`McNemar needs 0/1 outcomes; item ${i} has (${x}, ${y})`);
    if (x === 1 && y === 0) onlyA++;
    else if (x === 0 && y === 1) onlyB++;
  }
  return mcnemarExact(onlyA, onlyB, a.length);
}

export interface PowerOptions {
  /** Two-sided significance level (default 0.05). */
  alpha?: number;
  /** Probability of detecting the effect when it is real (default 0.8). */
  power?: number;
}

function zSum(options: PowerOptions): number {
  const alpha = options.alpha ?? 0.05;
  const power = options.power ?? 0.8;
  if (!(alpha > 0 && alpha < 1) || !(power > 0 && power < 1)) throw new RangeError(`alpha and power must be in (0, 1), got ${alpha}, ${power}`);
  return normalQuantile(1 - alpha / 2) + normalQuantile(power);
}

/**
 * Standard deviation of d_i = a_i − b_i for 0/1 outcomes under the null (equal accuracies):
 * d_i is ±1 on the discordant share ψ of items and 0 elsewhere, so Var(d) = ψ − Δ² = ψ at Δ = 0.
 */
export function pairedProportionSd(discordanceRate: number): number {
  if (!(discordanceRate >= 0 && discordanceRate <= 1)) throw new RangeError(`discordance rate must be in [0, 1], got ${discordanceRate}`);
  return Math.sqrt(discordanceRate);
}

/**
 * Minimum detectable effect of a paired comparison on n items (normal approximation):
 * MDE = (z_{1−α/2} + z_{power})·sd_d/√n, where sd_d is the standard deviation of the
 * per-item difference (for 0/1 outcomes `pairedProportionSd(ψ)`).
 */
export function minimumDetectableEffect(n: number, sdDifference: number, options: PowerOptions = {}): number {
  if (!(n > 0) || !(sdDifference >= 0)) throw new RangeError(`need n > 0 and sd ≥ 0, got n=${n}, sd=${sdDifference}`);
  return (zSum(options) * sdDifference) / Math.sqrt(n);
}

/**
 * Items needed to detect a paired difference `effect` (the inverse of
 * minimumDetectableEffect): n = ⌈((z_{1−α/2} + z_{power})·sd_d/effect)²⌉.
 */
export function itemsNeeded(effect: number, sdDifference: number, options: PowerOptions = {}): number {
  if (!(effect !== 0 && Number.isFinite(effect)) || !(sdDifference >= 0)) {
    throw new RangeError(`need a non-zero effect and sd ≥ 0, got effect=${effect}, sd=${sdDifference}`);
  }
  // The ceiling of a value that is an integer up to rounding would add a spurious item.
  const exact = ((zSum(options) * sdDifference) / Math.abs(effect)) ** 2;
  return Math.max(1, Math.ceil(exact - 1e-9));
}
