/** Synthetic runs for check and engine tests: curves with known shape, seeded noise. */
import { emptyRun, seriesFromArrays, type Run } from '../../src/model/run.js';

/** A deterministic pseudo-random sequence in [0, 1) (mulberry32), so curves are reproducible. */
export function noise(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function runWithSeries(id: string, series: Record<string, [number[], number[]]>, hparams: Run['hparams'] = {}): Run {
  const run = emptyRun(id, 'csv', [`${id}.csv`]);
  for (const [name, [steps, values]] of Object.entries(series)) run.series[name] = seriesFromArrays(steps, values);
  run.hparams = hparams;
  return run;
}

/** A loss curve L(t) = floor + (start − floor)·exp(−t/τ) with relative noise. */
export function decayingLoss(steps: number[], start: number, floor: number, tau: number, relativeNoise: number, seed: number): number[] {
  const random = noise(seed);
  return steps.map((t) => (floor + (start - floor) * Math.exp(-t / tau)) * (1 + relativeNoise * (random() - 0.5) * 2));
}

export function range(n: number, every = 1, from = every): number[] {
  return Array.from({ length: n }, (_, i) => from + i * every);
}
