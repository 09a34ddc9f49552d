/**
 * observation.val-better-than-train — the validation loss sits far below the training loss
 * for most of the second half of the run. Some gap in that direction is normal: dropout and
 * other train-time-only noise raise the logged training loss (typically by 10–20 %), and a
 * training loss averaged over an interval lags the model evaluated at its end. Far beyond
 * that, the validation number is not measuring generalization: the validation set overlaps
 * the training set (or is easier, or duplicated), or train-time augmentation is so heavy that
 * the training loss measures another task.
 *
 * Matched steps: at each evaluation, the training loss is its rolling median (one evaluation
 * interval wide, robust to spikes) interpolated at the evaluation step. The second half is
 * used because early on the training loss's lag behind a fast-improving model alone makes
 * validation look better.
 */
import { rollingMedian } from '../../stats/robust.js';
import { defineCheck } from '../check.js';
import { finitePoints, median } from '../series-tools.js';

/** The quantity a loss series measures, without split prefixes and aggregation suffixes. */
function lossQuantity(name: string): string {
  return name
    .toLowerCase()
    .replace(/[/.\- ]+/g, '_')
    .replace(/^(train(ing)?|eval|val(id|idation)?|test|dev)_/, '')
    .replace(/_(step|epoch|mean|avg)$/, '');
}

/** Linear interpolation of (xs, ys) at x, undefined outside [xs[0], xs.at(-1)]. */
function interpolate(xs: readonly number[], ys: ArrayLike<number>, x: number): number | undefined {
  if (xs.length === 0 || x < xs[0]! || x > xs.at(-1)!) return undefined;
  let lo = 0;
  let hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! <= x) lo = mid;
    else hi = mid;
  }
  if (xs[hi] === x) return ys[hi]!;
  if (xs[lo] === x || hi === lo) return ys[lo]!;
  const w = (x - xs[lo]!) / (xs[hi]! - xs[lo]!);
  return ys[lo]! * (1 - w) + ys[hi]! * w;
}

export const valBetterThanTrain = defineCheck({
  code: 'observation.val-better-than-train',
  layer: 'observation',
  description: 'validation loss far below the training loss at matched steps, beyond what dropout explains',
  thresholds: {
    margin: {
      value: 0.3,
      why: 'dropout and similar train-time noise typically put the logged training loss 10–20% above the eval-mode loss (Srivastava et al. 2014 show train/test gaps of that order); 30% below is beyond what they explain',
    },
    minShare: { value: 0.75, why: '"most of the second half": three evaluations in four, so that one noisy evaluation neither makes nor breaks the finding' },
    minEvaluations: { value: 3, why: 'at least three matched evaluations in the second half for "most" to mean anything' },
    minGapOfInitial: {
      value: 0.02,
      why: 'the gap must be at least 2% of the initial training loss: once both losses are near zero (a memorized task) their ratio is set by the averaging of a few residual errors, not by the data',
    },
  },
  evaluate(evidence, t) {
    if (!evidence.trainLoss || !evidence.valLoss) return { status: 'unknown', missing: 'a training loss and a validation loss series' };
    const train = finitePoints(evidence.trainLoss.series);
    const val = finitePoints(evidence.valLoss.series);
    if (lossQuantity(evidence.trainLoss.name) !== lossQuantity(evidence.valLoss.name)) {
      return { status: 'unknown', missing: `training and validation losses of the same quantity ("${evidence.trainLoss.name}" vs "${evidence.valLoss.name}")` };
    }
    if (train.values.length < 3 || val.values.length < t.minEvaluations) {
      return { status: 'unknown', missing: `a training loss of ≥ 3 points and ≥ ${t.minEvaluations} validation evaluations` };
    }
    // Training points are normally in step order; keep them sorted for the interpolation.
    const order = train.steps.map((_, i) => i).sort((a, b) => train.steps[a]! - train.steps[b]!);
    const trainSteps = order.map((i) => train.steps[i]!);
    const trainValues = order.map((i) => train.values[i]!);
    const perEvaluation = Math.max(1, Math.round(trainValues.length / val.values.length));
    const smoothed = rollingMedian(trainValues, perEvaluation % 2 ? perEvaluation : perEvaluation + 1);
    const lastStep = Math.max(trainSteps.at(-1)!, ...val.steps);
    const firstStep = Math.min(trainSteps[0]!, ...val.steps);
    const midpoint = firstStep + (lastStep - firstStep) / 2;
    const matched: { step: number; val: number; train: number; ratio: number }[] = [];
    for (let i = 0; i < val.steps.length; i++) {
      const step = val.steps[i]!;
      if (step < midpoint) continue;
      const trainAt = interpolate(trainSteps, smoothed, step);
      if (trainAt === undefined || !(trainAt > 0) || val.values[i]! < 0) continue;
      matched.push({ step, val: val.values[i]!, train: trainAt, ratio: val.values[i]! / trainAt });
    }
    if (matched.length < t.minEvaluations) {
      return { status: 'unknown', missing: `≥ ${t.minEvaluations} validation evaluations within the training loss's steps in the second half of the run` };
    }
    const initialLoss = median(trainValues.slice(0, Math.max(3, perEvaluation)));
    const below = matched.filter((m) => m.ratio < 1 - t.margin && m.train - m.val >= t.minGapOfInitial * initialLoss);
    const share = below.length / matched.length;
    if (share < t.minShare) return { status: 'clear' };
    const last = matched.at(-1)!;
    return {
      status: 'problem',
      findings: [
        {
          code: 'observation.val-better-than-train',
          layer: 'observation',
          severity: 'warning',
          runs: [evidence.run.id],
          evidence: {
            trainSeries: evidence.trainLoss.name,
            valSeries: evidence.valLoss.name,
            evaluations: matched.length,
            below: below.length,
            share,
            medianRatio: median(matched.map((m) => m.ratio)),
            margin: t.margin,
            initialTrainLoss: initialLoss,
            fromStep: matched[0]!.step,
            lastStep: last.step,
            lastTrainLoss: last.train,
            lastValLoss: last.val,
          },
          marks: [{ series: evidence.valLoss.name, step: below[0]!.step, label: 'validation far below training' }],
        },
      ],
    };
  },
});
