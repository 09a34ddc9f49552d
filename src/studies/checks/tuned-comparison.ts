/**
 * instantiation.tuned-comparison — with each arm's nuisance hyperparameters tuned (the engine
 * gates this layer until reachability passes: no untuned comparison, no best at a sweep's
 * edge), the arms' tuned bests differ beyond seed noise: the scientific choice, not training,
 * explains the gap (DESIGN 3.3). Each arm is compared with the best arm; the finding names the
 * arms that are worse with the gap's t interval (src/studies/compare-arms.ts), and in how many
 * of the learning rates both arms ran the better arm also won. A gap beyond noise but within
 * the practical margin (minRelativeGap) is kept as info: it explains nothing of the loss.
 * Factorial ablations are left to instantiation.ablation, sizes to instantiation.capacity,
 * concept families to perception.concept-probe.
 */
import { defineStudyCheck } from '../check.js';
import { bestArm, compareArms } from '../compare-arms.js';
import { studyKind } from '../design.js';
import { learningRateKey, valueKey, type Arm, type Study } from '../study.js';

/** Settings both arms ran (same nuisance values) and how many the better arm won. */
function matchedWins(study: Study, better: Arm, worse: Arm): { matched: number; wins: number } {
  let matched = 0;
  let wins = 0;
  for (const setting of better.settings) {
    const twin = worse.settings.find((s) => s.label === setting.label);
    if (!twin || !Number.isFinite(setting.mean) || !Number.isFinite(twin.mean)) continue;
    matched++;
    if (study.objective.direction * (setting.mean - twin.mean) > 0) wins++;
  }
  return { matched, wins };
}

export const tunedComparison = defineStudyCheck({
  code: 'instantiation.tuned-comparison',
  layer: 'instantiation',
  description: "arms compared at their tuned bests, against seed noise",
  thresholds: {
    confidence: { value: 0.95, why: 'two-sided 95% t interval of each gap; an arm is worse when the interval excludes 0' },
    minRelativeGap: {
      value: 0.02,
      why:
        "the smallest gap worth a verdict, relative to the better arm's value: 2 %, the margin reachability.tuned-gap asks of a sweep. The interval counts seed noise but not the winner's curse of picking each arm's best setting on the same runs; and a gap beyond seed noise can still explain nothing of a model's loss (the lab's copy world: an MLP over positions beats attention by 0.0026 nats of 1.34, 0.2 %, with a seed SD of 0.0002). Smaller gaps are kept as info",
    },
    outlastDoublings: {
      value: 4,
      why:
        "how many more doublings of its steps a worse arm that is still improving (reachability.not-converged, or a measured doubling that paid) is granted, each gaining as much as the upper end of its latest doubling's interval, before its gap to the best arm is judged to outlast training: 16× the steps compared. Loss curves of the power-law and exponential families gain less at each doubling, so a gap that this straight line in log-steps cannot close is one more training does not close either. The lab's markov2 width-4 arm, seed 1: 0.47 nats behind width 16 after gaining 0.054 at its last doubling (1.768 → 1.714)",
    },
  },
  evaluate(study, t) {
    if (study.arms.length < 2) return { status: 'unknown', missing: 'two arms to compare (runs differing in a scientific hyperparameter)' };
    const kind = studyKind(study);
    if (kind !== 'arms') return { status: 'unknown', missing: `nothing: the ${kind} check judges these arms` };
    const top = bestArm(study);
    const lrKey = learningRateKey(study);
    const comparisons = study.arms.filter((arm) => arm !== top).map((arm) => compareArms(study, top, arm, t.confidence));
    if (comparisons.some((c) => c === undefined)) return { status: 'unknown', missing: 'two seeds or more of at least one setting (seed noise)' };
    const worse = comparisons.filter((c) => c!.distinguishable).map((c) => c!);
    if (worse.length === 0) return { status: 'clear' };
    const relativeGap = (c: (typeof worse)[number]) => c.gap / Math.abs(c.betterValue);
    const findings = worse.map((c) => {
      const { matched, wins } = matchedWins(study, c.better, c.worse);
      return {
        code: 'instantiation.tuned-comparison',
        layer: 'instantiation' as const,
        severity: relativeGap(c) > t.minRelativeGap ? ('warning' as const) : ('info' as const),
        runs: [...c.better.best.runs, ...c.worse.best.runs].map((r) => r.run.id),
        evidence: {
          objective: study.objective.metric,
          better: c.better.label,
          worse: c.worse.label,
          betterSetting: c.better.best.label,
          worseSetting: c.worse.best.label,
          betterValue: c.betterValue,
          worseValue: c.worseValue,
          gap: c.gap,
          low: c.low,
          high: c.high,
          pValue: c.pValue,
          seedSd: c.noise.sd,
          confidence: t.confidence,
          relativeGap: relativeGap(c),
          minRelativeGap: t.minRelativeGap,
          matchedSettings: matched,
          betterWinsAt: wins,
          ...(lrKey !== undefined ? { learningRateKey: lrKey, betterLearningRate: valueKey(c.better.best.nuisance[lrKey]), worseLearningRate: valueKey(c.worse.best.nuisance[lrKey]) } : {}),
        },
      };
    });
    return { status: findings.some((f) => f.severity !== 'info') ? 'problem' : 'clear', findings };
  },
});
