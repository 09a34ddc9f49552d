/**
 * Robust location and scale: statistics that a few spikes, NaNs or a blow-up cannot drag.
 *
 * Logged series contain NaN and ±Infinity (a diverged step, an fp16 overflow); every
 * function here ignores non-finite values, the way numpy's nan-functions ignore NaN, and
 * returns NaN when no finite value is left. Callers count non-finite points separately.
 */

export type Numbers = ArrayLike<number>;

/** The finite values of `values`, sorted ascending, in a new array. */
export function sortedFinite(values: Numbers): Float64Array {
  let count = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) count++;
  const out = new Float64Array(count);
  let k = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) out[k++] = v;
  }
  return out.sort();
}

/**
 * Quantile of already-sorted values by linear interpolation between order statistics:
 * Hyndman & Fan (1996) definition 7, the default of R's `quantile` and numpy's `quantile`.
 */
export function quantileSorted(sorted: Numbers, probability: number): number {
  const n = sorted.length;
  if (n === 0 || !(probability >= 0 && probability <= 1)) return Number.NaN;
  const position = (n - 1) * probability;
  const below = Math.floor(position);
  const above = Math.min(below + 1, n - 1);
  const fraction = position - below;
  const low = sorted[below]!;
  return fraction === 0 ? low : low + fraction * (sorted[above]! - low);
}

/** Hyndman & Fan (1996) type-7 quantile of the finite values (numpy's default). */
export function quantile(values: Numbers, probability: number): number {
  return quantileSorted(sortedFinite(values), probability);
}

export function median(values: Numbers): number {
  return quantile(values, 0.5);
}

/**
 * 1/Φ⁻¹(3/4): scales the median absolute deviation so that it estimates the standard
 * deviation of normal data (Rousseeuw & Croux 1993; R's `mad` constant).
 */
export const MAD_NORMAL_CONSISTENCY = 1.482602218505602;

/**
 * Median absolute deviation from the median, times 1.4826 unless `scale` says otherwise:
 * a standard-deviation estimate with a 50 % breakdown point (Hampel 1974).
 */
export function mad(values: Numbers, scale = MAD_NORMAL_CONSISTENCY): number {
  const sorted = sortedFinite(values);
  const center = quantileSorted(sorted, 0.5);
  const deviations = new Float64Array(sorted.length);
  for (let i = 0; i < sorted.length; i++) deviations[i] = Math.abs(sorted[i]! - center);
  return scale * quantileSorted(deviations.sort(), 0.5);
}

/**
 * Robust z-scores (x − median) / MAD (Iglewicz & Hoaglin 1993 use 0.6745·(x − median)/MAD
 * unscaled, which is the same number). Non-finite inputs give NaN at their position. When
 * the MAD is 0 (more than half the values identical) a value equal to the median scores 0
 * and any other value ±Infinity: it is infinitely far out relative to the bulk's spread.
 */
export function robustZScores(values: Numbers): Float64Array {
  const center = median(values);
  const spread = mad(values);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) out[i] = Number.NaN;
    else if (v === center) out[i] = 0;
    else out[i] = (v - center) / spread;
  }
  return out;
}

/**
 * Noise floor of a series: MAD of first differences divided by √2, an estimate of the
 * standard deviation of the point-to-point noise that a smooth trend barely affects
 * (differencing removes a trend's level, and its slope only shifts the differences'
 * median, which the MAD subtracts). The √2 undoes the variance doubling of differencing
 * independent noise (von Neumann 1941 uses the same idea with mean squares; the MAD form
 * is the robust variant used for change-point penalties, e.g. Fryzlewicz 2014).
 * Differences are taken between consecutive finite values.
 */
export function noiseFloor(values: Numbers): number {
  const differences: number[] = [];
  let previous = Number.NaN;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    if (!Number.isNaN(previous)) differences.push(v - previous);
    previous = v;
  }
  return mad(differences) / Math.SQRT2;
}

/**
 * Centred rolling median over `window` points (odd; an even window is widened by one).
 * Near the ends the window shrinks to the points available, like pandas'
 * `rolling(window, center=True, min_periods=1).median()`. Non-finite values are skipped
 * inside each window; a window with no finite value yields NaN. Cost O(n·window).
 */
export function rollingMedian(values: Numbers, window: number): Float64Array {
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`window must be a positive integer, got ${window}`);
  const half = Math.floor(window / 2);
  const n = values.length;
  const out = new Float64Array(n);
  // A sorted buffer of the finite values currently inside the window.
  const buffer = new Float64Array(2 * half + 1);
  let size = 0;
  const insert = (v: number): void => {
    let i = size;
    while (i > 0 && buffer[i - 1]! > v) {
      buffer[i] = buffer[i - 1]!;
      i--;
    }
    buffer[i] = v;
    size++;
  };
  const remove = (v: number): void => {
    let i = 0;
    while (buffer[i] !== v) i++;
    buffer.copyWithin(i, i + 1, size);
    size--;
  };
  for (let j = 0; j <= Math.min(half, n - 1); j++) if (Number.isFinite(values[j]!)) insert(values[j]!);
  for (let i = 0; i < n; i++) {
    out[i] = size === 0 ? Number.NaN : size % 2 === 1 ? buffer[(size - 1) / 2]! : (buffer[size / 2 - 1]! + buffer[size / 2]!) / 2;
    const entering = i + half + 1;
    const leaving = i - half;
    if (leaving >= 0 && Number.isFinite(values[leaving]!)) remove(values[leaving]!);
    if (entering < n && Number.isFinite(values[entering]!)) insert(values[entering]!);
  }
  return out;
}
