import { describe, expect, it } from 'vitest';
import { copyWorld } from '../../../src/lab/worlds/copy.js';
import { createRng } from '../../../src/stats/rng.js';
import { expectBayesLossWithinMonteCarlo } from './monte-carlo.js';

describe('copyWorld: a random segment, then its repeats', () => {
  it('gives the hand-computed loss of V = 4, m = 3 without noise', () => {
    // Length 6: positions 1, 2 are fresh uniform tokens (ln 4 each), positions 3, 4, 5 copy
    // positions 0, 1, 2 (0 each): (2 ln 4 + 0) / 5 = 0.4 · 1.386294 = 0.554518.
    const world = copyWorld({ vocab: 4, segment: 3 });
    expect(world.bayesLoss(6)).toBeCloseTo(0.554518, 6);
    expect(Array.from(world.bayesLossByPosition(6))).toEqual([Math.log(4), Math.log(4), Math.log(4), 0, 0, 0]);
    // A longer sequence adds repeats at no cost: (2 ln 4) / 11 at length 12.
    expect(world.bayesLoss(12)).toBeCloseTo((2 * Math.log(4)) / 11, 12);
  });

  it('gives the hand-computed loss with noise ε = 0.5', () => {
    // A repeated token is the source with probability 1 − ε + ε/V = 0.625 and each other token
    // with ε/V = 0.125: H = −0.625 ln 0.625 − 3 · 0.125 ln 0.125 = 0.293752 + 0.779791 = 1.073543.
    // Length 6: (2 ln 4 + 3 · 1.073543) / 5 = (2.772589 + 3.220629) / 5 = 1.198644.
    const world = copyWorld({ vocab: 4, segment: 3, noise: 0.5 });
    expect(world.repeatLoss).toBeCloseTo(1.073543, 6);
    expect(world.bayesLoss(6)).toBeCloseTo(1.198644, 5);
    expect(Array.from(world.conditional([2, 0, 1, 3]))).toEqual([0.625, 0.125, 0.125, 0.125]);
    expect(Array.from(world.conditional([2, 0]))).toEqual([0.25, 0.25, 0.25, 0.25]);
    // Pure noise (ε = 1) makes the repeats as unpredictable as the segment.
    expect(copyWorld({ vocab: 4, segment: 3, noise: 1 }).bayesLoss(9)).toBeCloseTo(Math.log(4), 12);
  });

  it('predicts the source token even when earlier repeats were corrupted', () => {
    const world = copyWorld({ vocab: 4, segment: 2, noise: 0.2 });
    // Position 4 copies position 0 (token 1), whatever position 2 turned into.
    const p = world.conditional([1, 3, 2, 3]);
    expect(p[1]).toBeCloseTo(0.85, 12);
    expect(p[2]).toBeCloseTo(0.05, 12);
  });

  it('agrees with a Monte-Carlo estimate from its own generator', () => {
    expectBayesLossWithinMonteCarlo(copyWorld({ vocab: 16, segment: 8, noise: 0.1 }), 32, 3000, 1);
    const exact = copyWorld({ vocab: 16, segment: 8 });
    // Without noise the loss of every sequence is the same, so the estimate must match exactly.
    const { estimate } = expectBayesLossWithinMonteCarlo(exact, 16, 200, 2);
    expect(estimate).toBeCloseTo((7 * Math.log(16)) / 15, 12);
  });

  it('samples repeats that equal the segment except where noise struck, at rate ε(1 − 1/V)', () => {
    const world = copyWorld({ vocab: 8, segment: 4, noise: 0.3 });
    let changed = 0;
    let repeats = 0;
    for (const sequence of world.sample(2000, 12, createRng(3))) {
      for (let t = 4; t < 12; t++, repeats++) if (sequence[t] !== sequence[t % 4]) changed++;
    }
    const rate = 0.3 * (1 - 1 / 8);
    expect(Math.abs(changed / repeats - rate)).toBeLessThan(4 * Math.sqrt((rate * (1 - rate)) / repeats));
  });

  it('reproduces its samples from the seed, bit for bit', () => {
    const world = copyWorld({ vocab: 16, segment: 8, noise: 0.1 });
    expect(world.sample(30, 32, createRng(4))).toEqual(world.sample(30, 32, createRng(4)));
    expect(world.sample(30, 32, createRng(5))).not.toEqual(world.sample(30, 32, createRng(4)));
  });

  it('draws a distinct segment without replacement, with the hand-computed loss of V = 4, m = 3', () => {
    // Position 1 is uniform over the 3 unused tokens, position 2 over 2: (ln 3 + ln 2) / 5 = ln 6 / 5.
    const world = copyWorld({ vocab: 4, segment: 3, distinct: true });
    expect(world.bayesLoss(6)).toBeCloseTo(Math.log(6) / 5, 12);
    expect(Array.from(world.bayesLossByPosition(4))).toEqual([Math.log(4), Math.log(3), Math.log(2), 0]);
    expect(Array.from(world.conditional([2, 0]))).toEqual([0, 0.5, 0, 0.5]);
    expect(Array.from(world.conditional([2, 0, 1, 2]))).toEqual([1, 0, 0, 0]); // position 4 copies position 1
    expect(() => world.conditional([2, 2])).toThrow(/distinct/);
    const counts = new Float64Array(4);
    for (const sequence of world.sample(4000, 7, createRng(6))) {
      expect(new Set(sequence.slice(0, 3)).size).toBe(3);
      expect(Array.from(sequence.slice(3))).toEqual([sequence[0], sequence[1], sequence[2], sequence[0]]);
      counts[sequence[1]!]!++;
    }
    // Each token is equally likely at every segment position: 1000 ± 4 sd of a binomial(4000, 1/4).
    for (const n of counts) expect(Math.abs(n - 1000)).toBeLessThan(4 * Math.sqrt(4000 * 0.25 * 0.75));
    // Every sequence costs the same, so the Monte-Carlo estimate is exact.
    const { estimate } = expectBayesLossWithinMonteCarlo(copyWorld({ vocab: 16, segment: 8, distinct: true }), 16, 200, 3);
    let segmentLoss = 0;
    for (let t = 1; t < 8; t++) segmentLoss += Math.log(16 - t);
    expect(estimate).toBeCloseTo(segmentLoss / 15, 12);
  });

  it('refuses impossible parameters', () => {
    expect(() => copyWorld({ vocab: 4, segment: 5, distinct: true })).toThrow(/segment/);
    expect(() => copyWorld({ vocab: 1, segment: 3 })).toThrow(/vocab/);
    expect(() => copyWorld({ vocab: 4, segment: 0 })).toThrow(/segment/);
    expect(() => copyWorld({ vocab: 4, segment: 3, noise: 1.5 })).toThrow(/noise/);
  });
});
