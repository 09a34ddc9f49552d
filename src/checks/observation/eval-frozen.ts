/**
 * observation.eval-frozen — the evaluation reports the same number at every evaluation while
 * training moves: the evaluation is probably not using the current weights (a stale copy, a
 * cached prediction file, a metric computed on constants).
 */
import { defineCheck } from '../check.js';
import { finitePoints, head, median, tail } from '../series-tools.js';

export const evalFrozen = defineCheck({
  code: 'observation.eval-frozen',
  layer: 'observation',
  description: 'evaluation metric identical across evaluations while the training loss moves',
  thresholds: {
    minEvaluations: { value: 3, why: 'two equal evaluations can happen by chance on a small eval set; three in a row rarely do while training moves' },
    relativeTolerance: { value: 1e-9, why: 'floating-point identity: an evaluation on new weights changes some digit' },
    minTrainDrop: { value: 0.05, why: 'training must have moved by at least 5% for a frozen evaluation to be suspicious' },
  },
  evaluate(evidence, t) {
    const evals = [...(evidence.valLoss ? [evidence.valLoss] : []), ...evidence.valMetrics];
    if (evals.length === 0) return { status: 'unknown', missing: 'a validation loss or metric series' };
    const train = evidence.trainLoss ? finitePoints(evidence.trainLoss.series).values : [];
    const trainMoved =
      train.length >= 6 && Math.abs(median(head(train, 0.2)) - median(tail(train, 0.2))) >= t.minTrainDrop * Math.abs(median(head(train, 0.2)));
    const frozen = evals.filter(({ series }) => {
      const { values } = finitePoints(series);
      if (values.length < t.minEvaluations) return false;
      const first = values[0]!;
      return values.every((v) => Math.abs(v - first) <= t.relativeTolerance * Math.max(1, Math.abs(first)));
    });
    if (!evals.some(({ series }) => finitePoints(series).values.length >= t.minEvaluations)) {
      return { status: 'unknown', missing: `at least ${t.minEvaluations} evaluations` };
    }
    // One evaluation series that changes proves the evaluation sees the new weights; a metric
    // that stays put beside it is constant by nature (an episode length capped by the
    // environment, a count of items), not a frozen evaluation.
    const assessed = evals.filter(({ series }) => finitePoints(series).values.length >= t.minEvaluations);
    if (frozen.length === 0 || frozen.length < assessed.length || !trainMoved) return { status: 'clear' };
    return {
      status: 'problem',
      findings: frozen.map(({ name, series }) => ({
        code: 'observation.eval-frozen',
        layer: 'observation' as const,
        severity: 'error' as const,
        runs: [evidence.run.id],
        evidence: { series: name, value: series.values[0]!, evaluations: series.values.length },
      })),
    };
  },
});
