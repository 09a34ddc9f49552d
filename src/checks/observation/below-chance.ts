/**
 * observation.below-chance — an accuracy significantly BELOW chance (1/K). Guessing scores
 * 1/K on average, and a model that learned nothing scores about that; scoring far less means
 * the model's answers are systematically mapped to the wrong labels (a shifted or permuted
 * label map between training and evaluation, a wrong `id2label`, an argmax over the wrong
 * axis). The test is the exact one-sided binomial test of the final accuracy against 1/K with
 * n = the evaluation size, at level α Bonferroni-corrected over the accuracies tested, so the
 * chance of a false alarm on a run whose accuracies are all at chance is at most α.
 *
 * Without the evaluation size the test is approximate: the check asks how many items the
 * evaluation would need for the accuracy to be significant and fires (as a warning, not an
 * error) only when that number is small and the accuracy is far below chance.
 */
import type { FindingDraft } from '../../ladder/finding.js';
import { binomialCdf } from '../../stats/distributions.js';
import { defineCheck } from '../check.js';
import { isItemAccuracy } from '../metric-kinds.js';
import { finitePoints } from '../series-tools.js';

/** Smallest n at which an observed rate is significantly below `chance` at level `alpha` (exact binomial), or undefined beyond `limit`. */
export function smallestSignificantN(rate: number, chance: number, alpha: number, limit: number): number | undefined {
  for (let n = 1; n <= limit; n++) {
    if (binomialCdf(Math.round(rate * n), n, chance) <= alpha) return n;
  }
  return undefined;
}

export const belowChance = defineCheck({
  code: 'observation.below-chance',
  layer: 'observation',
  description: 'accuracy significantly below chance (1/K): labels mapped wrongly between model and evaluation',
  thresholds: {
    alpha: {
      value: 0.001,
      why: 'family-wise false-alarm rate of the exact binomial test (Bonferroni over the accuracies tested); an error-severity finding must almost never fire on a model at chance',
    },
    approximateMargin: {
      value: 0.5,
      why: 'without the eval size, only an accuracy below half of 1/K is called: no plausible imbalance or noise on a real eval set puts a model that learned nothing that far below chance',
    },
    assumedMinEvalSize: {
      value: 100,
      why: 'without the eval size, the accuracy must be significant for any eval set of at least 100 items; smaller eval sets are rare enough that the run would state them',
    },
  },
  evaluate(evidence, t) {
    const classes = evidence.classes;
    if (classes === undefined) return { status: 'unknown', missing: 'the number of classes (num_labels, num_classes or id2label)' };
    const chance = 1 / classes;
    const accuracies = evidence.valMetrics.flatMap(({ name, series }) => {
      if (!isItemAccuracy(name)) return [];
      const { steps, values } = finitePoints(series);
      if (values.length === 0 || values.some((v) => v < 0 || v > 1)) return [];
      return [{ name, step: steps.at(-1)!, accuracy: values.at(-1)!, evaluations: values.length, n: evidence.evalSizes?.[name] ?? evidence.evalSize }];
    });
    if (accuracies.length === 0) return { status: 'unknown', missing: 'a validation accuracy in [0, 1]' };
    const alpha = t.alpha / accuracies.length;
    const findings = accuracies.flatMap(({ name, step, accuracy, evaluations, n }): FindingDraft[] => {
      if (accuracy >= chance) return [];
      const common = { series: name, step, accuracy, chance, classes, evaluations, alpha: t.alpha, tested: accuracies.length };
      const marks = [{ series: name, step, label: 'below chance' }];
      if (n !== undefined) {
        const correct = Math.round(accuracy * n);
        const pValue = binomialCdf(correct, n, chance);
        if (pValue > alpha) return [];
        return [{ code: 'observation.below-chance', layer: 'observation', severity: 'error', runs: [evidence.run.id], evidence: { ...common, evalSize: n, correct, pValue, approximate: false }, marks }];
      }
      if (accuracy > chance * (1 - t.approximateMargin)) return [];
      const needed = smallestSignificantN(accuracy, chance, alpha, t.assumedMinEvalSize);
      if (needed === undefined) return [];
      return [{ code: 'observation.below-chance', layer: 'observation', severity: 'warning', runs: [evidence.run.id], evidence: { ...common, significantFromN: needed, approximate: true }, marks }];
    });
    return findings.length > 0 ? { status: 'problem', findings } : { status: 'clear' };
  },
});
