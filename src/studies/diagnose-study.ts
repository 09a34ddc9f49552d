/**
 * Diagnosing a study: the study checks (src/studies/registry.ts) and, for each arm's best
 * setting, the run checks of the observation and reachability layers on its runs — an arm
 * whose best run diverged, stalled or is not converged makes the comparison unsettled
 * (DESIGN 3.3), except a stall the study's own sweep has answered (stallAnsweredBySweep).
 * The verdict follows the same reverse reasoning as for one run (src/ladder/diagnose.ts
 * `judge`), so instantiation and perception stay gated until the study's reachability
 * passes: the taboo, enforced.
 */
import type { CheckOutcome } from '../checks/check.js';
import type { DiagnoseOptions, Diagnosis, JudgedOutcome } from '../ladder/diagnose.js';
import { judge, runOutcomes, thresholdValues } from '../ladder/diagnose.js';
import type { PlannedExperiment } from '../ladder/finding.js';
import type { Layer } from '../ladder/layers.js';
import { STUDY_CHECKS } from './registry.js';
import { compareArms } from './compare-arms.js';
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

function settledBySweep(judged: JudgedOutcome, how: string): JudgedOutcome {
  if (judged.outcome.status !== 'problem') return judged;
  return {
    ...judged,
    outcome: { status: 'clear', findings: judged.outcome.findings.map((f) => ({ ...f, severity: 'info', evidence: { ...f.evidence, settledBy: "the study's learning-rate sweep", settledHow: how } })) },
  };
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
  const confidence = thresholdValues(tunedComparison, options.thresholds).confidence!;
  for (const arm of study.arms) {
    const answered = stallAnsweredBySweep(study, arm, confidence);
    for (const { run } of arm.best.runs) {
      for (const judged of runOutcomes(run, options)) {
        if (judged.outcome.status === 'unknown' || !bearsOnStudy(judged.layer, judged.outcome)) continue;
        outcomes.push(judged.code === 'reachability.stall' && answered ? settledBySweep(judged, answered) : judged);
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
