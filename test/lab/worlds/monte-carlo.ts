/**
 * Shared check: a world's exact Bayes loss against a Monte-Carlo estimate from its own
 * generator, scored with its own conditional. The estimate is the mean over independent
 * sequences of each sequence's mean −ln p(x_t | x_<t); the test asks the exact value to lie in
 * the estimate's 99 % normal interval (z = 2.5758 from the sample SD of the per-sequence means).
 */
import { expect } from 'vitest';
import { trueSampleLoss } from '../../../src/lab/worlds/monte-carlo.js';
import type { World } from '../../../src/lab/worlds/world.js';
import { normalQuantile } from '../../../src/stats/distributions.js';
import { createRng } from '../../../src/stats/rng.js';

export const Z99 = normalQuantile(0.995);

export function expectBayesLossWithinMonteCarlo(world: World, length: number, sequences: number, seed: number): { exact: number; estimate: number; standardError: number } {
  const exact = world.bayesLoss(length);
  const estimate = trueSampleLoss(world, world.sample(sequences, length, createRng(seed)));
  // 1e-12 covers a world with no randomness left in the loss (standard error exactly 0).
  expect(Math.abs(estimate.mean - exact)).toBeLessThanOrEqual(Z99 * estimate.standardError + 1e-12);
  return { exact, estimate: estimate.mean, standardError: estimate.standardError };
}
