/**
 * observation.label-errors — eval items whose given label is probably wrong, found by
 * confident learning (Northcutt et al. 2021, cleanlab's defaults: `prune_by_noise_rate`,
 * ranked by self-confidence) on the run's predicted probabilities. A model's probabilities on
 * its eval set are out-of-sample by construction, which is what the method needs.
 *
 * Why it is an observation question: a mislabelled item scores a correct prediction as an
 * error, so a claimed gap no larger than the number of mislabelled items may be the labels'
 * doing, not the models' (Northcutt, Athalye & Mueller 2021 found rankings of ImageNet and
 * CIFAR-10 models change on the corrected test sets).
 * The gap is questioned (warning) when it is no larger, in items, than the flagged count —
 * each mislabelled item can move a score by one item; otherwise the count is context (info).
 * With a per-example baseline, both systems are also re-scored on the unflagged items, as a
 * sensitivity figure in the evidence. Without a baseline, an estimated
 * error rate above maxErrorRate is a warning: the measured score is capped well below 1 and
 * differences of a few points are within the label noise.
 */
import type { ExampleSet } from '../../model/run.js';
import type { ItemScores } from '../../observation/compare.js';
import { compareScores, CompareInputError, itemScores, pairScores } from '../../observation/compare.js';
import { findLabelIssues, paperLabelIssues, type LabelProblem } from '../../stats/confident-learning.js';
import type { FindingDraft } from '../../ladder/finding.js';
import { defineCheck } from '../check.js';
import { scoreInterval } from './eval-interval.js';

/** Most flagged items listed in the evidence (the full ranked list comes from `ladder label-issues`). */
const LISTED = 20;
const SEED = 0;

/** A set's labels as class indices when every label is an integer in [0, classes). */
function labelProblem(set: ExampleSet): LabelProblem | undefined {
  if (!set.probs || !set.labels || set.labels.length !== set.count) return undefined;
  const classes = set.probs.classes;
  const labels = new Int32Array(set.count);
  for (let i = 0; i < set.count; i++) {
    const label = set.labels[i];
    if (typeof label !== 'number' || !Number.isInteger(label) || label < 0 || label >= classes) return undefined;
    labels[i] = label;
  }
  for (const p of set.probs.data) if (!Number.isFinite(p)) return undefined;
  return { probs: set.probs.data, labels, classes };
}

/** `scores` without the items whose index (in pooled order) is flagged. */
function without(scores: ItemScores, flagged: Uint8Array): ItemScores {
  const keep: number[] = [];
  for (let i = 0; i < scores.values.length; i++) if (!flagged[i]) keep.push(i);
  const result: ItemScores = {
    source: scores.source,
    setNames: keep.map((i) => scores.setNames[i]!),
    values: Float64Array.from(keep, (i) => scores.values[i]!),
  };
  if (scores.ids) result.ids = keep.map((i) => scores.ids![i]!);
  return result;
}

/** Ids of the flagged items; qualified by set name when the run has several sets. */
function flaggedIds(scores: ItemScores, flagged: Uint8Array): { ids: Set<string>; qualified: boolean } {
  const qualified = new Set(scores.setNames).size > 1;
  const ids = new Set<string>();
  for (let i = 0; i < scores.values.length; i++) {
    if (flagged[i]) ids.add(qualified ? `${scores.setNames[i]}\u0000${String(scores.ids![i])}` : String(scores.ids![i]));
  }
  return { ids, qualified };
}

/** The baseline's scores without the items whose ids were flagged in the run. */
function withoutIds(scores: ItemScores, flagged: { ids: Set<string>; qualified: boolean }): ItemScores {
  const mask = Uint8Array.from(scores.values, (_, i) =>
    flagged.ids.has(flagged.qualified ? `${scores.setNames[i]}\u0000${String(scores.ids![i])}` : String(scores.ids![i])) ? 1 : 0,
  );
  return without(scores, mask);
}

export const labelErrors = defineCheck({
  code: 'observation.label-errors',
  layer: 'observation',
  description: 'eval items whose label is probably wrong (confident learning), against the claimed gap',
  thresholds: {
    maxErrorRate: {
      value: 0.1,
      why: 'Northcutt et al. 2021 estimate 0.15% (MNIST) to 10.1% (QuickDraw) label errors across 10 common test sets, 3.3% on average; above the worst of those, the measured score is capped near 1 − rate and few-point differences are within label noise',
    },
    confidence: { value: 0.95, why: 'the comparison without the flagged items uses the same 95% level as observation.eval-interval' },
    resamples: { value: 2000, why: 'bootstrap resamples for the re-scored comparison of non-0/1 scores (as observation.eval-interval)' },
  },
  evaluate(evidence, t) {
    const run = evidence.run;
    const pooled = new Uint8Array(run.examples.reduce((sum, set) => sum + set.count, 0));
    let offset = 0;
    let checked = 0;
    let flaggedCount = 0;
    let paperEstimate = 0;
    const sets: string[] = [];
    const listed: { set: string; item: string | number; label: number; suggested: number; selfConfidence: number }[] = [];
    for (const set of run.examples) {
      const problem = labelProblem(set);
      if (problem) {
        const issues = findLabelIssues(problem);
        checked += set.count;
        flaggedCount += issues.indices.length;
        paperEstimate += paperLabelIssues(problem, 0).estimated;
        sets.push(set.name);
        for (const i of issues.indices) pooled[offset + i] = 1;
        for (const i of issues.indices.slice(0, Math.max(0, LISTED - listed.length))) {
          let suggested = 0;
          for (let k = 1; k < problem.classes; k++) if (problem.probs[i * problem.classes + k]! > problem.probs[i * problem.classes + suggested]!) suggested = k;
          listed.push({ set: set.name, item: set.ids ? set.ids[i]! : i, label: problem.labels[i]!, suggested, selfConfidence: problem.probs[i * problem.classes + problem.labels[i]!]! });
        }
      }
      offset += set.count;
    }
    if (checked === 0) return { status: 'unknown', missing: 'per-example predicted probabilities with integer class labels' };
    const rate = flaggedCount / checked;
    const common = {
      checked,
      flagged: flaggedCount,
      rate,
      paperEstimate,
      method: 'cleanlab prune_by_noise_rate',
      sets: sets.join(', '),
      listed: listed.map((l) => ({ ...l, selfConfidence: Number(l.selfConfidence.toPrecision(4)) })),
      maxErrorRate: t.maxErrorRate,
    };
    let finding: FindingDraft;
    const baseline = evidence.baseline;
    const items = evidence.items;
    if (!baseline || !items || flaggedCount === 0) {
      finding = {
        code: 'observation.label-errors',
        layer: 'observation',
        severity: rate > t.maxErrorRate ? 'warning' : 'info',
        runs: [run.id],
        evidence: { ...common, baseline: 'none' },
      };
    } else {
      let gap: number;
      let gapItems: number;
      const sensitivity: Record<string, number | boolean> = {};
      try {
        if (baseline.kind === 'value') {
          const all = scoreInterval(items.scores.values, items.clusters, t.confidence, t.resamples);
          if (all.binary && (baseline.value < 0 || baseline.value > 1)) {
            return { status: 'unknown', missing: `a baseline on the scale of ${items.metric} (a proportion in [0, 1]; got ${baseline.value})` };
          }
          gap = all.value - baseline.value;
          gapItems = Math.abs(gap) * all.n;
        } else {
          const other = itemScores(baseline.sets, items.metric, baseline.source);
          const all = pairScores(items.scores, other);
          gap = all.a.reduce((s, x) => s + x, 0) / all.a.length - all.b.reduce((s, x) => s + x, 0) / all.b.length;
          gapItems = Math.abs(gap) * all.a.length;
          // Both systems re-scored on the items nobody flagged (pairing by position needs the
          // same items removed on both sides). A sensitivity figure, not a verdict: the items
          // were flagged from this run's probabilities, where it disagrees with the label, so
          // leaving them out favours this run.
          const cleanedPair = pairScores(without(items.scores, pooled), items.scores.ids && other.ids ? withoutIds(other, flaggedIds(items.scores, pooled)) : without(other, pooled));
          const cleaned = compareScores(cleanedPair.a, cleanedPair.b, { seed: SEED, resamples: t.resamples, alpha: 1 - t.confidence });
          sensitivity.cleanedGap = cleaned.difference.value;
          sensitivity.cleanedItems = cleaned.n;
          sensitivity.cleanedPValue = cleaned.difference.pValue;
        }
      } catch (error) {
        if (!(error instanceof CompareInputError)) throw error;
        return { status: 'unknown', missing: `a baseline on the same items (${error.message})` };
      }
      // Each mislabelled item can move a score by one item: a gap no larger than the flagged
      // count can be the labels' doing.
      const questioned = flaggedCount >= gapItems;
      finding = {
        code: 'observation.label-errors',
        layer: 'observation',
        severity: questioned ? 'warning' : 'info',
        runs: [run.id],
        evidence: {
          ...common,
          baseline: baseline.kind,
          baselineSource: baseline.source,
          gap,
          gapItems: Math.round(gapItems),
          withinLabelErrors: questioned,
          ...sensitivity,
        },
      };
    }
    return finding.severity === 'warning' ? { status: 'problem', findings: [finding] } : { status: 'clear', findings: [finding] };
  },
});
