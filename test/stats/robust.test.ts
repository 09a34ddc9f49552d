import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/stats/rng.js';
import {
  MAD_NORMAL_CONSISTENCY,
  mad,
  median,
  noiseFloor,
  quantile,
  robustZScores,
  rollingMedian,
} from '../../src/stats/robust.js';

// Reference numbers below were produced with Debian's python3-numpy 2.4.6 / python3-scipy
// 1.17.1: np.median, np.quantile (default method "linear" = Hyndman–Fan type 7),
// scipy.stats.median_abs_deviation(x, scale="normal").
const sample = [2.3, 1.1, 7.9, 3.3, 3.3, 0.4, 12.0, 5.5, 2.2, 9.1, 4.4];

describe('median and quantile', () => {
  it('match numpy (type 7) on an unsorted sample', () => {
    expect(median(sample)).toBe(3.3);
    const expected: [number, number][] = [
      [0, 0.4],
      [0.1, 1.1],
      [0.25, 2.25],
      [0.33, 2.6],
      [0.9, 9.1],
      [1, 12.0],
    ];
    for (const [p, value] of expected) expect(quantile(sample, p)).toBeCloseTo(value, 12);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('ignore non-finite values and return NaN when nothing is left', () => {
    expect(median([Number.NaN, 3, Number.POSITIVE_INFINITY, 1, 2])).toBe(2);
    expect(median([Number.NaN])).toBeNaN();
    expect(quantile([1, 2], 1.5)).toBeNaN();
  });
});

describe('mad', () => {
  it('matches scipy median_abs_deviation(scale="normal")', () => {
    expect(MAD_NORMAL_CONSISTENCY).toBeCloseTo(1.482602218505602, 15); // 1/norm.ppf(0.75)
    expect(mad(sample)).toBeCloseTo(3.261724880712324, 12);
    expect(mad(sample, 1)).toBeCloseTo(2.2, 12);
  });

  it('estimates the standard deviation of normal data and shrugs off outliers', () => {
    const rng = createRng(11);
    const values = Array.from({ length: 20_000 }, () => 3 + 2 * rng.normal());
    for (let i = 0; i < 2000; i++) values[i] = 1e6; // 10 % gross outliers
    // Standard error of the normal-consistent MAD is about 1.36·σ/√n ≈ 0.02 here; the 10 %
    // contamination biases it upward by about 14 %, still nowhere near the 1e5 a SD would give.
    expect(mad(values)).toBeGreaterThan(2.0);
    expect(mad(values)).toBeLessThan(2.5);
  });
});

describe('robustZScores', () => {
  it('centres on the median and scales by the MAD, NaN for non-finite points', () => {
    const z = robustZScores([1, 2, 3, 4, 100, Number.NaN]);
    // median 3, MAD = 1.4826 · median(|[-2,-1,0,1,97]|) = 1.4826
    expect(z[2]).toBe(0);
    expect(z[0]).toBeCloseTo(-2 / MAD_NORMAL_CONSISTENCY, 12);
    expect(z[4]).toBeCloseTo(97 / MAD_NORMAL_CONSISTENCY, 12);
    expect(z[5]).toBeNaN();
  });

  it('scores departures from a constant bulk as infinite', () => {
    const z = robustZScores([5, 5, 5, 5, 9]);
    expect(Array.from(z)).toEqual([0, 0, 0, 0, Number.POSITIVE_INFINITY]);
  });
});

describe('noiseFloor', () => {
  it('matches MAD(diff)/√2 computed with scipy, skipping non-finite points', () => {
    // scipy: median_abs_deviation(np.diff([5,1,4,2,8,3,7]), scale="normal") / sqrt(2)
    expect(noiseFloor([5, 1, Number.NaN, 4, 2, 8, Number.NEGATIVE_INFINITY, 3, 7])).toBeCloseTo(4.193432330030122, 12);
  });

  it('recovers the noise level under a strong trend that dwarfs it', () => {
    const rng = createRng(5);
    const n = 5000;
    const values = Array.from({ length: n }, (_, i) => 10 * Math.exp(-i / 800) + 0.05 * i / n + 0.1 * rng.normal());
    const floor = noiseFloor(values);
    expect(floor).toBeGreaterThan(0.095);
    expect(floor).toBeLessThan(0.105);
    expect(mad(values)).toBeGreaterThan(0.5); // the plain MAD sees the trend, not the noise
  });
});

describe('rollingMedian', () => {
  it('matches a centred, shrinking-at-the-edges median computed with numpy', () => {
    const x = [5, 1, Number.NaN, 4, 2, 8, Number.POSITIVE_INFINITY, 3, 7];
    expect(Array.from(rollingMedian(x, 3))).toEqual([3, 3, 2.5, 3, 4, 5, 5.5, 5, 5]);
    expect(Array.from(rollingMedian(x, 5))).toEqual([3, 4, 3, 3, 4, 3.5, 5, 7, 5]);
  });

  it('agrees with a brute-force window median on random data with gaps', () => {
    const rng = createRng(9);
    const x = Array.from({ length: 400 }, () => (rng.uniform() < 0.1 ? Number.NaN : Math.round(rng.normal() * 5)));
    for (const window of [1, 4, 7, 31]) {
      const half = Math.floor(window / 2);
      const got = rollingMedian(x, window);
      for (let i = 0; i < x.length; i++) {
        const inside = x.slice(Math.max(0, i - half), i + half + 1).filter(Number.isFinite).sort((a, b) => a - b);
        const m = inside.length;
        const expected = m === 0 ? Number.NaN : m % 2 ? inside[(m - 1) / 2]! : (inside[m / 2 - 1]! + inside[m / 2]!) / 2;
        expect(got[i]).toBe(expected);
      }
    }
  });

  it('returns NaN where a window holds no finite value and refuses a bad window', () => {
    expect(Array.from(rollingMedian([Number.NaN, Number.NaN, Number.NaN, 1], 3))).toEqual([Number.NaN, Number.NaN, 1, 1]);
    expect(() => rollingMedian([1, 2], 0)).toThrow(RangeError);
  });
});
