/**
 * reachability.sweep-edge — an arm's best setting sits at the edge of the range searched for a
 * numeric nuisance hyperparameter (DESIGN 3.2 "Sweeps"; Tuning Playbook: "if the best
 * trial is near the boundary of the search space, expand it"). The arm's tuned best is then
 * a lower bound on what it can reach, so any comparison through it is unsettled. The next
 * action extends the range one grid step beyond the edge.
 */
import { defineStudyCheck } from '../check.js';
import { valueKey, type Study } from '../study.js';

export const sweepEdge = defineStudyCheck({
  code: 'reachability.sweep-edge',
  layer: 'reachability',
  description: "an arm's best setting at the edge of a swept nuisance range",
  thresholds: {
    minValues: { value: 3, why: 'with two values every best is at an edge; three is the fewest that has an inside' },
  },
  evaluate(study, t) {
    const better = (a: number, b: number) => study.objective.direction * (a - b) > 0;
    const edges: { arm: string; key: string; values: number[]; best: number; side: 'low' | 'high'; extendTo: number }[] = [];
    let assessed = 0;
    for (const arm of study.arms) {
      for (const key of study.nuisance) {
        // Best mean objective at each value of `key`, over the arm's other nuisance settings.
        const bestAt = new Map<number, number>();
        for (const setting of arm.settings) {
          const v = Number(setting.nuisance[key]);
          if (!Number.isFinite(v) || !Number.isFinite(setting.mean)) continue;
          const current = bestAt.get(v);
          if (current === undefined || better(setting.mean, current)) bestAt.set(v, setting.mean);
        }
        if (bestAt.size < t.minValues) continue;
        assessed++;
        const values = [...bestAt.keys()].sort((a, b) => a - b);
        let best = values[0]!;
        for (const v of values) if (better(bestAt.get(v)!, bestAt.get(best)!)) best = v;
        const index = values.indexOf(best);
        if (index !== 0 && index !== values.length - 1) continue;
        const side = index === 0 ? 'low' : 'high';
        // One grid step beyond the edge: geometric when the grid is (all positive), else arithmetic.
        const neighbour = side === 'low' ? values[1]! : values.at(-2)!;
        const geometric = values.every((v) => v > 0);
        const extendTo = geometric ? (best * best) / neighbour : 2 * best - neighbour;
        edges.push({ arm: arm.label, key, values, best, side, extendTo: Number(extendTo.toPrecision(3)) });
      }
    }
    if (assessed === 0) return { status: 'unknown', missing: `a nuisance hyperparameter swept over at least ${t.minValues} values within an arm` };
    if (edges.length === 0) return { status: 'clear' };
    return {
      status: 'problem',
      findings: edges.map((edge) => ({
        code: 'reachability.sweep-edge',
        layer: 'reachability' as const,
        severity: 'warning' as const,
        runs: study.arms
          .find((arm) => arm.label === edge.arm)!
          .settings.filter((s) => valueKey(s.nuisance[edge.key]) === valueKey(edge.best))
          .flatMap((s) => s.runs.map((r) => r.run.id)),
        evidence: { ...edge, objective: study.objective.metric },
      })),
    };
  },
});
