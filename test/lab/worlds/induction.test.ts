import { describe, expect, it } from 'vitest';
import { inductionWorld } from '../../../src/lab/worlds/induction.js';
import { createRng } from '../../../src/stats/rng.js';
import { expectBayesLossWithinMonteCarlo } from './monte-carlo.js';

/** The period of a sampled sequence: the first position where x_0 comes back. */
function periodOf(sequence: Int32Array): number {
  for (let t = 1; t < sequence.length; t++) if (sequence[t] === sequence[0]) return t;
  return 0;
}

describe('inductionWorld: a segment of random length, then its repeat, with no delimiter', () => {
  it('gives the hand-computed loss of V = 4, m uniform on {1, 2}', () => {
    // Position 1: the repeat starts (x_1 = x_0) with hazard 1/2, else x_1 is one of the 3
    // unused tokens: ½ · ln 2 + ½ · ln 6. Position 2: if m = 2 it starts for sure (0), if m = 1
    // it is a copy (0). Position 3: a copy (0). Mean over 1 … 3: (½ ln 2 + ½ ln 6) / 3 = ln 12 / 6.
    const world = inductionWorld({ vocab: 4, minSegment: 1, maxSegment: 2 });
    expect(world.bayesLoss(4)).toBeCloseTo(Math.log(12) / 6, 12);
    expect(world.bayesLoss(4)).toBeCloseTo(0.41415, 5);
    const byPosition = Array.from(world.bayesLossByPosition(4));
    expect(byPosition[0]).toBeCloseTo(Math.log(4), 12);
    expect(byPosition[1]).toBeCloseTo(0.5 * Math.log(2) + 0.5 * Math.log(6), 12);
    expect(byPosition.slice(2)).toEqual([0, 0]);
    expect(Array.from(world.conditional([2]))).toEqual([1 / 6, 1 / 6, 1 / 2, 1 / 6]);
    expect(Array.from(world.conditional([2, 0]))).toEqual([0, 0, 1, 0]); // 2 distinct: m = 2, x_0 comes back
    expect(Array.from(world.conditional([2, 2]))).toEqual([0, 0, 1, 0]); // m = 1: the repeat of x_0
    expect(Array.from(world.conditional([2, 0, 2]))).toEqual([1, 0, 0, 0]); // m = 2: x_3 copies x_1
  });

  it('spreads the hazard over the segment lengths: the first token of the repeat is uncertain', () => {
    // V = 16, m on {4 … 12}: before position 4 nothing can repeat, ln(16 − t); from 4 on the
    // hazard h_t = 1/(13 − t); after 12 everything is a copy.
    const world = inductionWorld({ vocab: 16, minSegment: 4, maxSegment: 12 });
    const byPosition = world.bayesLossByPosition(32);
    for (let t = 0; t < 4; t++) expect(byPosition[t]).toBeCloseTo(Math.log(16 - t), 12);
    // t = 4: P(m = 4) = 1/9, −ln(1/9); P(m > 4) = 8/9, −ln((8/9)/12).
    expect(byPosition[4]).toBeCloseTo((1 / 9) * Math.log(9) + (8 / 9) * Math.log(12 / (8 / 9)), 12);
    expect(byPosition[12]).toBe(0);
    for (let t = 13; t < 32; t++) expect(byPosition[t]).toBe(0);
    // Before 4 the first token cannot come back; at 8 it is one chance in five.
    const prefix = [5, 1, 9, 3, 0, 7, 2, 11];
    expect(world.conditional(prefix.slice(0, 3))[5]).toBe(0);
    const p = world.conditional(prefix);
    expect(p[5]).toBeCloseTo(1 / 5, 12);
    expect(p[4]).toBeCloseTo(4 / 5 / 8, 12);
    expect(p[1]).toBe(0);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('refuses prefixes the world cannot produce, naming the position', () => {
    const world = inductionWorld({ vocab: 8, minSegment: 2, maxSegment: 4 });
    expect(() => world.conditional([1, 1])).toThrow(/only x_0 may come back, at a position in \[2, 4\]/);
    expect(() => world.conditional([1, 2, 2])).toThrow(/prefix token 2 repeats token 1/);
    expect(() => world.conditional([1, 2, 3, 4, 5])).toThrow(/cannot occur/);
    expect(() => world.conditional([1, 2, 1, 3])).toThrow(/copies token 1/);
    expect(() => world.conditional([1, 9])).toThrow(/outside \[0, 8\)/);
    expect(() => inductionWorld({ vocab: 8, minSegment: 3, maxSegment: 9 })).toThrow(/maxSegment/);
    expect(() => inductionWorld({ vocab: 8, minSegment: 5, maxSegment: 4 })).toThrow(/maxSegment/);
  });

  it('samples segments of distinct tokens whose length is uniform, then exact repeats', () => {
    const world = inductionWorld({ vocab: 16, minSegment: 4, maxSegment: 12 });
    const counts = new Float64Array(13);
    const faults: string[] = [];
    world.sample(4500, 32, createRng(7)).forEach((sequence, s) => {
      const m = periodOf(sequence);
      if (m < 4 || m > 12) faults.push(`sequence ${s}: period ${m}`);
      if (new Set(sequence.slice(0, m)).size !== m) faults.push(`sequence ${s}: segment not distinct`);
      for (let t = m; t < 32; t++) if (sequence[t] !== sequence[t - m]) faults.push(`sequence ${s}: x_${t} is not x_${t - m}`);
      counts[m]!++;
    });
    expect(faults).toEqual([]);
    // Each length 500 ± 4 sd of a binomial(4500, 1/9).
    for (let m = 4; m <= 12; m++) expect(Math.abs(counts[m]! - 500)).toBeLessThan(4 * Math.sqrt(4500 * (1 / 9) * (8 / 9)));
  });

  it('agrees with a Monte-Carlo estimate from its own generator', () => {
    const { standardError } = expectBayesLossWithinMonteCarlo(inductionWorld({ vocab: 16, minSegment: 4, maxSegment: 12 }), 32, 3000, 8);
    expect(standardError).toBeGreaterThan(0); // the random length leaves randomness in each sequence's loss
    expectBayesLossWithinMonteCarlo(inductionWorld({ vocab: 6, minSegment: 1, maxSegment: 6 }), 10, 3000, 9);
  });

  it('reproduces its samples from the seed, bit for bit', () => {
    const world = inductionWorld({ vocab: 16, minSegment: 4, maxSegment: 12 });
    expect(world.sample(30, 32, createRng(4))).toEqual(world.sample(30, 32, createRng(4)));
    expect(world.sample(30, 32, createRng(5))).not.toEqual(world.sample(30, 32, createRng(4)));
  });
});
