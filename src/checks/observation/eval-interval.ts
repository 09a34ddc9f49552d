/**
 * observation.eval-interval — the interval of the run's headline score computed from its
 * per-example results, and whether this measurement can tell the run from its baseline.
 *
 * Interval, by kind of per-item score (Miller 2024, "Adding Error Bars to Evals"):
 * - items sharing a cluster id (passages, prompts of one template): the cluster-robust
 *   interval, mean ± z·SE_clustered — independent-item formulas understate the error there;
 * - 0/1 outcomes: Wilson (1927), near-nominal coverage at every n and p (Newcombe 1998);
 * - any other per-item score: BCa bootstrap (Efron 1987).
 *
 * Against a baseline:
 * - a value b (a published score, a target): the run is told apart from b when b lies
 *   outside the interval — for Wilson this is exactly the score test at level 1 − confidence;
 * - another system's per-example results: the paired comparison of `ladder compare` on the
 *   shared items (exact McNemar for 0/1, paired bootstrap otherwise) — pairing removes the
 *   item difficulty both systems share, so it detects gaps an unpaired look cannot.
 *
 * Outcome: a measurement that cannot tell the run from its baseline is a warning (the number
 * cannot support the claimed gap), with the items that would resolve a gap of this size; one
 * that can is info. Without a baseline, an interval wider than ±maxHalfWidth is a warning
 * (as in observation.small-eval, which this check supersedes when per-example results exist).
 */
import type { FindingDraft } from '../../ladder/finding.js';
import { compareScores, CompareInputError, itemScores, pairScores } from '../../observation/compare.js';
import { bootstrapInterval, clusteredMean } from '../../stats/bootstrap.js';
import { normalQuantile } from '../../stats/distributions.js';
import { wilsonInterval } from '../../stats/intervals.js';
import { defineCheck } from '../check.js';
import { itemsForHalfWidth } from './small-eval.js';

/** Seed of every bootstrap in the check: diagnoses are reproducible; it is reported. */
const SEED = 0;

export interface ScoreInterval {
  value: number;
  low: number;
  high: number;
  method: 'wilson' | 'bca-bootstrap' | 'clustered';
  n: number;
  binary: boolean;
  /** Sample standard deviation of the per-item scores (for the items a gap would need). */
  sd: number;
  clusters?: number;
}

/** The interval of the mean of per-item scores (finite ones), by the rules above. */
export function scoreInterval(values: Float64Array, clusters: (string | null)[] | undefined, confidence: number, resamples: number): ScoreInterval {
  const keep: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) keep.push(i);
  const kept = Float64Array.from(keep, (i) => values[i]!);
  const n = kept.length;
  let sum = 0;
  let binary = true;
  for (const x of kept) {
    sum += x;
    if (x !== 0 && x !== 1) binary = false;
  }
  const mean = sum / n;
  let squares = 0;
  for (const x of kept) squares += (x - mean) ** 2;
  const sd = n > 1 ? Math.sqrt(squares / (n - 1)) : Number.NaN;
  if (clusters) {
    const ids = keep.map((i) => clusters[i] ?? null);
    const interval = clusteredMean(kept, ids, confidence);
    return { value: interval.estimate, low: interval.low, high: interval.high, method: 'clustered', n, binary, sd, clusters: interval.clusters };
  }
  if (binary) {
    const interval = wilsonInterval(sum, n, confidence);
    return { value: interval.estimate, low: interval.low, high: interval.high, method: 'wilson', n, binary, sd };
  }
  const interval = bootstrapInterval(kept, 'mean', { seed: SEED, resamples, confidence, method: 'bca' });
  return { value: interval.estimate, low: interval.low, high: interval.high, method: 'bca-bootstrap', n, binary, sd };
}

export const evalInterval = defineCheck({
  code: 'observation.eval-interval',
  layer: 'observation',
  description: 'interval of the headline score from per-example results, against the baseline when one is given',
  thresholds: {
    confidence: { value: 0.95, why: 'the conventional two-sided 95% interval (α = 0.05 for the comparison with a baseline), as in Miller 2024' },
    maxHalfWidth: {
      value: 0.05,
      why: 'with no baseline to compare with: improvements from a change of recipe are often a few points, and a 95% half-width above 5 points cannot resolve them (same rule as observation.small-eval)',
    },
    resamples: {
      value: 2000,
      why: 'bootstrap resamples for non-0/1 scores; Efron & Tibshirani (1993) advise at least 1,000 for interval endpoints, 2,000 keeps BCa endpoints stable to about 0.1 SE while a diagnosis of 100,000 items stays under a second',
    },
  },
  evaluate(evidence, t) {
    if (!evidence.items) return { status: 'unknown', missing: evidence.itemsMissing ?? 'per-example eval results (JSONL, .npy or lm-eval samples)' };
    const { metric, scores, clusters } = evidence.items;
    const run = scoreInterval(scores.values, clusters, t.confidence, t.resamples);
    if (run.n < 2) return { status: 'unknown', missing: `at least 2 items with a ${metric} score (found ${run.n})` };
    const z = normalQuantile(1 - (1 - t.confidence) / 2);
    const common = {
      metric,
      n: run.n,
      value: run.value,
      low: run.low,
      high: run.high,
      halfWidth: (run.high - run.low) / 2,
      method: run.method,
      confidence: t.confidence,
      excluded: scores.values.length - run.n,
      ...(run.clusters !== undefined ? { clusters: run.clusters } : {}),
    };
    const baseline = evidence.baseline;
    let finding: FindingDraft;
    if (!baseline) {
      const wide = common.halfWidth > t.maxHalfWidth;
      finding = {
        code: 'observation.eval-interval',
        layer: 'observation',
        severity: wide ? 'warning' : 'info',
        runs: [evidence.run.id],
        evidence: { ...common, maxHalfWidth: t.maxHalfWidth, baseline: 'none' },
      };
    } else if (baseline.kind === 'value') {
      if (run.binary && (baseline.value < 0 || baseline.value > 1)) {
        return { status: 'unknown', missing: `a baseline on the scale of ${metric} (a proportion in [0, 1]; got ${baseline.value}, write ${baseline.value / 100} for ${baseline.value}%)` };
      }
      const gap = run.value - baseline.value;
      const distinguishable = baseline.value < run.low || baseline.value > run.high;
      // Items at which a gap of this size would clear the interval: the normal approximation
      // for a mean, at least what Wilson needs near 0 or 1 for 0/1 scores.
      const needed =
        gap === 0 ? undefined : run.binary ? itemsForHalfWidth(run.value, Math.abs(gap), t.confidence) : Math.ceil((z * run.sd) ** 2 / gap ** 2);
      finding = {
        code: 'observation.eval-interval',
        layer: 'observation',
        severity: distinguishable ? 'info' : 'warning',
        runs: [evidence.run.id],
        evidence: {
          ...common,
          baseline: 'value',
          baselineSource: baseline.source,
          baselineValue: baseline.value,
          difference: gap,
          distinguishable,
          ...(needed !== undefined && Number.isFinite(needed) ? { itemsNeeded: needed } : {}),
        },
      };
    } else {
      let comparison;
      let excluded;
      try {
        const paired = pairScores(scores, itemScores(baseline.sets, metric, baseline.source));
        excluded = paired.excluded;
        comparison = compareScores(paired.a, paired.b, { seed: SEED, resamples: t.resamples, alpha: 1 - t.confidence });
      } catch (error) {
        if (!(error instanceof CompareInputError)) throw error;
        return { status: 'unknown', missing: `a baseline on the same items (${error.message})` };
      }
      finding = {
        code: 'observation.eval-interval',
        layer: 'observation',
        severity: comparison.significant ? 'info' : 'warning',
        runs: [evidence.run.id],
        evidence: {
          ...common,
          baseline: 'items',
          baselineSource: baseline.source,
          baselineValue: comparison.b.value,
          paired: comparison.n,
          pairedExcluded: excluded,
          difference: comparison.difference.value,
          differenceLow: comparison.difference.ci[0],
          differenceHigh: comparison.difference.ci[1],
          pValue: comparison.difference.pValue,
          test: comparison.difference.test,
          mde: comparison.mde,
          distinguishable: comparison.significant,
          ...(comparison.itemsNeeded !== undefined ? { itemsNeeded: comparison.itemsNeeded } : {}),
          ...(comparison.onlyA !== undefined ? { onlyRun: comparison.onlyA, onlyBaseline: comparison.onlyB! } : {}),
        },
      };
    }
    return finding.severity === 'warning' ? { status: 'problem', findings: [finding] } : { status: 'clear', findings: [finding] };
  },
});
