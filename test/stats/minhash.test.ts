import { describe, expect, it } from 'vitest';
import { bandKeys, candidateProbability, estimateJaccard, jaccard, lshParameters, minHashFamily, minHashSignature } from '../../src/stats/minhash.js';
import { fmix32 } from '../../src/stats/ngrams.js';

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => fmix32(from + i));

describe('MinHash', () => {
  it('estimates a known Jaccard similarity without bias, within sampling error, over 100 seeds', () => {
    for (const [a, b, truth] of [
      [range(0, 180), range(20, 200), 0.8], // 160 shared of 200
      [range(0, 100), range(50, 150), 1 / 3], // 50 shared of 150
    ] as const) {
      expect(jaccard(a, b)).toBeCloseTo(truth, 12);
      const standardError = Math.sqrt((truth * (1 - truth)) / 128);
      const estimates: number[] = [];
      for (let seed = 0; seed < 100; seed++) {
        const family = minHashFamily(128, seed);
        const estimate = estimateJaccard(minHashSignature(a, family), minHashSignature(b, family));
        expect(Math.abs(estimate - truth)).toBeLessThan(4.5 * standardError);
        estimates.push(estimate);
      }
      const mean = estimates.reduce((s, x) => s + x, 0) / estimates.length;
      // the mean of 100 estimates has standard error σ/10
      expect(Math.abs(mean - truth)).toBeLessThan(3.5 * (standardError / 10));
    }
  });

  it('gives identical signatures for identical sets whatever the order or repeats', () => {
    const family = minHashFamily(64, 7);
    const set = range(0, 50);
    const shuffled = [...set].reverse().concat(set.slice(0, 10));
    expect([...minHashSignature(set, family)]).toEqual([...minHashSignature(shuffled, family)]);
    expect(estimateJaccard(minHashSignature(set, family), minHashSignature(shuffled, family))).toBe(1);
  });
});

describe('LSH banding', () => {
  it('chooses bands × rows as datasketch does', () => {
    // Reference: datasketch's _optimal_param criterion (equal-weighted false-positive and false-negative
    // areas under 1 − (1 − s^r)^b, b·r ≤ num_perm) evaluated with scipy.integrate.quad on Debian's python3:
    // (0.8, 128) → (9, 13); (0.5, 128) → (25, 5); (0.9, 256) → (9, 28).
    expect(lshParameters(0.8, 128)).toMatchObject({ bands: 9, rows: 13 });
    expect(lshParameters(0.5, 128)).toMatchObject({ bands: 25, rows: 5 });
    expect(lshParameters(0.9, 256)).toMatchObject({ bands: 9, rows: 28 });
    expect(lshParameters(0.8, 128).midpoint).toBeCloseTo((1 / 9) ** (1 / 13), 12);
    expect(candidateProbability(0.95, 9, 13)).toBeGreaterThan(0.99);
    expect(candidateProbability(0.5, 9, 13)).toBeLessThan(0.002);
  });

  it('puts equal bands under equal keys and different bands under different keys', () => {
    const family = minHashFamily(128, 1);
    const a = minHashSignature(range(0, 100), family);
    const b = Uint32Array.from(a);
    b[0] = (b[0]! + 1) >>> 0; // band 0 differs, the others do not
    const keysA = bandKeys(a, { bands: 9, rows: 13 });
    const keysB = bandKeys(b, { bands: 9, rows: 13 });
    expect(keysA).toHaveLength(9);
    expect(keysA[0]).not.toBe(keysB[0]);
    expect(keysA.slice(1)).toEqual(keysB.slice(1));
    expect(new Set(keysA).size).toBe(9);
  });
});
