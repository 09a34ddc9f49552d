/**
 * Small, shared views of a series for checks: finite points only, the head and tail
 * windows, medians. Kept here so that every check reads a curve the same way.
 */
import type { Series } from '../model/run.js';

export interface Points {
  steps: number[];
  values: number[];
}

export function finitePoints(series: Series): Points {
  const steps: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < series.values.length; i++) {
    const v = series.values[i]!;
    if (Number.isFinite(v)) {
      steps.push(series.steps[i]!);
      values.push(v);
    }
  }
  return { steps, values };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The first `fraction` of the points (at least `min`). */
export function head(values: readonly number[], fraction: number, min = 3): number[] {
  return values.slice(0, Math.max(min, Math.ceil(values.length * fraction)));
}

/** The last `fraction` of the points (at least `min`). */
export function tail(values: readonly number[], fraction: number, min = 3): number[] {
  return values.slice(-Math.max(min, Math.ceil(values.length * fraction)));
}

/**
 * Robust noise floor of a curve: the median absolute deviation of successive differences,
 * scaled to a standard deviation (×1.4826) and divided by √2 because a difference of two
 * independent noisy points has twice the variance. Insensitive to the trend and to spikes.
 */
export function noiseFloor(values: readonly number[]): number {
  if (values.length < 3) return Number.NaN;
  const diffs = values.slice(1).map((v, i) => v - values[i]!);
  const m = median(diffs);
  return (1.4826 * median(diffs.map((d) => Math.abs(d - m)))) / Math.SQRT2;
}
