/**
 * Exact binomial random variates from a seeded `Rng`.
 *
 * References:
 * - Hörmann (1993), "The generation of binomial random variates", Journal of Statistical
 *   Computation and Simulation 46:101–110 — algorithm BTRS (transformed rejection with
 *   squeeze), used for n·min(p, 1 − p) ≥ 10. It is a rejection method: every accepted value
 *   has exactly the binomial probability (up to the Stirling-series error of ln k!, below
 *   1e-10 in log space), unlike a normal approximation. The same algorithm backs
 *   TensorFlow's and JAX's binomial samplers.
 * - Kachitvichyanukul & Schmeiser (1988), Communications of the ACM 31:216–222, for the
 *   inversion by sequential search used below that threshold (as NumPy's `random_binomial`).
 *
 * Why not BTPE: it is exact too, but about three times the code for the same speed at the
 * sizes a bootstrap needs; BTRS's acceptance step is one comparison of log-probabilities.
 */
import type { Rng } from './rng.js';

/** Below this mean (after folding p ≤ ½), sequential inversion is faster than rejection. */
const INVERSION_MAX_MEAN = 10;

/**
 * ln k! − [(k + ½)·ln(k + 1) − (k + 1) + ½·ln 2π], the Stirling-series remainder of
 * ln Γ(k + 1). Exact values for k < 10 (computed as lgamma(k + 1) minus the leading terms
 * with Python's math.lgamma); the series 1/(12x) − 1/(360x³) + 1/(1260x⁵), x = k + 1, from
 * k = 10 on (its error is below 1/(1680x⁷) < 1e-10).
 */
const STIRLING_TAIL = [
  0.08106146679532733, 0.04134069595540946, 0.027677925684997717, 0.02079067210376584, 0.01664469118982126, 0.013876128823072875,
  0.011896709945893313, 0.010411265261973668, 0.00925546218270945, 0.008330563433359472,
];

function stirlingTail(k: number): number {
  if (k < 10) return STIRLING_TAIL[k]!;
  const x = k + 1;
  const xx = x * x;
  return (1 / 12 - (1 / 360 - 1 / 1260 / xx) / xx) / x;
}

/** Sequential search from 0 (inversion of the CDF); expected n·p + 1 steps. p ≤ ½. */
function inversion(rng: Rng, n: number, p: number): number {
  const q = 1 - p;
  const ratio = p / q;
  // A draw that falls in the last ~1e-16 of mass lost to rounding restarts the search.
  for (;;) {
    let u = rng.uniform();
    let probability = q ** n;
    for (let k = 0; k <= n; k++) {
      if (u < probability) return k;
      u -= probability;
      probability *= (ratio * (n - k)) / (k + 1);
    }
  }
}

/** Hörmann's BTRS for n·p ≥ 10, p ≤ ½. */
function transformedRejection(rng: Rng, n: number, p: number): number {
  const q = 1 - p;
  const spq = Math.sqrt(n * p * q);
  const b = 1.15 + 2.53 * spq;
  const a = -0.0873 + 0.0248 * b + 0.01 * p;
  const c = n * p + 0.5;
  const alpha = (2.83 + 5.1 / b) * spq;
  const vr = 0.92 - 4.2 / b;
  const r = p / q;
  const m = Math.floor((n + 1) * p);
  const tailM = stirlingTail(m) + stirlingTail(n - m);
  for (;;) {
    const u = rng.uniform() - 0.5;
    const v = rng.uniform();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + c);
    if (k < 0 || k > n) continue;
    // Squeeze: inside this region the hat is known to lie under the density.
    if (us >= 0.07 && v <= vr) return k;
    const logV = Math.log((v * alpha) / (a / (us * us) + b));
    // ln[f(k)/f(m)] = ln m! + ln(n−m)! − ln k! − ln(n−k)! + (k − m)·ln(p/q), with each ln j!
    // written as its Stirling leading terms plus stirlingTail(j) and the terms regrouped so
    // that no two numbers of size n·ln n are subtracted.
    const logRatio =
      (m + 0.5) * Math.log((m + 1) / (r * (n - m + 1))) +
      (n + 1) * Math.log((n - m + 1) / (n - k + 1)) +
      (k + 0.5) * Math.log((r * (n - k + 1)) / (k + 1)) +
      tailM -
      stirlingTail(k) -
      stirlingTail(n - k);
    if (logV <= logRatio) return k;
  }
}

/**
 * One draw of X ~ Binomial(n, p). n a non-negative safe integer, p in [0, 1]; anything else
 * is a RangeError (a programming error, not bad user input).
 */
export function sampleBinomial(rng: Rng, n: number, p: number): number {
  if (!Number.isSafeInteger(n) || n < 0 || !(p >= 0 && p <= 1)) {
    throw new RangeError(`sampleBinomial: need a non-negative integer n and p in [0, 1], got n=${n}, p=${p}`);
  }
  if (n === 0 || p === 0) return 0;
  if (p === 1) return n;
  // Both algorithms want p ≤ ½; X ~ Bin(n, p) is n − Bin(n, 1 − p).
  const folded = p > 0.5;
  const pp = folded ? 1 - p : p;
  const k = n * pp < INVERSION_MAX_MEAN ? inversion(rng, n, pp) : transformedRejection(rng, n, pp);
  return folded ? n - k : k;
}

/**
 * One draw of the multinomial counts of n items over cells with the given probabilities
 * (which must sum to 1 up to rounding), as a chain of binomials: cell j gets
 * Bin(n − earlier counts, p_j / (1 − earlier probabilities)). Written into `out`.
 */
export function sampleMultinomial(rng: Rng, n: number, probabilities: ArrayLike<number>, out: Int32Array | Float64Array): void {
  let remaining = n;
  let mass = 1;
  const cells = probabilities.length;
  for (let j = 0; j < cells - 1; j++) {
    const pj = probabilities[j]!;
    const conditional = mass > 0 ? Math.min(1, Math.max(0, pj / mass)) : 0;
    const count = remaining > 0 ? sampleBinomial(rng, remaining, conditional) : 0;
    out[j] = count;
    remaining -= count;
    mass -= pj;
  }
  out[cells - 1] = remaining;
}
