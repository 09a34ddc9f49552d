/**
 * Shared views of a curve's shape for the reachability checks that read where a curve turns
 * (overfitting, noisy labels, not converged): binning long series so that trend tests see
 * roughly independent points, the level of a noisy curve around a step, and a trend test
 * on a window with the interval of its slope.
 */
import { median as robustMedian } from '../../stats/robust.js';
import { mannKendall, theilSen } from '../../stats/trend.js';
import type { Points } from '../series-tools.js';

/**
 * Medians of consecutive bins so that at most `maxPoints` remain. Trend tests compare every
 * pair of points (O(n²)), and neighbouring training-loss points are serially correlated,
 * which inflates Mann–Kendall's false-positive rate (Hamed & Rao 1998); bin medians are
 * both fewer and closer to independent.
 */
export function binMedians(points: Points, maxPoints: number): Points {
  const n = points.values.length;
  if (n <= maxPoints) return points;
  const steps: number[] = [];
  const values: number[] = [];
  for (let b = 0; b < maxPoints; b++) {
    const from = Math.floor((b * n) / maxPoints);
    const to = Math.floor(((b + 1) * n) / maxPoints);
    if (to <= from) continue;
    steps.push(robustMedian(points.steps.slice(from, to)));
    values.push(robustMedian(points.values.slice(from, to)));
  }
  return { steps, values };
}

/** The points with steps in [from, to]. */
export function window(points: Points, from: number, to = Number.POSITIVE_INFINITY): Points {
  const steps: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < points.steps.length; i++) {
    const s = points.steps[i]!;
    if (s >= from && s <= to) {
      steps.push(s);
      values.push(points.values[i]!);
    }
  }
  return { steps, values };
}

/**
 * The level of a noisy curve at `step`: the median of the `k` points nearest to it in step.
 * Used to read a dense training curve at the steps of a sparse validation curve.
 */
export function levelAt(points: Points, step: number, k = 5): number {
  const n = points.steps.length;
  if (n === 0) return Number.NaN;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points.steps[mid]! < step) lo = mid + 1;
    else hi = mid;
  }
  let left = lo - 1;
  let right = lo;
  const picked: number[] = [];
  while (picked.length < Math.min(k, n)) {
    const takeLeft = right >= n || (left >= 0 && step - points.steps[left]! <= points.steps[right]! - step);
    picked.push(points.values[takeLeft ? left-- : right++]!);
  }
  return robustMedian(picked);
}

export interface Trend {
  points: number;
  /** Mann–Kendall two-sided p-value (continuity-corrected). */
  pValue: number;
  /** Kendall's τ of values against order: > 0 rising, < 0 falling. */
  tau: number;
  /** Theil–Sen slope per step with its confidence interval. */
  slope: number;
  slopeLow: number;
  slopeHigh: number;
}

/** Trend of a window: Mann–Kendall for whether it moves, Theil–Sen for how fast. */
export function trendOf(points: Points, confidence: number, maxPoints = 200): Trend {
  const thinned = binMedians(points, maxPoints);
  const mk = mannKendall(thinned.values);
  const ts = theilSen(thinned.steps, thinned.values, confidence);
  return { points: thinned.values.length, pValue: mk.pValue, tau: mk.tau, slope: ts.slope, slopeLow: ts.low, slopeHigh: ts.high };
}

/** Index of the smallest (or largest) value; ties resolve to the earliest. */
export function argExtreme(values: readonly number[], largest: boolean): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) {
    if (largest ? values[i]! > values[best]! : values[i]! < values[best]!) best = i;
  }
  return best;
}
