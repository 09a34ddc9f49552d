/**
 * instantiation.capacity — when the scientific key is the model's size (width, depth,
 * parameters), the tuned best objective against size (DESIGN 3.3 "Capacity"). If the largest
 * size still beats the next one beyond seed noise (the t interval of
 * src/studies/compare-arms.ts) and by more than 2 % of its value (minRelativeGain), the curve
 * is still moving at the largest size: the instance is too small, and a larger one is the next
 * step — not a new architecture. With four sizes or more, a power law with offset,
 * objective = E + A·size^(−α) (src/stats/curve-fit.ts), gives the predicted value at twice the
 * largest size as context.
 */
import { fitCurve, predictAt } from '../../stats/curve-fit.js';
import { defineStudyCheck } from '../check.js';
import { compareArms } from '../compare-arms.js';
import { sizeKey } from '../design.js';

export const capacity = defineStudyCheck({
  code: 'instantiation.capacity',
  layer: 'instantiation',
  description: 'tuned objective against model size: still improving at the largest size?',
  thresholds: {
    confidence: { value: 0.95, why: 'two-sided 95% t interval of the gain from the second-largest to the largest size' },
    minRelativeGain: {
      value: 0.02,
      why: "the smallest gain worth a larger model, relative to the second-largest size's value: 2 %, the margin instantiation.tuned-comparison asks of two arms and reachability.tuned-gap of a sweep (a gain beyond seed noise but under it is kept as info)",
    },
  },
  evaluate(study, t) {
    const key = sizeKey(study);
    if (key === undefined) return { status: 'unknown', missing: 'a study whose only scientific key is a model size (d_model, hidden_size, width, layers, params)' };
    const arms = [...study.arms].sort((a, b) => Number(a.scientific[key]) - Number(b.scientific[key]));
    const largest = arms.at(-1)!;
    const next = arms.at(-2)!;
    const comparison = compareArms(study, largest, next, t.confidence);
    if (!comparison) return { status: 'unknown', missing: 'two seeds or more of at least one setting (seed noise)' };
    const gain = study.objective.direction * (largest.best.mean - next.best.mean);
    const relativeGain = gain / Math.abs(next.best.mean);
    const beyondNoise = comparison.distinguishable && comparison.better === largest;
    const stillImproving = beyondNoise && relativeGain > t.minRelativeGain;
    const sizes = arms.map((arm) => Number(arm.scientific[key]));
    const values = arms.map((arm) => arm.best.mean);
    const evidence: Record<string, number | string | boolean | number[]> = {
      key,
      objective: study.objective.metric,
      sizes,
      values,
      largest: sizes.at(-1)!,
      gainFromLast: gain,
      relativeGain,
      minRelativeGain: t.minRelativeGain,
      beyondNoise,
      low: comparison.better === largest ? comparison.low : -comparison.high,
      high: comparison.better === largest ? comparison.high : -comparison.low,
      pValue: comparison.pValue,
      stillImproving,
      confidence: t.confidence,
    };
    // Three parameters need four sizes or more (src/stats/curve-fit.ts refuses fewer).
    if (arms.length >= 4) {
      const fit = fitCurve('power-law', sizes, values);
      evidence.predictedAtDouble = predictAt(fit, 2 * sizes.at(-1)!);
      evidence.fittedFloor = fit.offset;
    }
    const finding = {
      code: 'instantiation.capacity',
      layer: 'instantiation' as const,
      severity: stillImproving ? ('warning' as const) : ('info' as const),
      runs: [...largest.best.runs, ...next.best.runs].map((r) => r.run.id),
      evidence,
    };
    return stillImproving ? { status: 'problem', findings: [finding] } : { status: 'clear', findings: [finding] };
  },
});
