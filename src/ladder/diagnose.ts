/**
 * The verdict engine (DESIGN section 2). For one run:
 *
 *   evidence(run) → every check of every layer → layer statuses → verdict
 *
 * A layer fails when one of its checks found a problem (a warning or error finding); it
 * passes when at least one of its checks could assess the run and none found a problem; it
 * is inconclusive when none could assess it. Reasoning is backwards: a failing observation
 * gates everything above it (no number can be trusted); instantiation and perception are
 * gated unless reachability passed, because a comparison of architectures means nothing
 * while training has not reached what they can do (the taboo). An inconclusive observation
 * does not gate reachability: training-side evidence (the training loss) does not depend on
 * the evaluation. The verdict is the first failing layer, or `none`. Every inconclusive
 * layer names the cheapest experiment that would decide it.
 */
import type { AnyCheck } from '../checks/check.js';
import { CHECKS } from '../checks/registry.js';
import type { CheckOutcome } from '../checks/check.js';
import type { Run } from '../model/run.js';
import type { Study } from '../studies/study.js';
import type { Baseline } from './baseline.js';
import { evidenceOf, type EvidenceContext } from './evidence.js';
import type { Finding, PlannedExperiment } from './finding.js';
import { wordingOf } from './findings-text.js';
import { LAYERS, type Layer, type LayerStatus, type Verdict } from './layers.js';

export interface LayerAssessment {
  layer: Layer;
  status: LayerStatus;
  findings: string[];
  /** Checks that could not assess the run, and what they would need. */
  unknown: { check: string; missing: string }[];
  /** For an inconclusive or gated layer: the cheapest experiment that would decide it. */
  experiment?: PlannedExperiment;
}

/** What a diagnosis is about: one run, or a study of several (src/studies/study.ts). */
export interface Subject {
  kind: 'run' | 'study';
  id: string;
  runs: Run[];
  study?: Study;
}

export interface Diagnosis {
  subject: Subject;
  verdict: { layer: Verdict; summary: string; next: string[] };
  layers: LayerAssessment[];
  findings: Finding[];
}

export interface DiagnoseOptions {
  checks?: readonly AnyCheck[];
  /** Threshold overrides: `{ "reachability.divergence": { explosionFactor: 20 } }`. */
  thresholds?: Record<string, Record<string, number>>;
  /** What the run's evaluation is compared with (`--baseline`), and on which per-example metric. */
  baseline?: Baseline;
  metric?: string;
}

/** What would decide each layer when a single run cannot. */
function experimentFor(layer: Layer, run: Run): PlannedExperiment {
  const lr = typeof run.hparams.learning_rate === 'number' ? run.hparams.learning_rate : typeof run.hparams.lr === 'number' ? run.hparams.lr : undefined;
  switch (layer) {
    case 'observation':
      return {
        kind: 'validation-run',
        description: 'log a validation loss and metric at regular steps on a held-out set of known size',
        cost: 0.1,
      };
    case 'reachability':
      return {
        kind: 'lr-sweep',
        description: 'learning-rate sweep around the current value, same steps, to show training reaches its best',
        vary: { learning_rate: lr ? [lr / 10, lr / 3, lr, lr * 3] : [1e-5, 1e-4, 1e-3, 1e-2] },
        fixed: { steps: '1x' },
        cost: 4,
      };
    case 'instantiation':
      return {
        kind: 'nuisance-sweep',
        description: 'compare the architecture with an alternative, each with its own tuned learning rate and two seeds',
        vary: { learning_rate: lr ? [lr / 3, lr, lr * 3] : [1e-4, 1e-3, 1e-2], seed: [0, 1] },
        cost: 12,
      };
    case 'perception':
      return {
        kind: 'concept-comparison',
        description: 'compare concept families on a probe that discriminates them, each instantiation tuned',
        cost: 24,
      };
  }
}

/** One check's outcome, as the engine weighs it. */
export interface JudgedOutcome {
  code: string;
  layer: Layer;
  outcome: CheckOutcome;
  /**
   * For an experiment's outcome: the checks whose prediction it measured directly (a sweep at
   * twice the steps measures what reachability.not-converged predicts of more steps). A
   * measurement outweighs a prediction: when this outcome is clear, those checks' problems are
   * kept as info findings marked `settledBy` this code, and their layer counts them as clear.
   */
  settles?: readonly string[];
}

export function diagnoseRun(run: Run, options: DiagnoseOptions = {}): Diagnosis {
  return judge({ kind: 'run', id: run.id, runs: [run] }, runOutcomes(run, options), (layer) => experimentFor(layer, run));
}

/**
 * A run's diagnosis with outcomes from experiments beyond its own logs (e.g. the learning-rate
 * sweep planned around it, `reachability.tuned-gap`), judged together with its checks.
 */
export function diagnoseRunWith(run: Run, extra: JudgedOutcome[], options: DiagnoseOptions = {}): Diagnosis {
  return judge({ kind: 'run', id: run.id, runs: [run] }, [...runOutcomes(run, options), ...extra], (layer) => experimentFor(layer, run));
}

/** Every run check's outcome on one run. */
export function runOutcomes(run: Run, options: DiagnoseOptions = {}): JudgedOutcome[] {
  const checks = options.checks ?? (CHECKS as readonly AnyCheck[]);
  const context: EvidenceContext = {};
  if (options.baseline) context.baseline = options.baseline;
  if (options.metric !== undefined) context.metric = options.metric;
  const evidence = evidenceOf(run, context);
  return checks.map((check) => ({ code: check.code, layer: check.layer, outcome: check.evaluate(evidence, thresholdValues(check, options.thresholds)) }));
}

/** A check's thresholds with the overrides applied. */
export function thresholdValues(check: { code: string; thresholds: Record<string, { value: number }> }, overrides?: Record<string, Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(check.thresholds).map(([name, threshold]) => [name, overrides?.[check.code]?.[name] ?? threshold.value]));
}

/** A problem an experiment measured and found absent: its findings kept as info, marked with the experiment. */
function settle(outcome: CheckOutcome, by: string | undefined): CheckOutcome {
  if (by === undefined || outcome.status !== 'problem') return outcome;
  return { status: 'clear', findings: outcome.findings.map((f) => ({ ...f, severity: 'info', evidence: { ...f.evidence, settledBy: by } })) };
}

/**
 * Layer statuses and the verdict from check outcomes (DESIGN section 2): a layer fails when a
 * check found a problem, passes when one could assess it and none did, is inconclusive
 * otherwise; a failing observation gates everything above it, and instantiation and
 * perception are gated until reachability passes (the taboo).
 */
export function judge(subject: Subject, outcomes: JudgedOutcome[], plan: (layer: Layer) => PlannedExperiment): Diagnosis {
  const findings: Finding[] = [];
  const byLayer = new Map<Layer, { problems: number; clear: number; unknown: { check: string; missing: string }[]; codes: string[] }>(
    LAYERS.map((layer) => [layer, { problems: 0, clear: 0, unknown: [], codes: [] }]),
  );
  const settledBy = new Map<string, string>();
  for (const { code, outcome, settles } of outcomes) {
    if (outcome.status === 'clear') for (const settled of settles ?? []) settledBy.set(settled, code);
  }
  for (const judged of outcomes) {
    const { code, layer } = judged;
    const outcome = settle(judged.outcome, settledBy.get(code));
    const tally = byLayer.get(layer)!;
    if (outcome.status === 'unknown') {
      tally.unknown.push({ check: code, missing: outcome.missing });
      continue;
    }
    const own: Finding[] = (outcome.findings ?? []).map((draft) => {
      const text = wordingOf(draft.code);
      const settledNote =
        typeof draft.evidence.settledBy !== 'string'
          ? ''
          : typeof draft.evidence.settledHow === 'string'
            ? ` — settled by ${draft.evidence.settledBy}: ${draft.evidence.settledHow}`
            : ` — settled by ${draft.evidence.settledBy}, which measured it and found no problem`;
      return { ...draft, summary: text.summary(draft.evidence) + settledNote, next: text.next(draft.evidence) };
    });
    findings.push(...own);
    tally.codes.push(...own.map((f) => f.code));
    if (outcome.status === 'problem' && own.some((f) => f.severity !== 'info')) tally.problems++;
    else tally.clear++;
  }

  const layers: LayerAssessment[] = [];
  let verdict: Verdict = 'none';
  let gateAll = false;
  for (const layer of LAYERS) {
    const tally = byLayer.get(layer)!;
    let status: LayerStatus = tally.problems > 0 ? 'fail' : tally.clear > 0 ? 'pass' : 'inconclusive';
    const reachability = layers.find((l) => l.layer === 'reachability');
    const gated = gateAll || ((layer === 'instantiation' || layer === 'perception') && reachability?.status !== 'pass');
    if (gated) status = 'gated';
    const assessment: LayerAssessment = { layer, status, findings: [...new Set(tally.codes)], unknown: tally.unknown };
    if (status === 'inconclusive' || status === 'gated') assessment.experiment = plan(layer);
    layers.push(assessment);
    if (status === 'fail' && verdict === 'none') verdict = layer;
    if (layer === 'observation' && status === 'fail') gateAll = true;
  }

  const failing = findings.filter((f) => f.layer === verdict && f.severity !== 'info');
  const summary =
    verdict === 'none'
      ? `no layer fails on the evidence ${subject.kind === 'run' ? 'this run carries' : 'these runs carry'}`
      : failing.map((f) => f.summary).join('; ');
  const next =
    verdict === 'none'
      ? layers.filter((l) => l.experiment && l.status === 'inconclusive').map((l) => l.experiment!.description)
      : [...new Set(failing.map((f) => f.next))];
  return { subject, verdict: { layer: verdict, summary, next }, layers, findings };
}
