/**
 * reachability.stall — training never got going: the best level the loss reached is less
 * than 5 % (and not beyond noise) below where it started; the chance loss ln K is reported
 * beside it when the number of classes is known. Typical of a learning rate far too low,
 * frozen weights, or a broken input pipeline. (A best level at chance is not called a stall
 * on its own: an architecture that cannot learn the task sits there too.)
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
    const { values } = finitePoints(train.series);
    if (values.length < 10) return { status: 'unknown', missing: 'at least 10 finite training-loss points' };
    // The loss where training started (the first 2 % of points, at least 3), against the
    // lowest level it reached (the best window of 10 % of the points): a run that learned
    // and then got worse did not stall (instability and divergence judge that), and one
    // that learned early in a long run must not have its start averaged with its progress.
    const start = head(values, 0.02);
    const windowLength = Math.max(3, Math.ceil(values.length * 0.1));
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i + windowLength <= values.length; i += Math.max(1, Math.floor(windowLength / 4))) {
      best = Math.min(best, median(values.slice(i, i + windowLength)));
    }
    const initial = median(start);
    const final = median(tail(values, 0.1));
    const noise = noiseFloor(values);
    // Standard error of the difference of two window medians (median SE ≈ 1.253 σ/√n).
    const standardError = 1.253 * noise * Math.sqrt(1 / start.length + 1 / windowLength);
    const drop = initial - best;
    const relativeDrop = initial !== 0 ? drop / Math.abs(initial) : 0;
    // A loss that is zero (or numerically nothing) throughout is not a learning curve: policy-
    // gradient objectives such as GRPO's log a loss near 0 by construction.
    // The drop is measured relative to the starting level, which needs a positive loss (cross-
    // entropy, MSE…). Policy-gradient objectives such as GRPO's hover around 0 and change
    // sign by construction; they have no level to stall at.
    if (values.some((v) => v < 0) || values.every((v) => v === 0)) {
      return { status: 'unknown', missing: 'a positive training loss (this one is zero or changes sign, as policy-gradient objectives do)' };
    }
    const chance = evidence.classes && evidence.classes > 1 ? Math.log(evidence.classes) : undefined;
    // A stall is a loss that stayed where it started: a small drop. A larger drop counts as
    // progress only when noise cannot explain it; when it can (a few noisy points at the
    // start), the run shows neither a stall nor progress, and the check says so.
    const significant = drop > t.noiseMultiple * standardError;
    if (relativeDrop >= t.minRelativeDrop) {
      if (significant) return { status: 'clear' };
      return {
        status: 'unknown',
        missing: `more training-loss points at the start: a ${(100 * relativeDrop).toFixed(1)}% drop is within ${t.noiseMultiple} standard errors of the noise`,
      };
    }
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
            bestLoss: best,
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
