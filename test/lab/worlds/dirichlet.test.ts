import { describe, expect, it } from 'vitest';
import { sampleDirichlet } from '../../../src/lab/worlds/dirichlet.js';
import { createRng } from '../../../src/stats/rng.js';

describe('sampleDirichlet', () => {
  it('has the mean 1/K and variance (K − 1)/(K²(Kα + 1)) of a symmetric Dirichlet', () => {
    for (const concentration of [0.2, 1, 3]) {
      const size = 4;
      const rng = createRng(1);
      const n = 20_000;
      let sum = 0;
      let sumSquares = 0;
      for (let i = 0; i < n; i++) {
        const draw = sampleDirichlet(size, concentration, rng);
        let total = 0;
        for (const p of draw) total += p;
        expect(total).toBeCloseTo(1, 12);
        sum += draw[0]!;
        sumSquares += draw[0]! ** 2;
      }
      const mean = sum / n;
      const variance = sumSquares / n - mean * mean;
      const expectedVariance = (size - 1) / (size * size * (size * concentration + 1));
      expect(Math.abs(mean - 1 / size)).toBeLessThan(5 * Math.sqrt(expectedVariance / n));
      expect(variance / expectedVariance).toBeGreaterThan(0.93);
      expect(variance / expectedVariance).toBeLessThan(1.07);
    }
  });

  it('stays finite for concentrations far below 1, where gamma draws underflow a double', () => {
    const rng = createRng(2);
    for (let i = 0; i < 200; i++) {
      const draw = sampleDirichlet(16, 0.01, rng);
      for (const p of draw) expect(Number.isFinite(p) && p >= 0).toBe(true);
      expect(draw.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    }
  });
});
