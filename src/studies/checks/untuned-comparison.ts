/**
 * reachability.untuned-comparison — the taboo (DESIGN section 2 point 4). Arms that differ in
 * scientific hyperparameters are compared, but some arm's learning rate was not tuned: one
 * value for every arm, or a single value in that arm. Then "B beat A" is a statement about
 * one learning rate, i.e. about reachability, never about the architectures (Google's Deep
 * Learning Tuning Playbook: nuisance hyperparameters must be optimized for every value of
 * the scientific ones). The finding carries the tuning plan that would settle it.
 */
import { defineStudyCheck } from '../check.js';
import { learningRateKey, type Study } from '../study.js';

/** The learning-rate grid of the plan: a factor of 3 apart around the current value, two seeds. */
export function tuningGrid(current: number | undefined): number[] {
  const centre = current !== undefined && current > 0 ? current : 1e-3;
  return [centre / 10, centre / 3, centre, centre * 3, centre * 10].map((v) => Number(v.toPrecision(3)));
}

function lrValues(study: Study, armIndex: number, key: string): number[] {
  const values = new Set<number>();
  for (const setting of study.arms[armIndex]!.settings) {
    for (const { run } of setting.runs) {
      const v = Number(run.hparams[key]);
      if (Number.isFinite(v)) values.add(v);
    }
  }
  return [...values].sort((a, b) => a - b);
}

/** The default of `minLearningRates`, for checks that defer to this one. */
export const MIN_LEARNING_RATES = 2;

/** Arms with fewer than `minimum` learning rates, with every arm's values; undefined without a learning-rate key. */
export function untunedArms(study: Study, minimum = MIN_LEARNING_RATES): { key: string; perArm: { arm: string; values: number[] }[]; untuned: { arm: string; values: number[] }[] } | undefined {
  const key = learningRateKey(study);
  if (key === undefined) return undefined;
  const perArm = study.arms.map((arm, i) => ({ arm: arm.label, values: lrValues(study, i, key) }));
  return { key, perArm, untuned: perArm.filter((a) => a.values.length < minimum) };
}

export const untunedComparison = defineStudyCheck({
  code: 'reachability.untuned-comparison',
  layer: 'reachability',
  description: 'arms compared while the learning rate was not tuned for each of them (the taboo)',
  thresholds: {
    minLearningRates: {
      value: MIN_LEARNING_RATES,
      why: 'one learning rate shared by every arm is the classic confound; with two or more per arm each arm had a chance to find its own (observation.seed-noise and reachability.sweep-edge judge whether the search was wide and repeated enough)',
    },
  },
  evaluate(study, t) {
    if (study.arms.length < 2) return { status: 'unknown', missing: 'two arms to compare (runs differing in a scientific hyperparameter)' };
    const found = untunedArms(study, t.minLearningRates);
    if (!found) return { status: 'unknown', missing: 'a learning-rate hyperparameter (learning_rate, lr) in every run' };
    const { key, perArm, untuned } = found;
    if (untuned.length === 0) return { status: 'clear' };
    const current = untuned[0]!.values[0];
    const grid = tuningGrid(current);
    const seeds = Math.max(2, ...study.arms.map((arm) => Math.max(...arm.settings.map((s) => s.runs.length))));
    return {
      status: 'problem',
      findings: [
        {
          code: 'reachability.untuned-comparison',
          layer: 'reachability',
          severity: 'warning',
          runs: study.runs.map((r) => r.run.id),
          evidence: {
            scientific: study.scientific.join(', '),
            learningRateKey: key,
            arms: perArm.map((a) => ({ arm: a.arm, learningRates: a.values })),
            untunedArms: untuned.map((a) => a.arm),
            minLearningRates: t.minLearningRates,
            plan: { kind: 'lr-sweep', perArm: true, vary: { [key]: grid }, seeds, runs: study.arms.length * grid.length * seeds },
          },
        },
      ],
    };
  },
});
