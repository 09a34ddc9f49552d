import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/stats/rng.js';
import { mannKendall, theilSen } from '../../src/stats/trend.js';

// A falling loss-like series with tied values in both x (a repeated step) and y.
const steps = [0, 10, 20, 30, 40, 50, 60, 60, 80, 90, 100, 110, 120, 130, 140, 150];
const losses = [10.2, 9.8, 9.9, 9.1, 9.3, 8.7, 8.9, 8.9, 8.1, 8.4, 7.6, 7.9, 7.9, 7.2, 7.5, 6.8];

describe('theilSen', () => {
  it('matches scipy.stats.theilslopes (slope, intercept and Sen interval, ties in x and y)', () => {
    // python3-scipy 1.17.1: stats.theilslopes(losses, steps, 0.95) and (…, 0.9)
    const r95 = theilSen(steps, losses, 0.95);
    expect(r95.slope).toBeCloseTo(-0.02, 14);
    expect(r95.intercept).toBeCloseTo(9.95, 12);
    expect(r95.low).toBeCloseTo(-0.023333333333333338, 14);
    expect(r95.high).toBeCloseTo(-0.017500000000000005, 14);
    const r90 = theilSen(steps, losses, 0.9);
    expect(r90.low).toBeCloseTo(-0.02307692307692307, 14);
    expect(r90.high).toBeCloseTo(-0.018000000000000006, 14);
  });

  it('ignores a minority of wild points that would wreck least squares', () => {
    const rng = createRng(4);
    const x = Array.from({ length: 200 }, (_, i) => i);
    const y = x.map((t) => 3 - 0.01 * t + 0.05 * rng.normal());
    for (let i = 0; i < 200; i += 10) y[i] = 1e3; // 10 % spikes
    y[55] = Number.NaN;
    const fit = theilSen(x, y);
    expect(fit.n).toBe(199);
    expect(Math.abs(fit.slope + 0.01)).toBeLessThan(0.001);
    expect(fit.low).toBeLessThan(fit.slope);
    expect(fit.high).toBeGreaterThan(fit.slope);
  });

  it('covers the true slope about as often as its confidence says', () => {
    let covered = 0;
    const seeds = 200;
    for (let seed = 0; seed < seeds; seed++) {
      const rng = createRng(seed);
      const x = Array.from({ length: 30 }, (_, i) => i);
      const y = x.map((t) => 0.5 * t + rng.normal());
      const fit = theilSen(x, y, 0.9);
      if (fit.low <= 0.5 && 0.5 <= fit.high) covered++;
    }
    // Binomial(200, 0.9): 99.9 % of runs of a correct method land in [165, 192].
    expect(covered).toBeGreaterThanOrEqual(165);
    expect(covered).toBeLessThanOrEqual(195);
  });

  it('returns NaN when all x are equal and refuses mismatched arrays', () => {
    expect(theilSen([1, 1, 1], [1, 2, 3]).slope).toBeNaN();
    expect(() => theilSen([1, 2], [1])).toThrow(RangeError);
  });
});

describe('mannKendall', () => {
  it('without continuity correction equals scipy.stats.kendalltau (asymptotic) against the index', () => {
    // stats.kendalltau(np.arange(16), losses): tau-b −0.8571731229523382, p 4.191896738833517e-06
    const r = mannKendall(losses, { continuityCorrection: false });
    expect(r.tau).toBeCloseTo(-0.8571731229523382, 13);
    expect(r.pValue / 4.191896738833517e-6).toBeCloseTo(1, 10);
    // stats.kendalltau(np.arange(12), [0.3,-1.2,…], method="asymptotic"): p 0.8909161075445843
    // (scipy's default for n ≤ 33 without ties is the exact permutation p, 0.9466; this test
    // is the normal approximation, stated as such)
    const flat = mannKendall([0.3, -1.2, 0.8, 0.1, -0.4, 1.5, -0.9, 0.2, 0.6, -0.3, 1.1, -0.7], { continuityCorrection: false });
    expect(flat.tau).toBeCloseTo(0.0303030303030303, 13);
    expect(flat.pValue).toBeCloseTo(0.8909161075445843, 12);
  });

  it('with the continuity correction matches a hand computation (S, tie-corrected Var(S), z, p)', () => {
    // numpy by hand: S = −102, Var(S) = (16·15·37 − Σ t(t−1)(2t+5))/18 = 491.333…,
    // z = (S + 1)/√Var = −4.556519774554074, p = 2·norm.sf(|z|) = 5.200814493061122e-06
    const r = mannKendall(losses);
    expect(r.s).toBe(-102);
    expect(r.variance).toBeCloseTo(491.3333333333333, 10);
    expect(r.z).toBeCloseTo(-4.556519774554074, 12);
    expect(r.pValue / 5.200814493061122e-6).toBeCloseTo(1, 10);
  });

  it('rejects a trendless series at about its nominal rate', () => {
    let rejections = 0;
    const seeds = 1000;
    for (let seed = 0; seed < seeds; seed++) {
      const rng = createRng(seed);
      const y = Array.from({ length: 40 }, () => rng.normal());
      if (mannKendall(y).pValue <= 0.05) rejections++;
    }
    // A test at level 0.05 (the continuity correction makes it slightly conservative):
    // Binomial(1000, 0.05) exceeds 75 with probability below 1e-3.
    expect(rejections).toBeLessThanOrEqual(75);
    expect(rejections).toBeGreaterThanOrEqual(20);
  });

  it('detects a modest trend and handles degenerate input', () => {
    const rng = createRng(1);
    const y = Array.from({ length: 100 }, (_, i) => -0.02 * i + rng.normal());
    const r = mannKendall(y);
    expect(r.s).toBeLessThan(0);
    expect(r.pValue).toBeLessThan(0.01);
    const constant = mannKendall([2, 2, 2, Number.NaN, 2]);
    expect(constant.n).toBe(4);
    expect(constant.pValue).toBe(1);
    expect(constant.tau).toBeNaN();
  });
});
