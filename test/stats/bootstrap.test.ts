import { describe, expect, it } from 'vitest';
import { bootstrapInterval, clusteredMean, jackknifeAcceleration, sortedQuantile } from '../../src/stats/bootstrap.js';
import { createRng } from '../../src/stats/rng.js';

// 40 draws of lognormal(0, 0.8) rounded to 4 decimals (numpy default_rng(20240611)): skewed,
// so BCa and percentile intervals differ visibly.
const SKEWED = [
  0.8446, 0.6609, 1.1271, 0.2389, 1.2555, 0.7731, 0.5594, 1.082, 0.2099, 0.881, 0.5571, 1.3879, 1.4247, 0.476, 0.474, 0.3085, 0.5325,
  1.2911, 1.9854, 1.2009, 1.0282, 0.4996, 1.1695, 0.5207, 1.2113, 0.8504, 1.9834, 1.1758, 2.9894, 0.7214, 1.8308, 1.1974, 3.8855, 0.2081,
  2.0126, 0.4409, 0.4991, 0.9854, 0.2987, 0.3846,
];

function sampleSd(sample: Float64Array): number {
  let mean = 0;
  for (const x of sample) mean += x;
  mean /= sample.length;
  let squares = 0;
  for (const x of sample) squares += (x - mean) ** 2;
  return Math.sqrt(squares / (sample.length - 1));
}

describe('bootstrapInterval against scipy.stats.bootstrap (scipy 1.10.1)', () => {
  // Reference: scipy.stats.bootstrap((x,), stat, method=…, n_resamples=400_000,
  // random_state=1). `sd` is the standard deviation of each bound over 40 scipy runs with
  // 10,000 resamples (seeds 100–139): the Monte Carlo error of a 10,000-resample bound.
  // ladder runs 200,000 resamples here, so the difference of the two independent estimates
  // has sd ≈ sd·√(10⁴/2·10⁵ + 10⁴/4·10⁵) = 0.27·sd; the tolerance is 4 of those (a 4σ band:
  // a correct implementation fails with probability ~1e-4, while a wrong z0, acceleration or
  // quantile rule moves the bounds by more — see the BCa-vs-percentile test below).
  const tolerance = (sd: number) => 4 * sd * Math.sqrt(1e4 / 2e5 + 1e4 / 4e5);
  const cases = [
    { stat: 'mean' as const, method: 'bca' as const, low: 0.8395922996612836, high: 1.3203731504616387, sdLow: 0.0023, sdHigh: 0.005 },
    { stat: 'mean' as const, method: 'percentile' as const, low: 0.8141425, high: 1.2763875624999999, sdLow: 0.0027, sdHigh: 0.0035 },
    { stat: sampleSd, method: 'bca' as const, low: 0.5289110782327562, high: 1.1512656151257874, sdLow: 0.0032, sdHigh: 0.0097 },
    { stat: sampleSd, method: 'percentile' as const, low: 0.4565038731095446, high: 1.015237654942401, sdLow: 0.0021, sdHigh: 0.0036 },
  ];
  for (const c of cases) {
    it(`${typeof c.stat === 'string' ? c.stat : 'sd'} ${c.method}`, () => {
      const interval = bootstrapInterval(SKEWED, c.stat, { method: c.method, seed: 7, resamples: 200_000 });
      expect(interval.resamples).toBe(200_000);
      expect(interval.seed).toBe(7);
      expect(Math.abs(interval.low - c.low)).toBeLessThan(tolerance(c.sdLow));
      expect(Math.abs(interval.high - c.high)).toBeLessThan(tolerance(c.sdHigh));
    });
  }

  it('BCa and percentile differ by more than the tolerance on this skewed sample (the check can fail)', () => {
    const bca = bootstrapInterval(SKEWED, 'mean', { method: 'bca', seed: 7, resamples: 200_000 });
    const percentile = bootstrapInterval(SKEWED, 'mean', { method: 'percentile', seed: 7, resamples: 200_000 });
    expect(bca.high - percentile.high).toBeGreaterThan(4 * tolerance(0.005));
    expect(bca.low - percentile.low).toBeGreaterThan(4 * tolerance(0.0027));
  });

  it('acceleration equals the jackknife formula (Efron & Tibshirani 1993, eq. 14.15) computed with numpy', () => {
    expect(jackknifeAcceleration(Float64Array.from(SKEWED), 'mean')).toBeCloseTo(0.0478098621262192, 12);
    expect(jackknifeAcceleration(Float64Array.from(SKEWED), sampleSd)).toBeCloseTo(0.1253853235161064, 12);
    expect(jackknifeAcceleration(new Float64Array([2, 2, 2]), 'mean')).toBe(0);
  });
});

describe('bootstrapInterval behaviour', () => {
  it('is reproducible from its seed and changes with it', () => {
    const a = bootstrapInterval(SKEWED, 'mean', { seed: 3, resamples: 2000 });
    const b = bootstrapInterval(SKEWED, 'mean', { seed: 3, resamples: 2000 });
    const c = bootstrapInterval(SKEWED, 'mean', { seed: 4, resamples: 2000 });
    expect(b).toEqual(a);
    expect(c.low).not.toBe(a.low);
  });

  it('the mean fast path and a general statistic computing the mean give the same interval', () => {
    const generic = (sample: Float64Array) => sample.reduce((s, x) => s + x, 0) / sample.length;
    const fast = bootstrapInterval(SKEWED, 'mean', { seed: 5, resamples: 3000 });
    const slow = bootstrapInterval(SKEWED, generic, { seed: 5, resamples: 3000 });
    expect(slow.low).toBeCloseTo(fast.low, 12);
    expect(slow.high).toBeCloseTo(fast.high, 12);
  });

  it('gives NaN bounds for fewer than two values and refuses non-finite values', () => {
    expect(Number.isNaN(bootstrapInterval([1], 'mean').low)).toBe(true);
    expect(bootstrapInterval([1], 'mean').estimate).toBe(1);
    expect(() => bootstrapInterval([1, Number.NaN], 'mean')).toThrow(RangeError);
  });

  it('10,000 resamples of 1,000 items take well under a second', () => {
    const rng = createRng(1);
    const values = Float64Array.from({ length: 1000 }, () => rng.normal());
    const start = performance.now();
    bootstrapInterval(values, 'mean', { seed: 1 });
    expect(performance.now() - start).toBeLessThan(1500);
  });

  it('BCa 95 % interval of a mean covers the truth at close to the nominal rate (simulation)', () => {
    // 2,000 samples of 40 standard-normal values, 1,000 resamples each. BCa undercovers by
    // about a point at this n (0.941 measured with 4,000 sets of 50); the Monte Carlo sd of
    // the coverage estimate is √(0.95·0.05/2000) ≈ 0.005, so the band [0.925, 0.965] holds a
    // correct interval yet fails for a 90 % interval or one shifted by a quarter-width.
    const rng = createRng(99);
    let covered = 0;
    const sets = 2000;
    for (let s = 0; s < sets; s++) {
      const sample = Float64Array.from({ length: 40 }, () => rng.normal());
      const interval = bootstrapInterval(sample, 'mean', { resamples: 1000, rng });
      if (interval.low <= 0 && 0 <= interval.high) covered++;
    }
    const coverage = covered / sets;
    expect(coverage).toBeGreaterThan(0.925);
    expect(coverage).toBeLessThan(0.965);
  });
});

describe('sortedQuantile', () => {
  it('matches numpy.percentile linear interpolation', () => {
    // numpy.percentile([1, 2, 4, 8], [0, 10, 50, 97.5, 100]) → 1.0, 1.3, 3.0, 7.7, 8.0
    const sorted = new Float64Array([1, 2, 4, 8]);
    expect(sortedQuantile(sorted, 0)).toBe(1);
    expect(sortedQuantile(sorted, 0.1)).toBeCloseTo(1.3, 12);
    expect(sortedQuantile(sorted, 0.5)).toBeCloseTo(3, 12);
    expect(sortedQuantile(sorted, 0.975)).toBeCloseTo(7.7, 12);
    expect(sortedQuantile(sorted, 1)).toBe(8);
  });
});

describe('clusteredMean (Miller 2024)', () => {
  it('matches a hand computation', () => {
    // mean 0.5; residuals ±0.5; cluster sums a: 0.5 − 0.5 = 0, b: 1, c: −0.5, null (own
    // cluster): −0.5 → Σ squares = 0 + 1 + 0.25 + 0.25 = 1.5; SE = √1.5 / 6.
    const result = clusteredMean([1, 0, 1, 1, 0, 0], ['a', 'a', 'b', 'b', 'c', null]);
    expect(result.estimate).toBe(0.5);
    expect(result.clusters).toBe(4);
    expect(result.standardError).toBeCloseTo(Math.sqrt(1.5) / 6, 15);
    expect(result.high - result.estimate).toBeCloseTo(1.959963984540054 * (Math.sqrt(1.5) / 6), 12);
  });

  it('with singleton clusters equals the ordinary SE times √((n − 1)/n)', () => {
    const rng = createRng(11);
    for (const n of [2, 7, 50]) {
      const values = Array.from({ length: n }, () => rng.normal() * 3 + 10);
      const result = clusteredMean(values, values.map((_, i) => i));
      expect(result.clusters).toBe(n);
      expect(result.standardError).toBeCloseTo(result.naiveStandardError * Math.sqrt((n - 1) / n), 12);
    }
  });

  it('duplicating every item k times inside its own cluster leaves the SE unchanged, while the naive SE shrinks', () => {
    const base = [0.2, 0.9, 0.4, 0.7, 0.1, 0.6];
    const single = clusteredMean(base, base.map((_, i) => i));
    const values = base.flatMap((x) => [x, x, x, x]);
    const clusters = base.flatMap((_, i) => [i, i, i, i]);
    const repeated = clusteredMean(values, clusters);
    expect(repeated.standardError).toBeCloseTo(single.standardError, 14);
    expect(repeated.naiveStandardError).toBeLessThan(single.naiveStandardError * 0.6);
  });
});
