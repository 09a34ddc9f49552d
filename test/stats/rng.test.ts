import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/stats/rng.js';

describe('createRng (xoshiro128** seeded by SplitMix64)', () => {
  it('matches the authors’ C reference implementation bit for bit', () => {
    // Produced by compiling Blackman & Vigna's xoshiro128starstar.c and splitmix64.c with the
    // seeding documented in rng.ts (two splitmix64 outputs, low then high 32 bits) and
    // printing the first six outputs for seeds 0, 42 and 2^53 − 1.
    const expected: Record<number, number[]> = {
      0: [3737715805, 2584255861, 2876756834, 3286328325, 1553311962, 1625202774],
      42: [1776835114, 4165204688, 17111135, 2317295270, 2792088233, 2554630222],
      9007199254740991: [1233166643, 1287031142, 661813442, 2960669951, 2601079046, 1036114921],
    };
    for (const [seed, outputs] of Object.entries(expected)) {
      const rng = createRng(Number(seed));
      expect(outputs.map(() => rng.nextUint32())).toEqual(outputs);
    }
  });

  it('is reproducible from its seed and reports it', () => {
    const a = createRng(7);
    const b = createRng(7);
    const c = createRng(8);
    const drawsA = Array.from({ length: 20 }, () => a.uniform());
    expect(Array.from({ length: 20 }, () => b.uniform())).toEqual(drawsA);
    expect(Array.from({ length: 20 }, () => c.uniform())).not.toEqual(drawsA);
    expect(a.seed).toBe(7);
  });

  it('refuses seeds it would have to round', () => {
    expect(() => createRng(1.5)).toThrow(RangeError);
    expect(() => createRng(-1)).toThrow(RangeError);
    expect(() => createRng(Number.NaN)).toThrow(RangeError);
  });

  it('draws uniforms in [0, 1) with mean 1/2 and variance 1/12', () => {
    const rng = createRng(1);
    const n = 200_000;
    let sum = 0;
    let sumSquares = 0;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      if (!(u >= 0 && u < 1)) outside++;
      sum += u;
      sumSquares += u * u;
    }
    expect(outside).toBe(0);
    const mean = sum / n;
    // 5 standard errors: a correct generator fails this about once in 3.5 million runs.
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(sumSquares / n - mean * mean - 1 / 12)).toBeLessThan(0.002);
  });

  it('draws normals with the standard moments and tail mass', () => {
    const rng = createRng(2);
    const n = 200_000;
    let sum = 0;
    let sumSquares = 0;
    let beyond196 = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      sum += z;
      sumSquares += z * z;
      if (Math.abs(z) > 1.959964) beyond196++;
    }
    expect(Math.abs(sum / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(sumSquares / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(beyond196 / n - 0.05)).toBeLessThan(5 * Math.sqrt((0.05 * 0.95) / n));
  });

  it('draws integers uniformly over the range (chi-square goodness of fit)', () => {
    const rng = createRng(3);
    const categories = 7;
    const n = 70_000;
    const counts = new Array<number>(categories).fill(0);
    for (let i = 0; i < n; i++) counts[rng.integer(10, 10 + categories) - 10]!++;
    expect(counts.reduce((a, b) => a + b, 0)).toBe(n); // an out-of-range draw would be lost (NaN)
    const expected = n / categories;
    const chiSquare = counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
    // 22.46 is the 0.999 quantile of chi-square with 6 degrees of freedom (scipy.stats.chi2.ppf).
    expect(chiSquare).toBeLessThan(22.46);
    expect(() => rng.integer(3, 3)).toThrow(RangeError);
  });
});
