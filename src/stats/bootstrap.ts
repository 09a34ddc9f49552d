/**
 * Bootstrap intervals for a statistic of one sample, and clustered standard errors of a mean.
 *
 * References:
 * - Efron (1987), "Better bootstrap confidence intervals", JASA 82:171–185; Efron &
 *   Tibshirani (1993), An Introduction to the Bootstrap, §14.3 (BCa) and §13.3 (percentile).
 * - Miller (2024), "Adding Error Bars to Evals: A Statistical Approach to Language Model
 *   Evaluations", arXiv:2411.00640, §2.2 (clustered standard errors).
 *
 * BCa follows scipy.stats.bootstrap(method='BCa') so that the two agree on the same data up
 * to Monte Carlo error: the bias correction z0 = Φ⁻¹(share of replicates below the
 * estimate, ties counted half), the acceleration from the jackknife, and the interval's ends
 * read from the replicates by linear interpolation (numpy.percentile's default).
 */
import { normalCdf, normalQuantile } from './distributions.js';
import type { Interval } from './intervals.js';
import { createRng, type Rng } from './rng.js';

/**
 * A statistic of one sample. `'mean'` takes a fast path (no copy of each resample, O(n)
 * jackknife); a function receives a resample in a reused buffer and must not keep it.
 */
export type Statistic = 'mean' | ((sample: Float64Array) => number);

export type BootstrapMethod = 'percentile' | 'bca';

export interface BootstrapOptions {
  /** Number of resamples; 10,000 keeps the Monte Carlo error of a 95 % bound near 1 % of its width. */
  resamples?: number;
  confidence?: number;
  method?: BootstrapMethod;
  /** Seed of the resampling (reported back); ignored when `rng` is given. */
  seed?: number;
  rng?: Rng;
}

export interface BootstrapInterval extends Interval {
  method: BootstrapMethod;
  resamples: number;
  seed: number;
  n: number;
  /** Standard deviation of the bootstrap replicates (the bootstrap standard error). */
  standardError: number;
  /** BCa only: bias correction z0 and acceleration a. */
  biasCorrection?: number;
  acceleration?: number;
}

export const DEFAULT_RESAMPLES = 10_000;

function checkResamples(resamples: number): void {
  if (!Number.isSafeInteger(resamples) || resamples < 2) throw new RangeError(`resamples must be an integer ≥ 2, got ${resamples}`);
}

function evaluate(values: Float64Array, statistic: Statistic): number {
  if (statistic !== 'mean') return statistic(values);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/**
 * The statistic on `resamples` resamples drawn with replacement (n indices each, uniform,
 * from `rng`), in draw order.
 */
export function bootstrapReplicates(values: Float64Array, statistic: Statistic, resamples: number, rng: Rng): Float64Array {
  checkResamples(resamples);
  const n = values.length;
  if (n < 1 || n > 2 ** 32) throw new RangeError(`bootstrap needs 1 to 2^32 values, got ${n}`);
  const replicates = new Float64Array(resamples);
  // rng.integer(0, n) inlined (same draws, same stream): the per-call argument checks cost
  // a third of the time when drawing tens of millions of indices.
  const limit = 2 ** 32 - (2 ** 32 % n);
  const nextIndex = (): number => {
    let draw = rng.nextUint32();
    while (draw >= limit) draw = rng.nextUint32();
    return draw % n;
  };
  if (statistic === 'mean') {
    for (let b = 0; b < resamples; b++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += values[nextIndex()]!;
      replicates[b] = sum / n;
    }
    return replicates;
  }
  const buffer = new Float64Array(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) buffer[i] = values[nextIndex()]!;
    replicates[b] = statistic(buffer);
  }
  return replicates;
}

/** numpy.percentile's default ("linear"): position q·(B − 1) in the sorted replicates. */
export function sortedQuantile(sorted: Float64Array, q: number): number {
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  const fraction = position - below;
  return sorted[below]! + fraction * (sorted[above]! - sorted[below]!);
}

/**
 * The jackknife acceleration of Efron (1987): a = Σ(θ̄ − θ₍ᵢ₎)³ / (6·(Σ(θ̄ − θ₍ᵢ₎)²)^{3/2}),
 * where θ₍ᵢ₎ leaves item i out. O(n) for the mean, O(n²) for a general statistic. Zero when
 * every leave-one-out value is the same (a constant sample).
 */
export function jackknifeAcceleration(values: Float64Array, statistic: Statistic): number {
  const n = values.length;
  const leaveOneOut = new Float64Array(n);
  if (statistic === 'mean') {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[i]!;
    for (let i = 0; i < n; i++) leaveOneOut[i] = (sum - values[i]!) / (n - 1);
  } else {
    const buffer = new Float64Array(n - 1);
    for (let i = 0; i < n; i++) {
      for (let j = 0, k = 0; j < n; j++) if (j !== i) buffer[k++] = values[j]!;
      leaveOneOut[i] = statistic(buffer);
    }
  }
  let mean = 0;
  for (let i = 0; i < n; i++) mean += leaveOneOut[i]!;
  mean /= n;
  let squares = 0;
  let cubes = 0;
  for (let i = 0; i < n; i++) {
    const d = mean - leaveOneOut[i]!;
    squares += d * d;
    cubes += d * d * d;
  }
  return squares > 0 ? cubes / (6 * squares ** 1.5) : 0;
}

/**
 * The interval from given replicates. Percentile: the α/2 and 1 − α/2 quantiles. BCa: those
 * quantile levels moved to Φ(z0 + (z0 + z)/(1 − a(z0 + z))) for z = z_{α/2}, z_{1−α/2}.
 * Replicates are sorted in place.
 */
export function intervalFromReplicates(
  values: Float64Array,
  statistic: Statistic,
  replicates: Float64Array,
  options: { confidence?: number; method?: BootstrapMethod; seed: number },
): BootstrapInterval {
  const confidence = options.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  const method = options.method ?? 'bca';
  const n = values.length;
  const estimate = evaluate(values, statistic);
  const resamples = replicates.length;
  let mean = 0;
  for (let b = 0; b < resamples; b++) mean += replicates[b]!;
  mean /= resamples;
  let squares = 0;
  for (let b = 0; b < resamples; b++) squares += (replicates[b]! - mean) ** 2;
  const standardError = Math.sqrt(squares / (resamples - 1));
  replicates.sort();
  const alpha = (1 - confidence) / 2;
  const base = { estimate, confidence, method, resamples, seed: options.seed, n, standardError };
  if (method === 'percentile') {
    return { ...base, low: sortedQuantile(replicates, alpha), high: sortedQuantile(replicates, 1 - alpha) };
  }
  let below = 0;
  let tied = 0;
  for (let b = 0; b < resamples; b++) {
    if (replicates[b]! < estimate) below++;
    else if (replicates[b] === estimate) tied++;
  }
  const biasCorrection = normalQuantile((below + tied / 2) / resamples);
  const acceleration = jackknifeAcceleration(values, statistic);
  const level = (z: number): number => {
    const shifted = biasCorrection + z;
    return normalCdf(biasCorrection + shifted / (1 - acceleration * shifted));
  };
  const lowLevel = level(normalQuantile(alpha));
  const highLevel = level(normalQuantile(1 - alpha));
  // All replicates on one side of the estimate (z0 = ±∞): BCa is undefined, as in scipy.
  if (!Number.isFinite(biasCorrection) || Number.isNaN(lowLevel) || Number.isNaN(highLevel)) {
    return { ...base, low: Number.NaN, high: Number.NaN, biasCorrection, acceleration };
  }
  return {
    ...base,
    low: sortedQuantile(replicates, lowLevel),
    high: sortedQuantile(replicates, highLevel),
    biasCorrection,
    acceleration,
  };
}

/**
 * Bootstrap confidence interval of `statistic` over `values` (BCa by default). Non-finite
 * values are an error (the caller decides what a missing result means). Fewer than two
 * values give NaN bounds.
 */
export function bootstrapInterval(values: ArrayLike<number>, statistic: Statistic = 'mean', options: BootstrapOptions = {}): BootstrapInterval {
  const data = Float64Array.from(values);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) throw new RangeError(`bootstrapInterval: value ${i} is not finite (${data[i]})`);
  }
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  checkResamples(resamples);
  const rng = options.rng ?? createRng(options.seed ?? 0);
  const method = options.method ?? 'bca';
  const confidence = options.confidence ?? 0.95;
  if (data.length < 2) {
    const estimate = data.length === 1 ? evaluate(data, statistic) : Number.NaN;
    return { estimate, low: Number.NaN, high: Number.NaN, confidence, method, resamples, seed: rng.seed, n: data.length, standardError: Number.NaN };
  }
  const replicates = bootstrapReplicates(data, statistic, resamples, rng);
  return intervalFromReplicates(data, statistic, replicates, { confidence, method, seed: rng.seed });
}

export interface ClusteredMean extends Interval {
  n: number;
  clusters: number;
  /** Cluster-robust standard error (Miller 2024, eq. 4; Liang & Zeger 1986 without small-sample factor). */
  standardError: number;
  /** The ordinary standard error s/√n (n − 1 divisor), for comparison. */
  naiveStandardError: number;
}

/**
 * Mean of `values` with the cluster-robust standard error of Miller (2024):
 *   SE = sqrt( Σ_c (Σ_{i∈c} (x_i − x̄))² ) / n.
 * Items with a null cluster id are clusters of their own. With every item its own cluster
 * the sum is Σ(x_i − x̄)² = (n − 1)s², so SE = s·√(n − 1)/n = (s/√n)·√((n − 1)/n): the
 * ordinary standard error times √((n − 1)/n) (the sandwich estimator's 1/n variance).
 * The interval is x̄ ± z·SE with the normal quantile, as in the paper.
 */
export function clusteredMean(values: ArrayLike<number>, clusterIds: ArrayLike<string | number | null>, confidence = 0.95): ClusteredMean {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  const n = values.length;
  if (clusterIds.length !== n) throw new RangeError(`clusteredMean: ${n} values but ${clusterIds.length} cluster ids`);
  let mean = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i]!)) throw new RangeError(`clusteredMean: value ${i} is not finite (${values[i]})`);
    mean += values[i]!;
  }
  mean /= n;
  const residualSums = new Map<string | number, number>();
  let betweenSquares = 0;
  let withinSquares = 0;
  for (let i = 0; i < n; i++) {
    const residual = values[i]! - mean;
    withinSquares += residual * residual;
    const id = clusterIds[i];
    if (id === null || id === undefined) betweenSquares += residual * residual;
    else residualSums.set(id, (residualSums.get(id) ?? 0) + residual);
  }
  for (const sum of residualSums.values()) betweenSquares += sum * sum;
  let singletons = 0;
  for (let i = 0; i < n; i++) if (clusterIds[i] === null || clusterIds[i] === undefined) singletons++;
  const standardError = n > 0 ? Math.sqrt(betweenSquares) / n : Number.NaN;
  const naiveStandardError = n > 1 ? Math.sqrt(withinSquares / (n - 1) / n) : Number.NaN;
  const z = normalQuantile(1 - (1 - confidence) / 2);
  return {
    estimate: n > 0 ? mean : Number.NaN,
    low: mean - z * standardError,
    high: mean + z * standardError,
    confidence,
    n,
    clusters: residualSums.size + singletons,
    standardError,
    naiveStandardError,
  };
}
