/**
 * reachability.train-data-noise — the final model scored, in evaluation mode, on a sample of
 * the data it was trained on and on held-out data from the evaluation distribution (the
 * experiment the val-better-than-train finding asks for: "evaluate the model in eval mode on
 * a subset of the training set"). Both numbers come from the same weights with no dropout or
 * augmentation, so on two samples of one distribution the training sample can only score
 * better (memorization) or the same within noise. A training sample that scores clearly
 * worse says the training data is harder than the data the model is judged on: corrupted or
 * mislabelled examples, a preprocessing difference between the pipelines, or a shift between
 * the splits. Training then cannot reach what the architecture can on the evaluation
 * distribution — a reachability (data) problem, which no learning-rate sweep or longer run
 * fixes.
 *
 * gap = training sample − held-out, lower is better for both (a loss), with a normal interval
 * from the two standard errors.
 */
import type { JudgedOutcome } from './diagnose.js';
import { excessGap } from './tuned-gap.js';

export interface SampleLoss {
  /** Mean loss per token (or per item). */
  value: number;
  /** Its standard error. */
  error: number;
}

export const TRAIN_DATA_THRESHOLDS = {
  /** Two-sided confidence of the gap's interval: the gap counts when its lower end is above 0. */
  confidence: 0.95,
  /**
   * The smallest excess of the training sample's loss over the held-out loss worth a verdict,
   * relative to the held-out loss: 2 %. On the lab's healthy runs the training sample scores
   * 0–1 % below or within noise of the held-out one; 30 % of the training tokens replaced by
   * uniform draws put it 4–17 % above (measured on the Markov and Dyck worlds).
   */
  minRelativeGap: 0.02,
} as const;

export function trainDataOutcome(
  runId: string,
  training: SampleLoss,
  heldout: SampleLoss,
  thresholds: { confidence: number; minRelativeGap: number } = TRAIN_DATA_THRESHOLDS,
  /** Which model was scored, when not the run's own (`the sweep's best, learning_rate=0.01`). */
  model?: string,
): JudgedOutcome {
  const base = { code: 'reachability.train-data-noise', layer: 'reachability' as const };
  if (![training.value, training.error, heldout.value, heldout.error].every(Number.isFinite)) {
    return { ...base, outcome: { status: 'unknown', missing: 'the final model scored on a sample of its training data and on held-out data' } };
  }
  const { gap, low, high, relativeGap, problem } = excessGap(training, heldout, heldout.value, thresholds);
  const finding = {
    code: 'reachability.train-data-noise',
    layer: 'reachability' as const,
    severity: problem ? ('error' as const) : ('info' as const),
    runs: [runId],
    evidence: {
      ...(model !== undefined ? { model } : {}),
      trainingLoss: training.value,
      heldoutLoss: heldout.value,
      gap,
      low,
      high,
      relativeGap,
      minRelativeGap: thresholds.minRelativeGap,
      confidence: thresholds.confidence,
    },
  };
  return { ...base, outcome: problem ? { status: 'problem', findings: [finding] } : { status: 'clear', findings: [finding] } };
}
