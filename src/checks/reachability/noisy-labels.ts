/**
 * reachability.noisy-labels — the two-phase curve of training on noisy labels: the network
 * first fits the clean signal (validation accuracy climbs), then memorises the wrong labels
 * (training loss keeps falling towards zero, or training accuracy towards 1, while the
 * validation accuracy peaks early and falls). Arpit et al. 2017 ("A closer look at
 * memorization in deep networks") and Zhang et al. 2017 show this shape; plain overfitting
 * on clean labels mostly inflates the validation loss (over-confidence) while its accuracy
 * stays near its plateau, so the accuracy's peak-then-decline together with memorisation is
 * what distinguishes the two.
 *
 * Statistic: the decline of the final validation-accuracy level below its peak, in units of
 * the accuracy's noise (binomial when the evaluation size is known, the curve's noise floor
 * otherwise), corrected for the maximum of n noisy evaluations overshooting the true peak; a
 * Mann–Kendall test for a downward trend after the peak; the share of the accuracy gained
 * that was lost again; memorisation = the training loss at the end a small fraction of its
 * initial value and well below its level at the peak (or training accuracy near 1).
 */
import { noiseFloor } from '../../stats/robust.js';
import { defineCheck } from '../check.js';
import { finitePoints, head, median, type Points } from '../series-tools.js';
import { argExtreme, trendOf } from './curve-shape.js';
import { trainLevelAt } from './overfitting.js';
import { canonicalName } from '../../ingest/roles.js';
import type { Series } from '../../model/run.js';

/** Higher-is-better classification metrics whose two-phase shape is the noisy-label signature. */
const ACCURACY_LIKE = /(^|_)(acc|accuracy|top1|top_1|f1|f1_score|macro_f1|micro_f1|exact_match|em|matthews_correlation|mcc)(_epoch|_step)?$/;
const TRAIN_ACCURACY = /^train(ing)?_(acc|accuracy)(_epoch|_step)?$/;

function pickAccuracy(metrics: { name: string; series: Series }[]) {
  const candidates = metrics.filter(({ name }) => ACCURACY_LIKE.test(canonicalName(name)));
  return candidates.find(({ name }) => /acc/.test(canonicalName(name))) ?? candidates[0];
}

export const noisyLabels = defineCheck({
  code: 'reachability.noisy-labels',
  layer: 'reachability',
  description: 'validation accuracy peaks early then declines while the training loss falls towards zero (memorising noisy labels)',
  thresholds: {
    minEvaluations: { value: 6, why: 'a rise, a peak and a decline need a handful of evaluations' },
    earlyPeakFraction: {
      value: 0.5,
      why: 'memorisation of noisy labels starts once the clean signal is fitted, typically early (Arpit et al. 2017); a peak in the second half is ordinary end-of-run noise',
    },
    noiseMultiple: {
      value: 3,
      why: 'the decline must exceed 3 noise units beyond the √(2 ln n) by which the largest of n noisy evaluations overshoots the true peak',
    },
    trendAlpha: { value: 0.05, why: 'Mann–Kendall false-positive rate for a downward trend after the peak when there is none' },
    minLostShare: {
      value: 0.1,
      why:
        'losing at least 10% of the accuracy gained since the first evaluation separates memorised noise from the slow drift of ' +
        'over-confident but clean overfitting, whose accuracy stays near its plateau',
    },
    memorizedFraction: {
      value: 0.1,
      why: 'a training loss below 10% of its initial value (ln K at initialization) means the training labels are being fitted nearly exactly',
    },
    fallAfterPeak: {
      value: 0.5,
      why: 'the training loss must at least halve after the validation peak: the second phase is training still improving while validation worsens',
    },
    trainAccuracyMemorized: { value: 0.98, why: 'training accuracy of 98% or more on a task whose validation accuracy is falling means the training set is memorised' },
  },
  evaluate(evidence, t) {
    const metric = pickAccuracy(evidence.valMetrics);
    if (!metric) return { status: 'unknown', missing: 'a validation accuracy (or F1) series' };
    const train = evidence.trainLoss ? finitePoints(evidence.trainLoss.series) : undefined;
    const trainAccuracyName = Object.keys(evidence.run.series).find((name) => TRAIN_ACCURACY.test(canonicalName(name)));
    const trainAccuracy = trainAccuracyName ? finitePoints(evidence.run.series[trainAccuracyName]!) : undefined;
    if ((!train || train.values.length < 3) && (!trainAccuracy || trainAccuracy.values.length < 3)) {
      return { status: 'unknown', missing: 'a training-loss or training-accuracy series' };
    }
    const points = finitePoints(metric.series);
    const n = points.values.length;
    if (n < t.minEvaluations) return { status: 'unknown', missing: `at least ${t.minEvaluations} finite evaluations of ${metric.name}` };

    const peakIndex = argExtreme(points.values, true);
    const after = n - 1 - peakIndex;
    if (after < 2) return { status: 'clear' };
    const firstStep = points.steps[0]!;
    const lastStep = points.steps[n - 1]!;
    const peakStep = points.steps[peakIndex]!;
    const peakValue = points.values[peakIndex]!;
    const peakFraction = lastStep > firstStep ? (peakStep - firstStep) / (lastStep - firstStep) : 1;
    if (peakFraction > t.earlyPeakFraction) return { status: 'clear' };

    const initialValue = points.values[0]!;
    const finalLevel = median(points.values.slice(n - Math.min(3, after)));
    const decline = peakValue - finalLevel;
    const lostShare = peakValue > initialValue ? decline / (peakValue - initialValue) : 0;
    const proportion = peakValue >= 0 && peakValue <= 1;
    const binomialNoise = evidence.evalSize && proportion ? Math.sqrt((peakValue * (1 - peakValue)) / evidence.evalSize) : undefined;
    const noise = Math.max(binomialNoise ?? noiseFloor(points.values), 1e-9);
    const declineInNoise = decline / noise;
    const required = t.noiseMultiple + Math.sqrt(2 * Math.log(n));
    const afterPeak: Points = { steps: points.steps.slice(peakIndex + 1), values: points.values.slice(peakIndex + 1) };
    const trend = afterPeak.values.length >= 5 ? trendOf(afterPeak, 1 - t.trendAlpha) : undefined;
    const falling = trend ? trend.pValue < t.trendAlpha && trend.tau < 0 : afterPeak.values.every((v) => v < peakValue - noise);
    if (declineInNoise <= required || !falling || lostShare < t.minLostShare) return { status: 'clear' };

    // Memorisation: the second phase, training still improving while validation falls.
    let memorized = false;
    const trainEvidence: Record<string, number | string> = {};
    if (train && train.values.length >= 3) {
      const initialTrain = median(head(train.values, 0.05, 1));
      const trainAtPeak = trainLevelAt(train, peakStep);
      const trainAtEnd = trainLevelAt(train, lastStep);
      Object.assign(trainEvidence, { trainSeries: evidence.trainLoss!.name, initialTrainLoss: initialTrain, trainLossAtPeak: trainAtPeak, finalTrainLoss: trainAtEnd });
      if (initialTrain > 0 && trainAtEnd <= t.memorizedFraction * initialTrain && trainAtEnd <= t.fallAfterPeak * trainAtPeak) memorized = true;
    }
    if (trainAccuracy && trainAccuracy.values.length >= 3) {
      const finalTrainAccuracy = median(trainAccuracy.values.slice(-3));
      Object.assign(trainEvidence, { trainAccuracySeries: trainAccuracyName!, finalTrainAccuracy });
      if (finalTrainAccuracy >= t.trainAccuracyMemorized && finalTrainAccuracy > peakValue) memorized = true;
    }
    if (!memorized) return { status: 'clear' };

    return {
      status: 'problem',
      findings: [
        {
          code: 'reachability.noisy-labels',
          layer: 'reachability',
          severity: 'warning',
          runs: [evidence.run.id],
          evidence: {
            series: metric.name,
            evaluations: n,
            initialValue,
            peakStep,
            peakValue,
            peakFraction,
            lastStep,
            lastValue: points.values[n - 1]!,
            finalLevel,
            decline,
            lostShare,
            noise,
            noiseSource: binomialNoise !== undefined ? `binomial, ${evidence.evalSize} evaluation items` : 'noise floor of the curve',
            declineInNoise,
            requiredNoiseUnits: required,
            ...(trend ? { trendPValue: trend.pValue, trendSlope: trend.slope, trendSlopeLow: trend.slopeLow, trendSlopeHigh: trend.slopeHigh } : {}),
            ...trainEvidence,
          },
          marks: [
            { series: metric.name, step: peakStep, label: 'validation accuracy peak' },
            ...(evidence.trainLoss ? [{ series: evidence.trainLoss.name, step: lastStep, label: 'training loss near zero' }] : []),
          ],
        },
      ],
    };
  },
});
