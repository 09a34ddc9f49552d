import { describe, expect, it } from 'vitest';
import { meanInterval, wilsonInterval } from '../../src/stats/intervals.js';
import { createRng } from '../../src/stats/rng.js';

describe('wilsonInterval', () => {
  it('reproduces Newcombe (1998) Table I, method 3 (score interval without correction)', () => {
    // Newcombe's printed 4-decimal bounds; the full-precision values were recomputed with
    // numpy/scipy from the closed form (z = scipy.stats.norm.ppf(0.975)).
    const cases: [number, number, number, number][] = [
      [81, 263, 0.2552885198782742, 0.36620957698280004], // Newcombe: 0.2553, 0.3662
      [15, 148, 0.0623863995307363, 0.16048724172330803], // 0.0624, 0.1605
      [0, 20, 0, 0.16112515805281938], // 0.0000, 0.1611
      [1, 29, 0.006113214292762653, 0.17175521879320288], // 0.0061, 0.1718
      [20, 20, 0.8388748419471806, 1],
    ];
    for (const [x, n, low, high] of cases) {
      const interval = wilsonInterval(x, n);
      expect(interval.low).toBeCloseTo(low, 13);
      expect(interval.high).toBeCloseTo(high, 13);
      expect(interval.estimate).toBe(x / n);
    }
    const wide = wilsonInterval(81, 263, 0.99);
    expect(wide.low).toBeCloseTo(0.24013690268760773, 13);
    expect(wide.high).toBeCloseTo(0.38528250231822986, 13);
  });

  it('covers the true proportion at close to the nominal rate', () => {
    const rng = createRng(21);
    const n = 50;
    const p = 0.3;
    let covered = 0;
    const trials = 4000;
    for (let t = 0; t < trials; t++) {
      let successes = 0;
      for (let i = 0; i < n; i++) if (rng.uniform() < p) successes++;
      const interval = wilsonInterval(successes, n);
      if (interval.low <= p && p <= interval.high) covered++;
    }
    // Exact coverage of the Wilson interval at n = 50, p = 0.3 is about 0.95 (Brown, Cai &
    // DasGupta 2001, fig. 4 range 0.93–0.96); allow the Monte Carlo error on top.
    expect(covered / trials).toBeGreaterThan(0.92);
    expect(covered / trials).toBeLessThan(0.975);
  });

  it('refuses impossible counts and gives NaN for an empty sample', () => {
    expect(() => wilsonInterval(5, 3)).toThrow(RangeError);
    expect(() => wilsonInterval(1, 3, 1)).toThrow(RangeError);
    expect(wilsonInterval(0, 0).low).toBeNaN();
  });
});

describe('meanInterval', () => {
  const values = [2.1, 3.4, 1.9, 5.6, 4.4, 3.3, 2.8, 4.9];

  it('matches numpy mean ± norm.ppf(0.975)·std(ddof=1)/√n and scipy.stats.t.interval', () => {
    const normal = meanInterval(values);
    expect(normal.estimate).toBeCloseTo(3.55, 14);
    expect(normal.low).toBeCloseTo(2.634433949592597, 12);
    expect(normal.high).toBeCloseTo(4.465566050407403, 12);
    // scipy.stats.t.interval(0.95, 7, loc=mean, scale=std/√8)
    const t = meanInterval([...values, Number.NaN], { distribution: 't' });
    expect(t.n).toBe(8);
    expect(t.low).toBeCloseTo(2.4454033319972353, 11);
    expect(t.high).toBeCloseTo(4.654596668002764, 11);
  });

  it('stays accurate with a large common offset and degrades to NaN below two points', () => {
    const shifted = meanInterval(values.map((v) => v + 1e9));
    expect(shifted.high - shifted.low).toBeCloseTo(4.465566050407403 - 2.634433949592597, 6);
    expect(meanInterval([1]).low).toBeNaN();
    expect(meanInterval([1]).estimate).toBe(1);
  });
});
