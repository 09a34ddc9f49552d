/**
 * reachability.not-converged — the loss is still falling at the end of the run: training
 * stopped before it reached what the architecture can do, so the run says nothing yet about
 * the architecture. Reads the validation loss when it was evaluated often enough (it is what
 * the model will be judged on, and a falling training loss under a rising validation loss is
 * overfitting, not under-training), the training loss otherwise.
 *
 * Statistic: on the tail of the curve (the last half by default), a Mann–Kendall test with
 * the Theil–Sen slope and its interval say whether it is still decreasing; saturating curves
 * (power law with offset, exponential; src/stats/curve-fit.ts) fitted to the same tail and
 * chosen by AIC give the floor they approach and, through a residual bootstrap, the loss
 * predicted at 2× and 4× the steps with intervals. The gain at 2× relative to the current
 * loss sets the severity. Those intervals cover the noise in the tail only: a learning-rate
 * schedule that changes ahead (or has already decayed to zero) is not in them, which is why
 * the final learning rate relative to its peak is reported alongside.
 */
import { bootstrapExtrapolation, fitSaturatingCurves, predictAt, type CurveFit } from '../../stats/curve-fit.js';
import type { FindingDraft } from '../../ladder/finding.js';
import { noiseFloor } from '../../stats/robust.js';
import { defineCheck } from '../check.js';
import { finitePoints, median, type Points } from '../series-tools.js';
import { theilSen } from '../../stats/trend.js';
import { binMedians, trendOf } from './curve-shape.js';

/** The bootstrap is seeded so that a diagnosis is reproducible (DESIGN section 8); reported in the evidence. */
const BOOTSTRAP_SEED = 20240601;
/** Points the tail is binned down to before fitting and testing (see binMedians). */
const MAX_TAIL_POINTS = 120;

/** Lag-1 autocorrelation of residuals: above ~0.2 a block bootstrap keeps their dependence. */
function lag1Autocorrelation(residuals: number[]): number {
  const n = residuals.length;
  if (n < 3) return 0;
  const mean = residuals.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const d = residuals[i]! - mean;
    den += d * d;
    if (i > 0) num += d * (residuals[i - 1]! - mean);
  }
  return den > 0 ? num / den : 0;
}

export const notConverged = defineCheck({
  code: 'reachability.not-converged',
  layer: 'reachability',
  description: 'loss still falling significantly at the end of the run; predicted gain from 2× and 4× the steps',
  thresholds: {
    minValidationEvaluations: {
      value: 6,
      why: 'with 6 or more evaluations the validation loss has a tail of at least 3 points beyond the fit’s 3 parameters; with fewer the training loss is read instead',
    },
    minTrainingPoints: { value: 12, why: 'a tail of at least 6 training-loss points for a 3-parameter fit with residuals to bootstrap' },
    tailFraction: {
      value: 0.5,
      why: 'the last half of the run: past the initial fast drop and warm-up, which no single saturating curve describes, yet long enough to show curvature',
    },
    endFraction: {
      value: 0.25,
      why:
        'the last quarter of the run (at least 4 points) must still slope down, its Theil–Sen interval excluding 0: researchers ' +
        'judge convergence by the end of the curve, and a tail that fell during learning-rate annealing and then went flat is converged',
    },
    minFitPoints: {
      value: 12,
      why: 'the curve is fitted to at least 12 points (more of the curve than the tail when the tail is shorter): 3 parameters from a handful of evaluations extrapolate wildly',
    },
    trendAlpha: { value: 0.05, why: 'Mann–Kendall false-positive rate for a decreasing tail when it is flat' },
    errorRelativeGain: {
      value: 0.05,
      why: 'doubling the steps is predicted to cut the loss by more than 5% of its current value, with the interval excluding no gain: a gain that large changes conclusions drawn from this run',
    },
    warningRelativeGain: {
      value: 0.01,
      why:
        'below a 1% predicted gain from doubling the steps (or when the gain interval includes no gain) the run is practically ' +
        'converged even if its tail still slopes down; reported as context only',
    },
    minGainNoiseFloors: {
      value: 2,
      why:
        'the predicted gain from doubling the steps must exceed 2 noise floors of the fitted points: a smaller gain would not show ' +
        'above the evaluation’s own noise, and the extrapolation’s model-form error is at least that large',
    },
    annealedShare: {
      value: 0.1,
      why:
        'a final learning rate at or below 10% of its peak means the schedule has annealed (linear, cosine, one-cycle): the late ' +
        'drop is partly the annealing (Hägele et al. 2024), so the extrapolated gain is an upper figure and the severity stays at warning',
    },
    confidence: { value: 0.95, why: 'coverage of the bootstrap intervals and the Theil–Sen slope interval' },
  },
  evaluate(evidence, t) {
    const valPoints = evidence.valLoss ? finitePoints(evidence.valLoss.series) : undefined;
    const useValidation = valPoints !== undefined && valPoints.values.length >= t.minValidationEvaluations;
    const source = useValidation ? evidence.valLoss! : evidence.trainLoss;
    if (!source) return { status: 'unknown', missing: 'a training- or validation-loss series' };
    if (evidence.trainLoss && Array.from(evidence.trainLoss.series.values).some((v) => !Number.isFinite(v))) {
      return { status: 'unknown', missing: 'a run whose loss stayed finite (a diverged run is reachability.divergence, not under-training)' };
    }
    const all = useValidation ? valPoints! : finitePoints(source.series);
    if (!useValidation && all.values.length < t.minTrainingPoints) {
      return { status: 'unknown', missing: `at least ${t.minTrainingPoints} finite training-loss points or ${t.minValidationEvaluations} validation evaluations` };
    }
    // Positive steps only: the power law is undefined at step 0.
    const positive: Points = { steps: [], values: [] };
    all.steps.forEach((s, i) => {
      if (s > 0) {
        positive.steps.push(s);
        positive.values.push(all.values[i]!);
      }
    });
    const n = positive.values.length;
    const tailCount = Math.min(n, Math.max(6, Math.ceil(n * t.tailFraction)));
    if (tailCount < 6) return { status: 'unknown', missing: 'at least 6 loss points at positive steps' };
    const lastPoints = (count: number) =>
      binMedians({ steps: positive.steps.slice(n - count), values: positive.values.slice(n - count) }, MAX_TAIL_POINTS);
    const tail = lastPoints(tailCount);
    const trend = trendOf(tail, t.confidence, MAX_TAIL_POINTS);
    const decreasing = trend.pValue < t.trendAlpha && trend.tau < 0 && trend.slopeHigh < 0;
    if (!decreasing) return { status: 'clear' };
    // Still falling at the very end, not only over the tail: a curve that dropped while the
    // learning rate annealed and then went flat has converged for its schedule.
    const endCount = Math.min(n, Math.max(4, Math.ceil(n * t.endFraction)));
    const end = lastPoints(endCount);
    const endSlope = theilSen(end.steps, end.values, t.confidence);
    if (!(endSlope.high < 0)) return { status: 'clear' };

    // A short tail (a few evaluations) cannot show curvature: fit over more of the curve.
    const fitWindow = lastPoints(Math.min(n, Math.max(tailCount, t.minFitPoints)));
    let fits: CurveFit[];
    try {
      fits = fitSaturatingCurves(fitWindow.steps, fitWindow.values);
    } catch {
      return { status: 'unknown', missing: 'a tail with at least 4 distinct points to fit a saturating curve' };
    }
    const fit = fits[0]!;
    const residuals = fitWindow.steps.map((s, i) => fitWindow.values[i]! - predictAt(fit, s));
    const blockLength = lag1Autocorrelation(residuals) > 0.2 ? Math.max(1, Math.round(Math.cbrt(fitWindow.values.length))) : 1;
    const extrapolation = bootstrapExtrapolation(fit, fitWindow.steps, fitWindow.values, { seed: BOOTSTRAP_SEED, confidence: t.confidence, blockLength });
    const current = extrapolation.atLastStep;
    const scale = Math.abs(current) > 0 ? Math.abs(current) : 1;
    const [at2, at4] = extrapolation.predictions;
    const [gain2, gain4] = extrapolation.gains;
    // A saturating (convex, falling) curve stays above its tangent: continuing at the end's own
    // slope for another T steps bounds the gain of doubling. When the end has flattened far more
    // than the fit (an annealing drop that is over), the bound is the honest figure.
    const tangentGain2 = -endSlope.slope * extrapolation.lastStep;
    const expectedGain2 = Math.min(gain2!.estimate, tangentGain2);
    const relativeGain2 = expectedGain2 / scale;
    const noise = noiseFloor(fitWindow.values);
    const lr = evidence.lr ? finitePoints(evidence.lr.series).values : [];
    const peakLr = lr.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
    const finalLearningRateShare = lr.length > 0 && peakLr > 0 ? lr[lr.length - 1]! / peakLr : undefined;
    const annealed = finalLearningRateShare !== undefined && finalLearningRateShare <= t.annealedShare;
    // The gain excludes zero when even the upper end of the 2× prediction is below where the curve is now.
    const currentLevel = median(positive.values.slice(-3));
    const gainExcludesZero = gain2!.low > 0 && at2!.high < currentLevel;
    let severity: 'error' | 'warning' | 'info' =
      !gainExcludesZero || expectedGain2 <= t.minGainNoiseFloors * noise
        ? 'info'
        : relativeGain2 > t.errorRelativeGain
          ? 'error'
          : relativeGain2 >= t.warningRelativeGain
            ? 'warning'
            : 'info';


    // Part of a late drop under an annealed learning rate is the annealing itself, which the
    // saturating curve extrapolates as if it went on: the predicted gain is an upper figure.
    if (severity === 'error' && annealed) severity = 'warning';

    const finding: FindingDraft = {
      code: 'reachability.not-converged',
      layer: 'reachability',
      severity,
      runs: [evidence.run.id],
      evidence: {
        series: source.name,
        seriesRole: useValidation ? 'validation loss' : 'training loss',
        tailFrom: tail.steps[0]!,
        lastStep: extrapolation.lastStep,
        tailPoints: tail.values.length,
        fitFrom: fitWindow.steps[0]!,
        fitPoints: fitWindow.values.length,
        lastValue: all.values[all.values.length - 1]!,
        currentLevel,
        endSlope: endSlope.slope,
        endSlopeLow: endSlope.low,
        endSlopeHigh: endSlope.high,
        gainExcludesZero,
        trendPValue: trend.pValue,
        slope: trend.slope,
        slopeLow: trend.slopeLow,
        slopeHigh: trend.slopeHigh,
        model: fit.model,
        fittedFloor: fit.offset,
        fittedAtLastStep: current,
        otherModelAicExcess: fits[1] ? fits[1].aic - fit.aic : null,
        predictedAt2x: at2!.estimate,
        predictedAt2xLow: at2!.low,
        predictedAt2xHigh: at2!.high,
        predictedAt4x: at4!.estimate,
        predictedAt4xLow: at4!.low,
        predictedAt4xHigh: at4!.high,
        gainAt2x: gain2!.estimate,
        gainAt2xLow: gain2!.low,
        gainAt2xHigh: gain2!.high,
        gainAt4x: gain4!.estimate,
        gainAt4xLow: gain4!.low,
        gainAt4xHigh: gain4!.high,
        tangentGainAt2x: tangentGain2,
        expectedGainAt2x: expectedGain2,
        relativeGainAt2x: relativeGain2,
        noiseFloor: noise,
        errorRelativeGain: t.errorRelativeGain,
        confidence: t.confidence,
        bootstrapSeed: extrapolation.seed,
        bootstrapResamples: extrapolation.resamples,
        bootstrapBlockLength: extrapolation.blockLength,
        ...(finalLearningRateShare !== undefined ? { finalLearningRateShare, annealed } : {}),
      },
      marks: [{ series: source.name, step: extrapolation.lastStep, label: 'still falling at the last step' }],
    };
    return severity === 'info' ? { status: 'clear', findings: [finding] } : { status: 'problem', findings: [finding] };
  },
});
