/**
 * Diagnosing a study: the study checks (src/studies/registry.ts) and, for each arm's best
 * setting, the run checks of the observation and reachability layers on its runs — an arm
 * whose best run diverged, stalled or is not converged makes the comparison unsettled
 * (DESIGN 3.3), except a stall the study's own sweep has answered (stallAnsweredBySweep) and
 * a worse arm's still-falling curve whose gap to the best arm outlasts training
 * (gapOutlastsTraining).
 * The verdict follows the same reverse reasoning as for one run (src/ladder/diagnose.ts
 * `judge`), so instantiation and perception stay gated until the study's reachability
 * passes: the taboo, enforced.
 */
import type { CheckOutcome } from '../checks/check.js';
import type { DiagnoseOptions, Diagnosis, JudgedOutcome } from '../ladder/diagnose.js';
import { judge, runOutcomes, thresholdValues } from '../ladder/diagnose.js';
import { num } from '../ladder/findings-text.js';
import type { PlannedExperiment } from '../ladder/finding.js';
import type { Layer } from '../ladder/layers.js';
import { STUDY_CHECKS } from './registry.js';
import { bestArm, compareArms } from './compare-arms.js';
import { tunedComparison } from './checks/tuned-comparison.js';
import { learningRateKey, valueKey, type Arm, type Study } from './study.js';
import { tuningGrid } from './checks/untuned-comparison.js';

/**
 * Which run findings bear on a comparison of arms: reachability at an arm's best (diverged,
 * stalled, not converged: its best is not what it can reach), and observation errors (an
 * evaluation that does not measure the current weights, a label-mapping bug). Softer
 * observation warnings on single curves stay in the per-run diagnosis (`--per-run`): the
 * study's own observation question is seed noise.
 */
function bearsOnStudy(layer: Layer, outcome: CheckOutcome): boolean {
  if (layer === 'reachability') return true;
  return layer === 'observation' && outcome.status === 'problem' && outcome.findings.some((f) => f.severity === 'error');
}

function seedsOf(study: Study): number[] {
  const seeds = study.runs.map((r) => Number(r.seed)).filter(Number.isFinite);
  const top = seeds.length > 0 ? Math.max(...seeds) : -1;
  return [top + 1, top + 2, top + 3];
}

function studyExperiment(layer: Layer, study: Study): PlannedExperiment {
  const lrKey = learningRateKey(study);
  const arms = study.arms.length;
  switch (layer) {
    case 'observation':
      return {
        kind: 'more-seeds',
        description: "rerun each arm's best setting with three more seeds, to measure seed noise against the gap",
        vary: { [study.seedKey ?? 'seed']: seedsOf(study) },
        fixed: { setting: 'each arm at its best' },
        cost: 3 * arms,
      };
    case 'reachability': {
      const current = lrKey ? Number(study.arms[0]?.best.nuisance[lrKey] ?? study.runs[0]?.run.hparams[lrKey]) : undefined;
      const grid = tuningGrid(Number.isFinite(current) ? current : undefined);
      return {
        kind: 'lr-sweep',
        description: 'sweep the learning rate for every arm separately (five values a factor of 3 apart, two seeds), so each arm is compared at its own best',
        vary: { [lrKey ?? 'learning_rate']: grid, [study.seedKey ?? 'seed']: [0, 1] },
        fixed: { arms: 'each' },
        cost: arms * grid.length * 2,
      };
    }
    case 'instantiation':
      return {
        kind: 'nuisance-sweep',
        description: 'compare the arms each at its tuned best with more seeds, to size the architecture effect with an interval',
        vary: { [study.seedKey ?? 'seed']: seedsOf(study) },
        cost: 3 * arms,
      };
    case 'perception':
      return {
        kind: 'concept-comparison',
        description: 'compare concept families on a probe that discriminates them (declare `concept:` and `probes:` in ladder.yaml), each family tuned at two sizes',
        cost: 4 * Math.max(arms, 2),
      };
  }
}

/**
 * Whether the study's own sweep has answered a stall at `arm`'s best: the arm ran at three
 * learning rates or more, spanning (strictly inside) the rate at which another arm reached its
 * best, and that arm beats it beyond seed noise. A stall's remedies are another rate or a
 * working pipeline; the sweep tried the rates around the one that trains the other
 * architecture, on the same data and pipeline, and none trained this one (its best setting is
 * the stalled one): the stall is the architecture's, and the comparison of arms judges it.
 * (The lab's width-4 arm on copy-noisy sits at ln 16 at every rate, seed 1: its best
 * setting is a stalled run.) Returns how, in words, or undefined.
 */
export function stallAnsweredBySweep(study: Study, arm: Arm, confidence: number): string | undefined {
  const lrKey = learningRateKey(study);
  if (lrKey === undefined) return undefined;
  const rates = [...new Set(arm.settings.map((s) => Number(s.nuisance[lrKey])).filter(Number.isFinite))];
  if (rates.length < 3) return undefined;
  const low = Math.min(...rates);
  const high = Math.max(...rates);
  for (const other of study.arms) {
    if (other === arm) continue;
    const rate = Number(other.best.nuisance[lrKey]);
    if (!(rate > low && rate < high)) continue;
    const comparison = compareArms(study, other, arm, confidence);
    if (comparison?.distinguishable && comparison.better === other) {
      return `${arm.label} ran at ${rates.length} learning rates from ${valueKey(low)} to ${valueKey(high)} and none did better than its stalled best, while ${other.label} trained at ${valueKey(rate)}, inside that range, on the same data`;
    }
  }
  return undefined;
}

/** A problem an experiment or a comparison answered: its findings kept as info, marked with `by` and `how`. */
export function settledBy(judged: JudgedOutcome, by: string, how: string): JudgedOutcome {
  if (judged.outcome.status !== 'problem') return judged;
  return {
    ...judged,
    outcome: { status: 'clear', findings: judged.outcome.findings.map((f) => ({ ...f, severity: 'info', evidence: { ...f.evidence, settledBy: by, settledHow: how } })) },
  };
}

/**
 * Whether `arm`, worse than the study's best arm beyond seed noise, stays worse after training
 * longer: at `value` (a loss, lower is better) and gaining at most `gainPerDoubling` a
 * doubling of its steps, `doublings` more doublings (each gaining that much: a straight line
 * in log-steps, which a decelerating curve stays above) leave it behind the best arm by more
 * than the comparison's interval half-width. Then the arm's still-falling curve does not bear
 * on the comparison: it is settled whichever way training goes on, up to 2^doublings × the
 * steps. Returns how, in words, or undefined (the objective is not a loss, the arm is not
 * worse beyond noise, or the gap could close).
 */
export function gapOutlastsTraining(
  study: Study,
  arm: Arm,
  value: number,
  gainPerDoubling: number,
  thresholds: { confidence: number; outlastDoublings: number },
): string | undefined {
  if (study.objective.direction >= 0 || !Number.isFinite(value) || !(gainPerDoubling >= 0)) return undefined;
  const top = bestArm(study);
  if (top === arm) return undefined;
  const comparison = compareArms(study, top, arm, thresholds.confidence);
  if (!comparison?.distinguishable || comparison.better !== top) return undefined;
  const halfWidth = (comparison.high - comparison.low) / 2;
  const projected = value - thresholds.outlastDoublings * gainPerDoubling;
  if (!(projected - top.best.mean > halfWidth)) return undefined;
  return `${arm.label} at ${num(value)}, gaining at most ${num(gainPerDoubling)} a doubling, would still be at ${num(projected)} after ${thresholds.outlastDoublings} more (${2 ** thresholds.outlastDoublings}× the steps), behind ${top.label}'s ${num(top.best.mean)} by more than the comparison's ±${num(halfWidth)}`;
}

/**
 * A not-converged outcome on `arm`'s best run whose every finding is answered by
 * gapOutlastsTraining: the run's latest value and the upper end of the gain its fit predicts
 * from twice the steps, on the study's objective. A fit whose second doubling is predicted to
 * gain more than its first (an exponential before its knee) is not answered: its gains are not
 * yet diminishing.
 */
function notConvergedAnswered(study: Study, arm: Arm, judged: JudgedOutcome, thresholds: { confidence: number; outlastDoublings: number }): string | undefined {
  if (judged.code !== 'reachability.not-converged' || judged.outcome.status !== 'problem') return undefined;
  const answers: string[] = [];
  for (const finding of judged.outcome.findings) {
    if (finding.severity === 'info') continue;
    const e = finding.evidence;
    const num = (key: string) => (typeof e[key] === 'number' ? (e[key] as number) : Number.NaN);
    if (e.series !== study.objective.metric) return undefined;
    const [value, gain2, gain4, high2] = [num('lastValue'), num('gainAt2x'), num('gainAt4x'), num('gainAt2xHigh')];
    if (!(gain4 - gain2 <= gain2)) return undefined;
    const how = gapOutlastsTraining(study, arm, value, high2, thresholds);
    if (how === undefined) return undefined;
    answers.push(how);
  }
  return answers.length > 0 ? answers.join('; ') : undefined;
}

/**
 * A study's diagnosis: the study checks, the run checks of each arm's best runs, and `extra`
 * outcomes of experiments beyond the study's own runs (the study retrained at twice the steps,
 * src/lab), judged together.
 */
export function diagnoseStudy(study: Study, id: string, options: DiagnoseOptions = {}, extra: JudgedOutcome[] = []): Diagnosis {
  const outcomes: JudgedOutcome[] = STUDY_CHECKS.map((check) => ({
    code: check.code,
    layer: check.layer,
    outcome: check.evaluate(study, thresholdValues(check, options.thresholds)),
  }));
  const comparison = thresholdValues(tunedComparison, options.thresholds) as { confidence: number; outlastDoublings: number };
  for (const arm of study.arms) {
    const answered = stallAnsweredBySweep(study, arm, comparison.confidence);
    for (const { run } of arm.best.runs) {
      for (const judged of runOutcomes(run, options)) {
        if (judged.outcome.status === 'unknown' || !bearsOnStudy(judged.layer, judged.outcome)) continue;
        const outlasts = notConvergedAnswered(study, arm, judged, comparison);
        outcomes.push(
          judged.code === 'reachability.stall' && answered
            ? settledBy(judged, "the study's learning-rate sweep", answered)
            : outlasts
              ? settledBy(judged, 'the comparison of arms', outlasts)
              : judged,
        );
      }
    }
  }
  outcomes.push(...extra);
  return judge({ kind: 'study', id, runs: study.runs.map((r) => r.run), study }, outcomes, (layer) => studyExperiment(layer, study));
}

/** A compact description of the study for reports and the JSON contract. */
export function studySummary(study: Study) {
  return {
    objective: { metric: study.objective.metric, direction: study.objective.direction > 0 ? 'higher' : 'lower' },
    scientific: study.scientific,
    nuisance: study.nuisance,
    ...(study.seedKey !== undefined ? { seedKey: study.seedKey } : {}),
    ...(study.concept !== undefined ? { concept: study.concept, probes: study.probes } : {}),
    arms: study.arms.map((arm) => ({
      arm: arm.label,
      settings: arm.settings.length,
      runs: arm.settings.reduce((n, s) => n + s.runs.length, 0),
      best: { setting: arm.best.label, mean: arm.best.mean, seeds: arm.best.runs.map((r) => valueKey(r.seed)) },
    })),
  };
}
