/**
 * What `ladder lab` runs: the tour (a healthy model and one faulty model per layer), the
 * grade (every world × fault that applies, over several seeds), and their summaries and
 * the `ladder.lab/v1` JSON (issue 7).
 */
import { LAYERS, type Layer } from '../ladder/layers.js';
import { MAX_RELATIVE_ERROR, relativeErrors } from './budget.js';
import { faultApplies, FAULT_NAMES, faultByName } from './faults.js';
import type { Lab, LabCase } from './lab.js';
import { WORLD_NAMES } from './worlds/index.js';

export const LAB_SCHEMA = 'ladder.lab/v1';

export interface CaseSpec {
  world: string;
  fault: string;
  seed: number;
}

/** The tour: healthy, then one fault per layer in the order of reverse reasoning. */
export function tourCases(seed = 0): CaseSpec[] {
  return [
    { world: 'markov1', fault: 'none', seed },
    { world: 'markov1', fault: 'small-eval', seed },
    { world: 'markov1', fault: 'lr-high', seed },
    { world: 'markov1', fault: 'width4', seed },
    { world: 'markov2-extrapolate', fault: 'learned-positions', seed },
  ];
}

/** Every world × fault that applies, for each seed (`worlds` narrows the worlds). */
export function gradeCases(seeds: number[], worlds: readonly string[] = WORLD_NAMES): CaseSpec[] {
  return seeds.flatMap((seed) => worlds.flatMap((world) => FAULT_NAMES.filter((fault) => faultApplies(faultByName(fault), world)).map((fault) => ({ world, fault, seed }))));
}

/**
 * Runs the cases concurrently (their trials queue on the lab's runner, so every thread stays
 * busy while a case waits for its diagnosis) and reports each in the order given.
 */
export async function runCases(lab: Lab, cases: CaseSpec[], onCase?: (done: number, c: LabCase) => void): Promise<LabCase[]> {
  const pending = cases.map((spec) => lab.runCase(spec.world, spec.fault, spec.seed));
  // Every promise gets a handler now, so a failure while an earlier case is awaited is not unhandled.
  for (const promise of pending) promise.catch(() => undefined);
  const out: LabCase[] = [];
  for (const promise of pending) {
    const c = await promise;
    out.push(c);
    onCase?.(out.length, c);
  }
  return out;
}

export interface Grade {
  cases: number;
  correct: number;
  accuracy: number;
  healthy: number;
  healthyJudgedFaulty: number;
  /** Per term: cases whose estimate is within MAX_RELATIVE_ERROR of the total gap, and the median relative error. */
  terms: Record<Layer, { within: number; median: number; max: number }>;
  byFault: Record<string, { cases: number; correct: number; verdicts: Record<string, number> }>;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length === 0 ? Number.NaN : sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function gradeOf(cases: LabCase[]): Grade {
  const correct = cases.filter((c) => c.verdict === c.injectedLayer).length;
  const healthy = cases.filter((c) => c.injectedLayer === 'none');
  const errors = cases.map((c) => relativeErrors(c.budget));
  const terms = Object.fromEntries(
    LAYERS.map((layer) => {
      const values = errors.map((e) => e[layer]);
      return [layer, { within: values.filter((v) => v <= MAX_RELATIVE_ERROR).length, median: median(values), max: Math.max(...values) }];
    }),
  ) as Grade['terms'];
  const byFault: Grade['byFault'] = {};
  for (const c of cases) {
    const entry = (byFault[c.fault] ??= { cases: 0, correct: 0, verdicts: {} });
    entry.cases++;
    if (c.verdict === c.injectedLayer) entry.correct++;
    entry.verdicts[c.verdict] = (entry.verdicts[c.verdict] ?? 0) + 1;
  }
  return {
    cases: cases.length,
    correct,
    accuracy: cases.length > 0 ? correct / cases.length : Number.NaN,
    healthy: healthy.length,
    healthyJudgedFaulty: healthy.filter((c) => c.verdict !== 'none').length,
    terms,
    byFault,
  };
}

const round = (x: number | null) => (x === null || !Number.isFinite(x) ? null : Number(x.toFixed(6)));

export function caseToJson(c: LabCase) {
  return {
    world: c.world,
    fault: c.fault,
    seed: c.seed,
    injectedLayer: c.injectedLayer,
    verdict: c.verdict,
    findings: c.diagnosis.findings.filter((f) => f.severity !== 'info').map((f) => f.code),
    budget: {
      true: Object.fromEntries(LAYERS.map((l) => [l, round(c.budget.true[l])])),
      estimated: Object.fromEntries(LAYERS.map((l) => [l, round(c.budget.estimated[l].estimate)])),
      intervals: Object.fromEntries(LAYERS.map((l) => [l, { low: round(c.budget.estimated[l].low), high: round(c.budget.estimated[l].high) }])),
      losses: Object.fromEntries(Object.entries(c.budget.losses).map(([k, v]) => [k, round(v)])),
      total: round(c.budget.total),
    },
    probes: c.probes,
    runs: c.runs,
    seconds: round(c.seconds),
  };
}

export function labToJson(cases: LabCase[], seconds: number, grade?: Grade) {
  return { schema: LAB_SCHEMA, cases: cases.map(caseToJson), ...(grade ? { grade } : {}), seconds: round(seconds) };
}
