/**
 * reachability.sweep-importance — what a sweep says about its own settings (DESIGN 3.2
 * "Sweeps": hyperparameter importance; variance across seeds vs across settings). Per arm,
 * a one-way ANOVA of the objective over the arm's settings: the F test of the spread across
 * settings against the spread across seeds (Fisher 1925; p from the F distribution through
 * the regularized incomplete beta), and for each swept nuisance key its share of the
 * objective's variance, η² = SS_between(key) / SS_total (Cohen 1973), as its importance.
 * Context for the comparison (info): when the settings of an arm do not differ beyond its
 * seeds, its "best setting" is a draw of the noise, which the arm comparisons already carry
 * through the pooled seed SD.
 */
import { regularizedBeta } from '../../stats/distributions.js';
import { defineStudyCheck } from '../check.js';
import { valueKey } from '../study.js';

function fSurvival(f: number, d1: number, d2: number): number {
  if (!(f > 0)) return 1;
  return regularizedBeta(d2 / (d2 + d1 * f), d2 / 2, d1 / 2);
}

export const sweepImportance = defineStudyCheck({
  code: 'reachability.sweep-importance',
  layer: 'reachability',
  description: 'per arm: spread across settings against spread across seeds, and each nuisance key’s share of the variance',
  thresholds: {
    alpha: { value: 0.05, why: 'the conventional level of the F test: below it the settings of an arm differ beyond seed noise' },
  },
  evaluate(study, t) {
    const arms: Record<string, unknown>[] = [];
    for (const arm of study.arms) {
      const groups = arm.settings.map((s) => s.runs.map((r) => r.objective).filter(Number.isFinite)).filter((g) => g.length > 0);
      const all = groups.flat();
      const k = groups.length;
      const n = all.length;
      if (k < 2 || n - k < 1) continue;
      const grand = all.reduce((a, b) => a + b, 0) / n;
      let between = 0;
      let within = 0;
      for (const g of groups) {
        const mean = g.reduce((a, b) => a + b, 0) / g.length;
        between += g.length * (mean - grand) ** 2;
        for (const v of g) within += (v - mean) ** 2;
      }
      const total = between + within;
      const f = within > 0 ? between / (k - 1) / (within / (n - k)) : Number.POSITIVE_INFINITY;
      const pValue = within > 0 ? fSurvival(f, k - 1, n - k) : between > 0 ? 0 : 1;
      const importance: Record<string, number> = {};
      for (const key of study.nuisance) {
        const byValue = new Map<string, number[]>();
        for (const setting of arm.settings) {
          const values = setting.runs.map((r) => r.objective).filter(Number.isFinite);
          const label = valueKey(setting.nuisance[key]);
          byValue.set(label, [...(byValue.get(label) ?? []), ...values]);
        }
        if (byValue.size < 2) continue;
        let ss = 0;
        for (const values of byValue.values()) {
          const mean = values.reduce((a, b) => a + b, 0) / values.length;
          ss += values.length * (mean - grand) ** 2;
        }
        importance[key] = total > 0 ? ss / total : 0;
      }
      arms.push({
        arm: arm.label,
        settings: k,
        runs: n,
        settingSd: Math.sqrt(between / Math.max(k - 1, 1) / (n / k)),
        seedSd: Math.sqrt(within / (n - k)),
        f,
        pValue,
        settingsDistinguishable: pValue < t.alpha,
        importance,
      });
    }
    if (arms.length === 0) return { status: 'unknown', missing: 'an arm with two settings or more and a repeated seed' };
    return {
      status: 'clear',
      findings: [
        {
          code: 'reachability.sweep-importance',
          layer: 'reachability',
          severity: 'info',
          runs: study.runs.map((r) => r.run.id),
          evidence: { objective: study.objective.metric, alpha: t.alpha, arms: arms as never },
        },
      ],
    };
  },
});
