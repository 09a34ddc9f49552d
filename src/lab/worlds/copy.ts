/**
 * Copy / induction: a random segment of m tokens, then that segment repeated to fill the
 * sequence (x_t = s_{t mod m} for t ≥ m), each repeated token independently replaced, with
 * probability `noise`, by a token drawn uniformly from the whole vocabulary (possibly itself).
 * With `distinct`, the segment's tokens are drawn without replacement (m ≤ V), so that every
 * token of a repeat occurs once before it and an induction head (find the previous occurrence
 * of the current token, predict what followed it) is never ambiguous.
 *
 * Exact losses. The segment tokens are independent and uniform, so nothing predicts them:
 * positions 0 … m−1 cost ln V each (distinct: position t is uniform over the V − t tokens not
 * yet used, ln(V − t)). The first occurrence of the segment is never noisy, so
 * after it the Bayes predictor knows s exactly and the noise is independent of everything
 * seen: position t ≥ m puts 1 − ε + ε/V on s_{t mod m} and ε/V on each other token, costing
 *   H_ε = −(1 − ε + ε/V) ln(1 − ε + ε/V) − (V − 1)(ε/V) ln(ε/V)     (0 when ε = 0).
 * For a sequence of length n = 2m the mean over positions 1 … n−1 is
 *   ((m − 1) ln V + m H_ε) / (2m − 1).
 *
 * Longer sequences hold more repeats of the same period m, so the world is one process at
 * every length: a model trained at n = 2m and evaluated at 4m must copy from t − m at
 * positions it never saw — the length-extrapolation probe of positional encodings.
 */
import type { Rng } from '../../stats/rng.js';
import { checkInteger, checkLength, checkProbability, meanBayesLoss, sampleSequences, type World } from './world.js';

export interface CopyOptions {
  vocab: number;
  /** Length m of the random segment (the period of the repeats). */
  segment: number;
  /** Probability ε that a repeated token is replaced by a uniform draw over the vocabulary. */
  noise?: number;
  /** Segment tokens drawn without replacement (all distinct; needs segment ≤ vocab). */
  distinct?: boolean;
  name?: string;
}

export interface CopyWorld extends World {
  readonly segment: number;
  readonly noise: number;
  readonly distinct: boolean;
  /** H_ε, the loss of every repeated position. */
  readonly repeatLoss: number;
}

export function copyWorld(options: CopyOptions): CopyWorld {
  const { vocab, segment } = options;
  const noise = options.noise ?? 0;
  const distinct = options.distinct ?? false;
  checkInteger('vocab', vocab, 2, 1 << 16);
  checkInteger('segment', segment, 1, distinct ? vocab : Number.MAX_SAFE_INTEGER);
  checkProbability('noise', noise);
  const other = noise / vocab;
  const kept = 1 - noise + other;
  const repeatLoss = (kept > 0 ? -kept * Math.log(kept) : 0) + (other > 0 ? -(vocab - 1) * other * Math.log(other) : 0);
  const uniformLoss = Math.log(vocab);

  const bayesLossByPosition = (length: number): Float64Array => {
    checkLength(length, 1);
    const losses = new Float64Array(length);
    for (let t = 0; t < length; t++) losses[t] = t >= segment ? repeatLoss : distinct ? Math.log(vocab - t) : uniformLoss;
    return losses;
  };

  const used = new Uint8Array(vocab);
  /** The segment token at t < segment when drawn without replacement: the x-th unused token, x uniform. */
  const unused = (t: number, rng: Rng): number => {
    if (t === 0) used.fill(0);
    let x = rng.integer(0, vocab - t);
    for (let k = 0; k < vocab; k++) {
      if (used[k] === 0 && x-- === 0) {
        used[k] = 1;
        return k;
      }
    }
    throw new Error('copyWorld: no unused token left');
  };

  const sample = (count: number, length: number, rng: Rng): Int32Array[] =>
    sampleSequences(count, length, (sequence) => {
      for (let t = 0; t < length; t++) {
        if (t < segment) sequence[t] = distinct ? unused(t, rng) : rng.integer(0, vocab);
        else if (noise > 0 && rng.uniform() < noise) sequence[t] = rng.integer(0, vocab);
        else sequence[t] = sequence[t % segment]!;
      }
    });

  const conditional = (prefix: ArrayLike<number>): Float64Array => {
    const t = prefix.length;
    if (t < segment && distinct) {
      const out = new Float64Array(vocab).fill(1 / (vocab - t));
      for (let j = 0; j < t; j++) {
        const token = prefix[j]!;
        if (!Number.isInteger(token) || token < 0 || token >= vocab || out[token] === 0) throw new RangeError(`prefix token ${j} is ${token}: the segment's tokens are distinct, in [0, ${vocab})`);
        out[token] = 0;
      }
      return out;
    }
    if (t < segment) return new Float64Array(vocab).fill(1 / vocab);
    const source = prefix[t % segment]!;
    if (!Number.isInteger(source) || source < 0 || source >= vocab) throw new RangeError(`prefix token ${t % segment} is ${source}, outside [0, ${vocab})`);
    const out = new Float64Array(vocab).fill(other);
    out[source] = kept;
    return out;
  };

  return {
    name: options.name ?? (noise > 0 ? 'copy-noisy' : 'copy'),
    vocab,
    description:
      `a random segment of ${segment} ${distinct ? 'distinct ' : ''}tokens over ${vocab}, then repeated` +
      (noise > 0 ? `, each repeat token replaced with probability ${noise}` : '') +
      ` (segment costs ${distinct ? `ln ${vocab} … ln ${vocab - segment + 1}` : `ln ${vocab}`} per token, repeats ${repeatLoss.toFixed(3)})`,
    segment,
    noise,
    distinct,
    repeatLoss,
    sample,
    bayesLoss: meanBayesLoss(bayesLossByPosition),
    bayesLossByPosition,
    conditional,
  };
}
