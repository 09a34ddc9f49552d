import { describe, expect, it } from 'vitest';
import { markovWorld, randomMarkovWorld } from '../../../src/lab/worlds/markov.js';
import { createRng } from '../../../src/stats/rng.js';
import { expectBayesLossWithinMonteCarlo } from './monte-carlo.js';

// The 2-state chain P = [[0.9, 0.1], [0.3, 0.7]], by hand:
//   π solves π0·0.1 = π1·0.3  →  π = (0.75, 0.25).
//   H(0.1) = −0.1 ln 0.1 − 0.9 ln 0.9 = 0.230259 + 0.094824 = 0.325083
//   H(0.3) = −0.3 ln 0.3 − 0.7 ln 0.7 = 0.361192 + 0.249672 = 0.610864
//   entropy rate h = 0.75 · 0.325083 + 0.25 · 0.610864 = 0.243812 + 0.152716 = 0.396528
//   position 0 under π: H(0.25) = −0.25 ln 0.25 − 0.75 ln 0.75 = 0.346574 + 0.215762 = 0.562335
// Started uniform instead: position 1 sees x_0 ~ (0.5, 0.5): 0.5·(0.325083 + 0.610864) = 0.467973;
//   x_1 ~ (0.5·0.9 + 0.5·0.3, 0.5·0.1 + 0.5·0.7) = (0.6, 0.4), so position 2 costs
//   0.6 · 0.325083 + 0.4 · 0.610864 = 0.195050 + 0.244346 = 0.439396; bayesLoss(3) = 0.453685.
const twoState = Float64Array.from([0.9, 0.1, 0.3, 0.7]);

describe('markovWorld: order-k chains with exact losses', () => {
  it('gives the hand-computed stationary distribution and entropy rate of a 2-state chain', () => {
    const world = markovWorld({ vocab: 2, order: 1, transitions: twoState });
    expect(world.stationary[0]).toBeCloseTo(0.75, 12);
    expect(world.stationary[1]).toBeCloseTo(0.25, 12);
    expect(world.entropyRate).toBeCloseTo(0.396528, 5);
    const byPosition = world.bayesLossByPosition(5);
    expect(byPosition[0]).toBeCloseTo(0.562335, 5);
    for (let t = 1; t < 5; t++) expect(byPosition[t]).toBeCloseTo(0.396528, 5);
    expect(world.bayesLoss(2)).toBeCloseTo(0.396528, 5);
    expect(world.bayesLoss(64)).toBeCloseTo(0.396528, 5);
  });

  it('gives the hand-computed per-position terms of a chain started uniform', () => {
    const world = markovWorld({ vocab: 2, order: 1, transitions: twoState, start: 'uniform' });
    const byPosition = world.bayesLossByPosition(3);
    expect(byPosition[0]).toBeCloseTo(Math.log(2), 12);
    expect(byPosition[1]).toBeCloseTo(0.467973, 5);
    expect(byPosition[2]).toBeCloseTo(0.439396, 5);
    expect(world.bayesLoss(3)).toBeCloseTo(0.453685, 5);
    // The start is forgotten: far positions converge to the entropy rate.
    expect(world.bayesLossByPosition(200)[199]).toBeCloseTo(0.396528, 5);
  });

  it('handles the first k positions of an order-2 chain exactly', () => {
    // x_t repeats x_{t−2} with probability 0.8. By symmetry π is uniform over the 4 contexts, so
    // x_0 and x_1 are independent fair bits (ln 2 each) and every later position costs
    // H(0.2) = −0.2 ln 0.2 − 0.8 ln 0.8 = 0.321888 + 0.178515 = 0.500402.
    // bayesLoss(4) = (ln 2 + 2 · 0.500402) / 3 = (0.693147 + 1.000805) / 3 = 0.564651.
    const transitions = new Float64Array(8);
    for (let context = 0; context < 4; context++) {
      const older = context >> 1; // the oldest token is the most significant digit
      transitions[context * 2 + older] = 0.8;
      transitions[context * 2 + (1 - older)] = 0.2;
    }
    const world = markovWorld({ vocab: 2, order: 2, transitions });
    expect(Array.from(world.stationary)).toEqual([0.25, 0.25, 0.25, 0.25].map((p) => expect.closeTo(p, 12)));
    const byPosition = world.bayesLossByPosition(4);
    expect(byPosition[0]).toBeCloseTo(Math.log(2), 12);
    expect(byPosition[1]).toBeCloseTo(Math.log(2), 12);
    expect(byPosition[2]).toBeCloseTo(0.500402, 5);
    expect(world.bayesLoss(4)).toBeCloseTo(0.564651, 5);
    expect(Array.from(world.conditional([1, 0]))).toEqual([expect.closeTo(0.2, 12), expect.closeTo(0.8, 12)]);
    expect(Array.from(world.conditional([1, 0, 0]))).toEqual([expect.closeTo(0.8, 12), expect.closeTo(0.2, 12)]);
  });

  it('reduces an order-2 table that ignores the older token to the order-1 chain', () => {
    const transitions = new Float64Array(8);
    for (let context = 0; context < 4; context++) transitions.set(twoState.subarray((context & 1) * 2, (context & 1) * 2 + 2), context * 2);
    const world = markovWorld({ vocab: 2, order: 2, transitions });
    expect(world.entropyRate).toBeCloseTo(0.396528, 5);
    // Under π the first two tokens are a stationary stretch of the order-1 chain.
    const byPosition = world.bayesLossByPosition(4);
    expect(byPosition[0]).toBeCloseTo(0.562335, 5);
    for (let t = 1; t < 4; t++) expect(byPosition[t]).toBeCloseTo(0.396528, 5);
    expect(Array.from(world.conditional([1]))).toEqual([expect.closeTo(0.3, 12), expect.closeTo(0.7, 12)]);
  });

  it('solves π = πP for random Dirichlet tables, densely and by iteration', () => {
    for (const [vocab, order] of [[8, 2], [4, 3], [2, 11]] as const) {
      const world = randomMarkovWorld({ vocab, order, concentration: 0.3, seed: 3 });
      const next = new Float64Array(world.contexts);
      for (let c = 0; c < world.contexts; c++) {
        for (let x = 0; x < vocab; x++) next[(c * vocab) % world.contexts + x]! += world.stationary[c]! * world.transitions[c * vocab + x]!;
      }
      let residual = 0;
      let total = 0;
      for (let c = 0; c < world.contexts; c++) {
        residual += Math.abs(next[c]! - world.stationary[c]!);
        total += world.stationary[c]!;
      }
      expect(residual).toBeLessThan(1e-12);
      expect(total).toBeCloseTo(1, 12);
      expect(world.entropyRate).toBeGreaterThan(0);
      expect(world.entropyRate).toBeLessThan(Math.log(vocab));
    }
  });

  it('agrees with a Monte-Carlo estimate from its own generator (stationary and uniform starts)', () => {
    const stationary = randomMarkovWorld({ vocab: 8, order: 2, concentration: 0.3, seed: 11 });
    expectBayesLossWithinMonteCarlo(stationary, 24, 4000, 1);
    const uniform = randomMarkovWorld({ vocab: 4, order: 3, concentration: 0.5, seed: 12, start: 'uniform' });
    const { exact } = expectBayesLossWithinMonteCarlo(uniform, 8, 6000, 2);
    // The uniform start makes the first three positions cost more than the entropy rate.
    expect(exact).toBeGreaterThan(uniform.entropyRate + 0.05);
  });

  it('samples transitions at the frequencies of its table', () => {
    const world = markovWorld({ vocab: 2, order: 1, transitions: twoState });
    const counts = [
      [0, 0],
      [0, 0],
    ];
    for (const sequence of world.sample(400, 50, createRng(4))) {
      for (let t = 1; t < sequence.length; t++) counts[sequence[t - 1]!]![sequence[t]!]!++;
    }
    for (const [from, p] of [[0, 0.1], [1, 0.3]] as const) {
      const n = counts[from]![0]! + counts[from]![1]!;
      const observed = counts[from]![1 - from]! / n;
      expect(Math.abs(observed - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
    }
  });

  it('reproduces its table from the world seed and its samples from the sampling seed, bit for bit', () => {
    const a = randomMarkovWorld({ vocab: 8, order: 2, concentration: 0.3, seed: 5 });
    const b = randomMarkovWorld({ vocab: 8, order: 2, concentration: 0.3, seed: 5 });
    const c = randomMarkovWorld({ vocab: 8, order: 2, concentration: 0.3, seed: 6 });
    expect(b.transitions).toEqual(a.transitions);
    expect(c.transitions).not.toEqual(a.transitions);
    expect(b.sample(20, 32, createRng(9))).toEqual(a.sample(20, 32, createRng(9)));
    expect(a.sample(20, 32, createRng(10))).not.toEqual(a.sample(20, 32, createRng(9)));
  });

  it('refuses malformed tables and starts with a message naming the problem', () => {
    expect(() => markovWorld({ vocab: 2, order: 1, transitions: Float64Array.from([0.5, 0.4, 0.3, 0.7]) })).toThrow(/row 0 sums to 0.9/);
    expect(() => markovWorld({ vocab: 2, order: 1, transitions: Float64Array.from([1, 0, 0.3]) })).toThrow(/expected vocab\^order × vocab = 4/);
    expect(() => markovWorld({ vocab: 2, order: 1, transitions: Float64Array.from([1, 0, 0, 1]) })).toThrow(/reducible/);
    expect(() => markovWorld({ vocab: 2, order: 1, transitions: twoState, start: Float64Array.from([1, 0.5]) })).toThrow(/sums to 1.5/);
    expect(() => markovWorld({ vocab: 2, order: 1, transitions: twoState }).bayesLoss(1)).toThrow(RangeError);
  });
});
