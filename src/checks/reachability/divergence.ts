/**
 * reachability.divergence — training blew up: the training loss became NaN or infinite, or
 * rose far above where it started. Either way the weights are not what the architecture can
 * reach, and nothing about the architecture can be concluded from this run.
 */
import { defineCheck } from '../check.js';
import { rollingMedian } from '../../stats/robust.js';
import { finitePoints, head, median } from '../series-tools.js';

export const divergence = defineCheck({
  code: 'reachability.divergence',
  layer: 'reachability',
  description: 'training loss became NaN/Inf or exploded far above its initial level',
  thresholds: {
    explosionFactor: {
      value: 10,
      why:
        'a loss 10× its initial level is beyond any ordinary fluctuation: cross-entropy at ' +
        'initialization is already the loss of a uniform guess, and a healthy run stays below it',
    },
  },
  evaluate(evidence, t) {
    const train = evidence.trainLoss;
    if (!train || train.series.values.length < 5) return { status: 'unknown', missing: 'a training-loss series of at least 5 points' };
    const { steps, values } = train.series;
    let firstNonFinite = -1;
    let nonFinite = 0;
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) {
        nonFinite++;
        if (firstNonFinite < 0) firstNonFinite = i;
      }
    }
    const finite = finitePoints(train.series);
    // The start is the first 2% of the points (at least 3); the explosion is looked for after
    // it, on a running median, so that a high first logged loss (the start of training) or a
    // single hard batch (grad-spikes and instability judge those) is not called a blow-up.
    const start = head(finite.values, 0.02);
    const initial = median(start);
    const window = Math.max(3, Math.min(21, 2 * Math.floor(finite.values.length / 100) + 1));
    const smooth = rollingMedian(finite.values, window);
    let peakIndex = -1;
    for (let i = start.length; i < smooth.length; i++) if (peakIndex < 0 || smooth[i]! > smooth[peakIndex]!) peakIndex = i;
    const peak = peakIndex >= 0 ? smooth[peakIndex]! : Number.NaN;
    const exploded = initial > 0 && peak > t.explosionFactor * initial;
    if (nonFinite === 0 && !exploded) return { status: 'clear' };
    const step = nonFinite > 0 ? steps[firstNonFinite]! : finite.steps[peakIndex]!;
    return {
      status: 'problem',
      findings: [
        {
          code: 'reachability.divergence',
          layer: 'reachability',
          severity: 'error',
          runs: [evidence.run.id],
          evidence: {
            series: train.name,
            step,
            nonFiniteCount: nonFinite,
            points: values.length,
            initialLoss: initial,
            peakLoss: peak,
            explosionFactor: t.explosionFactor,
          },
          marks: [{ series: train.name, step, label: nonFinite > 0 ? 'non-finite loss' : 'explosion' }],
        },
      ],
    };
  },
});
