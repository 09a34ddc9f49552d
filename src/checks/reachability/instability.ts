/**
 * reachability.instability — the training loss spikes or oscillates beyond its own noise
 * floor: the signature of a learning rate too high for the loss surface (or no warmup at a
 * high rate). Statistic: residuals of the loss (log loss when positive) from a centred
 * rolling median, in units of the local robust noise floor (running median of absolute
 * successive differences, scaled to an SD, which a few spikes do not inflate). Spikes are
 * residuals above spikeMultiple noise floors that are also visible on the curve (a minimum
 * share of its range); oscillation is a strongly negative lag-1 autocorrelation of the
 * residuals (the loss overshooting back and forth across the valley at every logged point)
 * with a typical (median) swing visible on the curve — so it must dominate the run, and be
 * irregular (two smooth interleaved curves are a logging pattern).
 *
 * Severity: warning; error when at least minSpikes spikes are each half the loss's whole
 * smoothed range or more (training is repeatedly thrown back halfway to its start). With a learning-rate
 * series the finding says whether the schedule had a warmup.
 */
import { MAD_NORMAL_CONSISTENCY, noiseFloor, rollingMedian } from '../../stats/robust.js';
import { defineCheck } from '../check.js';
import { finitePoints, median } from '../series-tools.js';

export const instability = defineCheck({
  code: 'reachability.instability',
  layer: 'reachability',
  description: 'training-loss spikes or oscillation beyond the run\'s own noise floor',
  thresholds: {
    spikeMultiple: {
      value: 5,
      why:
        'a residual of 5 noise-floor SDs has a normal tail of 3e-7: spikes from ordinary batch noise are ' +
        'vanishingly rare, so each one is a departure the noise does not explain',
    },
    minSpikes: {
      value: 3,
      why: 'one or two outliers can be bad batches; three or more over a run is a pattern',
    },
    minSpikeRate: {
      value: 0.01,
      why: 'and at least 1% of the logged points: in a 10k-point run a handful of heavy-tail outliers is not instability',
    },
    oscillationLag1: {
      value: -0.3,
      why:
        'oscillation = lag-1 autocorrelation of the residuals at or below −0.3 (and 3 standard errors 1/√n below 0): ' +
        'independent batch noise gives ≈ 0, a loss swinging back and forth at every logged point drives it to −1; ' +
        'the local noise floor cannot see a sustained swing, because the swing is its own noise',
    },
    interleavedFraction: {
      value: 0.25,
      why:
        'when the even and the odd points each form a curve whose noise is under a quarter of the swing between ' +
        'them, the swing is deterministic: two interleaved curves, not an optimizer overshooting',
    },
    minSpikeRangeFraction: {
      value: 0.05,
      why: 'a spike smaller than 5% of the loss\'s smoothed range is invisible on the curve and undoes nothing, however smooth the curve',
    },
    errorRangeFraction: {
      value: 0.5,
      why: 'spikes of half the loss\'s whole smoothed range throw training back halfway to where it started; several of them (minSpikes) make the run\'s end state a matter of luck',
    },
    regressionFraction: {
      value: 0.25,
      why:
        'the smoothed training loss ending above its best by a quarter of all the progress made: at a fixed or ' +
        'falling learning rate the training loss of a well-set optimizer does not climb back (Tuning Playbook: ' +
        'a training loss that gets worse is the first sign of a learning rate too high)',
    },
    regressionNoiseMultiple: {
      value: 3,
      why: 'and by 3 standard errors of the difference of the two window medians, so that noise is not called a regression',
    },
    window: { value: 21, why: 'a 21-point running median is the local level: it ignores up to 10 consecutive spikes' },
    minPoints: { value: 30, why: 'a noise floor and a running median need at least 30 points' },
  },
  evaluate(evidence, t) {
    const train = evidence.trainLoss;
    if (!train) return { status: 'unknown', missing: 'a training-loss series' };
    const { steps, values } = finitePoints(train.series);
    const n = values.length;
    if (n < t.minPoints) return { status: 'unknown', missing: `at least ${t.minPoints} finite training-loss points` };
    const window = Math.max(3, Math.round(t.window) | 1);
    const half = (window - 1) / 2;
    if (n < window + 2) return { status: 'unknown', missing: `at least ${window + 2} finite training-loss points` };
    // A positive loss is analysed on the log scale: its batch noise is multiplicative (the
    // spread shrinks with the level), and single-batch losses near zero are heavy-tailed — a
    // batch at 0.1 among batches at 0.001 is ordinary there, not a spike.
    const logScale = values.every((v) => v > 0);
    const scaled = logScale ? values.map(Math.log) : values;
    const level = rollingMedian(scaled, window);
    const noise = localNoiseFloor(scaled, 2 * window + 1);
    const smooth = rollingMedian(values, window);
    const overall = noiseFloor(values);
    let low = Number.POSITIVE_INFINITY;
    let high = Number.NEGATIVE_INFINITY;
    for (const v of smooth) {
      low = Math.min(low, v);
      high = Math.max(high, v);
    }
    const range = high - low;
    const minSize = t.minSpikeRangeFraction * range;
    // Only full windows: at the ends the window shrinks to one side and a falling curve's
    // first points would sit far above a median of later points.
    const residual = (i: number) => (scaled[i]! - level[i]!) / noise[i]!;
    const spikes: { step: number; residual: number; size: number }[] = [];
    for (let i = half; i < n - half; i++) {
      if (!(noise[i]! > 0)) continue;
      const r = residual(i);
      const size = values[i]! - smooth[i]!;
      if (r > t.spikeMultiple && size >= minSize) spikes.push({ step: steps[i]!, residual: r, size });
    }
    const assessed = n - 2 * half;
    const lag1 = lagOneAutocorrelation(scaled.slice(half, n - half).map((v, j) => v - level[j + half]!));
    // A swing must be visible on the curve (like a spike), and irregular: two smooth curves
    // interleaved point by point (two alternating data halves or tasks logged in turn) swing
    // perfectly regularly, which is a logging pattern, not an optimizer bouncing.
    const swings = values.slice(half, n - half).map((v, j) => Math.abs(v - smooth[j + half]!));
    const amplitude = median(swings);
    const even = values.filter((_, i) => i % 2 === 0);
    const odd = values.filter((_, i) => i % 2 === 1);
    const interleaved = Math.max(noiseFloor(even), noiseFloor(odd)) < t.interleavedFraction * amplitude;
    const oscillating = lag1 <= t.oscillationLag1 && lag1 * Math.sqrt(assessed) <= -3 && amplitude >= minSize && !interleaved;
    const spiky = spikes.length >= t.minSpikes && spikes.length >= t.minSpikeRate * assessed;
    const regression = regressionOf(values, smooth, window, overall, evidence.lr?.series, steps, t);
    if (!spiky && !oscillating && !regression) return { status: 'clear' };
    const largestSpike = spikes.reduce<(typeof spikes)[number] | undefined>((a, s) => (!a || s.size > a.size ? s : a), undefined);
    const largest = largestSpike?.size ?? 0;
    const largestStep = largestSpike?.step ?? null;
    // Error: the loss is thrown back at least halfway to where it started, repeatedly.
    const large = spikes.filter((spike) => spike.size >= t.errorRangeFraction * range).length;
    const severity = (range > 0 && large >= t.minSpikes) || (regression?.share ?? 0) >= 2 * t.regressionFraction ? 'error' : 'warning';
    return {
      status: 'problem',
      findings: [
        {
          code: 'reachability.instability',
          layer: 'reachability',
          severity,
          runs: [evidence.run.id],
          evidence: {
            series: train.name,
            points: n,
            noiseFloor: overall,
            largestSpikeInNoiseFloors: largestSpike?.residual ?? null,
            spikes: spikes.length,
            spikeMultiple: t.spikeMultiple,
            spikeSteps: spikes.slice(0, 20).map((s) => s.step),
            largestSpike: largest,
            largestSpikeStep: largestStep,
            lossRange: range,
            largestOverRange: range > 0 ? largest / range : null,
            largeSpikes: large,
            logScale,
            lag1Autocorrelation: lag1,
            swingAmplitude: amplitude,
            oscillating,
            regressed: regression !== undefined,
            ...(regression
              ? { bestSmoothedLoss: regression.best, bestStep: regression.bestStep, finalLoss: regression.final, regressionShare: regression.share }
              : {}),
            warmup: warmupOf(evidence.lr?.series),
            ...(evidence.lr ? { lrSeries: evidence.lr.name, peakLr: peakOf(evidence.lr.series) } : {}),
          },
          marks: spikes.slice(0, 20).map((s) => ({ series: train.name, step: s.step, label: 'loss spike' })),
        },
      ],
    };
  },
});

/**
 * The training loss climbing back after its best: the smoothed curve's minimum lies before the
 * last quarter of the run, and the final level (median of the last 10 %) sits above it by a
 * `regressionFraction` share of all the progress made, beyond `regressionNoiseMultiple`
 * standard errors. Not when the learning rate was raised after the minimum (a warm restart
 * makes the loss rise on purpose) nor when it was annealed to half or less since (then a too
 * high rate cannot be the cause).
 */
function regressionOf(
  values: readonly number[],
  smooth: Float64Array,
  window: number,
  noise: number,
  lr: Parameters<typeof finitePoints>[0] | undefined,
  steps: readonly number[],
  t: { regressionFraction: number; regressionNoiseMultiple: number },
): { best: number; bestStep: number; final: number; share: number } | undefined {
  const n = values.length;
  const half = (window - 1) / 2;
  let bestIndex = -1;
  for (let i = half; i < n - half; i++) if (bestIndex < 0 || smooth[i]! < smooth[bestIndex]!) bestIndex = i;
  if (bestIndex < 0 || bestIndex >= 0.75 * n) return undefined;
  const initial = median(values.slice(0, Math.max(3, Math.ceil(0.02 * n))));
  const tailValues = values.slice(-Math.max(3, Math.ceil(0.1 * n)));
  const final = median(tailValues);
  const best = smooth[bestIndex]!;
  const progress = initial - best;
  if (!(progress > 0)) return undefined;
  const standardError = 1.253 * noise * Math.sqrt(1 / tailValues.length + 1 / window);
  const rise = final - best;
  if (rise < t.regressionFraction * progress || rise <= t.regressionNoiseMultiple * standardError) return undefined;
  if (lr) {
    const rates = finitePoints(lr);
    const at = (step: number) => {
      let value = Number.NaN;
      for (let i = 0; i < rates.steps.length && rates.steps[i]! <= step; i++) value = rates.values[i]!;
      return value;
    };
    const atBest = at(steps[bestIndex]!);
    const atEnd = rates.values.at(-1) ?? Number.NaN;
    // Raised after the minimum: a warm restart climbs on purpose. Annealed to half or less: the
    // climb cannot come from a rate too high (data order or a changing objective, not this check).
    if (atEnd > 1.1 * atBest || atEnd < 0.5 * atBest) return undefined;
  }
  return { best, bestStep: steps[bestIndex]!, final, share: rise / progress };
}

function peakOf(series: Parameters<typeof finitePoints>[0]): number {
  return finitePoints(series).values.reduce((a, v) => (v > a ? v : a), Number.NEGATIVE_INFINITY);
}

/**
 * Whether the learning rate rises at the start: true when the first logged rate is below half
 * its peak and the peak comes later; false when it starts at (≥ 90% of) its peak; null when
 * unknown (no series, or in between).
 */
export function warmupOf(series: Parameters<typeof finitePoints>[0] | undefined): boolean | null {
  if (!series) return null;
  const { values } = finitePoints(series);
  if (values.length < 2) return null;
  const peak = values.reduce((a, v) => (v > a ? v : a), Number.NEGATIVE_INFINITY);
  if (!(peak > 0)) return null;
  if (values[0]! < 0.5 * peak && values.indexOf(peak) > 0) return true;
  if (values[0]! >= 0.9 * peak) return false;
  return null;
}

/**
 * The noise floor around each point: the running median of absolute successive differences
 * over `window` points, scaled like noiseFloor (×1.4826 for a normal SD, ÷√2 for the
 * difference of two noisy points). Loss noise shrinks with the loss (a loss near 0 has noise
 * near 0), so one global floor would turn every early fluctuation into a "spike".
 */
export function localNoiseFloor(values: readonly number[], window: number): Float64Array {
  const n = values.length;
  const differences = new Float64Array(n);
  for (let i = 1; i < n; i++) differences[i] = Math.abs(values[i]! - values[i - 1]!);
  differences[0] = n > 1 ? differences[1]! : Number.NaN;
  const smooth = rollingMedian(differences, window | 1);
  for (let i = 0; i < n; i++) smooth[i] = (MAD_NORMAL_CONSISTENCY * smooth[i]!) / Math.SQRT2;
  return smooth;
}

/** Pearson lag-1 autocorrelation of residuals (mean removed); NaN with fewer than 3 values or no spread. */
export function lagOneAutocorrelation(residuals: readonly number[]): number {
  const n = residuals.length;
  if (n < 3) return Number.NaN;
  let mean = 0;
  for (const r of residuals) mean += r / n;
  let numerator = 0;
  let denominator = 0;
  for (let i = 0; i < n; i++) {
    const d = residuals[i]! - mean;
    denominator += d * d;
    if (i + 1 < n) numerator += d * (residuals[i + 1]! - mean);
  }
  return denominator > 0 ? numerator / denominator : Number.NaN;
}
