/**
 * Compare two systems evaluated on the same items: per-item scores of each, paired by item
 * id (or by position when there are no ids), then the interval of each system's score, the
 * paired difference with its interval and p-value, and the minimum detectable effect at
 * this eval's size (DESIGN §3.1, "Is a difference real").
 *
 * Choices, by kind of score:
 * - 0/1 outcomes (accuracy, exact match): Wilson intervals for each system, the exact
 *   McNemar test for the difference, MDE from the discordance rate.
 * - anything else: BCa bootstrap intervals, the paired bootstrap test, MDE from the sample
 *   standard deviation of the per-item differences.
 * The difference's interval is the BCa paired bootstrap in both cases (no closed form for a
 * paired difference would be simpler and as good for both kinds).
 *
 * Problems a user can fix come back as `CompareInputError` with a one-line message.
 */
import type { ExampleSet } from '../model/run.js';
import { bootstrapInterval, DEFAULT_RESAMPLES } from '../stats/bootstrap.js';
import { wilsonInterval } from '../stats/intervals.js';
import { itemsNeeded, mcnemarFromOutcomes, minimumDetectableEffect, pairedBootstrap, pairedProportionSd } from '../stats/paired.js';

export class CompareInputError extends Error {}

/** Names that select the per-item 0/1 correctness column. */
const CORRECTNESS_NAMES = new Set(['correct', 'accuracy', 'acc']);

export interface ItemScores {
  /** Where the scores came from (a path), for messages. */
  source: string;
  /** Item keys (set name and id) when every item has an id; undefined otherwise. */
  keys?: string[];
  /** Set name of each item (keys are qualified by it when a side has several sets). */
  setNames: string[];
  ids?: (string | number)[];
  values: Float64Array;
}

function correctnessOf(set: ExampleSet): Float64Array | undefined {
  if (set.correct) return set.correct;
  if (!set.labels || !set.preds) return undefined;
  const labels = set.labels;
  const preds = set.preds;
  return Float64Array.from({ length: set.count }, (_, i) => {
    const label = labels[i];
    const pred = preds[i];
    if (label === null || label === undefined || pred === null || pred === undefined) return Number.NaN;
    return String(label) === String(pred) ? 1 : 0;
  });
}

function availableMetrics(sets: ExampleSet[]): string[] {
  const names = new Set<string>();
  for (const set of sets) {
    if (correctnessOf(set)) names.add('correct');
    for (const name of Object.keys(set.metrics ?? {})) names.add(name);
  }
  return [...names];
}

/**
 * The metric a run's per-example results are judged on when none is named: 0/1 correctness
 * when every set has it (or labels and predictions), else the one per-item metric every set
 * shares when there is exactly one (`exact_match`, `bleu`…). Undefined when the choice would
 * be a guess; the message then lists what there is.
 */
export function headlineMetric(sets: ExampleSet[]): { metric: string } | { missing: string } {
  if (sets.length === 0) return { missing: 'per-example eval results' };
  if (sets.every((set) => correctnessOf(set) !== undefined)) return { metric: 'correct' };
  const shared = Object.keys(sets[0]!.metrics ?? {}).filter((name) => sets.every((set) => set.metrics?.[name] !== undefined));
  if (shared.length === 1) return { metric: shared[0]! };
  const known = availableMetrics(sets);
  return {
    missing: `a headline per-example metric: ${shared.length > 1 ? `several are shared (${shared.join(', ')})` : `none is shared by every set (${known.length > 0 ? known.join(', ') : 'none'})`}; name one with --metric or \`metric:\` in ladder.yaml`,
  };
}

/** The per-item values of `metric` over every example set of one side, in set order. */
export function itemScores(sets: ExampleSet[], metric: string, source: string): ItemScores {
  const columns: Float64Array[] = [];
  for (const set of sets) {
    const column = CORRECTNESS_NAMES.has(metric) ? correctnessOf(set) : set.metrics?.[metric];
    if (!column) {
      const known = availableMetrics(sets);
      throw new CompareInputError(
        `${source}: no per-example '${metric}' in set '${set.name}' (available: ${known.length > 0 ? known.join(', ') : 'none'}); choose one with --metric`,
      );
    }
    columns.push(column);
  }
  const total = columns.reduce((sum, column) => sum + column.length, 0);
  const values = new Float64Array(total);
  const setNames: string[] = [];
  let offset = 0;
  for (const [k, column] of columns.entries()) {
    values.set(column, offset);
    offset += column.length;
    for (let i = 0; i < column.length; i++) setNames.push(sets[k]!.name);
  }
  const withIds = sets.every((set) => set.ids !== undefined);
  const result: ItemScores = { source, setNames, values };
  if (withIds) result.ids = sets.flatMap((set) => set.ids!);
  return result;
}

export interface PairedScores {
  a: Float64Array;
  b: Float64Array;
  pairedBy: 'id' | 'position';
  /** Pairs left out because either side's score is missing (NaN) or not finite. */
  excluded: number;
}

function keysOf(side: ItemScores, qualify: boolean): string[] {
  const keys = side.ids!.map((id, i) => (qualify ? `${side.setNames[i]}\u0000${String(id)}` : String(id)));
  const seen = new Set<string>();
  for (const key of keys) {
    if (seen.has(key)) throw new CompareInputError(`${side.source}: item id ${key.replace('\u0000', ' ')} appears twice; ids must be unique to pair items`);
    seen.add(key);
  }
  return keys;
}

function describeKey(key: string): string {
  return key.includes('\u0000') ? key.replace('\u0000', ' #') : `#${key}`;
}

/**
 * Pairs A's and B's items: by id when both sides have ids (qualified by set name when either
 * side has several sets), else by position. Different item sets or counts are an error.
 */
export function pairScores(a: ItemScores, b: ItemScores): PairedScores {
  let pairedA: Float64Array;
  let pairedB: Float64Array;
  let pairedBy: PairedScores['pairedBy'];
  if (a.ids && b.ids) {
    const qualify = new Set(a.setNames).size > 1 || new Set(b.setNames).size > 1;
    const keysA = keysOf(a, qualify);
    const keysB = keysOf(b, qualify);
    const indexB = new Map(keysB.map((key, i) => [key, i]));
    const onlyA = keysA.filter((key) => !indexB.has(key));
    const keySetA = new Set(keysA);
    const onlyB = keysB.filter((key) => !keySetA.has(key));
    if (onlyA.length > 0 || onlyB.length > 0) {
      const parts: string[] = [];
      if (onlyA.length > 0) parts.push(`${onlyA.length} only in ${a.source} (e.g. ${describeKey(onlyA[0]!)})`);
      if (onlyB.length > 0) parts.push(`${onlyB.length} only in ${b.source} (e.g. ${describeKey(onlyB[0]!)})`);
      throw new CompareInputError(`A and B hold different items: ${parts.join(', ')}; compare runs on the same eval items`);
    }
    pairedA = a.values;
    pairedB = new Float64Array(keysA.length);
    for (let i = 0; i < keysA.length; i++) pairedB[i] = b.values[indexB.get(keysA[i]!)!]!;
    pairedBy = 'id';
  } else {
    if (a.values.length !== b.values.length) {
      throw new CompareInputError(
        `A and B hold different numbers of items (${a.values.length} in ${a.source}, ${b.values.length} in ${b.source}) and no ids to pair them by`,
      );
    }
    pairedA = a.values;
    pairedB = b.values;
    pairedBy = 'position';
  }
  let kept = 0;
  const keep = new Uint8Array(pairedA.length);
  for (let i = 0; i < pairedA.length; i++) {
    if (Number.isFinite(pairedA[i]!) && Number.isFinite(pairedB[i]!)) {
      keep[i] = 1;
      kept++;
    }
  }
  if (kept === pairedA.length) return { a: pairedA, b: pairedB, pairedBy, excluded: 0 };
  const keptA = new Float64Array(kept);
  const keptB = new Float64Array(kept);
  for (let i = 0, k = 0; i < pairedA.length; i++) {
    if (!keep[i]) continue;
    keptA[k] = pairedA[i]!;
    keptB[k++] = pairedB[i]!;
  }
  return { a: keptA, b: keptB, pairedBy, excluded: pairedA.length - kept };
}

export interface CompareOptions {
  seed?: number;
  resamples?: number;
  /** Two-sided significance level; also the MDE's (default 0.05). */
  alpha?: number;
}

export interface SystemScore {
  value: number;
  ci: [number, number];
}

export interface CompareResult {
  n: number;
  binary: boolean;
  a: SystemScore;
  b: SystemScore;
  difference: SystemScore & { pValue: number; test: 'mcnemar-exact' | 'paired-bootstrap' };
  mde: number;
  significant: boolean;
  /** Items needed to detect the observed difference at power 0.8 (undefined when it is 0). */
  itemsNeeded?: number;
  /** For 0/1 scores: items only A got right, only B got right. */
  onlyA?: number;
  onlyB?: number;
  seed: number;
  resamples: number;
  alpha: number;
}

function isBinary(values: Float64Array): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] !== 0 && values[i] !== 1) return false;
  return true;
}

function sampleSd(values: Float64Array): number {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i]!;
  mean /= values.length;
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i]! - mean) ** 2;
  return Math.sqrt(squares / (values.length - 1));
}

/** The comparison of two paired score arrays (pure: arrays and a seed in, numbers out). */
export function compareScores(a: Float64Array, b: Float64Array, options: CompareOptions = {}): CompareResult {
  const n = a.length;
  if (n < 2) throw new CompareInputError(`only ${n} paired item(s) with scores on both sides; a comparison needs at least 2`);
  const seed = options.seed ?? 0;
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const alpha = options.alpha ?? 0.05;
  const confidence = 1 - alpha;
  const binary = isBinary(a) && isBinary(b);
  const paired = pairedBootstrap(a, b, { seed, resamples, confidence });
  const difference = { value: paired.difference, ci: [paired.interval.low, paired.interval.high] as [number, number] };
  const d = Float64Array.from(a, (x, i) => x - b[i]!);
  let result: CompareResult;
  if (binary) {
    const sumA = a.reduce((s, x) => s + x, 0);
    const sumB = b.reduce((s, x) => s + x, 0);
    const wilsonA = wilsonInterval(sumA, n, confidence);
    const wilsonB = wilsonInterval(sumB, n, confidence);
    const mcnemar = mcnemarFromOutcomes(a, b);
    // With no discordant pair the observed rate would claim any gap is detectable; one
    // discordant pair is the least this eval can show.
    const sd = pairedProportionSd(Math.max(mcnemar.onlyA + mcnemar.onlyB, 1) / n);
    result = {
      n,
      binary,
      a: { value: wilsonA.estimate, ci: [wilsonA.low, wilsonA.high] },
      b: { value: wilsonB.estimate, ci: [wilsonB.low, wilsonB.high] },
      difference: { ...difference, pValue: mcnemar.pValue, test: 'mcnemar-exact' },
      mde: minimumDetectableEffect(n, sd, { alpha }),
      significant: mcnemar.pValue < alpha,
      onlyA: mcnemar.onlyA,
      onlyB: mcnemar.onlyB,
      seed,
      resamples,
      alpha,
    };
    if (difference.value !== 0) result.itemsNeeded = itemsNeeded(difference.value, sd, { alpha });
  } else {
    // Separate seeds per quantity so that each interval is reproducible on its own.
    const intervalA = bootstrapInterval(a, 'mean', { seed, resamples, confidence });
    const intervalB = bootstrapInterval(b, 'mean', { seed: seed + 1, resamples, confidence });
    const sd = sampleSd(d);
    result = {
      n,
      binary,
      a: { value: intervalA.estimate, ci: [intervalA.low, intervalA.high] },
      b: { value: intervalB.estimate, ci: [intervalB.low, intervalB.high] },
      difference: { ...difference, pValue: paired.pValue, test: 'paired-bootstrap' },
      mde: minimumDetectableEffect(n, sd, { alpha }),
      significant: paired.pValue < alpha,
      seed,
      resamples,
      alpha,
    };
    if (difference.value !== 0 && sd > 0) result.itemsNeeded = itemsNeeded(difference.value, sd, { alpha });
  }
  return result;
}

/** The `ladder.compare/v1` JSON document (NaN bounds, e.g. an undefined BCa, become null). */
export function compareToJson(result: CompareResult, extra: { metric: string; excluded: number; pairedBy: string }): Record<string, unknown> {
  return {
    schema: 'ladder.compare/v1',
    n: result.n,
    a: result.a,
    b: result.b,
    difference: result.difference,
    mde: result.mde,
    significant: result.significant,
    metric: extra.metric,
    pairedBy: extra.pairedBy,
    excluded: extra.excluded,
    seed: result.seed,
    resamples: result.resamples,
  };
}
