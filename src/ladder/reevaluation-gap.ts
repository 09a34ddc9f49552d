/**
 * observation.reevaluation-gap — the final model re-evaluated by an independent scoring of a
 * larger held-out sample (the experiment ladder names first when it doubts an observation:
 * "re-evaluate the final checkpoint on more items, with a scoring written apart from the
 * training pipeline"), against the score the run's own evaluation reported for the same
 * weights. Both measure one model on two samples of one distribution, so they agree within
 * their sampling noise. A reported score clearly worse says the evaluation mis-scores the
 * model (targets shifted or permuted against the predictions, a wrong label map, a wrong
 * reduction); clearly better says it flatters the model (evaluation items seen in training,
 * a filtered or easier evaluation set). Either way the number is wrong before the model is:
 * an observation problem.
 *
 * gap = reported − re-evaluated, lower is better for both (a loss), with a normal interval
 * from the two standard errors; two-sided.
 */
import type { JudgedOutcome } from './diagnose.js';
import { excessGap } from './tuned-gap.js';
import type { SampleLoss } from './train-data-gap.js';

export const REEVALUATION_THRESHOLDS = {
  /** Two-sided confidence of the gap's interval: the gap counts when the interval excludes 0. */
  confidence: 0.95,
  /**
   * The smallest disagreement worth a verdict, relative to the re-evaluated loss: 3 %. On the
   * lab's healthy and reachability-fault runs the reported eval loss (512 sequences) and the
   * re-evaluation (1,024 others) agree within 1.5 %; a target shift by one puts the reported
   * loss 50–300 % above, and evaluation items leaked into training 10 % and more below.
   */
  minRelativeGap: 0.03,
} as const;

export function reevaluationOutcome(
  runId: string,
  reported: SampleLoss,
  reevaluated: SampleLoss,
  thresholds: { confidence: number; minRelativeGap: number } = REEVALUATION_THRESHOLDS,
): JudgedOutcome {
  const base = { code: 'observation.reevaluation-gap', layer: 'observation' as const };
  if (![reported.value, reported.error, reevaluated.value, reevaluated.error].every(Number.isFinite)) {
    return { ...base, outcome: { status: 'unknown', missing: "the final model re-evaluated on a larger held-out sample, and the standard error of the run's reported evaluation" } };
  }
  // Two-sided: the worse of the two directions is tested (each at the two-sided level).
  const worse = excessGap(reported, reevaluated, reevaluated.value, thresholds);
  const better = excessGap(reevaluated, reported, reevaluated.value, thresholds);
  const problem = worse.problem || better.problem;
  const finding = {
    code: 'observation.reevaluation-gap',
    layer: 'observation' as const,
    severity: problem ? ('error' as const) : ('info' as const),
    runs: [runId],
    evidence: {
      reportedLoss: reported.value,
      reevaluatedLoss: reevaluated.value,
      gap: worse.gap,
      low: worse.low,
      high: worse.high,
      relativeGap: worse.relativeGap,
      direction: worse.gap >= 0 ? 'worse' : 'better',
      minRelativeGap: thresholds.minRelativeGap,
      confidence: thresholds.confidence,
    },
  };
  return { ...base, outcome: problem ? { status: 'problem', findings: [finding] } : { status: 'clear', findings: [finding] } };
}
