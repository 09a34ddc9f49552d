/**
 * Gamma and Dirichlet deviates, for the random transition tables of the Markov worlds.
 *
 * Gamma(a, 1) for a ≥ 1 by Marsaglia & Tsang (2000), "A simple method for generating gamma
 * variables"; for a < 1 through their boost Gamma(a) = Gamma(a + 1) · U^{1/a}. The draws are
 * kept as logarithms: with a small concentration (a = 0.1) U^{1/a} can fall below the smallest
 * double, and normalising in log space keeps every Dirichlet component exact relative to the
 * largest instead of rounding a whole row to 0/0.
 */
import type { Rng } from '../../stats/rng.js';

/** ln of a Gamma(shape, 1) deviate. */
export function logGammaDeviate(shape: number, rng: Rng): number {
  if (!(shape > 0) || !Number.isFinite(shape)) throw new RangeError(`gamma shape must be positive and finite, got ${shape}`);
  if (shape < 1) {
    // 1 − uniform() lies in (0, 1], so its logarithm is finite.
    return logGammaDeviate(shape + 1, rng) + Math.log(1 - rng.uniform()) / shape;
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal();
    const base = 1 + c * x;
    if (base <= 0) continue;
    const v = base * base * base;
    const u = 1 - rng.uniform();
    const x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2 || Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return Math.log(d * v);
  }
}

/** One draw from the symmetric Dirichlet(concentration, …, concentration) on `size` outcomes. */
export function sampleDirichlet(size: number, concentration: number, rng: Rng): Float64Array {
  const logs = new Float64Array(size);
  let largest = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < size; i++) {
    logs[i] = logGammaDeviate(concentration, rng);
    if (logs[i]! > largest) largest = logs[i]!;
  }
  const out = new Float64Array(size);
  let total = 0;
  for (let i = 0; i < size; i++) {
    out[i] = Math.exp(logs[i]! - largest);
    total += out[i]!;
  }
  for (let i = 0; i < size; i++) out[i] = out[i]! / total;
  return out;
}
