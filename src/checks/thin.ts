/**
 * Evenly thinned copies of a curve, for the O(n²) trend statistics (Theil–Sen, Mann–Kendall)
 * on long runs: every k-th point so that at most `maxPoints` remain, the last point kept.
 */
import type { Points } from './series-tools.js';

export function thin(points: Points, maxPoints: number): Points {
  const n = points.values.length;
  if (n <= maxPoints) return points;
  const every = Math.ceil(n / maxPoints);
  const steps: number[] = [];
  const values: number[] = [];
  // Anchored at the end so the last point (the run's final state) is always in the sample.
  for (let i = n - 1; i >= 0; i -= every) {
    steps.push(points.steps[i]!);
    values.push(points.values[i]!);
  }
  return { steps: steps.reverse(), values: values.reverse() };
}

/** The points from index `from` on. */
export function slicePoints(points: Points, from: number, to = points.values.length): Points {
  return { steps: points.steps.slice(from, to), values: points.values.slice(from, to) };
}
