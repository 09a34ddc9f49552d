/**
 * reachability.stall — training never got going: the loss at the end is statistically no
 * lower than at the start, or sits at the chance loss −log(1/K). Typical of a learning rate
 * far too low, frozen weights, or a broken input pipeline.
 */
import { defineCheck } from '../check.js';
import { finitePoints, head, median, noiseFloor, tail } from '../series-tools.js';

export const stall = defineCheck({
  code: 'reachability.stall',
  layer: 'reachability',
  description: 'training loss barely moved from its initial value or stayed at the chance loss',
  thresholds: {
    minRelativeDrop: {
      value: 0.05,
      why:
        'a trainable setup cuts its training loss by far more than 5% over a run; a smaller drop ' +
        'means the optimizer is not making progress (Tuning Playbook: check the loss moves before tuning anything else)',
    },
    noiseMultiple: {
      value: 3,
      why: 'the drop must also exceed 3 noise-floor standard errors of the window medians, so that noise alone is not called progress',
    },
  },
  evaluate(evidence, t) {
    const train = evidence.trainLoss;
    if (!train) return { status: 'unknown', missing: 'a training-loss series' };
    const { steps, values } = finitePoints(train.series);
    if (values.length < 10) return { status: 'unknown', missing: 'at least 10 finite training-loss points' };
    const start = head(values, 0.1);
    const end = tail(values, 0.1);
    const initial = median(start);
    const final = median(end);
    const noise = noiseFloor(values);
    // Standard error of the difference of two window medians (median SE ≈ 1.253 σ/√n).
    const standardError = 1.253 * noise * Math.sqrt(1 / start.length + 1 / end.length);
    const drop = initial - final;
    const relativeDrop = initial !== 0 ? drop / Math.abs(initial) : 0;
    const chance = evidence.classes && evidence.classes > 1 ? Math.log(evidence.classes) : undefined;
    const moved = relativeDrop >= t.minRelativeDrop && drop > t.noiseMultiple * standardError;
    if (moved) return { status: 'clear' };
    return {
      status: 'problem',
      findings: [
        {
          code: 'reachability.stall',
          layer: 'reachability',
          severity: 'error',
          runs: [evidence.run.id],
          evidence: {
            series: train.name,
            initialLoss: initial,
            finalLoss: final,
            relativeDrop,
            noiseFloor: noise,
            standardError,
            ...(chance !== undefined ? { chanceLoss: chance } : {}),
          },
        },
      ],
    };
  },
});
