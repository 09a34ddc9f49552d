import { describe, expect, it } from 'vitest';
import {
  approximateRandomization,
  itemsNeeded,
  mcnemarExact,
  mcnemarFromOutcomes,
  minimumDetectableEffect,
  pairedBootstrap,
  pairedProportionSd,
} from '../../src/stats/paired.js';
import { createRng } from '../../src/stats/rng.js';

/** Paired 0/1 outcomes with the given agreement cells (both right, only A, only B, both wrong). */
function outcomes(bothRight: number, onlyA: number, onlyB: number, bothWrong: number): { a: number[]; b: number[] } {
  const a: number[] = [];
  const b: number[] = [];
  const push = (count: number, x: number, y: number) => {
    for (let i = 0; i < count; i++) {
      a.push(x);
      b.push(y);
    }
  };
  push(bothRight, 1, 1);
  push(onlyA, 1, 0);
  push(onlyB, 0, 1);
  push(bothWrong, 0, 0);
  return { a, b };
}

describe('mcnemarExact', () => {
  it('reproduces the worked example of Fagerland, Lydersen & Laake (2013, BMC Med Res Methodol 13:91)', () => {
    // Airway hyper-responsiveness before/after stem cell transplantation: b = 1, c = 7;
    // the paper reports the exact conditional p = 0.070 (= 18/256).
    expect(mcnemarExact(1, 7).pValue).toBeCloseTo(0.0703125, 15);
  });

  it('matches scipy.stats.binomtest(b, b + c, 0.5).pvalue (scipy 1.10.1)', () => {
    const cases: [number, number, number][] = [
      [10, 25, 0.016673847800120715],
      [5, 5, 1],
      [3, 0, 0.25],
      [40, 62, 0.03706676743856045],
      [150, 120, 0.07738939898021883],
    ];
    for (const [b, c, p] of cases) {
      expect(mcnemarExact(b, c).pValue).toBeCloseTo(p, 12);
      expect(mcnemarExact(c, b).pValue).toBeCloseTo(p, 12);
    }
    expect(mcnemarExact(0, 0).pValue).toBe(1);
  });

  it('counts the discordant cells from outcomes and refuses non-binary ones', () => {
    const { a, b } = outcomes(100, 40, 62, 98);
    const result = mcnemarFromOutcomes(a, b);
    expect(result.onlyA).toBe(40);
    expect(result.onlyB).toBe(62);
    expect(result.n).toBe(300);
    expect(result.difference).toBeCloseTo(-22 / 300, 15);
    expect(() => mcnemarFromOutcomes([0.5], [1])).toThrow(RangeError);
  });
});

describe('approximateRandomization', () => {
  it('agrees with the exact test on 0/1 outcomes (sign flips of ±1 are the exact McNemar null)', () => {
    // With R = 20,000 rounds the Monte Carlo sd of p near 0.037 is √(0.037·0.963/20000) ≈ 0.0013.
    const { a, b } = outcomes(100, 40, 62, 98);
    const result = approximateRandomization(a, b, { rounds: 20_000, seed: 1 });
    expect(Math.abs(result.pValue - 0.03706676743856045)).toBeLessThan(4 * 0.0013);
    expect(result.seed).toBe(1);
  });

  it('gives p = 1 for identical systems and a small p for a large real gap', () => {
    const same = outcomes(50, 0, 0, 50);
    expect(approximateRandomization(same.a, same.b, { rounds: 1000 }).pValue).toBe(1);
    const gap = outcomes(50, 60, 5, 50);
    expect(approximateRandomization(gap.a, gap.b, { rounds: 1000 }).pValue).toBe(1 / 1001);
  });

  it('is reproducible from its seed', () => {
    const { a, b } = outcomes(10, 12, 6, 10);
    const first = approximateRandomization(a, b, { rounds: 5000, seed: 9 });
    expect(approximateRandomization(a, b, { rounds: 5000, seed: 9 })).toEqual(first);
    expect(approximateRandomization(a, b, { rounds: 5000, seed: 10 }).pValue).not.toBe(first.pValue);
  });
});

describe('pairedBootstrap', () => {
  // 60 per-item differences (numpy default_rng(8) normal(0.04, 0.15), mean pinned at
  // 0.0396, rounded to 3 decimals).
  const D = [
    -0.207, -0.146, -0.15, 0.001, -0.293, 0.026, -0.09, 0.188, 0.198, 0.263, 0.169, 0.046, 0.183, 0.28, -0.044, 0.146, 0.048, 0.27, -0.072,
    0.009, 0.108, 0.093, -0.192, 0.108, 0.036, 0.018, 0.031, 0.087, -0.218, 0.287, -0.075, -0.282, 0.042, 0.273, -0.024, 0.287, 0.288, -0.075,
    -0.316, -0.131, 0.232, -0.069, -0.173, -0.147, 0.054, 0.05, 0.185, 0.202, -0.086, 0.03, -0.116, 0.065, -0.119, -0.126, 0.373, 0.059, 0.15,
    0.435, 0.172, 0.037,
  ];

  it('matches a straightforward NumPy paired bootstrap of the same p-value rule', () => {
    // NumPy: 1,000,000 resamples (default_rng(1).integers), p = (#{|m* − m| ≥ |m|} + 1)/(B + 1)
    // = 0.07368 (MC sd 0.0003). ladder with 20,000 resamples: sd √(0.074·0.926/20000) ≈ 0.0019,
    // tolerance 4σ. (scipy.stats.ttest_1samp gives 0.0813 on the same data: the bootstrap's
    // plug-in variance is slightly smaller than the t test's.)
    const zeros = D.map(() => 0);
    const result = pairedBootstrap(D, zeros, { resamples: 20_000, seed: 3 });
    expect(result.difference).toBeCloseTo(0.03963333333333333, 14);
    expect(Math.abs(result.pValue - 0.07368092631907368)).toBeLessThan(4 * 0.0019);
    expect(result.interval.low).toBeLessThan(0);
    expect(result.interval.high).toBeGreaterThan(result.difference);
  });

  it('agrees with the exact McNemar test on 0/1 outcomes within the normal approximation', () => {
    // The bootstrap p is a large-sample approximation; at 102 discordant pairs it is within
    // a fraction of the exact p (measured 0.030 vs 0.037 with seed 2).
    const { a, b } = outcomes(100, 40, 62, 98);
    const result = pairedBootstrap(a, b, { seed: 2 });
    expect(Math.abs(result.pValue - 0.03706676743856045)).toBeLessThan(0.01);
  });

  it('identical systems give p = 1 and a zero-width interval at 0; a large gap gives a small p', () => {
    const same = outcomes(50, 0, 0, 50);
    const identical = pairedBootstrap(same.a, same.b, { resamples: 1000 });
    expect(identical.pValue).toBe(1);
    expect(identical.difference).toBe(0);
    const gap = outcomes(50, 60, 5, 50);
    expect(pairedBootstrap(gap.a, gap.b, { resamples: 1000 }).pValue).toBe(1 / 1001);
  });

  it('0/1 outcomes: the agreement-cell resampling agrees with the item-level bootstrap within Monte Carlo error', () => {
    // 3,000 items, 400 only-A and 450 only-B: δ = −0.01667, bootstrap sd σ ≈ √(850/3000 − δ²)/√3000 ≈ 0.00971.
    // With B = 20,000 each, the p-value's MC sd is ≤ √(0.25/20000) ≈ 0.0035 per method and a
    // 2.5 % quantile's ≈ √(0.025·0.975/B)/φ(1.96)·σ ≈ 0.019σ; tolerances are 4√2 times those.
    const { a, b } = outcomes(1200, 400, 450, 950);
    const cells = pairedBootstrap(a, b, { resamples: 20_000, seed: 7 });
    const items = pairedBootstrap(a, b, { resamples: 20_000, seed: 8, resampling: 'items' });
    expect(cells.resampling).toBe('agreement-cells');
    expect(items.resampling).toBe('items');
    expect(cells.difference).toBe(items.difference);
    const sigma = Math.sqrt(850 / 3000 - (50 / 3000) ** 2) / Math.sqrt(3000);
    expect(Math.abs(cells.interval.standardError - sigma)).toBeLessThan(0.03 * sigma);
    expect(Math.abs(items.interval.standardError - sigma)).toBeLessThan(0.03 * sigma);
    expect(Math.abs(cells.pValue - items.pValue)).toBeLessThan(4 * Math.SQRT2 * 0.0035);
    expect(Math.abs(cells.interval.low - items.interval.low)).toBeLessThan(4 * Math.SQRT2 * 0.019 * sigma + 1 / 3000);
    expect(Math.abs(cells.interval.high - items.interval.high)).toBeLessThan(4 * Math.SQRT2 * 0.019 * sigma + 1 / 3000);
    // And near the exact McNemar p (scipy 1.10.1 binomtest(400, 850).pvalue = 0.09276544997048897).
    expect(mcnemarExact(400, 450).pValue).toBeCloseTo(0.09276544997048897, 12);
    expect(Math.abs(cells.pValue - 0.09276544997048897)).toBeLessThan(0.02);
  });

  it('uses the agreement cells only when every outcome is 0 or 1', () => {
    const { a, b } = outcomes(10, 12, 6, 10);
    expect(pairedBootstrap(a, b, { resamples: 500 }).resampling).toBe('agreement-cells');
    const graded = a.map((x, i) => (i === 0 ? 0.5 : x));
    expect(pairedBootstrap(graded, b, { resamples: 500 }).resampling).toBe('items');
    // Only-A items in every cell: the two discordant cells still resample.
    const allOnlyA = outcomes(0, 5, 0, 0);
    const oneSided = pairedBootstrap(allOnlyA.a, allOnlyA.b, { resamples: 500 });
    expect(oneSided.difference).toBe(1);
    expect(oneSided.pValue).toBe(1 / 501);
  });

  it('is reproducible from its seed', () => {
    const rng = createRng(4);
    const a = Array.from({ length: 80 }, () => rng.uniform());
    const b = a.map((x) => x - 0.02 + 0.1 * rng.normal());
    expect(pairedBootstrap(a, b, { resamples: 3000, seed: 5 })).toEqual(pairedBootstrap(a, b, { resamples: 3000, seed: 5 }));
  });
});

describe('power', () => {
  // z_{0.975} + z_{0.8} = 2.8015852181129683 (scipy.stats.norm.ppf).
  const Z = 2.8015852181129683;

  it('minimum detectable effect is (z_{1−α/2} + z_{power})·sd/√n', () => {
    expect(minimumDetectableEffect(400, 0.5)).toBeCloseTo((Z * 0.5) / 20, 12);
    // 1,000 items with 20 % discordant pairs: about 3.96 points of accuracy.
    expect(minimumDetectableEffect(1000, pairedProportionSd(0.2))).toBeCloseTo((Z * Math.sqrt(0.2)) / Math.sqrt(1000), 12);
    expect(minimumDetectableEffect(1000, pairedProportionSd(0.2))).toBeCloseTo(0.0396, 4);
    // A stricter α needs a larger effect.
    expect(minimumDetectableEffect(1000, 0.4, { alpha: 0.01 })).toBeGreaterThan(minimumDetectableEffect(1000, 0.4));
  });

  it('items needed inverts the minimum detectable effect', () => {
    expect(itemsNeeded(0.05, Math.sqrt(0.2))).toBe(Math.ceil((Z * Math.sqrt(0.2) / 0.05) ** 2));
    expect(itemsNeeded(0.05, Math.sqrt(0.2))).toBe(628);
    for (const n of [50, 628, 10_000]) {
      const mde = minimumDetectableEffect(n, 0.3);
      expect(itemsNeeded(mde, 0.3)).toBe(n);
    }
  });

  it('detects the effect at about the stated power (simulation with McNemar)', () => {
    // 1,000 simulated paired evals of n items with 20 % discordance and a true gap equal to
    // the MDE: the exact test should reject ~80 % of the time (normal approximation, so
    // allow 0.74–0.86; MC sd of the estimate ≈ 0.013).
    const rng = createRng(12);
    const n = 600;
    const discordance = 0.2;
    const effect = minimumDetectableEffect(n, pairedProportionSd(discordance));
    const pOnlyA = (discordance + effect) / 2;
    let rejected = 0;
    for (let trial = 0; trial < 1000; trial++) {
      let onlyA = 0;
      let onlyB = 0;
      for (let i = 0; i < n; i++) {
        const u = rng.uniform();
        if (u < pOnlyA) onlyA++;
        else if (u < discordance) onlyB++;
      }
      if (mcnemarExact(onlyA, onlyB, n).pValue < 0.05) rejected++;
    }
    expect(rejected / 1000).toBeGreaterThan(0.74);
    expect(rejected / 1000).toBeLessThan(0.86);
  });
});
