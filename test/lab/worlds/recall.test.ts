import { describe, expect, it } from 'vitest';
import { recallWorld } from '../../../src/lab/worlds/recall.js';
import { createRng } from '../../../src/stats/rng.js';
import { expectBayesLossWithinMonteCarlo } from './monte-carlo.js';

describe('recallWorld: key-value pairs, then queries answered from the context', () => {
  it('gives the hand-computed loss of 3 keys, 2 values, 2 pairs', () => {
    // Length 8: k v k v | q a q a. Position 0 is a key of 3 (ln 3, not predicted); 1 a value
    // (ln 2); 2 a key of the 2 left (ln 2); 3 a value (ln 2); 4 a query over the 2 context keys
    // (ln 2); 5 its answer (0); 6 a query (ln 2); 7 (0). Mean over 1 … 7: 5 ln 2 / 7.
    const world = recallWorld({ keys: 3, values: 2, pairs: 2 });
    expect(world.vocab).toBe(5);
    expect(world.bayesLoss(8)).toBeCloseTo((5 * Math.log(2)) / 7, 12);
    expect(world.bayesLoss(8)).toBeCloseTo(0.495105, 6);
    expect(Array.from(world.bayesLossByPosition(8))).toEqual([Math.log(3), Math.log(2), Math.log(2), Math.log(2), Math.log(2), 0, Math.log(2), 0]);
    expect(Array.from(world.conditional([]))).toEqual([1 / 3, 1 / 3, 1 / 3, 0, 0]);
    expect(Array.from(world.conditional([1]))).toEqual([0, 0, 0, 0.5, 0.5]);
    expect(Array.from(world.conditional([1, 3]))).toEqual([0.5, 0, 0.5, 0, 0]); // the unused keys
    expect(Array.from(world.conditional([1, 3, 0, 4]))).toEqual([0.5, 0.5, 0, 0, 0]); // a query: a context key
    expect(Array.from(world.conditional([1, 3, 0, 4, 0]))).toEqual([0, 0, 0, 0, 1]); // its answer
    expect(Array.from(world.conditional([1, 3, 0, 4, 0, 4, 1]))).toEqual([0, 0, 0, 1, 0]);
  });

  it('refuses prefixes the world cannot produce, naming the position', () => {
    const world = recallWorld({ keys: 3, values: 2, pairs: 2 });
    expect(() => world.conditional([3])).toThrow(/prefix token 0 is 3: position 0 holds a key/);
    expect(() => world.conditional([1, 1])).toThrow(/position 1 holds a value/);
    expect(() => world.conditional([1, 3, 1])).toThrow(/repeats the key at 0/);
    expect(() => world.conditional([1, 3, 0, 4, 2])).toThrow(/prefix token 4 is 2, not a key of the context/);
    expect(() => world.conditional([1, 3, 0, 4, 0, 3])).toThrow(/the answer to key 0 is 4/);
    expect(() => world.conditional([1, 7])).toThrow(/outside \[0, 5\)/);
    expect(() => recallWorld({ keys: 3, values: 2, pairs: 4 })).toThrow(/pairs/);
  });

  it('samples distinct context keys, queries uniform over them, and the right answers', () => {
    const world = recallWorld({ keys: 8, values: 8, pairs: 6 });
    const asked = new Float64Array(6);
    const faults: string[] = [];
    world.sample(3000, 32, createRng(7)).forEach((sequence, s) => {
      const contextKeys = [0, 2, 4, 6, 8, 10].map((j) => sequence[j]!);
      if (new Set(contextKeys).size !== 6 || contextKeys.some((k) => k >= 8)) faults.push(`sequence ${s}: context keys ${contextKeys}`);
      for (const j of [1, 3, 5, 7, 9, 11]) if (sequence[j]! < 8 || sequence[j]! >= 16) faults.push(`sequence ${s}: value ${sequence[j]} at ${j}`);
      for (let t = 12; t < 32; t += 2) {
        const j = contextKeys.indexOf(sequence[t]!);
        if (j < 0) faults.push(`sequence ${s}: query ${sequence[t]} at ${t}`);
        else {
          asked[j]!++;
          if (sequence[t + 1] !== sequence[2 * j + 1]) faults.push(`sequence ${s}: answer at ${t + 1}`);
        }
      }
    });
    expect(faults).toEqual([]);
    // 30,000 queries, each pair 5,000 ± 4 sd of a binomial(30000, 1/6).
    for (const n of asked) expect(Math.abs(n - 5000)).toBeLessThan(4 * Math.sqrt(30000 * (1 / 6) * (5 / 6)));
  });

  it('agrees with a Monte-Carlo estimate from its own generator, exactly (every sequence costs the same)', () => {
    const world = recallWorld({ keys: 8, values: 8, pairs: 6 });
    const { estimate, standardError } = expectBayesLossWithinMonteCarlo(world, 32, 500, 8);
    expect(standardError).toBeLessThan(1e-12);
    expect(estimate).toBeCloseTo(world.bayesLoss(32), 12);
    // An odd length ends on a query; a length inside the context has no queries.
    expectBayesLossWithinMonteCarlo(world, 17, 500, 9);
    expectBayesLossWithinMonteCarlo(world, 7, 500, 10);
  });

  it('reproduces its samples from the seed, bit for bit', () => {
    const world = recallWorld({ keys: 8, values: 8, pairs: 6 });
    expect(world.sample(30, 32, createRng(4))).toEqual(world.sample(30, 32, createRng(4)));
    expect(world.sample(30, 32, createRng(5))).not.toEqual(world.sample(30, 32, createRng(4)));
  });
});
