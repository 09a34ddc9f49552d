/**
 * Small, shared views of a series for checks: finite points only, the head and tail
 * windows, medians. Kept here so that every check reads a curve the same way.
 */
import type { Series } from '../model/run.js';

export { median, noiseFloor } from '../stats/robust.js';

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

/** The first `fraction` of the points (at least `min`). */
export function head(values: readonly number[], fraction: number, min = 3): number[] {
  return values.slice(0, Math.max(min, Math.ceil(values.length * fraction)));
}

/** The last `fraction` of the points (at least `min`). */
export function tail(values: readonly number[], fraction: number, min = 3): number[] {
  return values.slice(-Math.max(min, Math.ceil(values.length * fraction)));
}
