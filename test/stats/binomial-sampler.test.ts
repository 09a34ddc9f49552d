import { describe, expect, it } from 'vitest';
import { sampleBinomial, sampleMultinomial } from '../../src/stats/binomial-sampler.js';
import { binomialPmf, chiSquareSurvival } from '../../src/stats/distributions.js';
import { createRng } from '../../src/stats/rng.js';

const DRAWS = 100_000;

function draw(n: number, p: number, seed: number): Int32Array {
  const rng = createRng(seed);
  const out = new Int32Array(DRAWS);
  for (let i = 0; i < DRAWS; i++) out[i] = sampleBinomial(rng, n, p);
  return out;
}

/**
 * Pearson goodness of fit of `samples` to Binomial(n, p) (the pmf of distributions.ts):
 * consecutive values are pooled into bins of at least 20 expected draws, each tail into the
 * outermost bin. Returns the p-value and the number of bins.
 */
function goodnessOfFit(samples: Int32Array, n: number, p: number): { pValue: number; bins: number } {
  const mean = n * p;
  const sd = Math.sqrt(n * p * (1 - p));
  const low = Math.max(0, Math.floor(mean - 10 * sd - 10));
  const high = Math.min(n, Math.ceil(mean + 10 * sd + 10));
  const observed = new Map<number, number>();
  for (const k of samples) observed.set(k, (observed.get(k) ?? 0) + 1);
  // bin edges: [start, end] inclusive, with expected counts
  const bins: { start: number; end: number; expected: number }[] = [];
  let start = low;
  let expected = 0;
  for (let k = low; k <= high; k++) {
    expected += DRAWS * binomialPmf(k, n, p);
    if (expected >= 20) {
      bins.push({ start, end: k, expected });
      start = k + 1;
      expected = 0;
    }
  }
  // Fold the remainder and both tails (values outside [low, high]) into the outer bins.
  bins[bins.length - 1]!.end = n;
  bins[bins.length - 1]!.expected += expected;
  bins[0]!.start = 0;
  let statistic = 0;
  for (const bin of bins) {
    let count = 0;
    for (const [k, c] of observed) if (k >= bin.start && k <= bin.end) count += c;
    statistic += (count - bin.expected) ** 2 / bin.expected;
  }
  return { pValue: chiSquareSurvival(statistic, bins.length - 1), bins: bins.length };
}

function moments(samples: Int32Array): { mean: number; variance: number } {
  let sum = 0;
  for (const k of samples) sum += k;
  const mean = sum / samples.length;
  let squares = 0;
  for (const k of samples) squares += (k - mean) ** 2;
  return { mean, variance: squares / (samples.length - 1) };
}

describe('sampleBinomial', () => {
  // Inversion (n·min(p, 1 − p) < 10) and BTRS (≥ 10), each with p above ½ (folded) too, and
  // the sizes the paired bootstrap uses (n = 10^6).
  const cases: [n: number, p: number, path: string][] = [
    [20, 0.2, 'inversion'],
    [200, 0.97, 'inversion, folded'],
    [1000, 0.3, 'BTRS'],
    [100, 0.8, 'BTRS, folded'],
    [45, 0.5, 'BTRS at p = ½'],
    [1_000_000, 0.2, 'BTRS, n = 10^6'],
    [1_000_000, 0.00002, 'inversion, n = 10^6'],
    [700_000, 0.44, 'BTRS, n = 7·10^5'],
  ];

  for (const [n, p, path] of cases) {
    it(`Binomial(${n}, ${p}) (${path}): mean, variance and χ² fit to the exact pmf`, () => {
      const samples = draw(n, p, 11);
      const { mean, variance } = moments(samples);
      const sd = Math.sqrt(n * p * (1 - p));
      // Standard errors of the sample mean and variance: σ/√N and ≈ σ²·√(2/N).
      expect(Math.abs(mean - n * p)).toBeLessThan((4 * sd) / Math.sqrt(DRAWS));
      expect(Math.abs(variance - sd * sd)).toBeLessThan(4 * sd * sd * Math.sqrt(2 / DRAWS) + 1e-9);
      const fit = goodnessOfFit(samples, n, p);
      expect(fit.bins).toBeGreaterThan(5);
      expect(fit.pValue).toBeGreaterThan(1e-3);
    });
  }

  it('the χ² check rejects a sampler off by half a point of p (so the tests above can fail)', () => {
    const fit = goodnessOfFit(draw(1000, 0.305, 11), 1000, 0.3);
    expect(fit.pValue).toBeLessThan(1e-6);
  });

  it('handles the degenerate cases and refuses invalid arguments', () => {
    const rng = createRng(1);
    expect(sampleBinomial(rng, 0, 0.3)).toBe(0);
    expect(sampleBinomial(rng, 50, 0)).toBe(0);
    expect(sampleBinomial(rng, 50, 1)).toBe(50);
    for (let i = 0; i < 1000; i++) {
      const k = sampleBinomial(rng, 30, 0.6);
      expect(k >= 0 && k <= 30 && Number.isInteger(k)).toBe(true);
    }
    expect(() => sampleBinomial(rng, -1, 0.5)).toThrow(RangeError);
    expect(() => sampleBinomial(rng, 2.5, 0.5)).toThrow(RangeError);
    expect(() => sampleBinomial(rng, 10, 1.5)).toThrow(RangeError);
    expect(() => sampleBinomial(rng, 10, Number.NaN)).toThrow(RangeError);
  });

  it('is reproducible from the generator seed', () => {
    expect(draw(1000, 0.3, 5)).toEqual(draw(1000, 0.3, 5));
    expect(draw(1000, 0.3, 5)).not.toEqual(draw(1000, 0.3, 6));
  });
});

describe('sampleMultinomial', () => {
  it('draws counts that sum to n with the multinomial means and covariances', () => {
    const rng = createRng(3);
    const probabilities = [0.6, 0.15, 0.1, 0.15];
    const n = 10_000;
    const trials = 20_000;
    const out = new Int32Array(4);
    const sums = [0, 0, 0, 0];
    let cross = 0; // Σ (x1 − n p1)(x2 − n p2): Cov = −n p1 p2
    for (let t = 0; t < trials; t++) {
      sampleMultinomial(rng, n, probabilities, out);
      expect(out[0]! + out[1]! + out[2]! + out[3]!).toBe(n);
      for (let j = 0; j < 4; j++) sums[j]! += out[j]!;
      cross += (out[1]! - n * 0.15) * (out[2]! - n * 0.1);
    }
    for (let j = 0; j < 4; j++) {
      const sd = Math.sqrt(n * probabilities[j]! * (1 - probabilities[j]!));
      expect(Math.abs(sums[j]! / trials - n * probabilities[j]!)).toBeLessThan((4 * sd) / Math.sqrt(trials));
    }
    // Cov(x1, x2) = −n·0.15·0.1 = −150; its estimate's sd ≈ √(Var x1·Var x2/trials) = √(1275·900/20000) ≈ 7.6.
    expect(Math.abs(cross / trials + 150)).toBeLessThan(40);
  });
});
