/**
 * Downsampling a curve for display: largest-triangle-three-buckets (Steinarsson 2013, "Downsampling
 * Time Series for Visual Representation", ch. 4) with the minimum and the maximum of every bucket
 * kept as well. LTTB alone keeps the shape but may drop a one-point spike whose neighbours make a
 * smaller triangle; a loss spike or a divergence is exactly what a report must show, so each
 * bucket contributes up to three points: its LTTB point, its minimum and its maximum, in step
 * order. The first and last points are always kept.
 *
 * Pure: arrays in, indices out. Non-finite values are the caller's to handle (plots draw them as
 * marks, not as points of the line).
 */

/**
 * Indices (strictly increasing) of the points to keep so that at most `maxPoints` remain.
 * Every point is kept when there are no more than `maxPoints`.
 */
export function downsampleIndices(steps: ArrayLike<number>, values: ArrayLike<number>, maxPoints: number): number[] {
  const n = values.length;
  if (steps.length !== n) throw new RangeError(`downsample: ${steps.length} steps but ${n} values`);
  if (!Number.isInteger(maxPoints) || maxPoints < 5) throw new RangeError(`downsample: maxPoints must be an integer ≥ 5 (got ${maxPoints})`);
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i);
  // First and last points, and up to three points per bucket.
  const buckets = Math.floor((maxPoints - 2) / 3);
  const size = (n - 2) / buckets;
  const kept: number[] = [0];
  let previous = 0;
  for (let b = 0; b < buckets; b++) {
    const start = 1 + Math.floor(b * size);
    const end = Math.min(n - 1, 1 + Math.floor((b + 1) * size));
    // The average of the next bucket (the last point for the last bucket) is the third vertex.
    const nextStart = end;
    const nextEnd = b + 1 < buckets ? Math.min(n - 1, 1 + Math.floor((b + 2) * size)) : n;
    let avgX = 0;
    let avgY = 0;
    for (let i = nextStart; i < nextEnd; i++) {
      avgX += steps[i]!;
      avgY += values[i]!;
    }
    const count = Math.max(1, nextEnd - nextStart);
    avgX /= count;
    avgY /= count;
    const px = steps[previous]!;
    const py = values[previous]!;
    let chosen = start;
    let largest = -1;
    let lowest = start;
    let highest = start;
    for (let i = start; i < end; i++) {
      const area = Math.abs((px - avgX) * (values[i]! - py) - (px - steps[i]!) * (avgY - py));
      if (area > largest) {
        largest = area;
        chosen = i;
      }
      if (values[i]! < values[lowest]!) lowest = i;
      if (values[i]! > values[highest]!) highest = i;
    }
    if (end <= start) continue;
    const picks = [...new Set([chosen, lowest, highest])].sort((a, b) => a - b);
    kept.push(...picks);
    previous = chosen;
  }
  kept.push(n - 1);
  return kept;
}

/** The downsampled curve itself. */
export function downsample(steps: ArrayLike<number>, values: ArrayLike<number>, maxPoints: number): { steps: number[]; values: number[] } {
  const indices = downsampleIndices(steps, values, maxPoints);
  return { steps: indices.map((i) => steps[i]!), values: indices.map((i) => values[i]!) };
}
