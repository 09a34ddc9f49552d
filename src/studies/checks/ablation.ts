/**
 * instantiation.ablation — a factorial ablation (every combination of two-level components,
 * each cell tuned over its nuisance settings): the main effect of each component and the
 * two-way interactions on the tuned bests, with t intervals from the study's pooled seed noise
 * (DESIGN 3.3; the classical 2^k effects of Box, Hunter & Hunter 2005, ch. 5: a main effect
 * is the mean of the cells with the component on minus the mean with it off, contrast
 * coefficients ±1/2^(k−1)). A component whose interval includes 0 is reported replaceable
 * (no detectable effect at this many seeds, the interval bounds how much it could matter), and
 * so is one whose effect, beyond noise, is within 2 % of the cells' mean (minRelativeEffect:
 * negligible); a component whose interval excludes 0 by more matters. The finding is a warning when some component
 * matters: the architecture, not training, moves the score.
 */
import { studentTQuantile, studentTSurvival } from '../../stats/distributions.js';
import { defineStudyCheck } from '../check.js';
import { pooledSeedNoise, settingValues } from '../compare-arms.js';
import { factorialDesign } from '../design.js';
import { valueKey } from '../study.js';

export const ablation = defineStudyCheck({
  code: 'instantiation.ablation',
  layer: 'instantiation',
  description: 'main effects and interactions of components in a factorial ablation',
  thresholds: {
    confidence: { value: 0.95, why: 'two-sided 95% t interval of each effect; a component matters when its interval excludes 0' },
    minRelativeEffect: {
      value: 0.02,
      why: "the smallest effect that matters, relative to the mean of the cells' tuned bests: 2 %, the margin instantiation.tuned-comparison asks of two arms. An effect beyond seed noise but under it is reported (negligible) and the component counted replaceable: it explains nothing of the score",
    },
  },
  evaluate(study, t) {
    const design = factorialDesign(study);
    if (!design) return { status: 'unknown', missing: 'a factorial ablation: two or more two-level components, every combination run' };
    const noise = pooledSeedNoise(study);
    if (!noise) return { status: 'unknown', missing: 'two seeds or more of at least one setting (seed noise)' };
    const k = design.factors.length;
    const cells = study.arms.map((arm) => ({
      on: design.factors.map((f) => valueKey(arm.scientific[f.key]) === valueKey(f.levels[1])),
      value: arm.best.mean,
      n: settingValues(arm.best).length,
    }));
    const tq = studentTQuantile(1 - (1 - t.confidence) / 2, noise.degreesOfFreedom);
    const scale = Math.abs(cells.reduce((sum, cell) => sum + cell.value, 0) / cells.length);
    const effect = (sign: (on: boolean[]) => number) => {
      let estimate = 0;
      let variance = 0;
      for (const cell of cells) {
        const c = sign(cell.on) / 2 ** (k - 1);
        estimate += c * cell.value;
        variance += (c * c) / Math.max(cell.n, 1);
      }
      // Oriented: positive means turning the component on improves the objective.
      estimate *= study.objective.direction;
      const se = noise.sd * Math.sqrt(variance);
      const low = estimate - tq * se;
      const high = estimate + tq * se;
      const pValue = se > 0 ? Math.min(1, 2 * studentTSurvival(Math.abs(estimate) / se, noise.degreesOfFreedom)) : estimate !== 0 ? 0 : 1;
      const beyondNoise = low > 0 || high < 0;
      return { estimate, low, high, pValue, beyondNoise, matters: beyondNoise && Math.abs(estimate) > t.minRelativeEffect * scale };
    };
    const components = design.factors.map((factor, i) => ({
      component: factor.key,
      off: valueKey(factor.levels[0]),
      on: valueKey(factor.levels[1]),
      ...effect((on) => (on[i] ? 1 : -1)),
    }));
    const interactions: { components: string; estimate: number; low: number; high: number; pValue: number; beyondNoise: boolean; matters: boolean }[] = [];
    for (let i = 0; i < k; i++) {
      for (let j = i + 1; j < k; j++) {
        interactions.push({ components: `${design.factors[i]!.key} × ${design.factors[j]!.key}`, ...effect((on) => (on[i] === on[j] ? 1 : -1)) });
      }
    }
    const matters = components.filter((c) => c.matters).map((c) => c.component);
    const replaceable = components.filter((c) => !c.matters).map((c) => c.component);
    const finding = {
      code: 'instantiation.ablation',
      layer: 'instantiation' as const,
      severity: matters.length > 0 ? ('warning' as const) : ('info' as const),
      runs: study.arms.flatMap((arm) => arm.best.runs.map((r) => r.run.id)),
      evidence: {
        objective: study.objective.metric,
        components,
        interactions,
        matters,
        replaceable,
        seedSd: noise.sd,
        meanValue: scale,
        minRelativeEffect: t.minRelativeEffect,
        degreesOfFreedom: noise.degreesOfFreedom,
        confidence: t.confidence,
      },
    };
    return matters.length > 0 ? { status: 'problem', findings: [finding] } : { status: 'clear', findings: [finding] };
  },
});
