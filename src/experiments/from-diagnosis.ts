/**
 * From a diagnosis to a plan (`ladder plan`): the experiment the first undecided layer names
 * becomes a sweep over the user's own command. Reads, in layer order, a finding's tuning plan
 * (`reachability.untuned-comparison` carries one: the learning-rate grid for every arm) or the
 * layer's planned experiment (an inconclusive or gated layer says what would decide it).
 * Experiments without values to vary (log a validation set, compare concept families) cannot
 * be swept and are skipped with their description, so the user still learns what to do.
 */
import type { Diagnosis } from '../ladder/diagnose.js';
import type { EvidenceValue, PlannedExperiment } from '../ladder/finding.js';
import type { Layer } from '../ladder/layers.js';
import { RESERVED_PLACEHOLDERS, type ParamValue } from './plan.js';

export interface PlanDraft {
  /** Where it came from: the layer and the finding code or `experiment`. */
  source: { layer: Layer; from: string; kind: string; description: string; fixed?: Record<string, string | number> };
  /** The plan as it will be written (without the command). */
  plan: {
    name: string;
    space: Record<string, { grid: ParamValue[] } | { cases: Record<string, ParamValue>[] }>;
    seeds?: number[];
    timeout: number;
    retries: number;
    objective?: { metric: string; direction: 'minimize' | 'maximize' };
    scientific?: string[];
    nuisance?: string[];
  };
  /** Placeholders the command must use: every space key, `seed` when seeded. */
  placeholders: string[];
  /** Experiments passed over because they have nothing to sweep. */
  skipped: { layer: Layer; kind: string; description: string }[];
}

/** A hyperparameter name as a placeholder: an identifier (`optimizer.lr` → `optimizer_lr`). */
export function placeholderName(key: string): string {
  let name = key.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  if (!/^[A-Za-z_]/.test(name)) name = `_${name}`;
  if ((RESERVED_PLACEHOLDERS as readonly string[]).includes(name) && name !== 'seed') name = `${name}_value`;
  return name;
}

const isScalar = (value: unknown): value is ParamValue => typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean';

function asVary(value: EvidenceValue | undefined): Record<string, ParamValue[]> | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const vary: Record<string, ParamValue[]> = {};
  for (const [key, values] of Object.entries(value)) {
    if (Array.isArray(values) && values.length > 0 && values.every(isScalar)) vary[key] = values as ParamValue[];
  }
  return Object.keys(vary).length > 0 ? vary : undefined;
}

const SEED_KEY = /^(seed|random_seed|data_seed|rng_seed|manual_seed|seed_value|trial_seed)$/i;

type Found = { layer: Layer; from: string; kind: string; description: string; vary: Record<string, ParamValue[]>; seeds?: number; perArm: boolean; fixed?: Record<string, string | number> };

/**
 * What to plan: a finding's own plan first, in layer order (the verdict's next action, e.g.
 * tune every arm before anything else), else the experiment of the first inconclusive or
 * gated layer that has values to vary.
 */
function chooseExperiment(diagnosis: Diagnosis, skipped: PlanDraft['skipped']): Found | undefined {
  for (const assessment of diagnosis.layers) {
    for (const finding of diagnosis.findings.filter((f) => f.layer === assessment.layer)) {
      const plan = finding.evidence.plan;
      if (plan === null || typeof plan !== 'object' || Array.isArray(plan)) continue;
      const vary = asVary(plan.vary);
      if (!vary) continue;
      const found: Found = { layer: assessment.layer, from: finding.code, kind: String(plan.kind ?? 'sweep'), description: finding.next, vary, perArm: plan.perArm === true };
      if (typeof plan.seeds === 'number') found.seeds = plan.seeds;
      return found;
    }
  }
  for (const assessment of diagnosis.layers) {
    const experiment: PlannedExperiment | undefined = assessment.experiment;
    if (!experiment || (assessment.status !== 'inconclusive' && assessment.status !== 'gated')) continue;
    const vary = experiment.vary ? asVary(experiment.vary as EvidenceValue) : undefined;
    if (!vary) {
      skipped.push({ layer: assessment.layer, kind: experiment.kind, description: experiment.description });
      continue;
    }
    const found: Found = { layer: assessment.layer, from: 'experiment', kind: experiment.kind, description: experiment.description, vary, perArm: true };
    if (experiment.fixed) found.fixed = experiment.fixed;
    return found;
  }
  return undefined;
}

export function planFromDiagnosis(diagnosis: Diagnosis, name?: string): PlanDraft | { none: PlanDraft['skipped'] } {
  const study = diagnosis.subject.study;
  const skipped: PlanDraft['skipped'] = [];
  const found = chooseExperiment(diagnosis, skipped);
  if (!found) return { none: skipped };

  const space: PlanDraft['plan']['space'] = {};
  const placeholders: string[] = [];
  const scientific: string[] = [];
  // The arms, as they were: cases that set every scientific key at once (crossing the keys
  // would invent arms nobody ran).
  if (study && found.perArm && study.scientific.length > 0) {
    const cases = study.arms
      .map((arm) => Object.fromEntries(study.scientific.map((key) => [placeholderName(key), arm.scientific[key]])))
      .filter((c): c is Record<string, ParamValue> => Object.values(c).every(isScalar));
    if (cases.length > 0) {
      space.arm = { cases };
      for (const key of Object.keys(cases[0]!)) {
        placeholders.push(key);
        scientific.push(key);
      }
    }
  }
  let seeds: number[] | undefined;
  const nuisance: string[] = [];
  for (const [key, values] of Object.entries(found.vary)) {
    if ((study?.seedKey !== undefined && key === study.seedKey) || SEED_KEY.test(key)) {
      seeds = values.map(Number).filter((v) => Number.isSafeInteger(v) && v >= 0);
      continue;
    }
    const placeholder = placeholderName(key);
    space[placeholder] = { grid: values };
    placeholders.push(placeholder);
    nuisance.push(placeholder);
  }
  if (seeds === undefined && found.seeds !== undefined) seeds = Array.from({ length: found.seeds }, (_, i) => i);
  const plan: PlanDraft['plan'] = { name: name ?? found.kind, space, timeout: 86_400, retries: 1 };
  if (seeds && seeds.length > 0) {
    plan.seeds = seeds;
    placeholders.push('seed');
  }
  if (study) plan.objective = { metric: study.objective.metric, direction: study.objective.direction > 0 ? 'maximize' : 'minimize' };
  if (scientific.length > 0) plan.scientific = scientific;
  if (nuisance.length > 0 && scientific.length > 0) plan.nuisance = nuisance;
  const source: PlanDraft['source'] = { layer: found.layer, from: found.from, kind: found.kind, description: found.description };
  if (found.fixed) source.fixed = found.fixed;
  return { source, plan, placeholders, skipped };
}
