import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/stats/rng.js';
import { studentTQuantile } from '../../src/stats/distributions.js';
import { expectedMaximum, gapVersusSeedNoise, probabilityOfOutperforming, seedSpread, seedsForPower } from '../../src/stats/seed-noise.js';

const FIVE_SEEDS = [0.912, 0.905, 0.921, 0.899, 0.915];
const FOUR_SEEDS = [0.903, 0.91, 0.896, 0.908];

describe('seedSpread', () => {
  it('matches numpy/scipy for the mean, sample SD and the chi-square interval of the SD', () => {
    // /usr/bin/python3, numpy 1.24.2, scipy 1.10.1:
    //   s = v.std(ddof=1); sqrt(df*s*s/chi2.ppf(1-a, df)), sqrt(df*s*s/chi2.ppf(a, df)), df = n - 1
    const spread = seedSpread(FIVE_SEEDS);
    expect(spread.n).toBe(5);
    expect(spread.mean).toBeCloseTo(0.9104, 14);
    expect(spread.sd).toBeCloseTo(0.00859069263796582, 14);
    expect(spread.min).toBe(0.899);
    expect(spread.max).toBe(0.921);
    expect(spread.range).toBeCloseTo(0.022, 14);
    expect(spread.sdInterval.low).toBeCloseTo(0.005146968647521015, 12);
    expect(spread.sdInterval.high).toBeCloseTo(0.024685833230460953, 12);
    const ninety = seedSpread(FIVE_SEEDS, { confidence: 0.9 });
    expect(ninety.sdInterval.low).toBeCloseTo(0.005577981121252359, 12);
    expect(ninety.sdInterval.high).toBeCloseTo(0.020380178572830098, 12);
  });

  it('gives the wide interval three seeds deserve (2 degrees of freedom, scipy reference)', () => {
    const spread = seedSpread([71.2, 70.4, 72.9]);
    expect(spread.sd).toBeCloseTo(1.2767145334803707, 12);
    expect(spread.sdInterval.low).toBeCloseTo(0.664731976071079, 10);
    expect(spread.sdInterval.high).toBeCloseTo(8.023812126071235, 10);
  });

  it('has no SD from one seed and refuses non-finite values', () => {
    const one = seedSpread([0.5]);
    expect(one.mean).toBe(0.5);
    expect(one.sd).toBeNaN();
    expect(one.sdInterval.high).toBeNaN();
    expect(() => seedSpread([0.5, Number.NaN])).toThrow(RangeError);
    expect(() => seedSpread([])).toThrow(RangeError);
  });

  it('covers the true SD at about the nominal rate for normal seed results (seeded simulation)', () => {
    const rng = createRng(11);
    const trials = 4000;
    let covered = 0;
    for (let t = 0; t < trials; t++) {
      const values = Array.from({ length: 5 }, () => 0.8 + 0.01 * rng.normal());
      const { sdInterval } = seedSpread(values);
      if (sdInterval.low <= 0.01 && 0.01 <= sdInterval.high) covered++;
    }
    // Binomial SE of a 0.95 rate over 4000 trials is 0.0034; ±4 SE.
    expect(covered / trials).toBeGreaterThan(0.936);
    expect(covered / trials).toBeLessThan(0.964);
  });
});

describe('gapVersusSeedNoise', () => {
  // scipy reference: pooled variance over both configurations (df = 4 + 3), chi2 interval of
  // the pooled SD, p = 2*norm.sf(|gap| / (sd*sqrt(2))), thresholds norm.ppf(0.975)*sqrt(2)*sd_low/high.
  it('pools the seed SD of both configurations and compares the observed gap with it', () => {
    const result = gapVersusSeedNoise(FIVE_SEEDS, FOUR_SEEDS);
    expect(result.observedGap).toBeCloseTo(0.00615, 14);
    expect(result.gap).toBe(result.observedGap);
    expect(result.seedSd.degreesOfFreedom).toBe(7);
    expect(result.seedSd.estimate).toBeCloseTo(0.007671375365604274, 14);
    expect(result.seedSd.low).toBeCloseTo(0.005072115077719122, 12);
    expect(result.seedSd.high).toBeCloseTo(0.015613336179512887, 12);
    expect(result.noiseSdOfGap).toBeCloseTo(0.007671375365604274 * Math.SQRT2, 14);
    expect(result.probabilityNoiseAtLeastGap).toBeCloseTo(0.5707994829538018, 10);
    expect(result.withinSeedRange).toBe(true);
    expect(result.verdict).toBe('within-noise');
  });

  it('calls a claimed gap within, beyond or undecided against the SD interval (thresholds 0.01406 and 0.04328)', () => {
    const small = gapVersusSeedNoise(FIVE_SEEDS, FOUR_SEEDS, { claimedGap: 0.004 });
    expect(small.probabilityNoiseAtLeastGap).toBeCloseTo(0.7123522206426902, 10);
    expect(small.verdict).toBe('within-noise');
    expect(gapVersusSeedNoise(FIVE_SEEDS, FOUR_SEEDS, { claimedGap: 0.0140 }).verdict).toBe('within-noise');
    expect(gapVersusSeedNoise(FIVE_SEEDS, FOUR_SEEDS, { claimedGap: 0.0142 }).verdict).toBe('inconclusive');
    expect(gapVersusSeedNoise(FIVE_SEEDS, FOUR_SEEDS, { claimedGap: -0.0432 }).verdict).toBe('inconclusive');
    const large = gapVersusSeedNoise(FIVE_SEEDS, FOUR_SEEDS, { claimedGap: -0.0434 });
    expect(large.verdict).toBe('beyond-noise');
    expect(large.withinSeedRange).toBe(false);
  });

  it('shrinks the noise of the gap as √(2/k) when the claim averages k runs per configuration', () => {
    const one = gapVersusSeedNoise(FIVE_SEEDS, FOUR_SEEDS, { claimedGap: 0.025 });
    const four = gapVersusSeedNoise(FIVE_SEEDS, FOUR_SEEDS, { claimedGap: 0.025, runsPerConfiguration: 4 });
    expect(four.noiseSdOfGap).toBeCloseTo(one.noiseSdOfGap / 2, 14);
    expect(one.verdict).toBe('inconclusive');
    expect(four.verdict).toBe('beyond-noise');
  });

  it('uses the spread of A alone when B has no reruns, and needs a gap then', () => {
    const result = gapVersusSeedNoise(FIVE_SEEDS, [], { claimedGap: 0.01 });
    expect(result.seedSd.degreesOfFreedom).toBe(4);
    expect(result.seedSd.estimate).toBeCloseTo(0.00859069263796582, 14);
    expect(result.observedGap).toBeNaN();
    expect(() => gapVersusSeedNoise(FIVE_SEEDS, [])).toThrow(RangeError);
    expect(() => gapVersusSeedNoise([0.9], [0.8])).toThrow(RangeError);
  });
});

describe('probabilityOfOutperforming', () => {
  /** Paired runs where A wins `wins` times, ties `ties` times and loses the rest. */
  function pairs(wins: number, ties: number, losses: number): { a: number[]; b: number[] } {
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < wins; i++) a.push(0.8 + i * 1e-3), b.push(0.79 + i * 1e-3);
    for (let i = 0; i < ties; i++) a.push(0.7), b.push(0.7);
    for (let i = 0; i < losses; i++) a.push(0.6), b.push(0.65);
    return { a, b };
  }

  it('counts wins, ties as one half, and losses', () => {
    const { a, b } = pairs(11, 2, 7);
    const result = probabilityOfOutperforming(a, b, { resamples: 2000 });
    expect(result.estimate).toBeCloseTo(0.6, 15);
    expect([result.wins, result.ties, result.losses]).toEqual([11, 2, 7]);
    const reversed = probabilityOfOutperforming(a, b, { resamples: 2000, higherIsBetter: false });
    expect(reversed.estimate).toBeCloseTo(0.4, 15);
  });

  // With no ties a resample's share of wins is Binomial(n, p̂)/n, so the percentile ends are
  // binomial quantiles (scipy.stats.binom.cdf: n = 10, p = 0.9: cdf(6) = 0.0128, cdf(7) = 0.0702,
  // so the 2.5 % end is 7/10; the 97.5 % end is 10/10). No seed can move them.
  it('gives the percentile bootstrap interval over pairs: 9 of 10 wins → [0.7, 1.0]', () => {
    const { a, b } = pairs(9, 0, 1);
    for (const seed of [0, 1, 2]) {
      const result = probabilityOfOutperforming(a, b, { seed });
      expect(result.interval.low).toBeCloseTo(0.7, 12);
      expect(result.interval.high).toBeCloseTo(1, 12);
      expect(result.interval.method).toBe('percentile');
      expect(result.interval.seed).toBe(seed);
      expect(result.significant).toBe(true);
      // Lower bound 0.7 above 0.5, upper bound 1.0 above γ = 0.75: significant and meaningful.
      expect(result.meaningful).toBe(true);
    }
  });

  // binom n = 20, p = 0.6: cdf(7) = 0.0210, cdf(8) = 0.0565, cdf(15) = 0.949, cdf(16) = 0.984.
  it('is not significant when the interval covers 0.5: 12 of 20 wins → [0.4, 0.8]', () => {
    const { a, b } = pairs(12, 0, 8);
    const result = probabilityOfOutperforming(a, b, { seed: 5 });
    expect(result.interval.low).toBeCloseTo(0.4, 12);
    expect(result.interval.high).toBeCloseTo(0.8, 12);
    expect(result.significant).toBe(false);
    expect(result.meaningful).toBe(false);
  });

  // 240 wins of 400: binomial quantiles (scipy.stats.binom.ppf([0.025, 0.975], 400, 0.6) / 400)
  // [0.5525, 0.6475] → significant, and an upper end below γ = 0.75 → not meaningful.
  it('is significant but not meaningful when the whole interval sits between 0.5 and γ', () => {
    const { a, b } = pairs(240, 0, 160);
    const result = probabilityOfOutperforming(a, b, { seed: 3 });
    expect(result.interval.low).toBeGreaterThan(0.5);
    expect(result.interval.high).toBeLessThan(0.75);
    expect(result.significant).toBe(true);
    expect(result.meaningful).toBe(false);
    expect(probabilityOfOutperforming(a, b, { seed: 3, gamma: 0.6 }).meaningful).toBe(true);
  });

  it('is significant but never meaningful when B is the better one', () => {
    const { a, b } = pairs(0, 0, 10);
    const result = probabilityOfOutperforming(a, b);
    expect(result.estimate).toBe(0);
    expect(result.significant).toBe(true);
    expect(result.meaningful).toBe(false);
    const all = probabilityOfOutperforming(b, a);
    expect([all.interval.low, all.interval.high]).toEqual([1, 1]);
    expect(all.meaningful).toBe(true);
  });

  it('is reproducible from its seed and refuses unpaired or bad input', () => {
    const { a, b } = pairs(6, 3, 5);
    const first = probabilityOfOutperforming(a, b, { seed: 42, resamples: 3000 });
    const again = probabilityOfOutperforming(a, b, { seed: 42, resamples: 3000 });
    expect(again.interval).toEqual(first.interval);
    expect(() => probabilityOfOutperforming([1, 2], [1])).toThrow(RangeError);
    expect(() => probabilityOfOutperforming([1], [0])).toThrow(RangeError);
    expect(() => probabilityOfOutperforming([1, Number.NaN], [0, 0])).toThrow(RangeError);
    expect(() => probabilityOfOutperforming([1, 2], [0, 0], { gamma: 0.4 })).toThrow(RangeError);
  });
});

describe('expectedMaximum', () => {
  it('matches a hand computation on three scores', () => {
    // v = 0.6, 0.7, 0.9. N = 2: weights 1/9, 3/9, 5/9 → E = 7.2/9 = 0.8,
    // Var = (0.36 + 3·0.49 + 5·0.81)/9 − 0.64 = 0.0133…; N = 3: weights 1/27, 7/27, 19/27 → E = 22.6/27.
    const curve = expectedMaximum([0.9, 0.6, 0.7]);
    expect(Array.from(curve.trials)).toEqual([1, 2, 3]);
    expect(curve.expectedMax[0]).toBeCloseTo(2.2 / 3, 14);
    expect(curve.variance[0]).toBeCloseTo((0.36 + 0.49 + 0.81) / 3 - (2.2 / 3) ** 2, 14);
    expect(curve.expectedMax[1]).toBeCloseTo(0.8, 14);
    expect(curve.variance[1]).toBeCloseTo(0.04 / 3, 14);
    expect(curve.sd[1]).toBeCloseTo(Math.sqrt(0.04 / 3), 14);
    expect(curve.expectedMax[2]).toBeCloseTo(22.6 / 27, 14);
  });

  it('handles tied scores (0.5, 0.5, 1.0 at N = 2: P(max = 1) = 5/9)', () => {
    const curve = expectedMaximum([0.5, 1, 0.5], { maxTrials: 2 });
    expect(curve.expectedMax[1]).toBeCloseTo((4 / 9) * 0.5 + 5 / 9, 14);
    expect(curve.variance[1]).toBeCloseTo((4 / 9) * 0.25 + 5 / 9 - ((4 / 9) * 0.5 + 5 / 9) ** 2, 14);
  });

  it('matches the formula of Dodge et al. evaluated by numpy on ten scores, beyond N = n too', () => {
    // /usr/bin/python3, numpy 1.24.2: s = sort(v); w = (i/n)**N − ((i−1)/n)**N;
    // E = (w*s).sum(); Var = (w*s*s).sum() − E*E.
    const scores = [0.61, 0.74, 0.68, 0.81, 0.79, 0.55, 0.72, 0.8, 0.66, 0.77];
    const curve = expectedMaximum(scores, { maxTrials: 15 });
    const reference: [number, number, number][] = [
      [1, 0.713, 0.006801000000000057],
      [2, 0.7590999999999999, 0.0031461900000001597],
      [5, 0.7940243, 0.0005700180095099538],
      [10, 0.8046692759710001, 9.659695709662852e-5],
      [15, 0.807479534588577, 3.214754931235575e-5],
    ];
    for (const [n, mean, variance] of reference) {
      expect(curve.expectedMax[n - 1]).toBeCloseTo(mean, 13);
      expect(curve.variance[n - 1]).toBeCloseTo(variance, 13);
    }
    for (let t = 1; t < 15; t++) expect(curve.expectedMax[t]!).toBeGreaterThanOrEqual(curve.expectedMax[t - 1]!);
    expect(curve.expectedMax[14]!).toBeLessThanOrEqual(0.81);
  });

  it('agrees with exhaustive enumeration of every draw sequence (4 scores, N = 1..5)', () => {
    const scores = [0.3, 0.9, 0.5, 0.5];
    const curve = expectedMaximum(scores, { maxTrials: 5 });
    for (let draws = 1; draws <= 5; draws++) {
      let sum = 0;
      let sumSquares = 0;
      const total = 4 ** draws;
      for (let code = 0; code < total; code++) {
        let best = Number.NEGATIVE_INFINITY;
        for (let d = 0, rest = code; d < draws; d++, rest = Math.floor(rest / 4)) best = Math.max(best, scores[rest % 4]!);
        sum += best;
        sumSquares += best * best;
      }
      const mean = sum / total;
      expect(curve.expectedMax[draws - 1]).toBeCloseTo(mean, 13);
      expect(curve.variance[draws - 1]).toBeCloseTo(sumSquares / total - mean * mean, 13);
    }
  });

  it('agrees with a seeded Monte Carlo estimate of the best of N draws', () => {
    const scores = [0.61, 0.74, 0.68, 0.81, 0.79, 0.55, 0.72, 0.8, 0.66, 0.77];
    const curve = expectedMaximum(scores, { maxTrials: 8 });
    const rng = createRng(2019);
    const repetitions = 100_000;
    for (const draws of [1, 3, 8]) {
      let sum = 0;
      let sumSquares = 0;
      for (let r = 0; r < repetitions; r++) {
        let best = Number.NEGATIVE_INFINITY;
        for (let d = 0; d < draws; d++) best = Math.max(best, scores[rng.integer(0, scores.length)]!);
        sum += best;
        sumSquares += best * best;
      }
      const mean = sum / repetitions;
      const variance = sumSquares / repetitions - mean * mean;
      // Within 4 Monte Carlo standard errors of the exact mean; variance to 5 %.
      expect(Math.abs(mean - curve.expectedMax[draws - 1]!)).toBeLessThan(4 * Math.sqrt(curve.variance[draws - 1]! / repetitions));
      expect(variance / curve.variance[draws - 1]!).toBeGreaterThan(0.95);
      expect(variance / curve.variance[draws - 1]!).toBeLessThan(1.05);
    }
  });

  it('refuses no scores, non-finite scores and a bad N', () => {
    expect(() => expectedMaximum([])).toThrow(RangeError);
    expect(() => expectedMaximum([0.5, Number.POSITIVE_INFINITY])).toThrow(RangeError);
    expect(() => expectedMaximum([0.5], { maxTrials: 0 })).toThrow(RangeError);
    expect(Array.from(expectedMaximum([0.5]).expectedMax)).toEqual([0.5]);
  });
});

describe('seedsForPower', () => {
  it("reproduces Cohen's table of seeds per arm at α = 0.05 and power 0.8", () => {
    // Cohen (1988), table 2.4.1: d = 1.0 → 17, 0.8 → 26, 0.5 → 64, 0.2 → 393.
    expect(seedsForPower(1, 1)).toBe(17);
    expect(seedsForPower(1, 0.8)).toBe(26);
    expect(seedsForPower(0.1, 0.05)).toBe(64);
    expect(Math.abs(seedsForPower(1, 0.2) - 393)).toBeLessThanOrEqual(1);
    expect(seedsForPower(1, -1)).toBe(17);
    // Power 0.9 at d = 1: Cohen's table 2.4.1 gives 23.
    expect(seedsForPower(1, 1, { power: 0.9 })).toBe(23);
    expect(seedsForPower(0.001, 1)).toBe(2);
    expect(seedsForPower(0, 0)).toBe(2);
    expect(seedsForPower(1, 0)).toBe(Number.POSITIVE_INFINITY);
  });

  it('gives a t test about the power it asks for (seeded simulation)', () => {
    const rng = createRng(16);
    for (const d of [1, 1.5, 2]) {
      const n = seedsForPower(1, d);
      const t = studentTQuantile(0.975, 2 * n - 2);
      let rejected = 0;
      const repetitions = 4000;
      for (let r = 0; r < repetitions; r++) {
        const a = Array.from({ length: n }, () => d + rng.normal());
        const b = Array.from({ length: n }, () => rng.normal());
        const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
        const ma = mean(a);
        const mb = mean(b);
        const pooled = Math.sqrt((a.reduce((s, x) => s + (x - ma) ** 2, 0) + b.reduce((s, x) => s + (x - mb) ** 2, 0)) / (2 * n - 2));
        if (Math.abs(ma - mb) / (pooled * Math.sqrt(2 / n)) > t) rejected++;
      }
      // At least the power asked for, and not far above it (n is the smallest that reaches it); the
      // Monte Carlo standard error is 0.0065, so 0.78 is 3 of them under 0.8.
      expect(rejected / repetitions).toBeGreaterThan(0.78);
      expect(rejected / repetitions).toBeLessThan(0.9);
    }
  });

  it('refuses a bad power, confidence or SD', () => {
    expect(() => seedsForPower(1, 1, { power: 1 })).toThrow(RangeError);
    expect(() => seedsForPower(1, 1, { confidence: 1.5 })).toThrow(RangeError);
    expect(() => seedsForPower(-1, 1)).toThrow(RangeError);
    expect(() => seedsForPower(1, Number.NaN)).toThrow(RangeError);
  });
});
