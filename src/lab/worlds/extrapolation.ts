/**
 * Length extrapolation: train on sequences of length L, evaluate at longer lengths (2L, 4L by
 * default). Every world is one process at every length, so the Bayes loss at each evaluation
 * length comes from the same exact per-position terms; the mean over the positions a model
 * trained at L never predicted (t ≥ L) is reported separately, because that is where a
 * positional encoding that cannot extrapolate fails.
 */
import { checkLength, type World } from './world.js';

export interface ExtrapolationLength {
  length: number;
  /** Mean exact loss over positions 1 … length−1. */
  bayesLoss: number;
  /** Mean exact loss over the unseen positions L … length−1; null when length ≤ L. */
  bayesLossBeyondTraining: number | null;
}

export interface ExtrapolationTable {
  world: string;
  trainLength: number;
  lengths: ExtrapolationLength[];
}

export const DEFAULT_EXTRAPOLATION_FACTORS: readonly number[] = [1, 2, 4];

export function extrapolationTable(world: World, trainLength: number, evalLengths: readonly number[] = DEFAULT_EXTRAPOLATION_FACTORS.map((f) => f * trainLength)): ExtrapolationTable {
  checkLength(trainLength);
  const longest = Math.max(trainLength, ...evalLengths);
  for (const length of evalLengths) checkLength(length);
  // One pass at the longest length serves every shorter one: the per-position terms of a
  // process do not depend on how long the sequence goes on.
  const byPosition = world.bayesLossByPosition(longest);
  const lengths = evalLengths.map((length): ExtrapolationLength => {
    let total = 0;
    for (let t = 1; t < length; t++) total += byPosition[t]!;
    let beyond = 0;
    for (let t = trainLength; t < length; t++) beyond += byPosition[t]!;
    return {
      length,
      bayesLoss: total / (length - 1),
      bayesLossBeyondTraining: length > trainLength ? beyond / (length - trainLength) : null,
    };
  });
  return { world: world.name, trainLength, lengths };
}
