/**
 * The wording of every finding, in one place (as src/ingest/issues.ts is for ingest issues):
 * checks emit codes and evidence; the engine turns them into a summary and a next action
 * here. Tests assert codes and evidence numbers, never these sentences.
 */
import type { EvidenceValue } from './finding.js';

type Evidence = Record<string, EvidenceValue>;

interface FindingText {
  summary: (e: Evidence) => string;
  next: (e: Evidence) => string;
}

/** Numbers for prose: 4 significant digits, steps as integers with separators. */
export function num(value: EvidenceValue | undefined): string {
  if (typeof value !== 'number') return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return Number(value.toPrecision(4)).toString();
}
const pct = (value: EvidenceValue | undefined) => (typeof value === 'number' ? `${(100 * value).toFixed(1)}%` : String(value));

export const FINDINGS: Record<string, FindingText> = {
  'observation.eval-frozen': {
    summary: (e) => `"${e.series}" is ${num(e.value)} at all ${num(e.evaluations)} evaluations while the training loss moved`,
    next: () => 'check that evaluation runs on the current weights (not a stale copy or cached predictions) before trusting any score',
  },
  'observation.below-chance': {
    summary: (e) =>
      e.approximate
        ? `"${e.series}" ends at ${num(e.accuracy)}, below half of chance (1/${num(e.classes)} = ${num(e.chance)}); the eval size is not logged, but on any eval set of ${num(e.significantFromN)} items or more this is significantly below chance (approximate test)`
        : `"${e.series}" ends at ${num(e.accuracy)} (${num(e.correct)} of ${num(e.evalSize)}), significantly below chance 1/${num(e.classes)} = ${num(e.chance)} (exact binomial p = ${num(e.pValue)}, α = ${num(e.alpha)} over ${num(e.tested)} accuracies)`,
    next: () =>
      'check the label mapping between training and evaluation (id2label/label2id, class order of the eval set, argmax axis); a constant prediction of a rare class also scores below 1/K, so look at the confusion matrix',
  },
  'observation.loss-metric-disagree': {
    summary: (e) =>
      `across ${num(e.evaluations)} evaluations "${e.lossSeries}" and "${e.metricSeries}" (${e.metricDirection}) move in contradicting directions: Kendall τ = ${num(e.tau)}, one-sided p = ${num(e.pValue)}` +
      `; loss ${num(e.firstLoss)} → ${num(e.lastLoss)}, metric ${num(e.firstMetric)} → ${num(e.lastMetric)}` +
      (e.bestLossStep !== e.bestMetricStep ? ` (best loss at step ${num(e.bestLossStep)}, best metric at step ${num(e.bestMetricStep)})` : ''),
    next: () =>
      'check that the loss and the metric are computed on the same labels and predictions; if they are, the model is growing overconfident (loss up while the metric improves): recalibrate (temperature scaling, label smoothing) or select checkpoints on the metric, not the loss',
  },
  'observation.val-better-than-train': {
    summary: (e) =>
      `"${e.valSeries}" is below "${e.trainSeries}" × ${num(1 - Number(e.margin))} at ${num(e.below)} of ${num(e.evaluations)} evaluations from step ${num(e.fromStep)} on (median ratio val/train ${num(e.medianRatio)}; at step ${num(e.lastStep)}: ${num(e.lastValLoss)} vs ${num(e.lastTrainLoss)})`,
    next: () =>
      'check for overlap or duplicates between the training and validation splits; evaluate the model in eval mode on a subset of the training set to separate dropout and augmentation from leakage; very heavy train-time augmentation or noise also explains it',
  },
  'observation.small-eval': {
    summary: (e) =>
      `"${e.series}" = ${num(e.accuracy)} on ${num(e.evalSize)} items` +
      (e.available !== undefined ? ` (of ${num(e.available)} available)` : '') +
      `: ${Math.round(100 * Number(e.confidence))}% interval [${num(e.low)}, ${num(e.high)}] (±${num(100 * Number(e.halfWidth))} points)` +
      (Number(e.accuracies) > 1 ? `; ${num(e.wide)} of ${num(e.accuracies)} accuracies are wider than ±${num(100 * Number(e.maxHalfWidth))} points` : ''),
    next: (e) =>
      Number(e.wideEnlargeable) > 0
        ? `do not compare runs on this number at a finer scale than ±${num(100 * Number(e.halfWidth))} points; evaluate on more items (about ${num(e.itemsForTarget)} give ±${num(100 * Number(e.targetHalfWidth))} point)`
        : `differences smaller than about ${num(100 * Number(e.halfWidth))} points are within eval sampling noise (seed noise comes on top); ${num(e.itemsForTarget)} items would give ±${num(100 * Number(e.targetHalfWidth))} point`,
  },
  'reachability.divergence': {
    summary: (e) =>
      Number(e.nonFiniteCount) > 0
        ? `training loss became non-finite at step ${num(e.step)} (${num(e.nonFiniteCount)} of ${num(e.points)} points)`
        : `training loss exploded to ${num(e.peakLoss)} at step ${num(e.step)}, ${num(Number(e.peakLoss) / Number(e.initialLoss))}× its initial ${num(e.initialLoss)}`,
    next: () => 'lower the learning rate (try ÷3 and ÷10), add warmup and gradient clipping; check for bad batches near that step',
  },
  'reachability.stall': {
    summary: (e) =>
      `training loss went from ${num(e.initialLoss)} to ${num(e.finalLoss)} (${pct(e.relativeDrop)} lower)` +
      (e.chanceLoss !== undefined ? `; chance loss is ${num(e.chanceLoss)}` : ''),
    next: () => 'raise the learning rate (sweep it over 2–3 orders of magnitude upward) and check that gradients reach every layer',
  },
};

export function wordingOf(code: string): FindingText {
  const text = FINDINGS[code];
  if (!text) throw new Error(`no wording for finding ${code} (add it to src/ladder/findings-text.ts)`);
  return text;
}
