/**
 * What `ladder lab` runs: the tour (a healthy model and one faulty model per layer), the
 * grade (every world × fault that applies, over several seeds), and their summaries and
 * the `ladder.lab/v1` JSON (issue 7).
 */
import { LAYERS, type Layer } from '../ladder/layers.js';
import { evidenceToJson } from '../ladder/to-json.js';
import { MAX_RELATIVE_ERROR, relativeError } from './budget.js';
import { faultApplies, FAULT_NAMES, faultByName } from './faults.js';
import { healthyConfig, type Lab, type LabCase, type ProbeResult } from './lab.js';
import { GRADED_WORLD_NAMES } from './worlds/index.js';

export const LAB_SCHEMA = 'ladder.lab/v1';

export interface CaseSpec {
  world: string;
  fault: string;
  seed: number;
  /** Steps instead of the healthy recipe's. */
  steps?: number;
}

/**
 * Steps of the tour's perception case: a quarter of markov2-extrapolate's graded recipe
 * (1,920), so that the tour fits its 3 minutes. The phenomenon and the verdict do not need
 * convergence: at 480 steps learned positions already score 0.35/0.27 beyond the training
 * length against ALiBi's 0.49 (test/lab/tour.test.ts checks both); a healthy run this short
 * would rightly be called unconverged, which is why the grade trains the full recipe.
 */
export const TOUR_PERCEPTION_STEPS = 480;

/** The tour: healthy, then one fault per layer in the order of reverse reasoning. */
export function tourCases(seed = 0): CaseSpec[] {
  return [
    { world: 'markov1', fault: 'none', seed },
    { world: 'markov1', fault: 'small-eval', seed },
    { world: 'markov1', fault: 'lr-high', seed },
    { world: 'markov1', fault: 'width4', seed },
    { world: 'markov2-extrapolate', fault: 'learned-positions', seed, steps: TOUR_PERCEPTION_STEPS },
  ];
}

/** Every world × fault that applies, for each seed (`worlds` names the worlds; by default the graded ones). */
export function gradeCases(seeds: number[], worlds: readonly string[] = GRADED_WORLD_NAMES): CaseSpec[] {
  return seeds.flatMap((seed) => worlds.flatMap((world) => FAULT_NAMES.filter((fault) => faultApplies(faultByName(fault), world)).map((fault) => ({ world, fault, seed }))));
}

/**
 * Runs the cases concurrently, at most `concurrency` at a time (their trials queue on the
 * lab's runner, so every thread stays busy while a case waits for its diagnosis), and reports
 * each in the order given. The runner's queue is first come, first served: with every case of
 * a long grade in flight at once, each case's later trials queue behind every other case's
 * first ones and no case finishes until nearly all do; a bound lets cases finish (and be
 * recorded) along the way.
 */
export async function runCases(
  lab: Lab,
  cases: CaseSpec[],
  onCase?: (done: number, c: LabCase) => void,
  onFinished?: (c: LabCase) => void,
  concurrency = Number.POSITIVE_INFINITY,
): Promise<LabCase[]> {
  const slots: Promise<unknown>[] = [];
  const pending = cases.map((spec, i) => {
    // Case i starts when case i − concurrency has settled (each slot's chain runs in order).
    const previous = i >= concurrency ? slots[i - concurrency]! : Promise.resolve();
    const promise = previous.then(() => lab.runCase(spec.world, spec.fault, spec.seed, spec.steps !== undefined ? { steps: spec.steps } : {}));
    slots.push(promise.catch(() => undefined));
    return promise;
  });
  // Every promise gets a handler now, so a failure while an earlier case is awaited is not
  // unhandled; `onFinished` hears of each case as soon as it is done (in any order).
  for (const promise of pending) promise.then(onFinished, () => undefined);
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
  /**
   * Per term: cases whose estimate is within MAX_RELATIVE_ERROR of the total gap, the median
   * and largest relative error, and cases whose true term lies inside ladder's 95 % interval
   * (the fairer test where the total gap is within the noise of a held-out estimate); and,
   * among the cases where the criterion can be met at all — the estimate's 95 % interval
   * narrower than MAX_RELATIVE_ERROR of the total gap on each side — how many (`resolvable`)
   * and how many of those are within (`withinResolvable`). Where the interval is wider, an
   * exact estimator would still miss 20 % by chance: a healthy run's total gap of 0.005 nats
   * asks for 0.001, a fifth of a held-out loss's typical standard error.
   */
  terms: Record<Layer, { within: number; median: number; max: number; covered: number; resolvable: number; withinResolvable: number }>;
  byFault: Record<string, { cases: number; correct: number; verdicts: Record<string, number> }>;
  /** The cases whose verdict is not the injected layer, with why ladder judged as it did (when recorded). */
  misses: GradeMiss[];
  /**
   * Cases whose fault changes the model (reachability, instantiation, perception) but put at
   * most MAX_RELATIVE_ERROR of the total gap into its own layer's true term: the fault
   * injected nothing the grade could ask ladder to find, so a verdict on them, right or
   * wrong, says little. Counted in `correct` like every case, and set apart in `measurable`.
   */
  inert: { world: string; fault: string; seed: number; injectedLayer: Layer; term: number; total: number | null; verdict: string }[];
  /** Verdicts over the cases that are not inert. */
  measurable: { cases: number; correct: number };
}

export interface GradeMiss {
  world: string;
  fault: string;
  seed: number;
  injectedLayer: Layer | 'none';
  verdict: string;
  findings: string[];
  /** The diagnosis's summary (absent from records written before it was kept). */
  summary?: string;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length === 0 ? Number.NaN : sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Whether a case's fault injected nothing measurable into its layer: a model fault whose true
 * term is within MAX_RELATIVE_ERROR of the total gap, the grade's own tolerance for a term
 * (measured on seed 0: every model fault put 0.9 of the gap or more into its layer, but
 * `mlp-mixer` on the fixed-offset copy worlds, 0.000, where an MLP over positions copies as
 * well as attention). Observation faults are never inert by this rule: they corrupt the
 * evaluation, and one too small to trust (`small-eval`) can land near the truth by chance.
 */
export function isInert(c: LabCaseJson): boolean {
  if (c.injectedLayer === 'none' || c.injectedLayer === 'observation') return false;
  const term = c.budget.true[c.injectedLayer];
  const total = c.budget.total;
  return term !== null && total !== null && term <= MAX_RELATIVE_ERROR * Math.abs(total);
}

/**
 * Whether a case's instantiation verdict is about the other arm: its architecture study's
 * tuned comparison (a warning) names the faulty run's own arm as the better one, so the layer
 * that fails is the healthy arm's. copy-noisy `mlp-mixer`, seed 0: with eight seeds a side
 * (the seed experiment) the MLP over positions beat attention by 0.062 nats beyond seed noise
 * (3.8 %), and the study's verdict was instantiation: the injected layer, but not a fault of
 * this run. The grade counts it as a miss. Arms are labelled by the spec fields that differ
 * (`mixer=mlp`, `width=4, heads=1`).
 */
export function indictsOtherArm(c: LabCaseJson): boolean {
  if (c.verdict !== 'instantiation' || !c.diagnosis || !(FAULT_NAMES as readonly string[]).includes(c.fault)) return false;
  const comparison = c.diagnosis.findings.find((f) => f.code === 'instantiation.tuned-comparison' && f.severity !== 'info');
  const better = (comparison?.evidence as Record<string, unknown> | undefined)?.better;
  if (typeof better !== 'string') return false;
  const spec = faultByName(c.fault).apply(healthyConfig(c.world, c.seed)).spec as unknown as Record<string, unknown>;
  return better.split(', ').every((pair) => {
    const [key, value] = pair.split('=');
    return key !== undefined && key in spec && String(spec[key]) === value;
  });
}

/** Whether ladder's verdict on a case names its injected layer (and, for an instantiation verdict, the faulty run's arm). */
export function verdictRight(c: LabCaseJson): boolean {
  return c.verdict === c.injectedLayer && !indictsOtherArm(c);
}

/** The grade of cases, from their `ladder.lab/v1` form (so that recorded cases grade like fresh ones). */
export function gradeOf(cases: LabCaseJson[]): Grade {
  const correct = cases.filter(verdictRight).length;
  const healthy = cases.filter((c) => c.injectedLayer === 'none');
  const inert = cases.filter(isInert);
  const measurable = cases.filter((c) => !isInert(c));
  const terms = Object.fromEntries(
    LAYERS.map((layer) => {
      const values = cases.map((c) => relativeError(c.budget.estimated[layer], c.budget.true[layer] ?? Number.NaN, c.budget.total ?? Number.NaN));
      const covered = cases.filter((c) => {
        const { low, high } = c.budget.intervals[layer]!;
        const truth = c.budget.true[layer];
        return low !== null && high !== null && truth !== null && truth !== undefined && truth >= low && truth <= high;
      }).length;
      const resolvable = cases.flatMap((c, i) => {
        const { low, high } = c.budget.intervals[layer]!;
        const total = c.budget.total;
        return low !== null && high !== null && total !== null && (high - low) / 2 <= MAX_RELATIVE_ERROR * Math.abs(total) ? [values[i]!] : [];
      });
      return [
        layer,
        {
          within: values.filter((v) => v <= MAX_RELATIVE_ERROR).length,
          median: median(values),
          max: Math.max(...values),
          covered,
          resolvable: resolvable.length,
          withinResolvable: resolvable.filter((v) => v <= MAX_RELATIVE_ERROR).length,
        },
      ];
    }),
  ) as Grade['terms'];
  const byFault: Grade['byFault'] = {};
  for (const c of cases) {
    const entry = (byFault[c.fault] ??= { cases: 0, correct: 0, verdicts: {} });
    entry.cases++;
    if (verdictRight(c)) entry.correct++;
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
    misses: cases
      .filter((c) => !verdictRight(c))
      .map((c) => ({
        world: c.world,
        fault: c.fault,
        seed: c.seed,
        injectedLayer: c.injectedLayer,
        verdict: c.verdict,
        findings: c.findings,
        ...(c.diagnosis ? { summary: c.diagnosis.summary } : {}),
      })),
    inert: inert.map((c) => ({
      world: c.world,
      fault: c.fault,
      seed: c.seed,
      injectedLayer: c.injectedLayer as Layer,
      term: c.budget.true[c.injectedLayer as Layer]!,
      total: c.budget.total,
      verdict: c.verdict,
    })),
    measurable: {
      cases: measurable.length,
      correct: measurable.filter(verdictRight).length,
    },
  };
}

type Terms = Record<Layer, number | null>;

/** One case of `ladder.lab/v1`. */
export interface LabCaseJson {
  world: string;
  fault: string;
  seed: number;
  injectedLayer: Layer | 'none';
  /** Training steps of the case's healthy recipe. */
  steps: number;
  verdict: string;
  /** Warning and problem findings of ladder's diagnosis. */
  findings: string[];
  /**
   * The diagnosis the verdict comes from: its summary, and every finding with its evidence,
   * info ones included (an experiment's measurement and the problems it settled, marked
   * `settledBy`), so that a recorded case says why it was judged as it was. Absent from
   * records written before it was added.
   */
  diagnosis?: { summary: string; findings: LabFindingJson[] };
  budget: {
    true: Terms;
    estimated: Terms;
    intervals: Record<Layer, { low: number | null; high: number | null }>;
    losses: Record<string, number | null>;
    total: number | null;
  };
  probes: ProbeResult[];
  runs: number;
  seconds: number | null;
}

/** One finding of a case's diagnosis, as the `ladder.diagnosis/v1` contract has it (without its advice and plot marks). */
export interface LabFindingJson {
  code: string;
  layer: Layer;
  severity: string;
  runs: string[];
  summary: string;
  evidence: unknown;
}

const round = (x: number | null) => (x === null || !Number.isFinite(x) ? null : Number(x.toFixed(6)));

export function caseToJson(c: LabCase): LabCaseJson {
  return {
    world: c.world,
    fault: c.fault,
    seed: c.seed,
    injectedLayer: c.injectedLayer,
    steps: c.steps,
    verdict: c.verdict,
    findings: c.diagnosis.findings.filter((f) => f.severity !== 'info').map((f) => f.code),
    diagnosis: {
      summary: c.diagnosis.verdict.summary,
      findings: c.diagnosis.findings.map((f) => ({ code: f.code, layer: f.layer, severity: f.severity, runs: f.runs, summary: f.summary, evidence: evidenceToJson(f.evidence) })),
    },
    budget: {
      true: Object.fromEntries(LAYERS.map((l) => [l, round(c.budget.true[l])])) as Terms,
      estimated: Object.fromEntries(LAYERS.map((l) => [l, round(c.budget.estimated[l].estimate)])) as Terms,
      intervals: Object.fromEntries(LAYERS.map((l) => [l, { low: round(c.budget.estimated[l].low), high: round(c.budget.estimated[l].high) }])) as LabCaseJson['budget']['intervals'],
      losses: Object.fromEntries(Object.entries(c.budget.losses).map(([k, v]) => [k, round(v)])),
      total: round(c.budget.total),
    },
    probes: c.probes,
    runs: c.runs,
    seconds: round(c.seconds),
  };
}

export function labToJson(cases: LabCaseJson[], seconds: number, grade?: Grade) {
  return { schema: LAB_SCHEMA, cases, ...(grade ? { grade } : {}), seconds: round(seconds) };
}
