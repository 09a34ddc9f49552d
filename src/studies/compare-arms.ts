/**
 * Comparing two arms of a study at their tuned bests, against seed noise.
 *
 * Seed noise is estimated from every setting of the study that was run with two seeds or
 * more: the pooled within-setting standard deviation s (degrees of freedom Σ(nᵢ − 1)), the
 * usual one-way ANOVA error term. Using all settings, not only the two compared, is what
 * makes two seeds per setting enough to estimate it. The gap between the arms' best settings
 * (oriented so that positive favours A) gets a Student t interval,
 *   gap ± t_{df, 1−α/2} · s · √(1/n_A + 1/n_B),
 * and the arms are told apart when it excludes 0. Picking each arm's best setting on the same
 * runs favours noise a little (the winner's curse); with few settings the effect is small
 * next to the interval, and it is the comparison the Tuning Playbook prescribes.
 */
import { studentTQuantile, studentTSurvival } from '../stats/distributions.js';
import type { Arm, Setting, Study } from './study.js';

export interface SeedNoise {
  sd: number;
  degreesOfFreedom: number;
  /** Settings that contributed (two seeds or more). */
  settings: number;
}

export function pooledSeedNoise(study: Study): SeedNoise | undefined {
  let squares = 0;
  let df = 0;
  let settings = 0;
  for (const arm of study.arms) {
    for (const setting of arm.settings) {
      const values = setting.runs.map((r) => r.objective).filter(Number.isFinite);
      if (values.length < 2) continue;
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      for (const v of values) squares += (v - mean) ** 2;
      df += values.length - 1;
      settings++;
    }
  }
  return df > 0 ? { sd: Math.sqrt(squares / df), degreesOfFreedom: df, settings } : undefined;
}

/** A setting's objective per seed, in seed order (so two settings pair by seed). */
export function settingValues(setting: Setting): number[] {
  const bySeed = [...setting.runs].sort((a, b) => {
    const x = Number(a.seed);
    const y = Number(b.seed);
    return Number.isFinite(x) && Number.isFinite(y) ? x - y : String(a.seed).localeCompare(String(b.seed));
  });
  return bySeed.map((r) => r.objective).filter(Number.isFinite);
}

export interface ArmComparison {
  better: Arm;
  worse: Arm;
  /** Mean objective of each arm's best setting. */
  betterValue: number;
  worseValue: number;
  /** |difference| in the objective's units, oriented: positive means `better` is better. */
  gap: number;
  low: number;
  high: number;
  pValue: number;
  distinguishable: boolean;
  noise: SeedNoise;
  seedsBetter: number;
  seedsWorse: number;
}

/** `a` vs `b` at their best settings; undefined without any seed noise estimate. */
export function compareArms(study: Study, a: Arm, b: Arm, confidence: number): ArmComparison | undefined {
  const noise = pooledSeedNoise(study);
  if (!noise) return undefined;
  const valuesA = settingValues(a.best);
  const valuesB = settingValues(b.best);
  if (valuesA.length === 0 || valuesB.length === 0) return undefined;
  const oriented = study.objective.direction * (a.best.mean - b.best.mean);
  const [better, worse, nBetter, nWorse] = oriented >= 0 ? [a, b, valuesA.length, valuesB.length] : [b, a, valuesB.length, valuesA.length];
  const gap = Math.abs(oriented);
  const se = noise.sd * Math.sqrt(1 / nBetter + 1 / nWorse);
  const t = studentTQuantile(1 - (1 - confidence) / 2, noise.degreesOfFreedom);
  const pValue = se > 0 ? Math.min(1, 2 * studentTSurvival(gap / se, noise.degreesOfFreedom)) : gap > 0 ? 0 : 1;
  return {
    better,
    worse,
    betterValue: better.best.mean,
    worseValue: worse.best.mean,
    gap,
    low: gap - t * se,
    high: gap + t * se,
    pValue,
    distinguishable: gap - t * se > 0,
    noise,
    seedsBetter: nBetter,
    seedsWorse: nWorse,
  };
}

/** The arm with the best tuned objective. */
export function bestArm(study: Study): Arm {
  return study.arms.reduce((top, arm) => (study.objective.direction * (arm.best.mean - top.best.mean) > 0 ? arm : top));
}
