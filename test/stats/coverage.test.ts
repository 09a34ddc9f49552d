/**
 * Coverage by simulation (issue 4): thousands of simulated eval sets with a known truth;
 * the share of 95 % intervals that contain it must lie within [0.94, 0.96]. Seeded, so the
 * figures are reproducible; with 4,000 sets the Monte Carlo standard error of a coverage near
 * 0.95 is 0.0034, so the band is about ±3 standard errors.
 */
import { describe, expect, it } from 'vitest';
import { bootstrapInterval } from '../../src/stats/bootstrap.js';
import { sampleBinomial } from '../../src/stats/binomial-sampler.js';
import { wilsonInterval } from '../../src/stats/intervals.js';
import { createRng } from '../../src/stats/rng.js';

describe('95 % interval coverage on simulated eval sets', () => {
  it('Wilson: accuracies of eval sets of 200 to 2,000 items, true accuracy 0.55 to 0.92', () => {
    const rng = createRng(20261127);
    let covered = 0;
    let total = 0;
    // Wilson's coverage oscillates with n and p (Brown, Cai & DasGupta 2001); over a spread of
    // eval sizes and accuracies its average sits at the nominal level.
    for (const n of [200, 500, 1000, 2000]) {
      for (const p of [0.55, 0.7, 0.8, 0.92]) {
        for (let set = 0; set < 250; set++) {
          const correct = sampleBinomial(rng, n, p);
          const interval = wilsonInterval(correct, n);
          if (interval.low <= p && p <= interval.high) covered++;
          total++;
        }
      }
    }
    const coverage = covered / total;
    console.log(`Wilson coverage over ${total} simulated eval sets: ${coverage.toFixed(4)}`);
    expect(total).toBe(4000);
    expect(coverage).toBeGreaterThanOrEqual(0.94);
    expect(coverage).toBeLessThanOrEqual(0.96);
  });

  it('bootstrap (BCa): mean per-example score of eval sets of 400 items, skewed scores', { timeout: 120_000 }, () => {
    const rng = createRng(7);
    // Per-example scores from a skewed distribution with a known mean: exponential(1) → mean 1.
    const n = 400;
    let covered = 0;
    const sets = 4000;
    for (let set = 0; set < sets; set++) {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = -Math.log(1 - rng.uniform());
      const interval = bootstrapInterval(values, 'mean', { resamples: 1000, seed: set });
      if (interval.low <= 1 && 1 <= interval.high) covered++;
    }
    const coverage = covered / sets;
    console.log(`BCa bootstrap coverage over ${sets} simulated eval sets: ${coverage.toFixed(4)}`);
    expect(coverage).toBeGreaterThanOrEqual(0.94);
    expect(coverage).toBeLessThanOrEqual(0.96);
  });
});
