/**
 * perception.family-floor — concept families compared by the level their scaling curves
 * level off at (DESIGN 3.4 "Floors"). For each family (a value of the `concept:` key), its
 * tuned best objective at each size (the one other scientific key, a model size with four
 * values or more) is fitted with a power law with offset, objective = E + A·size^(−α)
 * (src/stats/curve-fit.ts); E is where more size stops helping. Its interval is a residual
 * bootstrap of the fit (Efron & Tibshirani 1993, §9.5: residuals rescaled by √(n/(n−3)),
 * resampled onto the fitted curve, refitted; percentile interval, seeded). A family whose
 * interval lies entirely on the worse side of another's, by more than `minGap`, is limited by
 * its concept: scaling it will not reach the other family.
 */
import { fitCurve, predictAt, type CurveFit } from '../../stats/curve-fit.js';
import { createRng } from '../../stats/rng.js';
import { defineStudyCheck } from '../check.js';
import { valueKey, type Study } from '../study.js';

const SEED = 0;
const RESAMPLES = 200;

function sizeOf(study: Study): string | undefined {
  const others = study.scientific.filter((key) => key !== study.concept);
  if (others.length !== 1) return undefined;
  const values = study.varying.find((v) => v.key === others[0])!.values;
  return values.every((v) => typeof v === 'number' && v > 0) ? others[0] : undefined;
}

function floorInterval(sizes: number[], values: number[], confidence: number): { fit: CurveFit; low: number; high: number } | undefined {
  let fit: CurveFit;
  try {
    fit = fitCurve('power-law', sizes, values);
  } catch {
    return undefined;
  }
  const fitted = sizes.map((s) => predictAt(fit, s));
  const scale = Math.sqrt(sizes.length / Math.max(sizes.length - 3, 1));
  const residuals = values.map((v, i) => (v - fitted[i]!) * scale);
  const rng = createRng(SEED);
  const floors: number[] = [];
  for (let r = 0; r < RESAMPLES; r++) {
    const resampled = fitted.map((f) => f + residuals[rng.integer(0, residuals.length)]!);
    try {
      floors.push(fitCurve('power-law', sizes, resampled).offset);
    } catch {
      // A degenerate resample (all points equal): it has no floor to offer.
    }
  }
  if (floors.length < RESAMPLES / 2) return undefined;
  floors.sort((a, b) => a - b);
  const q = (p: number) => floors[Math.min(floors.length - 1, Math.max(0, Math.floor(p * floors.length)))]!;
  return { fit, low: q((1 - confidence) / 2), high: q(1 - (1 - confidence) / 2) };
}

export const familyFloor = defineStudyCheck({
  code: 'perception.family-floor',
  layer: 'perception',
  description: 'concept families compared by the floor of their scaling curves',
  thresholds: {
    minSizes: { value: 4, why: 'a power law with offset has three parameters: four sizes are the fewest that leave a residual to bootstrap' },
    minGap: { value: 0.02, why: 'floors closer than 0.02 (in the objective’s units) are within what extrapolating a few sizes can resolve' },
    confidence: { value: 0.95, why: 'percentile interval of each floor from the residual bootstrap' },
  },
  evaluate(study, t) {
    if (study.concept === undefined) return { status: 'unknown', missing: 'a concept key (`concept:` in ladder.yaml) and a size key varying within each family' };
    const size = sizeOf(study);
    if (size === undefined) return { status: 'unknown', missing: 'one size key (numeric) besides the concept key' };
    const concept = study.concept;
    const floors: { family: string; sizes: number[]; values: number[]; floor: number; low: number; high: number }[] = [];
    for (const family of study.varying.find((v) => v.key === concept)!.values.map(valueKey)) {
      const arms = study.arms.filter((arm) => valueKey(arm.scientific[concept]) === family && Number.isFinite(arm.best.mean));
      if (arms.length < t.minSizes) continue;
      arms.sort((a, b) => Number(a.scientific[size]) - Number(b.scientific[size]));
      const sizes = arms.map((arm) => Number(arm.scientific[size]));
      const values = arms.map((arm) => arm.best.mean);
      const interval = floorInterval(sizes, values, t.confidence);
      if (interval) floors.push({ family, sizes, values, floor: interval.fit.offset, low: interval.low, high: interval.high });
    }
    if (floors.length < 2) return { status: 'unknown', missing: `two concept families, each run at ${t.minSizes} sizes or more` };
    const oriented = (v: number) => study.objective.direction * v;
    const limited: { family: string; against: string; gap: number }[] = [];
    for (const a of floors) {
      for (const b of floors) {
        if (a === b) continue;
        // a's best plausible floor is still worse than b's worst plausible floor, by more than minGap.
        const aBest = Math.max(oriented(a.low), oriented(a.high));
        const bWorst = Math.min(oriented(b.low), oriented(b.high));
        if (bWorst - aBest > t.minGap) limited.push({ family: a.family, against: b.family, gap: bWorst - aBest });
      }
    }
    const finding = {
      code: 'perception.family-floor',
      layer: 'perception' as const,
      severity: limited.length > 0 ? ('warning' as const) : ('info' as const),
      runs: study.runs.map((r) => r.run.id),
      evidence: {
        concept,
        sizeKey: size,
        objective: study.objective.metric,
        floors: floors as never,
        limited: limited as never,
        resamples: RESAMPLES,
        seed: SEED,
        confidence: t.confidence,
      },
    };
    return limited.length > 0 ? { status: 'problem', findings: [finding] } : { status: 'clear', findings: [finding] };
  },
});
