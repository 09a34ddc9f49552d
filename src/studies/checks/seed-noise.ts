/**
 * observation.seed-noise — the difference between the best arm and the runner-up, each at its
 * tuned best, is inside seed noise (DESIGN 3.1 "Seed noise"; Bouthillier et al. 2021). The
 * noise is the pooled within-setting seed SD of the whole study (src/studies/compare-arms.ts);
 * the gap's t interval includes 0, so the study cannot tell which arm is better — whatever
 * it concludes about the scientific hyperparameter is not yet observed. When each arm has 3
 * seeds or more at its best, P(A > B) over paired seeds with its percentile bootstrap interval
 * is added (Bouthillier's measure), and always the seeds per arm the gap needs to show at
 * power 0.8 (`seedsNeeded`, from `seedsForPower` in src/stats/seed-noise.ts). Only for plain
 * arms: ablations, sizes and concept families are judged by their own checks, and arms not
 * tuned for their learning rate by the taboo.
 */
import { probabilityOfOutperforming, seedsForPower } from '../../stats/seed-noise.js';
import { defineStudyCheck } from '../check.js';
import { bestArm, compareArms, settingValues } from '../compare-arms.js';
import { studyKind } from '../design.js';
import { untunedArms } from './untuned-comparison.js';

export const seedNoise = defineStudyCheck({
  code: 'observation.seed-noise',
  layer: 'observation',
  description: 'difference between the two best arms against the spread across seeds',
  thresholds: {
    confidence: { value: 0.95, why: 'two-sided 95% interval of the gap: a difference is claimed when it excludes 0 (α = 0.05)' },
  },
  evaluate(study, t) {
    if (study.arms.length < 2) return { status: 'unknown', missing: 'two arms to compare (runs differing in a scientific hyperparameter)' };
    const kind = studyKind(study);
    if (kind !== 'arms') return { status: 'unknown', missing: `nothing: the ${kind} check judges these arms with its own intervals` };
    // Untuned arms (the taboo) make the gap a statement about one learning rate: measuring its
    // noise settles nothing until the arms are tuned (reachability.untuned-comparison).
    if ((untunedArms(study)?.untuned.length ?? 0) > 0) return { status: 'unknown', missing: 'arms tuned for their own learning rate (reachability.untuned-comparison)' };
    const top = bestArm(study);
    const others = study.arms.filter((arm) => arm !== top);
    const runnerUp = others.reduce((best, arm) => (study.objective.direction * (arm.best.mean - best.best.mean) > 0 ? arm : best));
    const comparison = compareArms(study, top, runnerUp, t.confidence);
    if (!comparison) return { status: 'unknown', missing: 'two seeds or more of at least one setting (seed noise)' };
    const evidence: Record<string, number | string | boolean | null> = {
      objective: study.objective.metric,
      better: comparison.better.label,
      worse: comparison.worse.label,
      betterSetting: comparison.better.best.label,
      worseSetting: comparison.worse.best.label,
      betterValue: comparison.betterValue,
      worseValue: comparison.worseValue,
      gap: comparison.gap,
      low: comparison.low,
      high: comparison.high,
      pValue: comparison.pValue,
      seedSd: comparison.noise.sd,
      degreesOfFreedom: comparison.noise.degreesOfFreedom,
      seeds: Math.min(comparison.seedsBetter, comparison.seedsWorse),
      confidence: t.confidence,
      distinguishable: comparison.distinguishable,
    };
    // The experiment the finding names: seeds per arm for the gap to show against this noise at
    // power 0.8 (null for a zero gap, which no number of seeds shows).
    const needed = seedsForPower(comparison.noise.sd, comparison.gap, { confidence: t.confidence });
    evidence.seedsNeeded = Number.isFinite(needed) ? needed : null;
    const a = settingValues(comparison.better.best);
    const b = settingValues(comparison.worse.best);
    const pairs = Math.min(a.length, b.length);
    if (pairs >= 3) {
      const p = probabilityOfOutperforming(a.slice(0, pairs), b.slice(0, pairs), { higherIsBetter: study.objective.direction > 0, seed: 0, confidence: t.confidence });
      evidence.pAB = p.estimate;
      evidence.pABLow = p.interval.low;
      evidence.pABHigh = p.interval.high;
    }
    const finding = {
      code: 'observation.seed-noise',
      layer: 'observation' as const,
      severity: comparison.distinguishable ? ('info' as const) : ('warning' as const),
      runs: [...comparison.better.best.runs, ...comparison.worse.best.runs].map((r) => r.run.id),
      evidence,
    };
    return comparison.distinguishable ? { status: 'clear', findings: [finding] } : { status: 'problem', findings: [finding] };
  },
});
