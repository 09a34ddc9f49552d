/**
 * What a report draws, as plain data: a diagnosis (or a comparison) in, a list of figures out.
 * Figures are JSON-safe (numbers, strings, arrays; no typed arrays, no NaN in the curves), so the
 * same plot code (plots.ts) can draw them in the terminal's HTML report, in a PNG, and later in
 * the dashboard, which gets them from the server as JSON.
 *
 *   Diagnosis ──figuresOfDiagnosis──▶ Figure[] ──renderFigure (plots.ts)──▶ SVG string
 *
 * Long series are downsampled for display (downsample.ts: LTTB with each bucket's minimum and
 * maximum kept), marks are placed on the full-resolution values, non-finite points become
 * marks of their own.
 */
import type { Diagnosis } from '../ladder/diagnose.js';
import type { EvidenceValue, Finding, FindingSeverity } from '../ladder/finding.js';
import { LAYERS, type Layer } from '../ladder/layers.js';
import type { Run, Series } from '../model/run.js';
import { studentTQuantile } from '../stats/distributions.js';
import { pooledSeedNoise, settingValues } from '../studies/compare-arms.js';
import { learningRateKey, valueKey, type Study } from '../studies/study.js';
import { downsampleIndices } from './downsample.js';

/** Points per curve after downsampling: enough for a 1,000-pixel-wide plot at two points per pixel. */
export const MAX_POINTS_PER_CURVE = 2000;

export interface CurveLine {
  name: string;
  steps: number[];
  values: number[];
  /** Points before downsampling (finite ones). */
  points: number;
}

export interface CurveMark {
  series: string;
  step: number;
  /** The series' value at that step, or null when it is not finite there (drawn at the top). */
  value: number | null;
  label: string;
  code: string;
  severity: FindingSeverity;
}

export interface TailBand {
  series: string;
  /** The last observed step and the fitted value there, then the predictions at 2× and 4× the steps. */
  points: { step: number; estimate: number; low: number; high: number }[];
  model: string;
  floor: number | null;
}

export interface NonFiniteSpan {
  series: string;
  /** First and last step of the stretch. */
  from: number;
  to: number;
  points: number;
  /** What the first point of the stretch is: NaN, +Infinity or -Infinity. */
  value: string;
}

export interface CurvesFigure {
  kind: 'curves';
  title: string;
  yLabel: string;
  logY: boolean;
  lines: CurveLine[];
  marks: CurveMark[];
  /** Stretches of consecutive points where a series is NaN or ±Infinity (the first few, by series). */
  nonFinite: NonFiniteSpan[];
  tail?: TailBand;
}

export interface BudgetTerm {
  layer: Layer;
  /** The degradation term this layer accounts for, e.g. "L_O − L_R". */
  term: string;
  estimate: number | null;
  low: number | null;
  high: number | null;
}

export interface WaterfallFigure {
  kind: 'waterfall';
  title: string;
  terms: BudgetTerm[];
}

export interface ArmsFigure {
  kind: 'arms';
  title: string;
  objective: string;
  higherIsBetter: boolean;
  confidence: number;
  arms: { arm: string; setting: string; mean: number; low: number | null; high: number | null; values: number[] }[];
}

export interface SweepFigure {
  kind: 'sweep';
  title: string;
  key: string;
  objective: string;
  logX: boolean;
  points: { arm: string; x: number; mean: number; values: number[] }[];
  edges: { arm: string; best: number; side: string; extendTo: number }[];
}

export interface EffectsFigure {
  kind: 'effects';
  title: string;
  objective: string;
  confidence: number;
  effects: { name: string; kind: 'main' | 'interaction'; estimate: number; low: number; high: number; matters: boolean }[];
}

export interface ProbesFigure {
  kind: 'probes';
  title: string;
  probe: string;
  concept: string;
  points: { family: string; size: string; value: number; run: string }[];
}

export interface ComparisonFigure {
  kind: 'comparison';
  title: string;
  metric: string;
  n: number;
  confidence: number;
  a: { label: string; value: number; low: number | null; high: number | null };
  b: { label: string; value: number; low: number | null; high: number | null };
  difference: { value: number; low: number | null; high: number | null; pValue: number };
  mde: number;
  significant: boolean;
}

export type Figure = CurvesFigure | WaterfallFigure | ArmsFigure | SweepFigure | EffectsFigure | ProbesFigure | ComparisonFigure;

const finiteOrNull = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** Finite points of a series, downsampled for display. */
export function curveLine(name: string, series: Series, maxPoints = MAX_POINTS_PER_CURVE): CurveLine {
  const steps: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < series.values.length; i++) {
    if (Number.isFinite(series.values[i]!)) {
      steps.push(series.steps[i]!);
      values.push(series.values[i]!);
    }
  }
  const kept = downsampleIndices(steps, values, maxPoints);
  return { name, steps: kept.map((i) => steps[i]!), values: kept.map((i) => values[i]!), points: steps.length };
}

/** The series' value at `step` (the nearest logged step), or null when it is not finite. */
function valueAt(series: Series, step: number): number | null {
  let best = -1;
  let distance = Number.POSITIVE_INFINITY;
  for (let i = 0; i < series.steps.length; i++) {
    const d = Math.abs(series.steps[i]! - step);
    if (d < distance) {
      distance = d;
      best = i;
    }
  }
  return best >= 0 ? finiteOrNull(series.values[best]) : null;
}

function nonFiniteOf(name: string, series: Series, limit = 100): NonFiniteSpan[] {
  const spans: NonFiniteSpan[] = [];
  let open: NonFiniteSpan | undefined;
  for (let i = 0; i < series.values.length && spans.length < limit; i++) {
    const v = series.values[i]!;
    if (Number.isFinite(v)) {
      open = undefined;
      continue;
    }
    if (open) {
      open.to = Math.max(open.to, series.steps[i]!);
      open.points++;
    } else {
      open = { series: name, from: series.steps[i]!, to: series.steps[i]!, points: 1, value: Number.isNaN(v) ? 'NaN' : v > 0 ? '+Infinity' : '-Infinity' };
      spans.push(open);
    }
  }
  return spans;
}

/** Evidence keys that hold one step of the finding's series (not values named after a step, like `fittedAtLastStep`). */
const STEP_KEY = /^(?!fittedAt|predictedAt)[a-zA-Z]*Step$/;

function humanize(key: string): string {
  return key.replace(/([A-Z])/g, ' $1').toLowerCase();
}

/** A finding's places on the curves: its own marks, and the single steps its evidence names. */
export function marksOf(finding: Finding, run: Run): CurveMark[] {
  const marks: CurveMark[] = [];
  const seen = new Set<string>();
  const add = (series: string, step: number, label: string) => {
    const found = run.series[series];
    if (!found || !Number.isFinite(step) || seen.has(`${series}\u0000${step}`)) return;
    seen.add(`${series}\u0000${step}`);
    marks.push({ series, step, value: valueAt(found, step), label, code: finding.code, severity: finding.severity });
  };
  for (const mark of finding.marks ?? []) add(mark.series, mark.step, mark.label);
  const named = finding.evidence.series;
  const series = typeof named === 'string' ? named : finding.marks?.[0]?.series;
  if (series !== undefined) {
    for (const [key, value] of Object.entries(finding.evidence)) {
      // The last step is where every curve ends: not a place worth marking.
      if (STEP_KEY.test(key) && key !== 'lastStep' && typeof value === 'number') add(key === 'damageStep' && typeof finding.evidence.lossSeries === 'string' ? finding.evidence.lossSeries : series, value, humanize(key));
    }
  }
  return marks;
}

function numberOf(evidence: Record<string, EvidenceValue>, key: string): number | null {
  return finiteOrNull(evidence[key]);
}

/** The extrapolated tail of reachability.not-converged, when its evidence has the predictions. */
export function tailOf(finding: Finding): TailBand | undefined {
  const e = finding.evidence;
  const last = numberOf(e, 'lastStep');
  const fitted = numberOf(e, 'fittedAtLastStep');
  const keys = ['predictedAt2x', 'predictedAt2xLow', 'predictedAt2xHigh', 'predictedAt4x', 'predictedAt4xLow', 'predictedAt4xHigh'].map((k) => numberOf(e, k));
  if (last === null || fitted === null || typeof e.series !== 'string' || keys.some((k) => k === null)) return undefined;
  const [at2, low2, high2, at4, low4, high4] = keys as number[];
  return {
    series: e.series,
    points: [
      { step: last, estimate: fitted, low: fitted, high: fitted },
      { step: 2 * last, estimate: at2!, low: low2!, high: high2! },
      { step: 4 * last, estimate: at4!, low: low4!, high: high4! },
    ],
    model: typeof e.model === 'string' ? e.model : 'fit',
    floor: numberOf(e, 'fittedFloor'),
  };
}

/** A log scale when every value is positive and they span more than two decades (a loss that explodes). */
function wantsLogY(lines: CurveLine[]): boolean {
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (const line of lines) {
    for (const v of line.values) {
      low = Math.min(low, v);
      high = Math.max(high, v);
    }
  }
  return low > 0 && high / low > 100;
}

/** Series that blow up by orders of magnitude when training diverges: a log axis may suit them; metrics and rates keep a linear one. */
function mayUseLogScale(run: Run, name: string): boolean {
  return name === run.roles.trainLoss || name === run.roles.valLoss || name === run.roles.gradNorm;
}

function curvesFigure(title: string, yLabel: string, run: Run, names: string[], findings: Finding[]): CurvesFigure {
  const lines = names.map((name) => curveLine(name, run.series[name]!));
  const marks = findings.flatMap((f) => marksOf(f, run)).filter((m) => names.includes(m.series));
  return {
    kind: 'curves',
    title,
    yLabel,
    logY: names.every((name) => mayUseLogScale(run, name)) && wantsLogY(lines),
    lines,
    marks,
    nonFinite: names.flatMap((name) => nonFiniteOf(name, run.series[name]!)),
  };
}

/** Every scalar series of a run, losses together, with the findings marked where they happen. */
export function runFigures(run: Run, findings: Finding[]): Figure[] {
  const own = findings.filter((f) => f.runs.includes(run.id));
  const figures: Figure[] = [];
  const losses = [run.roles.trainLoss, run.roles.valLoss].filter((name): name is string => name !== undefined && run.series[name] !== undefined);
  if (losses.length > 0) figures.push(curvesFigure(losses.length === 2 ? 'training and validation loss' : losses[0]!, 'loss', run, losses, own));
  const rest = Object.keys(run.series)
    .filter((name) => !losses.includes(name))
    .sort((a, b) => order(run, a) - order(run, b) || a.localeCompare(b));
  for (const name of rest) figures.push(curvesFigure(name, name, run, [name], own));
  for (const finding of own) {
    const tail = finding.code === 'reachability.not-converged' ? tailOf(finding) : undefined;
    if (!tail || !run.series[tail.series]) continue;
    const from = numberOf(finding.evidence, 'fitFrom') ?? numberOf(finding.evidence, 'tailFrom') ?? Number.NEGATIVE_INFINITY;
    const series = run.series[tail.series]!;
    const keep = Array.from(series.steps, (step) => step >= from);
    const window: Series = {
      steps: series.steps.filter((_, i) => keep[i]),
      values: series.values.filter((_, i) => keep[i]),
      wallTimes: series.wallTimes.filter((_, i) => keep[i]),
    };
    const figure = curvesFigure(`${tail.series}: fitted tail and extrapolation to 4× the steps`, tail.series, { ...run, series: { [tail.series]: window } }, [tail.series], [finding]);
    figure.tail = tail;
    figures.push(figure);
  }
  return figures;
}

/** Roles first (validation metrics, learning rate, gradient norm), then the rest by name. */
function order(run: Run, name: string): number {
  if (run.roles.valMetrics.includes(name)) return 0;
  if (name === run.roles.lr) return 1;
  if (name === run.roles.gradNorm) return 2;
  return 3;
}

const TERMS: Record<Layer, string> = {
  observation: 'L_O − L_R',
  reachability: 'L_R − L_I',
  instantiation: 'L_I − L_P',
  perception: 'L_P − L_D',
};

/** The degradation budget (ladder.diagnosis/v1 `budget`): a term per layer, null when unknown. */
export function waterfallFigure(budget: Partial<Record<string, { estimate: number | null; low: number | null; high: number | null } | null>>): WaterfallFigure {
  return {
    kind: 'waterfall',
    title: 'degradation budget: L_O − L_D = Σ terms',
    terms: LAYERS.map((layer) => {
      const term = budget[layer];
      return { layer, term: TERMS[layer], estimate: finiteOrNull(term?.estimate), low: finiteOrNull(term?.low), high: finiteOrNull(term?.high) };
    }),
  };
}

function findingsWith(diagnosis: Diagnosis, code: string): Finding[] {
  return diagnosis.findings.filter((f) => f.code === code);
}

function evidenceConfidence(diagnosis: Diagnosis): number {
  for (const code of ['observation.seed-noise', 'instantiation.tuned-comparison']) {
    const found = findingsWith(diagnosis, code).map((f) => numberOf(f.evidence, 'confidence')).find((c) => c !== null);
    if (found !== undefined && found !== null) return found;
  }
  return 0.95;
}

/** The study's figures: per-arm best with intervals, sweep curves, ablation effects, probes. */
export function studyFigures(study: Study, diagnosis: Diagnosis): Figure[] {
  const figures: Figure[] = [];
  const objective = study.objective.metric;
  const confidence = evidenceConfidence(diagnosis);
  // The same pooled seed noise the seed-noise and tuned-comparison checks use.
  const noise = pooledSeedNoise(study);
  const tq = noise ? studentTQuantile(1 - (1 - confidence) / 2, noise.degreesOfFreedom) : Number.NaN;
  figures.push({
    kind: 'arms',
    title: `each arm at its tuned best (${objective})`,
    objective,
    higherIsBetter: study.objective.direction > 0,
    confidence,
    arms: study.arms.map((arm) => {
      const values = settingValues(arm.best);
      const half = noise && values.length > 0 ? (tq * noise.sd) / Math.sqrt(values.length) : Number.NaN;
      return { arm: arm.label, setting: arm.best.label, mean: arm.best.mean, low: finiteOrNull(arm.best.mean - half), high: finiteOrNull(arm.best.mean + half), values };
    }),
  });
  const lrKey = learningRateKey(study);
  const swept = study.nuisance.filter((key) => study.arms.some((arm) => new Set(arm.settings.map((s) => valueKey(s.nuisance[key]))).size >= 2));
  const keys = lrKey !== undefined && swept.includes(lrKey) ? [lrKey, ...swept.filter((k) => k !== lrKey)] : swept;
  // Edges to extend; an edge on a flat landscape (info) has nothing to extend.
  const edges = findingsWith(diagnosis, 'reachability.sweep-edge').filter((f) => f.severity !== 'info');
  for (const key of keys) {
    const points: SweepFigure['points'] = [];
    for (const arm of study.arms) {
      // Best mean at each value of `key`, over the arm's other nuisance settings (as sweep-edge reads it).
      const bestAt = new Map<number, { mean: number; values: number[] }>();
      for (const setting of arm.settings) {
        const x = Number(setting.nuisance[key]);
        if (!Number.isFinite(x) || !Number.isFinite(setting.mean)) continue;
        const current = bestAt.get(x);
        if (!current || study.objective.direction * (setting.mean - current.mean) > 0) bestAt.set(x, { mean: setting.mean, values: settingValues(setting) });
      }
      for (const [x, { mean, values }] of [...bestAt].sort((a, b) => a[0] - b[0])) points.push({ arm: arm.label, x, mean, values });
    }
    if (points.length < 2) continue;
    figures.push({
      kind: 'sweep',
      title: `${objective} vs ${key}, per arm`,
      key,
      objective,
      logX: points.every((p) => p.x > 0) && Math.max(...points.map((p) => p.x)) / Math.min(...points.map((p) => p.x)) >= 10,
      points,
      edges: edges
        .filter((f) => f.evidence.key === key)
        .map((f) => ({ arm: String(f.evidence.arm), best: Number(f.evidence.best), side: String(f.evidence.side), extendTo: Number(f.evidence.extendTo) })),
    });
  }
  for (const finding of findingsWith(diagnosis, 'instantiation.ablation')) {
    const e = finding.evidence;
    const rows = (list: EvidenceValue | undefined, kind: 'main' | 'interaction', nameKey: string) =>
      (Array.isArray(list) ? list : []).flatMap((item) => {
        if (item === null || typeof item !== 'object' || Array.isArray(item)) return [];
        const estimate = finiteOrNull(item.estimate);
        const low = finiteOrNull(item.low);
        const high = finiteOrNull(item.high);
        if (estimate === null || low === null || high === null) return [];
        return [{ name: String(item[nameKey]), kind, estimate, low, high, matters: item.matters === true }];
      });
    figures.push({
      kind: 'effects',
      title: `ablation: effect of turning each component on (${objective}, positive = better)`,
      objective,
      confidence: numberOf(e, 'confidence') ?? 0.95,
      effects: [...rows(e.components, 'main', 'component'), ...rows(e.interactions, 'interaction', 'components')],
    });
  }
  if (study.concept !== undefined) {
    const concept = study.concept;
    const sizeKeys = study.scientific.filter((key) => key !== concept);
    for (const probe of study.probes) {
      const points: ProbesFigure['points'] = [];
      for (const { run } of study.runs) {
        const series = run.series[probe];
        if (!series) continue;
        let last = Number.NaN;
        for (let i = series.values.length - 1; i >= 0; i--) {
          if (Number.isFinite(series.values[i]!)) {
            last = series.values[i]!;
            break;
          }
        }
        if (!Number.isFinite(last)) continue;
        const size = sizeKeys.map((key) => `${key}=${valueKey(run.hparams[key])}`).join(', ') || 'all';
        points.push({ family: valueKey(run.hparams[concept]), size, value: last, run: run.id });
      }
      if (points.length > 0) figures.push({ kind: 'probes', title: `probe ${probe} by ${concept}`, probe, concept, points });
    }
  }
  return figures;
}

/** Every figure of a diagnosis: the budget, then the study's or the run's plots. */
export function figuresOfDiagnosis(diagnosis: Diagnosis, budget: Parameters<typeof waterfallFigure>[0]): Figure[] {
  const figures: Figure[] = [waterfallFigure(budget)];
  const { subject } = diagnosis;
  if (subject.kind === 'study' && subject.study) {
    figures.push(...studyFigures(subject.study, diagnosis));
    // The curves of the first run at each arm's best, all arms on one plot per series.
    const objective = subject.study.objective.metric;
    const bests = subject.study.arms.flatMap((arm) => (arm.best.runs[0] ? [{ arm: arm.label, run: arm.best.runs[0].run }] : []));
    const first = bests[0]?.run;
    const names = first ? [...new Set([first.roles.trainLoss, first.roles.valLoss, objective])].filter((n): n is string => n !== undefined) : [];
    for (const name of names) {
      const withSeries = bests.filter(({ run }) => run.series[name] !== undefined);
      if (withSeries.length === 0) continue;
      // One synthetic run whose series are the arms' curves, so marks land on the right line.
      const merged: Run = { ...withSeries[0]!.run, series: Object.fromEntries(withSeries.map(({ arm, run }) => [arm, run.series[name]!])) };
      const findings = diagnosis.findings
        .filter((f) => withSeries.some(({ run }) => f.runs.includes(run.id)))
        .map((f) => ({ ...f, marks: (f.marks ?? []).filter((m) => m.series === name).flatMap((m) => withSeries.filter(({ run }) => f.runs.includes(run.id)).map(({ arm }) => ({ ...m, series: arm }))) }))
        .filter((f) => f.marks.length > 0);
      const figure = curvesFigure(`${name} of each arm's best run`, name, merged, withSeries.map(({ arm }) => arm), findings);
      figure.logY = (name === first!.roles.trainLoss || name === first!.roles.valLoss) && wantsLogY(figure.lines);
      figures.push(figure);
    }
  } else {
    for (const run of subject.runs) figures.push(...runFigures(run, diagnosis.findings));
  }
  return figures;
}

/** The figure of a `ladder.compare/v1` result: both systems' intervals and the paired difference. */
export function comparisonFigure(result: {
  n: number;
  a: { value: number; ci: [number, number] };
  b: { value: number; ci: [number, number] };
  difference: { value: number; ci: [number, number]; pValue: number };
  mde: number;
  significant: boolean;
  metric: string;
  alpha?: number;
}, names: { a: string; b: string }): ComparisonFigure {
  const confidence = 1 - (result.alpha ?? 0.05);
  return {
    kind: 'comparison',
    title: `${result.metric} on ${result.n} paired items`,
    metric: result.metric,
    n: result.n,
    confidence,
    a: { label: names.a, value: result.a.value, low: finiteOrNull(result.a.ci[0]), high: finiteOrNull(result.a.ci[1]) },
    b: { label: names.b, value: result.b.value, low: finiteOrNull(result.b.ci[0]), high: finiteOrNull(result.b.ci[1]) },
    difference: { value: result.difference.value, low: finiteOrNull(result.difference.ci[0]), high: finiteOrNull(result.difference.ci[1]), pValue: result.difference.pValue },
    mde: result.mde,
    significant: result.significant,
  };
}
