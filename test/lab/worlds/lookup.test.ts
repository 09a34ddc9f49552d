import { describe, expect, it } from 'vitest';
import { lookupWorld } from '../../../src/lab/worlds/lookup.js';
import { createRng } from '../../../src/stats/rng.js';
import { expectBayesLossWithinMonteCarlo } from './monte-carlo.js';

describe('lookupWorld: table entries as single tokens, then queries answered from the context', () => {
  it('gives the hand-computed loss of 3 keys, 2 values, 2 entries', () => {
    // Ids: entries 0 … 5 (key k, value v is 2k + v), queries 6 … 8, answers 9 … 10. Length 6:
    // e e | q a q a. Position 0 is an entry of 6 (ln 6, not predicted); 1 an entry of the 2 keys
    // left × 2 values (ln 4); 2 a query over the 2 context keys (ln 2); 3 its answer (0); 4 a
    // query (ln 2); 5 (0). Mean over 1 … 5: 4 ln 2 / 5.
    const world = lookupWorld({ keys: 3, values: 2, entries: 2 });
    expect(world.vocab).toBe(11);
    expect(world.bayesLoss(6)).toBeCloseTo((4 * Math.log(2)) / 5, 12);
    expect(world.bayesLoss(6)).toBeCloseTo(0.554518, 6);
    expect(Array.from(world.bayesLossByPosition(6))).toEqual([Math.log(6), Math.log(4), Math.log(2), 0, Math.log(2), 0]);
    expect(Array.from(world.conditional([]))).toEqual([...Array(6).fill(1 / 6), 0, 0, 0, 0, 0]);
    expect(Array.from(world.conditional([3]))).toEqual([0.25, 0.25, 0, 0, 0.25, 0.25, 0, 0, 0, 0, 0]); // keys 0 and 2 left
    expect(Array.from(world.conditional([3, 4]))).toEqual([0, 0, 0, 0, 0, 0, 0, 0.5, 0.5, 0, 0]); // a query: key 1 or 2
    expect(Array.from(world.conditional([3, 4, 7]))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]); // key 1 holds value 1
    expect(Array.from(world.conditional([3, 4, 7, 10, 8]))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]); // key 2 holds value 0
  });

  it('refuses prefixes the world cannot produce, naming the position', () => {
    const world = lookupWorld({ keys: 3, values: 2, entries: 2 });
    expect(() => world.conditional([6])).toThrow(/prefix token 0 is 6: position 0 holds an entry \(id in \[0, 6\)\)/);
    expect(() => world.conditional([3, 2])).toThrow(/repeats the key of the entry at 0/);
    expect(() => world.conditional([3, 4, 9])).toThrow(/position 2 holds a query/);
    expect(() => world.conditional([3, 4, 6])).toThrow(/prefix token 2 is 6, not a query for a key of the context/);
    expect(() => world.conditional([3, 4, 7, 9])).toThrow(/the answer to query 7 is 10/);
    expect(() => world.conditional([3, 11])).toThrow(/outside \[0, 11\)/);
    expect(() => lookupWorld({ keys: 3, values: 2, entries: 4 })).toThrow(/entries/);
  });

  it('samples distinct context keys, uniform values, queries uniform over the context, and the right answers', () => {
    const world = lookupWorld({ keys: 8, values: 8, entries: 6 });
    const asked = new Float64Array(6);
    const valueCounts = new Float64Array(8);
    const faults: string[] = [];
    world.sample(3000, 32, createRng(7)).forEach((sequence, s) => {
      const context = Array.from(sequence.subarray(0, 6));
      const contextKeys = context.map((entry) => Math.floor(entry / 8));
      if (new Set(contextKeys).size !== 6 || context.some((entry) => entry >= 64)) faults.push(`sequence ${s}: context ${context}`);
      for (const entry of context) valueCounts[entry % 8]!++;
      for (let t = 6; t < 32; t += 2) {
        const j = contextKeys.indexOf(sequence[t]! - 64);
        if (j < 0) faults.push(`sequence ${s}: query ${sequence[t]} at ${t}`);
        else {
          asked[j]!++;
          if (t + 1 < 32 && sequence[t + 1] !== 72 + (context[j]! % 8)) faults.push(`sequence ${s}: answer at ${t + 1}`);
        }
      }
    });
    expect(faults).toEqual([]);
    // 39,000 queries, each entry 6,500 ± 4 sd of a binomial(39000, 1/6); 18,000 values, each 2,250 ± 4 sd.
    for (const n of asked) expect(Math.abs(n - 6500)).toBeLessThan(4 * Math.sqrt(39000 * (1 / 6) * (5 / 6)));
    for (const n of valueCounts) expect(Math.abs(n - 2250)).toBeLessThan(4 * Math.sqrt(18000 * (1 / 8) * (7 / 8)));
  });

  it('agrees with a Monte-Carlo estimate from its own generator, exactly (every sequence costs the same)', () => {
    const world = lookupWorld({ keys: 8, values: 8, entries: 6 });
    const { estimate, standardError } = expectBayesLossWithinMonteCarlo(world, 32, 500, 8);
    expect(standardError).toBeLessThan(1e-12);
    expect(estimate).toBeCloseTo(world.bayesLoss(32), 12);
    // An even length ends on a query; a length inside the context has no queries.
    expectBayesLossWithinMonteCarlo(world, 17, 500, 9);
    expectBayesLossWithinMonteCarlo(world, 5, 500, 10);
  });

  it('reproduces its samples from the seed, bit for bit', () => {
    const world = lookupWorld({ keys: 8, values: 8, entries: 6 });
    expect(world.sample(30, 32, createRng(4))).toEqual(world.sample(30, 32, createRng(4)));
    expect(world.sample(30, 32, createRng(5))).not.toEqual(world.sample(30, 32, createRng(4)));
  });
});
