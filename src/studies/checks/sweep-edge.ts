/**
 * reachability.sweep-edge — an arm's best setting sits at the edge of the range searched for a
 * numeric nuisance hyperparameter (DESIGN 3.2 "Sweeps"; Tuning Playbook: "if the best
 * trial is near the boundary of the search space, expand it"). The arm's tuned best is then
 * a lower bound on what it can reach, so any comparison through it is unsettled. The next
 * action extends the range one grid step beyond the edge.
 *
 * An edge that beats the best value inside the range by no more than seed noise (the study's
 * pooled seed SD, as the arm comparison uses) is a flat landscape there, not a trend towards
 * the edge: it is reported as info. copy's width-4 arm learns nothing at any rate, so every
 * rate sits on the ln 16 plateau and its best is wherever the noise puts it (seed 1: at the
 * edge after four grid steps of extension).
 */
import { studentTQuantile } from '../../stats/distributions.js';
import { pooledSeedNoise } from '../compare-arms.js';
import { defineStudyCheck } from '../check.js';
import { valueKey, type Study } from '../study.js';

export const sweepEdge = defineStudyCheck({
  code: 'reachability.sweep-edge',
  layer: 'reachability',
  description: "an arm's best setting at the edge of a swept nuisance range",
  thresholds: {
    minValues: { value: 3, why: 'with two values every best is at an edge; three is the fewest that has an inside' },
    confidence: {
      value: 0.95,
      why:
        'the edge counts when it beats the best value inside the range beyond seed noise: the one-sided 95 % t bound of ' +
        'their difference (pooled seed SD, runs per setting) excludes a tie; without repeated seeds every edge counts',
    },
  },
  evaluate(study, t) {
    const better = (a: number, b: number) => study.objective.direction * (a - b) > 0;
    const noise = pooledSeedNoise(study);
    const edges: { arm: string; key: string; values: number[]; best: number; side: 'low' | 'high'; extendTo: number; margin: number; tie: number | null }[] = [];
    let assessed = 0;
    for (const arm of study.arms) {
      for (const key of study.nuisance) {
        // Best mean objective at each value of `key`, over the arm's other nuisance settings, with its runs.
        const bestAt = new Map<number, { mean: number; runs: number }>();
        for (const setting of arm.settings) {
          const v = Number(setting.nuisance[key]);
          if (!Number.isFinite(v) || !Number.isFinite(setting.mean)) continue;
          const current = bestAt.get(v);
          if (current === undefined || better(setting.mean, current.mean)) bestAt.set(v, { mean: setting.mean, runs: Math.max(1, setting.runs.length) });
        }
        if (bestAt.size < t.minValues) continue;
        assessed++;
        const values = [...bestAt.keys()].sort((a, b) => a - b);
        let best = values[0]!;
        for (const v of values) if (better(bestAt.get(v)!.mean, bestAt.get(best)!.mean)) best = v;
        const index = values.indexOf(best);
        if (index !== 0 && index !== values.length - 1) continue;
        const side = index === 0 ? 'low' : 'high';
        // How far the edge beats the best of the other values (in the objective's better direction), and the tie bound.
        const edge = bestAt.get(best)!;
        let runnerUp: { mean: number; runs: number } | undefined;
        for (const v of values) if (v !== best && (runnerUp === undefined || better(bestAt.get(v)!.mean, runnerUp.mean))) runnerUp = bestAt.get(v)!;
        const margin = study.objective.direction * (edge.mean - runnerUp!.mean);
        const tie = noise ? studentTQuantile(t.confidence, noise.degreesOfFreedom) * noise.sd * Math.sqrt(1 / edge.runs + 1 / runnerUp!.runs) : null;
        // One grid step beyond the edge: geometric when the grid is (all positive), else arithmetic.
        const neighbour = side === 'low' ? values[1]! : values.at(-2)!;
        const geometric = values.every((v) => v > 0);
        const extendTo = geometric ? (best * best) / neighbour : 2 * best - neighbour;
        edges.push({ arm: arm.label, key, values, best, side, extendTo: Number(extendTo.toPrecision(3)), margin, tie });
      }
    }
    if (assessed === 0) return { status: 'unknown', missing: `a nuisance hyperparameter swept over at least ${t.minValues} values within an arm` };
    if (edges.length === 0) return { status: 'clear' };
    const findings = edges.map((edge) => {
      const flat = edge.tie !== null && edge.margin <= edge.tie;
      return {
        code: 'reachability.sweep-edge',
        layer: 'reachability' as const,
        severity: flat ? ('info' as const) : ('warning' as const),
        runs: study.arms
          .find((arm) => arm.label === edge.arm)!
          .settings.filter((s) => valueKey(s.nuisance[edge.key]) === valueKey(edge.best))
          .flatMap((s) => s.runs.map((r) => r.run.id)),
        evidence: { ...edge, flat, objective: study.objective.metric },
      };
    });
    return findings.some((f) => f.severity !== 'info') ? { status: 'problem', findings } : { status: 'clear', findings };
  },
});
