/**
 * MinHash (Broder 1997, "On the resemblance and containment of documents") and locality-
 * sensitive hashing by banding (Leskovec, Rajaraman & Ullman, "Mining of Massive Datasets",
 * ch. 3.4): near-duplicate search whose cost does not grow with the number of pairs.
 *
 * For sets A, B of 32-bit shingle hashes, the fraction of the `numPerm` hash functions whose
 * minimum over A equals the minimum over B estimates the Jaccard similarity |A∩B|/|A∪B|,
 * with standard error √(J(1−J)/numPerm) (0.035 at J = 0.8 with 128 functions).
 *
 * The hash family: h_i(x) = fmix32(a_i·x + b_i mod 2^32) with odd a_i; each h_i is a
 * bijection of the 32-bit space (an approximately min-wise independent permutation), and
 * the a_i, b_i come from the seeded xoshiro generator, so signatures are reproducible from
 * the seed.
 */
import { fmix32 } from './ngrams.js';
import { createRng } from './rng.js';

export interface MinHashFamily {
  readonly seed: number;
  readonly numPerm: number;
  readonly multipliers: Uint32Array;
  readonly offsets: Uint32Array;
}

export function minHashFamily(numPerm: number, seed: number): MinHashFamily {
  if (!Number.isInteger(numPerm) || numPerm < 1) throw new RangeError(`numPerm must be a positive integer, got ${numPerm}`);
  const rng = createRng(seed);
  const multipliers = new Uint32Array(numPerm);
  const offsets = new Uint32Array(numPerm);
  for (let i = 0; i < numPerm; i++) {
    multipliers[i] = rng.nextUint32() | 1;
    offsets[i] = rng.nextUint32();
  }
  return { seed, numPerm, multipliers, offsets };
}

/** The signature of a set of 32-bit shingle hashes (duplicates do not matter). */
export function minHashSignature(shingles: ArrayLike<number>, family: MinHashFamily): Uint32Array {
  const { numPerm, multipliers, offsets } = family;
  const signature = new Uint32Array(numPerm).fill(0xffffffff);
  for (let s = 0; s < shingles.length; s++) {
    const shingle = shingles[s]!;
    for (let i = 0; i < numPerm; i++) {
      const value = fmix32((Math.imul(shingle, multipliers[i]!) + offsets[i]!) >>> 0);
      if (value < signature[i]!) signature[i] = value;
    }
  }
  return signature;
}

/** The MinHash estimate of the Jaccard similarity of the two sets behind the signatures. */
export function estimateJaccard(a: Uint32Array, b: Uint32Array): number {
  if (a.length !== b.length) throw new RangeError(`signatures of different lengths (${a.length}, ${b.length})`);
  let equal = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) equal++;
  return equal / a.length;
}

/** Exact Jaccard similarity of two sets of numbers. */
export function jaccard(a: Iterable<number>, b: Iterable<number>): number {
  const setA = new Set(a);
  const setB = new Set(b);
  let shared = 0;
  for (const x of setA) if (setB.has(x)) shared++;
  const union = setA.size + setB.size - shared;
  return union === 0 ? 1 : shared / union;
}

export interface LshParameters {
  bands: number;
  rows: number;
  /** The similarity at which a pair becomes a candidate with probability ½: (1/b)^(1/r). */
  midpoint: number;
}

/** P(candidate) for a pair of Jaccard similarity s with b bands of r rows: 1 − (1 − s^r)^b. */
export function candidateProbability(s: number, bands: number, rows: number): number {
  return 1 - (1 - s ** rows) ** bands;
}

function integrate(f: (x: number) => number, low: number, high: number, steps = 200): number {
  const width = (high - low) / steps;
  let sum = 0;
  for (let i = 0; i < steps; i++) sum += f(low + (i + 0.5) * width);
  return sum * width;
}

/**
 * Bands × rows (b·r ≤ numPerm) for a Jaccard threshold t, minimizing the weighted areas of
 * false positives (∫₀ᵗ P) and false negatives (∫ₜ¹ 1 − P) under the S-curve, the criterion
 * datasketch's MinHashLSH uses (equal weights by default).
 */
export function lshParameters(threshold: number, numPerm: number, falsePositiveWeight = 0.5, falseNegativeWeight = 0.5): LshParameters {
  if (!(threshold > 0 && threshold < 1)) throw new RangeError(`threshold must be in (0, 1), got ${threshold}`);
  let best: LshParameters | undefined;
  let bestError = Infinity;
  for (let bands = 1; bands <= numPerm; bands++) {
    for (let rows = 1; bands * rows <= numPerm; rows++) {
      const falsePositive = integrate((s) => candidateProbability(s, bands, rows), 0, threshold);
      const falseNegative = integrate((s) => 1 - candidateProbability(s, bands, rows), threshold, 1);
      const error = falsePositiveWeight * falsePositive + falseNegativeWeight * falseNegative;
      if (error < bestError) {
        bestError = error;
        best = { bands, rows, midpoint: (1 / bands) ** (1 / rows) };
      }
    }
  }
  return best!;
}

/** One key per band (53-bit numbers, usable in a Map): equal keys ⇔ equal band rows, up to hash collisions. */
export function bandKeys(signature: Uint32Array, { bands, rows }: Pick<LshParameters, 'bands' | 'rows'>): number[] {
  const keys: number[] = [];
  for (let band = 0; band < bands; band++) {
    let a = 0x9747b28c ^ band;
    let b = 0x85ebca6b + band;
    for (let row = 0; row < rows; row++) {
      const value = signature[band * rows + row]!;
      a = fmix32((a ^ value) >>> 0);
      b = fmix32((Math.imul(b, 0x01000193) + value) >>> 0);
    }
    keys.push((a & 0x1fffff) * 0x100000000 + b);
  }
  return keys;
}
