import { describe, expect, it } from 'vitest';
import { downsample, downsampleIndices } from '../../src/report/downsample.js';
import { noise } from '../support/runs.js';

function curve(n: number, seed: number): { steps: number[]; values: number[] } {
  const random = noise(seed);
  const steps = Array.from({ length: n }, (_, i) => i * 10);
  const values = steps.map((t) => 3 * Math.exp(-t / 20_000) + 0.05 * (random() - 0.5));
  return { steps, values };
}

describe('downsampleIndices (LTTB with each bucket’s min and max)', () => {
  it('keeps every point when there are no more than maxPoints', () => {
    expect(downsampleIndices([1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1], 6)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('bounds the output, keeps first and last, and keeps steps strictly increasing', () => {
    for (const [n, max] of [[100_000, 2000], [10_001, 500], [5000, 7], [2001, 2000]] as const) {
      const { steps, values } = curve(n, n);
      const kept = downsampleIndices(steps, values, max);
      expect(kept.length).toBeLessThanOrEqual(max);
      expect(kept.length).toBeGreaterThan(max / 2);
      expect(kept[0]).toBe(0);
      expect(kept.at(-1)).toBe(n - 1);
      for (let i = 1; i < kept.length; i++) expect(kept[i]!).toBeGreaterThan(kept[i - 1]!);
    }
  });

  it('always keeps the global extrema and one-point spikes', () => {
    const { steps, values } = curve(100_000, 7);
    const spikes = [1234, 50_001, 77_777, 99_990];
    for (const i of spikes) values[i] = 40 + i / 1e5; // loss spikes far above the curve
    values[31_337] = -5; // a dip below everything
    const kept = new Set(downsampleIndices(steps, values, 2000));
    for (const i of [...spikes, 31_337]) expect(kept.has(i)).toBe(true);
    const max = values.indexOf(Math.max(...values));
    const min = values.indexOf(Math.min(...values));
    expect(kept.has(max) && kept.has(min)).toBe(true);
  });

  it('keeps the minimum and maximum of every bucket (plain LTTB would not)', () => {
    // A sawtooth: in each bucket the triangle point is one of the teeth, min and max must both survive.
    const n = 10_000;
    const steps = Array.from({ length: n }, (_, i) => i);
    const values = steps.map((i) => (i % 7) - 3 + (i === 4242 ? 100 : 0));
    const { values: shown } = downsample(steps, values, 302);
    expect(Math.max(...shown)).toBe(Math.max(...values));
    expect(Math.min(...shown)).toBe(Math.min(...values));
  });

  it('refuses columns of different lengths and a too-small budget', () => {
    expect(() => downsampleIndices([1, 2], [1], 10)).toThrow(RangeError);
    expect(() => downsampleIndices([1, 2], [1, 2], 4)).toThrow(RangeError);
  });
});
