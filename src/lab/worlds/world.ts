/**
 * A world: a seeded generator of token sequences whose Bayes-optimal loss is known exactly.
 *
 * In the lab, L_D — the loss of the best possible predictor of the data — is not estimated
 * by a big model: each world computes it analytically from its own definition, so every
 * degradation term above it can be graded against the truth (DESIGN §7).
 *
 * Positions. A sequence of length n holds tokens x_0 … x_{n−1}. A decoder-only model reads
 * x_0 … x_{t−1} and predicts x_t, so it is scored on positions 1 … n−1 (n − 1 targets);
 * position 0 has no prefix and is not predicted. `bayesLoss(n)` is the mean, over those
 * n − 1 positions, of the expected cross-entropy (nats) of the true next-token distribution:
 *   bayesLoss(n) = 1/(n−1) · Σ_{t=1}^{n−1} E[ −ln p(x_t | x_0 … x_{t−1}) ].
 * `bayesLossByPosition(n)` gives each term separately, with entry 0 the entropy of x_0 (for an
 * engine that prepends a start token and so does predict position 0).
 *
 * Every world is a process defined for any length, so the same world serves length
 * extrapolation (train on n ≤ L, evaluate at 2L and 4L) without changing its law.
 */
import type { Rng } from '../../stats/rng.js';

export interface World {
  /** Registry-style name, e.g. `markov2` or `copy`. */
  readonly name: string;
  /** Tokens are integers in [0, vocab). */
  readonly vocab: number;
  /** One line for listings: what the sequences look like and what makes them predictable. */
  readonly description: string;
  /** `count` sequences of `length` tokens drawn from the world's generator with `rng`. */
  sample(count: number, length: number, rng: Rng): Int32Array[];
  /** Exact mean per-token loss (nats) of the Bayes-optimal predictor over positions 1 … length−1. */
  bayesLoss(length: number): number;
  /** Exact expected loss at each position 0 … length−1 (entry 0: entropy of the first token). */
  bayesLossByPosition(length: number): Float64Array;
  /** The true distribution of the next token x_t given x_0 … x_{t−1} (t = prefix.length). */
  conditional(prefix: ArrayLike<number>): Float64Array;
}

/** Shannon entropy in nats; zero-probability outcomes contribute nothing (0 · ln 0 = 0). */
export function entropy(probabilities: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i]!;
    if (p > 0) total -= p * Math.log(p);
  }
  return total;
}

/** Mean of the per-position losses over the predicted positions 1 … n−1. */
export function meanOverPredictedPositions(byPosition: Float64Array): number {
  let total = 0;
  for (let t = 1; t < byPosition.length; t++) total += byPosition[t]!;
  return total / (byPosition.length - 1);
}

/** A world's `bayesLoss` from its `bayesLossByPosition`: the mean over predicted positions. */
export function meanBayesLoss(byPosition: (length: number) => Float64Array): (length: number) => number {
  return (length) => {
    checkLength(length);
    return meanOverPredictedPositions(byPosition(length));
  };
}

/**
 * `count` sequences of `length` tokens (both checked), each filled by `fill` in turn — the
 * order a seeded generator is drawn from, so the stream of a world's samples is fixed.
 */
export function sampleSequences(count: number, length: number, fill: (sequence: Int32Array) => void): Int32Array[] {
  checkCount(count);
  checkLength(length, 1);
  const sequences: Int32Array[] = [];
  for (let s = 0; s < count; s++) {
    const sequence = new Int32Array(length);
    fill(sequence);
    sequences.push(sequence);
  }
  return sequences;
}

/**
 * One index of `used` not yet marked, uniform over the `left` unmarked ones (the x-th of them,
 * x drawn once), and marks it: a draw without replacement, as recall's and lookup's keys are.
 */
export function drawUnused(used: Uint8Array, left: number, rng: Rng): number {
  let x = rng.integer(0, left);
  for (let k = 0; k < used.length; k++) {
    if (used[k] === 0 && x-- === 0) {
      used[k] = 1;
      return k;
    }
  }
  throw new RangeError(`drawUnused: fewer than ${left} unmarked indices`);
}

/** Refuses a length that has no predicted position (or is not an integer). */
export function checkLength(length: number, minimum = 2): void {
  if (!Number.isSafeInteger(length) || length < minimum) {
    throw new RangeError(`sequence length must be an integer ≥ ${minimum}, got ${length}`);
  }
}

export function checkCount(count: number): void {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`sequence count must be a non-negative integer, got ${count}`);
}

/**
 * Draws an index from a discrete distribution by inverse CDF. The last index with positive
 * probability absorbs rounding, so a distribution that sums to 1 − 1e-16 never runs off the end
 * and a zero-probability outcome is never drawn.
 */
export function sampleCategorical(probabilities: ArrayLike<number>, rng: Rng): number {
  const u = rng.uniform();
  let cumulative = 0;
  let last = -1;
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i]!;
    if (p <= 0) continue;
    cumulative += p;
    last = i;
    if (u < cumulative) return i;
  }
  if (last < 0) throw new RangeError('cannot sample from a distribution with no positive probability');
  return last;
}

/** Checks positive integer parameters of a world with a message naming the parameter. */
export function checkInteger(name: string, value: number, minimum: number, maximum = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(value) || value < minimum || value > maximum) {
    throw new RangeError(`${name} must be an integer in [${minimum}, ${maximum}], got ${value}`);
  }
}

export function checkProbability(name: string, value: number, { open = false } = {}): void {
  const ok = open ? value > 0 && value < 1 : value >= 0 && value <= 1;
  if (!ok) throw new RangeError(`${name} must be a probability in ${open ? '(0, 1)' : '[0, 1]'}, got ${value}`);
}
