import { describe, expect, it } from 'vitest';
import { dyckWorld } from '../../../src/lab/worlds/dyck.js';
import { createRng } from '../../../src/stats/rng.js';
import { expectBayesLossWithinMonteCarlo } from './monte-carlo.js';

describe('dyckWorld: Dyck words from a depth-capped branching process', () => {
  it('gives the hand-computed loss of one bracket type with depth cap 1', () => {
    // Tokens: 0 = "(", 1 = ")", 2 = END. At depth 0: END or "(" with probability 1/2 each
    // (ln 2); at depth 1 the cap forces ")" (0). Depth at position 1: 0 or 1 with 1/2 each;
    // at position 2: 0 with 1/2·1/2 + 1/2 = 3/4. Losses: position 1 = ln 2 / 2, position 2 =
    // 3 ln 2 / 4; bayesLoss(3) = (1/2 + 3/4) ln 2 / 2 = 0.625 ln 2.
    const world = dyckWorld({ types: 1, openProbability: 0.5, depthCap: 1, endProbability: 0.5 });
    expect(world.vocab).toBe(3);
    const byPosition = world.bayesLossByPosition(3);
    expect(byPosition[0]).toBeCloseTo(Math.log(2), 12);
    expect(byPosition[1]).toBeCloseTo(Math.log(2) / 2, 12);
    expect(byPosition[2]).toBeCloseTo((3 * Math.log(2)) / 4, 12);
    expect(world.bayesLoss(3)).toBeCloseTo(0.625 * Math.log(2), 12);
  });

  it('gives the hand-computed loss of two bracket types with depth cap 2', () => {
    // p = q = 1/2, k = 2. H_0 = −½ ln ½ − ½ ln ¼ = 1.5 ln 2 (END, or one of two opens);
    // H_1 = −½ ln ¼ − ½ ln ½ = 1.5 ln 2 (one of two opens, or the matching close); H_2 = 0.
    // Depth distribution: position 0 (1, 0, 0), position 1 (½, ½, 0), position 2 (½, ¼, ¼).
    // bayesLoss(3) = (1.5 ln 2 + 0.75 · 1.5 ln 2) / 2 = 1.3125 ln 2.
    const world = dyckWorld({ types: 2, openProbability: 0.5, depthCap: 2, endProbability: 0.5 });
    expect(Array.from(world.depthEntropy)).toEqual([1.5 * Math.log(2), 1.5 * Math.log(2), 0].map((v) => expect.closeTo(v, 12)));
    expect(world.bayesLoss(3)).toBeCloseTo(1.3125 * Math.log(2), 12);
  });

  it('reads the stack from the prefix: the close must match the top, the cap forces it', () => {
    const world = dyckWorld({ types: 2, openProbability: 0.4, depthCap: 2, endProbability: 0.25 });
    // Tokens: 0 "(", 1 "[", 2 ")", 3 "]", 4 END.
    expect(Array.from(world.conditional([]))).toEqual([0.375, 0.375, 0, 0, 0.25]);
    expect(Array.from(world.conditional([1]))).toEqual([0.2, 0.2, 0, 0.6, 0].map((v) => expect.closeTo(v, 12)));
    expect(Array.from(world.conditional([1, 0]))).toEqual([0, 0, 1, 0, 0]);
    expect(Array.from(world.conditional([1, 0, 2]))).toEqual([0.2, 0.2, 0, 0.6, 0].map((v) => expect.closeTo(v, 12)));
    expect(Array.from(world.conditional([1, 3, 4]))).toEqual([0.375, 0.375, 0, 0, 0.25]);
    expect(() => world.conditional([1, 2])).toThrow(/token 1 \(2\) has probability 0: closes a bracket of another type/);
    expect(() => world.conditional([0, 4])).toThrow(/END inside an open bracket/);
    expect(() => world.conditional([2])).toThrow(/closes at depth 0/);
    expect(() => world.conditional([0, 0, 0])).toThrow(/beyond the depth cap/);
  });

  it('samples only valid prefixes, never deeper than the cap', () => {
    const world = dyckWorld({ types: 3, openProbability: 0.6, depthCap: 4, endProbability: 0.2 });
    for (const sequence of world.sample(300, 40, createRng(7))) {
      const stack: number[] = [];
      for (const token of sequence) {
        if (token < 3) stack.push(token);
        else if (token < 6) expect(stack.pop()).toBe(token - 3);
        else expect(stack.length).toBe(0);
        expect(stack.length).toBeLessThanOrEqual(4);
      }
      expect(() => world.conditional(sequence)).not.toThrow();
    }
  });

  it('agrees with a Monte-Carlo estimate from its own generator', () => {
    expectBayesLossWithinMonteCarlo(dyckWorld({ types: 3, openProbability: 0.5, depthCap: 6, endProbability: 0.2 }), 48, 1500, 1);
    expectBayesLossWithinMonteCarlo(dyckWorld({ types: 2, openProbability: 0.7, depthCap: 3, endProbability: 0.1 }), 16, 3000, 2);
  });

  it('reproduces its samples from the seed, bit for bit', () => {
    const world = dyckWorld({ types: 3, openProbability: 0.5, depthCap: 6, endProbability: 0.2 });
    expect(world.sample(30, 64, createRng(4))).toEqual(world.sample(30, 64, createRng(4)));
    expect(world.sample(30, 64, createRng(5))).not.toEqual(world.sample(30, 64, createRng(4)));
  });
});
