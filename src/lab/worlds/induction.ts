/**
 * Induction at a random offset: a segment of m distinct tokens, m drawn uniformly from {a … b} for every
 * sequence, then that segment repeated to fill the sequence (x_t = x_{t−m} for t ≥ m). There
 * is no delimiter: the repeat announces itself only when x_0 comes back, and from then on the
 * next token is whatever followed the previous occurrence of the current token. Unlike the
 * fixed-offset copy world (src/lab/worlds/copy.ts), the offset differs from sequence to
 * sequence, so a model must find it from the data (an induction head: find the earlier
 * occurrence of the current token, predict its successor). It was built to host the
 * `mlp-mixer` fault; at the lab's scale the MLP over positions learns it as well as attention
 * (src/lab/faults.ts gives the figures), so the grade leaves it out.
 *
 * Exact losses. The segment is drawn without replacement, so before the repeat every prefix
 * holds t distinct tokens and x_t is either x_0 (the repeat starts, m = t) or one of the V − t
 * unused tokens, uniformly. With K = b − a + 1 and the hazard h_t = P(m = t | m ≥ t) =
 * 1/(b − t + 1), the Bayes predictor puts h_t on x_0 and (1 − h_t)/(V − t) on each unused
 * token when a ≤ t ≤ b, and 1/(V − t) on each unused token when t < a. Averaging over m, the
 * expected loss at position t is
 *   t < a:       ln(V − t)
 *   a ≤ t ≤ b:   P(m = t) · (−ln h_t) + P(m > t) · (−ln((1 − h_t)/(V − t))),
 *                with P(m = t) = 1/K and P(m > t) = (b − t)/K
 *   t > b:       0 (the repeat has started and is deterministic).
 * (Positions t ≥ m that have started repeating cost 0, which is why P(m ≥ t) weighs the
 * middle line.) The segment needs b ≤ V distinct tokens.
 */
import type { Rng } from '../../stats/rng.js';
import { checkInteger, checkLength, meanBayesLoss, sampleSequences, type World } from './world.js';

export interface InductionOptions {
  vocab: number;
  /** Shortest segment a. */
  minSegment: number;
  /** Longest segment b (≤ vocab: the segment's tokens are distinct). */
  maxSegment: number;
  name?: string;
}

export interface InductionWorld extends World {
  readonly minSegment: number;
  readonly maxSegment: number;
}

export function inductionWorld(options: InductionOptions): InductionWorld {
  const { vocab, minSegment: a, maxSegment: b } = options;
  checkInteger('vocab', vocab, 2, 1 << 16);
  checkInteger('minSegment', a, 1, vocab);
  checkInteger('maxSegment', b, a, vocab);
  const choices = b - a + 1;

  const bayesLossByPosition = (length: number): Float64Array => {
    checkLength(length, 1);
    const losses = new Float64Array(length);
    for (let t = 0; t < length; t++) {
      if (t < a) losses[t] = Math.log(vocab - t);
      else if (t <= b) {
        const hazard = 1 / (b - t + 1);
        const starts = 1 / choices;
        const continues = (b - t) / choices;
        losses[t] = starts * -Math.log(hazard) + (continues > 0 ? continues * -Math.log((1 - hazard) / (vocab - t)) : 0);
      } else losses[t] = 0;
    }
    return losses;
  };

  const used = new Uint8Array(vocab);
  const sample = (count: number, length: number, rng: Rng): Int32Array[] =>
    sampleSequences(count, length, (sequence) => {
      const m = rng.integer(a, b + 1);
      used.fill(0);
      for (let t = 0; t < length; t++) {
        if (t >= m) {
          sequence[t] = sequence[t - m]!;
          continue;
        }
        // The x-th unused token, x uniform over the V − t left.
        let x = rng.integer(0, vocab - t);
        for (let k = 0; k < vocab; k++) {
          if (used[k] === 0 && x-- === 0) {
            used[k] = 1;
            sequence[t] = k;
            break;
          }
        }
      }
    });

  const conditional = (prefix: ArrayLike<number>): Float64Array => {
    const t = prefix.length;
    const seen = new Int32Array(vocab).fill(-1);
    let period = 0;
    for (let j = 0; j < t; j++) {
      const token = prefix[j]!;
      if (!Number.isInteger(token) || token < 0 || token >= vocab) throw new RangeError(`prefix token ${j} is ${token}, outside [0, ${vocab})`);
      if (period > 0) {
        if (token !== prefix[j - period]) throw new RangeError(`prefix token ${j} is ${token}: after the repeat starts at ${period}, token ${j} copies token ${j - period} (${prefix[j - period]})`);
      } else if (seen[token]! >= 0) {
        if (seen[token] !== 0 || j < a || j > b) throw new RangeError(`prefix token ${j} repeats token ${seen[token]}: only x_0 may come back, at a position in [${a}, ${b}]`);
        period = j;
      } else seen[token] = j;
    }
    const out = new Float64Array(vocab);
    if (t === 0) return out.fill(1 / vocab);
    if (period > 0) {
      out[prefix[t - period]!] = 1;
      return out;
    }
    if (t > b) throw new RangeError(`a prefix of ${t} distinct tokens cannot occur: the segment is at most ${b} long`);
    const hazard = t < a ? 0 : 1 / (b - t + 1);
    const fresh = (1 - hazard) / (vocab - t);
    for (let k = 0; k < vocab; k++) if (seen[k]! < 0) out[k] = fresh;
    out[prefix[0]!] = hazard;
    return out;
  };

  return {
    name: options.name ?? 'induction',
    vocab,
    description: `a segment of ${a}–${b} distinct tokens over ${vocab} (length uniform, no delimiter), then repeated: the repeat is found only by content`,
    minSegment: a,
    maxSegment: b,
    sample,
    bayesLoss: meanBayesLoss(bayesLossByPosition),
    bayesLossByPosition,
    conditional,
  };
}
