/**
 * reachability.divergence — training blew up: the training loss became NaN or infinite, or
 * rose far above where it started. Either way the weights are not what the architecture can
 * reach, and nothing about the architecture can be concluded from this run.
 */
import { defineCheck } from '../check.js';
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
    const initial = median(head(finite.values, 0.05));
    const peakIndex = finite.values.reduce((best, v, i) => (v > finite.values[best]! ? i : best), 0);
    const peak = finite.values[peakIndex]!;
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
