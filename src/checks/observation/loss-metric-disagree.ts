/**
 * observation.loss-metric-disagree — across checkpoints the evaluation loss and the evaluation
 * metric should improve together: a lower loss with a better accuracy (or a lower WER). When
 * their rank correlation has the wrong sign, significantly, either the two are not computed
 * on the same thing (the loss against other labels than the metric, a metric computed on a
 * stale prediction file), or the model grows overconfident (its wrong answers get ever more
 * confident, so the mean loss rises while the share of right answers still rises). Both mean
 * the logged loss is not a faithful readout of what the metric measures.
 *
 * Statistic: Kendall's τ-b between the loss and the metric over the evaluations at which both
 * were logged, with a one-sided p-value for the wrong sign (exact permutation distribution
 * for untied data up to 60 evaluations, the tie-corrected normal approximation otherwise).
 */
import { normalSurvival } from '../../stats/distributions.js';
import { defineCheck } from '../check.js';
import { improvementDirection } from '../metric-kinds.js';

export interface KendallResult {
  n: number;
  /** Kendall's S: concordant minus discordant pairs. */
  s: number;
  tau: number;
  /** One-sided p-values: P(S ≥ s) and P(S ≤ s) under independence. */
  pGreater: number;
  pLess: number;
  exact: boolean;
}

function tieGroups(values: readonly number[]): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  const groups: number[] = [];
  let run = 1;
  for (let i = 1; i <= sorted.length; i++) {
    if (i < sorted.length && sorted[i] === sorted[i - 1]) run++;
    else {
      if (run > 1) groups.push(run);
      run = 1;
    }
  }
  return groups;
}

/**
 * P(S = s) for n untied pairs: the distribution of the number of inversions of a random
 * permutation, built by the recurrence P_n(k) = (1/n)·Σ_{j<n} P_{n−1}(k − j) (Kendall 1938).
 * Index k = inversions = (pairs − S)/2.
 */
function inversionDistribution(n: number): Float64Array {
  const maxInversions = (n * (n - 1)) / 2;
  let dist = new Float64Array(maxInversions + 1);
  dist[0] = 1;
  for (let m = 2; m <= n; m++) {
    const next = new Float64Array(maxInversions + 1);
    const top = (m * (m - 1)) / 2;
    let window = 0;
    for (let k = 0; k <= top; k++) {
      window += dist[k] ?? 0;
      if (k - m >= 0) window -= dist[k - m]!;
      next[k] = window / m;
    }
    dist = next;
  }
  return dist;
}

/** Kendall's τ-b between x and y (paired, finite) with one-sided p-values. */
export function kendallTau(x: readonly number[], y: readonly number[]): KendallResult {
  const n = x.length;
  let s = 0;
  for (let i = 0; i < n - 1; i++) {
    for (let j = i + 1; j < n; j++) s += Math.sign(x[j]! - x[i]!) * Math.sign(y[j]! - y[i]!);
  }
  const pairs = (n * (n - 1)) / 2;
  const tx = tieGroups(x);
  const ty = tieGroups(y);
  const tiedX = tx.reduce((sum, t) => sum + (t * (t - 1)) / 2, 0);
  const tiedY = ty.reduce((sum, t) => sum + (t * (t - 1)) / 2, 0);
  const tau = pairs > tiedX && pairs > tiedY ? s / Math.sqrt((pairs - tiedX) * (pairs - tiedY)) : Number.NaN;
  if (n < 2) return { n, s, tau, pGreater: 1, pLess: 1, exact: true };
  if (tx.length === 0 && ty.length === 0 && n <= 60) {
    const dist = inversionDistribution(n);
    const inversions = (pairs - s) / 2;
    let pGreater = 0;
    let pLess = 0;
    for (let k = 0; k < dist.length; k++) {
      if (k <= inversions) pGreater += dist[k]!;
      if (k >= inversions) pLess += dist[k]!;
    }
    return { n, s, tau, pGreater: Math.min(1, pGreater), pLess: Math.min(1, pLess), exact: true };
  }
  // Tie-corrected variance of S (Kendall 1970, eq. 4.4), as scipy.stats.kendalltau(method='asymptotic').
  const v0 = n * (n - 1) * (2 * n + 5);
  const vt = [...tx].reduce((sum, t) => sum + t * (t - 1) * (2 * t + 5), 0);
  const vu = [...ty].reduce((sum, t) => sum + t * (t - 1) * (2 * t + 5), 0);
  const t1 = tx.reduce((sum, t) => sum + t * (t - 1), 0) * ty.reduce((sum, t) => sum + t * (t - 1), 0);
  const t2 = tx.reduce((sum, t) => sum + t * (t - 1) * (t - 2), 0) * ty.reduce((sum, t) => sum + t * (t - 1) * (t - 2), 0);
  const variance = (v0 - vt - vu) / 18 + t1 / (2 * n * (n - 1)) + (n > 2 ? t2 / (9 * n * (n - 1) * (n - 2)) : 0);
  if (!(variance > 0)) return { n, s, tau, pGreater: 1, pLess: 1, exact: false };
  const z = s / Math.sqrt(variance);
  return { n, s, tau, pGreater: normalSurvival(z), pLess: normalSurvival(-z), exact: false };
}

/** Values of two series at the steps where both have a finite value. */
function matched(a: { steps: Float64Array; values: Float64Array }, b: { steps: Float64Array; values: Float64Array }) {
  const byStep = new Map<number, number>();
  for (let i = 0; i < b.steps.length; i++) if (Number.isFinite(b.values[i]!)) byStep.set(b.steps[i]!, b.values[i]!);
  const steps: number[] = [];
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < a.steps.length; i++) {
    const other = byStep.get(a.steps[i]!);
    if (other !== undefined && Number.isFinite(a.values[i]!)) {
      steps.push(a.steps[i]!);
      x.push(a.values[i]!);
      y.push(other);
      byStep.delete(a.steps[i]!);
    }
  }
  return { steps, x, y };
}

export const lossMetricDisagree = defineCheck({
  code: 'observation.loss-metric-disagree',
  layer: 'observation',
  description: 'evaluation loss and evaluation metric moving in contradicting directions across checkpoints',
  thresholds: {
    minEvaluations: { value: 5, why: 'with fewer than 5 paired evaluations even a perfectly reversed order has an exact one-sided p above 0.01 (1/24 at n = 4)' },
    alpha: { value: 0.01, why: 'one-sided level of the Kendall test, Bonferroni-corrected over the metrics tested: a warning should rarely fire on a loss and metric that merely fluctuate' },
  },
  evaluate(evidence, t) {
    if (!evidence.valLoss) return { status: 'unknown', missing: 'a validation loss series' };
    const loss = evidence.valLoss;
    const candidates = evidence.valMetrics.flatMap(({ name, series }) => {
      const direction = improvementDirection(name);
      if (direction === 0) return [];
      const pairs = matched(loss.series, series);
      return pairs.x.length >= t.minEvaluations ? [{ name, direction, ...pairs }] : [];
    });
    if (candidates.length === 0) {
      return { status: 'unknown', missing: `a validation metric of known direction logged with the validation loss at ≥ ${t.minEvaluations} evaluations` };
    }
    const alpha = t.alpha / candidates.length;
    const findings = candidates.flatMap(({ name, direction, steps, x, y }) => {
      const result = kendallTau(x, y);
      // A better metric should come with a lower loss: τ(loss, metric) < 0 for higher-is-better metrics.
      const pWrongSign = direction === 1 ? result.pGreater : result.pLess;
      if (!(pWrongSign < alpha)) return [];
      const lossMin = x.indexOf(Math.min(...x));
      const metricBest = direction === 1 ? y.indexOf(Math.max(...y)) : y.indexOf(Math.min(...y));
      return [
        {
          code: 'observation.loss-metric-disagree',
          layer: 'observation' as const,
          severity: 'warning' as const,
          runs: [evidence.run.id],
          evidence: {
            lossSeries: loss.name,
            metricSeries: name,
            metricDirection: direction === 1 ? 'higher is better' : 'lower is better',
            evaluations: x.length,
            tau: result.tau,
            pValue: pWrongSign,
            exact: result.exact,
            alpha: t.alpha,
            tested: candidates.length,
            bestLossStep: steps[lossMin]!,
            bestMetricStep: steps[metricBest]!,
            firstLoss: x[0]!,
            lastLoss: x.at(-1)!,
            firstMetric: y[0]!,
            lastMetric: y.at(-1)!,
          },
          marks: [
            { series: loss.name, step: steps[lossMin]!, label: 'best loss' },
            { series: name, step: steps[metricBest]!, label: 'best metric' },
          ],
        },
      ];
    });
    return findings.length > 0 ? { status: 'problem', findings } : { status: 'clear' };
  },
});
