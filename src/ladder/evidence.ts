/**
 * Builds a check's evidence from a normalized run: the series behind each role, and what the
 * run says about the task (number of classes, evaluation size) under the names the common
 * writers use.
 */
import type { RunEvidence } from '../checks/check.js';
import type { HValue, Run } from '../model/run.js';
import { CompareInputError, headlineMetric, itemScores } from '../observation/compare.js';
import type { Baseline } from './baseline.js';

export interface EvidenceContext {
  /** What the run is compared with. */
  baseline?: Baseline;
  /** The per-example metric to judge (default: see `headlineMetric`). */
  metric?: string;
}

const CLASS_KEYS = ['num_classes', 'num_labels', 'n_classes', 'nclasses', 'classes', 'model.num_labels', 'model.num_classes'];
const EVAL_SIZE_KEYS = ['eval_size', 'eval_samples', 'num_eval_samples', 'n_eval', 'val_size', 'validation_size', 'eval_eval_samples', 'all_eval_samples'];

function positiveInteger(value: HValue | undefined): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : undefined;
}

function lookup(run: Run, keys: string[]): number | undefined {
  for (const key of keys) {
    const found = positiveInteger(run.hparams[key]) ?? positiveInteger(run.summary[key]);
    if (found !== undefined) return found;
  }
  return undefined;
}

export function evidenceOf(run: Run, context: EvidenceContext = {}): RunEvidence {
  const named = (name: string | undefined) => (name && run.series[name] ? { name, series: run.series[name]! } : undefined);
  const evidence: RunEvidence = {
    run,
    valMetrics: run.roles.valMetrics.flatMap((name) => (run.series[name] ? [{ name, series: run.series[name]! }] : [])),
  };
  const trainLoss = named(run.roles.trainLoss);
  const valLoss = named(run.roles.valLoss);
  const lr = named(run.roles.lr);
  const gradNorm = named(run.roles.gradNorm);
  if (trainLoss) evidence.trainLoss = trainLoss;
  if (valLoss) evidence.valLoss = valLoss;
  if (lr) evidence.lr = lr;
  if (gradNorm) evidence.gradNorm = gradNorm;
  const id2label = run.hparams['model.id2label'];
  const classes =
    lookup(run, CLASS_KEYS) ??
    (id2label && typeof id2label === 'object' && !Array.isArray(id2label) ? Object.keys(id2label).length || undefined : undefined);
  if (classes !== undefined && classes > 1) evidence.classes = classes;
  const evalSize = lookup(run, EVAL_SIZE_KEYS) ?? evalSizeFromThroughput(run);
  if (evalSize !== undefined) evidence.evalSize = evalSize;
  const perTask = lmEvalSampleCounts(run);
  if (perTask) {
    const sizes: Record<string, number> = {};
    const available: Record<string, number> = {};
    for (const { name } of evidence.valMetrics) {
      const counts = perTask.get(name.slice(0, name.indexOf('/')));
      if (counts === undefined) continue;
      sizes[name] = counts.scored;
      available[name] = counts.available;
    }
    if (Object.keys(sizes).length > 0) evidence.evalSizes = sizes;
    if (Object.keys(available).length > 0) evidence.evalSizesAvailable = available;
    // One task and no group: its count is the run's evaluation size.
    if (perTask.size === 1 && evidence.evalSize === undefined && Object.keys(sizes).length === evidence.valMetrics.length) {
      evidence.evalSize = [...perTask.values()][0]!.scored;
    }
  }
  if (context.baseline) evidence.baseline = context.baseline;
  if (run.examples.length > 0) {
    const chosen = context.metric !== undefined ? { metric: context.metric } : headlineMetric(run.examples);
    if ('missing' in chosen) evidence.itemsMissing = chosen.missing;
    else {
      try {
        const scores = itemScores(run.examples, chosen.metric, run.id);
        const clustered = run.examples.some((set) => set.clusters?.some((c) => c !== null));
        evidence.items = { metric: chosen.metric, scores };
        if (clustered) evidence.items.clusters = run.examples.flatMap((set) => set.clusters ?? new Array<string | null>(set.count).fill(null));
      } catch (error) {
        if (!(error instanceof CompareInputError)) throw error;
        evidence.itemsMissing = error.message;
      }
    }
  }
  return evidence;
}

/**
 * The Hugging Face Trainer logs, with every evaluation, `eval_runtime` (seconds, rounded to
 * 4 decimals) and `eval_samples_per_second` (= items / runtime, rounded to 3 decimals): their
 * product is the number of evaluation items up to those roundings. Each evaluation bounds the
 * count to an interval; the count is taken only when the intersection of all the intervals
 * holds exactly one whole number. Used only when the run does not state its eval size.
 */
function evalSizeFromThroughput(run: Run): number | undefined {
  const find = (pattern: RegExp) => Object.keys(run.series).find((name) => pattern.test(name));
  const runtimeName = find(/^eval[_/]runtime$/);
  const rateName = find(/^eval[_/]samples_per_second$/);
  if (!runtimeName || !rateName) return undefined;
  const runtime = run.series[runtimeName]!;
  const rate = run.series[rateName]!;
  let low = Number.NEGATIVE_INFINITY;
  let high = Number.POSITIVE_INFINITY;
  let evaluations = 0;
  for (let i = 0; i < Math.min(runtime.values.length, rate.values.length); i++) {
    const seconds = runtime.values[i]!;
    const perSecond = rate.values[i]!;
    if (!(seconds > 0) || !(perSecond > 0) || runtime.steps[i] !== rate.steps[i]) continue;
    // Half a unit in the last place of each rounded factor, propagated to the product.
    const slack = 5e-5 * (perSecond + 5e-4) + 5e-4 * (seconds + 5e-5);
    low = Math.max(low, seconds * perSecond - slack);
    high = Math.min(high, seconds * perSecond + slack);
    evaluations++;
  }
  if (evaluations === 0) return undefined;
  const first = Math.ceil(low);
  return first === Math.floor(high) && first > 0 ? first : undefined;
}

/**
 * lm-evaluation-harness `n-samples`: per task, the items actually scored (`effective`, less
 * than `original` under --limit). Group scores have no entry and stay without a size.
 */
function lmEvalSampleCounts(run: Run): Map<string, { scored: number; available: number }> | undefined {
  const samples = run.summary['n-samples'];
  if (!samples || typeof samples !== 'object' || Array.isArray(samples)) return undefined;
  const counts = new Map<string, { scored: number; available: number }>();
  for (const [task, entry] of Object.entries(samples)) {
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) continue;
    const original = positiveInteger((entry as Record<string, HValue>).original);
    const scored = positiveInteger((entry as Record<string, HValue>).effective) ?? original;
    if (scored !== undefined) counts.set(task, { scored, available: Math.max(scored, original ?? scored) });
  }
  return counts.size > 0 ? counts : undefined;
}
