/**
 * reachability.overfitting — the validation loss reached its minimum well before the end and
 * then rose while the training loss kept falling: the weights memorise the training set.
 * The remedy is early stopping at the best step, more data or regularization; a new
 * architecture would overfit the same way.
 *
 * Statistic: the rise of the final validation level (median of the last evaluations) above
 * the minimum, in units of the validation curve's own noise floor, corrected for the
 * minimum of n noisy points sitting below the true curve; a Mann–Kendall test for an upward
 * trend over the evaluations after the minimum; the training loss at the best and the last
 * evaluation; the train–validation gap and its Theil–Sen slope after the minimum.
 */
import type { HValue } from '../../model/run.js';
import { noiseFloor } from '../../stats/robust.js';
import { theilSen } from '../../stats/trend.js';
import { defineCheck } from '../check.js';
import { finitePoints, median, type Points } from '../series-tools.js';
import { argExtreme, levelAt, trendOf } from './curve-shape.js';

/** Evaluations after the minimum needed for Mann–Kendall to reach p < 0.05 at all (5 strictly rising points give p ≈ 0.03). */
const TESTABLE_AFTER_MINIMUM = 5;

/** The level of the training loss around a step: enough neighbours to average its noise, few enough to stay local. */
export function trainLevelAt(train: Points, step: number): number {
  return levelAt(train, step, Math.max(1, Math.min(9, Math.round(train.values.length / 20))));
}

/**
 * The best checkpoint as the writer recorded it (Hugging Face `trainer_state.json`), when it
 * did: with `load_best_model_at_end` that checkpoint is the model the run delivered.
 */
export function bestCheckpointOf(summary: Record<string, HValue>, hparams: Record<string, HValue>) {
  const out: Record<string, number | string | boolean> = {};
  const checkpoint = summary.best_model_checkpoint;
  const metric = summary.best_metric;
  const step = summary.best_global_step;
  if (typeof checkpoint === 'string') out.bestModelCheckpoint = checkpoint;
  if (typeof metric === 'number' && Number.isFinite(metric)) out.bestMetric = metric;
  if (typeof step === 'number' && Number.isFinite(step)) out.bestGlobalStep = step;
  const metricName = hparams.metric_for_best_model;
  if (typeof metricName === 'string') out.metricForBestModel = metricName;
  const loadBest = hparams.load_best_model_at_end;
  if (loadBest === true || loadBest === 'true' || loadBest === 'True') out.loadBestModelAtEnd = true;
  return out;
}

export const overfitting = defineCheck({
  code: 'reachability.overfitting',
  layer: 'reachability',
  description: 'validation loss minimum well before the end, then rising while the training loss falls',
  thresholds: {
    minEvaluations: { value: 6, why: 'a minimum and a rise after it need a handful of evaluations; with fewer the curve shape is not identifiable' },
    minAfterMinimum: {
      value: 2,
      why: 'at least two evaluations after the minimum, so that one noisy evaluation cannot make a rise; with fewer than 5 the rise must stand on the noise test alone',
    },
    noiseMultiple: {
      value: 3,
      why:
        'the final level must sit more than 3 noise floors above the minimum, on top of the √(2 ln n) noise floors by which the ' +
        'smallest of n noisy evaluations undershoots the true minimum (extreme-value bound of a Gaussian sample)',
    },
    trendAlpha: { value: 0.05, why: 'Mann–Kendall false-positive rate for an upward trend after the minimum when there is none' },
    errorRelativeRise: {
      value: 0.1,
      why: 'a final validation loss 10% above the best one is a loss of performance any researcher would act on (early stopping alone recovers it)',
    },
    warningRelativeRise: {
      value: 0.02,
      why: 'below a 2% rise the best and last checkpoints are practically equivalent: a statistically significant but smaller rise is not reported',
    },
    trainTolerance: {
      value: 0.02,
      why: 'the training loss must not have risen by more than 2% after the validation minimum: when both rise, training itself degraded (instability), which is not overfitting',
    },
  },
  evaluate(evidence, t) {
    const val = evidence.valLoss;
    if (!val) return { status: 'unknown', missing: 'a validation-loss series' };
    const points = finitePoints(val.series);
    const n = points.values.length;
    if (n < t.minEvaluations) return { status: 'unknown', missing: `at least ${t.minEvaluations} finite validation-loss evaluations` };

    const bestIndex = argExtreme(points.values, false);
    const bestStep = points.steps[bestIndex]!;
    const bestValue = points.values[bestIndex]!;
    const lastStep = points.steps[n - 1]!;
    const lastValue = points.values[n - 1]!;
    const after = n - 1 - bestIndex;
    if (after < t.minAfterMinimum) return { status: 'clear' };
    const firstValue = points.values[0]!;

    const finalLevel = median(points.values.slice(n - Math.min(3, after)));
    const rise = finalLevel - bestValue;
    const relativeRise = bestValue !== 0 ? rise / Math.abs(bestValue) : Number.POSITIVE_INFINITY;
    // A curve with no point-to-point noise (identical decimals) still has rounding noise.
    const noise = Math.max(noiseFloor(points.values), 1e-9 * Math.max(1, Math.abs(bestValue)));
    const minimumUndershoot = Math.sqrt(2 * Math.log(n));
    const riseInNoise = rise / noise;
    const riseSignificant = riseInNoise > t.noiseMultiple + minimumUndershoot;

    // The minimum itself is left out of the trend test: starting a window at its lowest point biases it upward.
    const afterMinimum = { steps: points.steps.slice(bestIndex + 1), values: points.values.slice(bestIndex + 1) };
    const testable = afterMinimum.values.length >= TESTABLE_AFTER_MINIMUM;
    const trend = testable ? trendOf(afterMinimum, 1 - t.trendAlpha) : undefined;
    const trendRising = trend ? trend.pValue < t.trendAlpha && trend.tau > 0 : afterMinimum.values.every((v) => v > bestValue + noise);
    if (!riseSignificant || !trendRising) return { status: 'clear' };
    // Overfitting follows learning: a validation loss that never fell below its first
    // evaluation is a broken evaluation or a failing run (other checks), not memorisation.
    if (!(bestIndex > 0 && firstValue > bestValue)) return { status: 'clear' };

    const train = evidence.trainLoss ? finitePoints(evidence.trainLoss.series) : undefined;
    const hasTrain = train !== undefined && train.values.length >= 3;
    const trainAtBest = hasTrain ? trainLevelAt(train, bestStep) : Number.NaN;
    const trainAtEnd = hasTrain ? trainLevelAt(train, lastStep) : Number.NaN;
    if (hasTrain && trainAtEnd > trainAtBest * (1 + t.trainTolerance) + 1e-12) return { status: 'clear' };

    let gap: Record<string, number> = {};
    if (hasTrain) {
      const gapSteps = afterMinimum.steps;
      const gaps = gapSteps.map((s, i) => afterMinimum.values[i]! - trainLevelAt(train, s));
      gap = { gapAtBest: bestValue - trainAtBest, gapAtEnd: lastValue - trainAtEnd };
      if (gaps.length >= 3) {
        const slope = theilSen(gapSteps, gaps, 1 - t.trendAlpha);
        gap = { ...gap, gapSlope: slope.slope, gapSlopeLow: slope.low, gapSlopeHigh: slope.high };
      }
    }
    const checkpoint = bestCheckpointOf(evidence.run.summary, evidence.run.hparams);

    if (relativeRise < t.warningRelativeRise) return { status: 'clear' };
    let severity: 'error' | 'warning' = relativeRise >= t.errorRelativeRise ? 'error' : 'warning';
    // Without a training loss the rise could be training degrading; with the best model
    // loaded at the end, the delivered weights are the best ones already.
    if (severity === 'error' && (!hasTrain || checkpoint.loadBestModelAtEnd)) severity = 'warning';

    const finding = {
      code: 'reachability.overfitting',
      layer: 'reachability' as const,
      severity,
      runs: [evidence.run.id],
      evidence: {
        series: val.name,
        evaluations: n,
        firstValue,
        bestStep,
        bestValue,
        lastStep,
        lastValue,
        finalLevel,
        rise,
        relativeRise,
        noiseFloor: noise,
        riseInNoiseFloors: riseInNoise,
        requiredNoiseFloors: t.noiseMultiple + minimumUndershoot,
        evaluationsAfterBest: after,
        ...(trend ? { trendPValue: trend.pValue, trendSlope: trend.slope, trendSlopeLow: trend.slopeLow, trendSlopeHigh: trend.slopeHigh } : {}),
        ...(hasTrain ? { trainSeries: evidence.trainLoss!.name, trainAtBest, trainAtEnd } : {}),
        ...gap,
        ...checkpoint,
        errorRelativeRise: t.errorRelativeRise,
      },
      marks: [
        { series: val.name, step: bestStep, label: 'validation minimum (best checkpoint)' },
        { series: val.name, step: lastStep, label: 'last evaluation' },
      ],
    };
    return { status: 'problem', findings: [finding] };
  },
});
