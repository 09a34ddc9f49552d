/**
 * reachability.collapse — the model answers the same way whatever the input: the validation
 * accuracy is identical to the last digit at every one of the last evaluations while the
 * validation loss keeps changing. The evaluation does see new weights (its loss moves), but
 * the predictions never change: the model has collapsed onto one class (the share of that
 * class is its accuracy), the signature of a learning rate high enough to wipe out what was
 * learned, or of a loss that rewards the prior.
 *
 * Statistic: on n items, the accuracy of a model whose predictions still change moves by at
 * least 1/n between evaluations almost always; the same accuracy at `minEvaluations`
 * consecutive evaluations while the loss changes is what a constant predictor produces. An
 * accuracy of 0 or 1 is excluded (a perfect or empty score on a small set stays put without
 * any collapse), and so are small eval sets, where a fixed score is plausible by chance.
 */
import { defineCheck } from '../check.js';
import { isItemAccuracy } from '../metric-kinds.js';
import { finitePoints } from '../series-tools.js';

export const collapse = defineCheck({
  code: 'reachability.collapse',
  layer: 'reachability',
  description: 'validation accuracy frozen at one value while the validation loss moves: constant predictions',
  thresholds: {
    minEvaluations: {
      value: 4,
      why: 'four consecutive identical accuracies: on a few hundred items a model whose predictions still change moves the count by at least one item between evaluations far more often than not',
    },
    minEvalSize: {
      value: 100,
      why: 'on fewer than 100 items a stable model can repeat its score by chance; when the size is unknown, twice minEvaluations identical evaluations are required instead',
    },
    minLossChange: {
      value: 1e-4,
      why: 'the loss must have moved by a relative 1e-4 over those evaluations, so that the evaluation is known to see new weights (else observation.eval-frozen speaks)',
    },
  },
  evaluate(evidence, t) {
    const accuracies = evidence.valMetrics.filter(({ name }) => isItemAccuracy(name));
    if (accuracies.length === 0 || !evidence.valLoss) return { status: 'unknown', missing: 'a validation accuracy and a validation loss' };
    const loss = finitePoints(evidence.valLoss.series);
    const known = evidence.evalSize !== undefined;
    if (known && evidence.evalSize! < t.minEvalSize) return { status: 'unknown', missing: `an evaluation of at least ${t.minEvalSize} items` };
    const needed = known ? t.minEvaluations : 2 * t.minEvaluations;
    const findings = accuracies.flatMap(({ name, series }) => {
      const { steps, values } = finitePoints(series);
      if (values.length < needed) return [];
      const last = values.at(-1)!;
      if (last <= 0 || last >= 1) return [];
      let run = 1;
      while (run < values.length && values[values.length - 1 - run] === last) run++;
      if (run < needed) return [];
      const from = steps[values.length - run]!;
      const lossIn = loss.values.filter((_, i) => loss.steps[i]! >= from);
      if (lossIn.length < 2) return [];
      const lo = Math.min(...lossIn);
      const hi = Math.max(...lossIn);
      if (!(hi - lo > t.minLossChange * Math.max(Math.abs(hi), 1e-12))) return [];
      return [
        {
          code: 'reachability.collapse',
          layer: 'reachability' as const,
          severity: 'error' as const,
          runs: [evidence.run.id],
          evidence: {
            series: name,
            accuracy: last,
            evaluations: run,
            fromStep: from,
            lossSeries: evidence.valLoss!.name,
            lossLow: lo,
            lossHigh: hi,
            ...(known ? { evalSize: evidence.evalSize! } : {}),
          },
          marks: [{ series: name, step: from, label: 'predictions stop changing' }],
        },
      ];
    });
    return findings.length > 0 ? { status: 'problem', findings } : { status: 'clear' };
  },
});
