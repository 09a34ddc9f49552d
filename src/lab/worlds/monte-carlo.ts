/**
 * The loss of the true predictor on actual sequences: mean −ln p(x_t | x_<t) over positions
 * 1 … n−1, with p the world's own conditional. Averaged over sequences drawn from the world it
 * is an unbiased Monte-Carlo estimate of `bayesLoss(n)` — the check that a world's analytic
 * loss, its sampler and its conditional agree — and on a finite evaluation set it is the loss
 * the Bayes predictor would actually report there.
 */
import type { World } from './world.js';

export interface SampleLoss {
  /** Mean over sequences of each sequence's mean loss over positions 1 … n−1 (nats). */
  mean: number;
  /** Standard deviation of the per-sequence means (sequences are independent; positions are not). */
  standardDeviation: number;
  /** standardDeviation / √sequences. */
  standardError: number;
  sequences: number;
}

export function trueSampleLoss(world: World, sequences: readonly Int32Array[]): SampleLoss {
  if (sequences.length < 2) throw new RangeError(`need at least 2 sequences for a standard error, got ${sequences.length}`);
  const perSequence = new Float64Array(sequences.length);
  for (let s = 0; s < sequences.length; s++) {
    const sequence = sequences[s]!;
    if (sequence.length < 2) throw new RangeError(`sequence ${s} has ${sequence.length} token(s): nothing to predict`);
    let total = 0;
    for (let t = 1; t < sequence.length; t++) {
      const p = world.conditional(sequence.subarray(0, t))[sequence[t]!]!;
      total -= Math.log(p);
    }
    perSequence[s] = total / (sequence.length - 1);
  }
  let mean = 0;
  for (const value of perSequence) mean += value;
  mean /= perSequence.length;
  let squares = 0;
  for (const value of perSequence) squares += (value - mean) ** 2;
  const standardDeviation = Math.sqrt(squares / (perSequence.length - 1));
  return { mean, standardDeviation, standardError: standardDeviation / Math.sqrt(perSequence.length), sequences: perSequence.length };
}
