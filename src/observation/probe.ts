/**
 * Linear probes with control tasks: does a model's hidden representation encode a property
 * its output does not report?
 *
 * A multinomial logistic regression (src/stats/logistic.ts) is trained to read the label from
 * the hidden states, and its accuracy is measured out of fold by stratified k-fold
 * cross-validation (seeded fold assignment), with a Wilson interval. High accuracy alone
 * proves little: a flexible probe can learn a task by itself. Hewitt & Liang (2019,
 * "Designing and Interpreting Probes with Control Tasks") therefore train the same probe, on
 * the same folds, on a *control task*: each distinct input identity (word type) gets a random
 * label drawn from the empirical label distribution, so the control labels are a function of
 * the input that the representation has no reason to encode. Selectivity = probe accuracy −
 * control accuracy: how much of the probe's accuracy comes from the representation rather
 * than from the probe memorizing types.
 *
 * Without input identities, every example is its own type. The control labels are then
 * independent of everything the probe sees, and a held-out example's type never occurs in
 * training, so the control accuracy is that of guessing from the label distribution (at most
 * the majority rate): it measures the probe's capacity to memorize noise in the training
 * folds only insofar as that memorization hurts held-out guesses, and selectivity reduces to
 * accuracy above a prior-only guess. Pass the input identities (types) for the real control.
 */
import { createRng, type Rng } from '../stats/rng.js';
import { wilsonInterval } from '../stats/intervals.js';
import { fitLogistic, predictClasses, standardization, standardizeRows } from '../stats/logistic.js';

export interface ProbeInput {
  /** n × d hidden states, row-major. */
  features: Float64Array;
  dims: number;
  /** One integer label per row; any integers (mapped to classes in ascending order). */
  labels: ArrayLike<number>;
  /** Optional integer input identity per row (e.g. a word-type id) for the control task. */
  types?: ArrayLike<number>;
}

export interface ProbeOptions {
  /** Number of cross-validation folds (default 5). */
  folds?: number;
  /** Seed of the fold assignment and of the control labels (default 0). */
  seed?: number;
  /** Inverse penalty strength of the probe, as scikit-learn's C (default 1, its default). */
  C?: number;
  /** Standardize each feature with the training fold's mean and SD (default true). */
  standardize?: boolean;
  /** Called after each fit (2 × folds fits: probe then control). */
  onProgress?: (fitsDone: number, fitsTotal: number) => void;
}

export interface ProbeAccuracy {
  accuracy: number;
  correct: number;
  /** Wilson 95 % interval of the out-of-fold accuracy. */
  ci: [number, number];
}

export interface ProbeResult {
  n: number;
  d: number;
  classes: number;
  folds: number;
  seed: number;
  C: number;
  standardized: boolean;
  probe: ProbeAccuracy;
  control: ProbeAccuracy & {
    /** 'types': Hewitt & Liang's control over the given input identities; 'examples': each example its own type. */
    method: 'types' | 'examples';
    /** Distinct types that received a control label. */
    types: number;
  };
  selectivity: number;
  /** Share of the most frequent class: the accuracy of always guessing it. */
  majority: number;
  /** 1 / classes: the accuracy of guessing uniformly. */
  chance: number;
  /** The probe's lower 95 % bound is above both the majority rate and the control's upper bound. */
  encodes: boolean;
  /** Fits whose optimizer stopped at the iteration cap (their accuracy is still measured). */
  unconvergedFits: number;
}

/** Distinct values in ascending order and each row's index among them. */
function encode(values: ArrayLike<number>): { distinct: number[]; codes: Int32Array } {
  const distinct = [...new Set(Array.from(values))].sort((a, b) => a - b);
  const index = new Map(distinct.map((v, i) => [v, i]));
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) codes[i] = index.get(values[i]!)!;
  return { distinct, codes };
}

function shuffle(items: number[], rng: Rng): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.integer(0, i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

/**
 * Stratified fold of each example: each class's examples in a seeded random order are dealt
 * round-robin, continuing from where the previous class stopped, so every fold gets each
 * class in proportion and fold sizes differ by at most one.
 */
export function stratifiedFolds(classes: Int32Array, classCount: number, folds: number, rng: Rng): Int32Array {
  const members: number[][] = Array.from({ length: classCount }, () => []);
  for (let i = 0; i < classes.length; i++) members[classes[i]!]!.push(i);
  const fold = new Int32Array(classes.length);
  let next = 0;
  for (const list of members) {
    shuffle(list, rng);
    for (const i of list) {
      fold[i] = next;
      next = (next + 1) % folds;
    }
  }
  return fold;
}

/**
 * Hewitt & Liang's control labels: one label per distinct type, drawn from the empirical
 * class distribution of `classes`, given to every example of that type.
 */
export function controlLabels(classes: Int32Array, classCount: number, types: Int32Array, typeCount: number, rng: Rng): Int32Array {
  const cumulative = new Float64Array(classCount);
  for (let i = 0; i < classes.length; i++) cumulative[classes[i]!]! += 1;
  for (let k = 1; k < classCount; k++) cumulative[k]! += cumulative[k - 1]!;
  const perType = new Int32Array(typeCount);
  for (let t = 0; t < typeCount; t++) {
    const u = rng.uniform() * classes.length;
    let k = 0;
    while (k < classCount - 1 && u >= cumulative[k]!) k++;
    perType[t] = k;
  }
  const out = new Int32Array(classes.length);
  for (let i = 0; i < classes.length; i++) out[i] = perType[types[i]!]!;
  return out;
}

/** Out-of-fold predictions of a probe trained on the other folds; returns the number correct. */
function crossValidate(
  input: ProbeInput,
  labels: Int32Array,
  fold: Int32Array,
  folds: number,
  options: Required<Pick<ProbeOptions, 'C' | 'standardize'>>,
  afterFit: (converged: boolean) => void,
): number {
  const n = labels.length;
  const d = input.dims;
  let correct = 0;
  for (let f = 0; f < folds; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === f ? test : train).push(i);
    if (test.length === 0) {
      afterFit(true);
      continue;
    }
    // A class absent from the training folds has no finite intercept: fit the classes present.
    const present = encode(train.map((i) => labels[i]!));
    if (present.distinct.length < 2) {
      const only = present.distinct[0]!;
      for (const i of test) if (labels[i] === only) correct++;
      afterFit(true);
      continue;
    }
    const scaling = options.standardize
      ? standardization(input.features, d, train)
      : { mean: new Float64Array(d), scale: new Float64Array(d).fill(1) };
    const model = fitLogistic(standardizeRows(input.features, d, train, scaling), d, present.codes, present.distinct.length, { C: options.C });
    const predicted = predictClasses(model, standardizeRows(input.features, d, test, scaling));
    for (let t = 0; t < test.length; t++) if (present.distinct[predicted[t]!] === labels[test[t]!]) correct++;
    afterFit(model.converged);
  }
  return correct;
}

function accuracyOf(correct: number, n: number): ProbeAccuracy {
  const interval = wilsonInterval(correct, n);
  return { accuracy: correct / n, correct, ci: [interval.low, interval.high] };
}

/** Cross-validated probe and control accuracy, selectivity, baselines and the verdict. */
export function runProbe(input: ProbeInput, options: ProbeOptions = {}): ProbeResult {
  const n = input.labels.length;
  const d = input.dims;
  if (!(Number.isInteger(d) && d >= 1) || input.features.length !== n * d) {
    throw new RangeError(`features must hold labels.length × dims = ${n} × ${d} values, got ${input.features.length}`);
  }
  if (input.types && input.types.length !== n) throw new RangeError(`types has ${input.types.length} entries for ${n} examples`);
  const folds = options.folds ?? 5;
  if (!Number.isInteger(folds) || folds < 2 || folds > n) throw new RangeError(`folds must be an integer in 2…${n}, got ${folds}`);
  const seed = options.seed ?? 0;
  const C = options.C ?? 1;
  const standardize = options.standardize ?? true;

  const { distinct, codes } = encode(input.labels);
  const classes = distinct.length;
  if (classes < 2) throw new RangeError(`need at least 2 distinct labels, got ${classes}`);
  const types = input.types ? encode(input.types) : undefined;
  const typeCodes = types?.codes ?? Int32Array.from({ length: n }, (_, i) => i);
  const typeCount = types?.distinct.length ?? n;

  // One stream: folds first, then control labels, so both follow from the printed seed.
  const rng = createRng(seed);
  const fold = stratifiedFolds(codes, classes, folds, rng);
  const control = controlLabels(codes, classes, typeCodes, typeCount, rng);

  let fitsDone = 0;
  let unconvergedFits = 0;
  const afterFit = (converged: boolean) => {
    if (!converged) unconvergedFits++;
    options.onProgress?.(++fitsDone, 2 * folds);
  };
  const probeCorrect = crossValidate(input, codes, fold, folds, { C, standardize }, afterFit);
  const controlCorrect = crossValidate(input, control, fold, folds, { C, standardize }, afterFit);

  const counts = new Int32Array(classes);
  for (let i = 0; i < n; i++) counts[codes[i]!]!++;
  const majority = Math.max(...counts) / n;
  const probe = accuracyOf(probeCorrect, n);
  const controlAccuracy = accuracyOf(controlCorrect, n);
  return {
    n,
    d,
    classes,
    folds,
    seed,
    C,
    standardized: standardize,
    probe,
    control: { ...controlAccuracy, method: types ? 'types' : 'examples', types: typeCount },
    selectivity: probe.accuracy - controlAccuracy.accuracy,
    majority,
    chance: 1 / classes,
    encodes: probe.ci[0] > majority && probe.ci[0] > controlAccuracy.ci[1],
    unconvergedFits,
  };
}

function fixed(x: number): string {
  return x.toFixed(3);
}

/** The one-line verdict of a probe result. */
export function probeVerdict(r: ProbeResult): string {
  const numbers = `selectivity ${fixed(r.selectivity)}, probe accuracy ${fixed(r.probe.accuracy)} vs majority ${fixed(r.majority)}`;
  return r.encodes ? `the representation encodes the label (${numbers})` : `no evidence the representation encodes it (${numbers})`;
}
