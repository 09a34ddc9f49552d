/**
 * Level shifts of a curve: the median of the `window` points just after an index minus the
 * median of the `window` points just before it. Medians make a shift insensitive to single
 * spikes (up to half a window of wild points), so a shift is a change of level, not an
 * outlier. Built on the centred rolling median: the median of points [c−h, c+h] is the
 * rolling median at c.
 */
import { rollingMedian } from '../stats/robust.js';

export interface LevelShifts {
  /** Window length (odd). */
  window: number;
  /** before[k]: median of the `window` points ending at k−1 (NaN where the window does not fit). */
  before: Float64Array;
  /** after[k]: median of the `window` points starting at k (NaN where the window does not fit). */
  after: Float64Array;
  /** The centred rolling median itself. */
  smooth: Float64Array;
}

export function levelShifts(values: readonly number[], window: number): LevelShifts {
  const half = Math.floor(window / 2);
  const w = 2 * half + 1;
  const smooth = rollingMedian(values, w);
  const n = values.length;
  const before = new Float64Array(n).fill(Number.NaN);
  const after = new Float64Array(n).fill(Number.NaN);
  for (let k = 0; k < n; k++) {
    if (k - w >= 0) before[k] = smooth[k - 1 - half]!;
    if (k + w <= n) after[k] = smooth[k + half]!;
  }
  return { window: w, before, after, smooth };
}

/** Index of the first step ≥ `step` in ascending `steps` (steps.length when none). */
export function indexAtStep(steps: readonly number[], step: number): number {
  let low = 0;
  let high = steps.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (steps[mid]! < step) low = mid + 1;
    else high = mid;
  }
  return low;
}
