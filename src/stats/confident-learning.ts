/**
 * Confident learning: which given labels are probably wrong, from out-of-sample predicted
 * probabilities (Northcutt, Jiang & Chuang 2021, "Confident Learning: Estimating
 * Uncertainty in Dataset Labels", JAIR 70; Northcutt, Athalye & Mueller 2021, "Pervasive
 * Label Errors in Test Sets Destabilize Machine Learning Benchmarks", NeurIPS D&B).
 *
 * Two methods:
 * - `findLabelIssues`: the cleanlab 2.x library's defaults (`filter.find_label_issues`:
 *   calibrated confident joint, `prune_by_noise_rate`, `min_examples_per_class=1`,
 *   `frac_noise=1`; issues ranked by self-confidence, `rank.order_label_issues`' default).
 *   Every numeric step follows the library, including its 1e-6 comparison slack, the
 *   diagonal floor of 1, numpy's pairwise summation in the class means, and round-half-
 *   to-even in the calibration, so counts agree with it to the example.
 * - `paperLabelIssues`: the method of the "Pervasive Label Errors" release: the
 *   uncalibrated confident joint C, `⌊(1 − trace(C)/sum(C))·n⌋` issues (truncated, as
 *   cleanlab 1.0's `num_label_errors` does: rounding would give CIFAR-10 276, not the
 *   published 275), taken as the lowest normalized margins.
 *
 * Probabilities are an n×K row-major matrix (`probs[i*K + j]` = P(class j | example i));
 * labels are integers in [0, K). Ties in every ordering are broken by the lower index.
 */

/** cleanlab's FLOATING_POINT_COMPARISON: slack when comparing a probability to a threshold. */
const COMPARISON_SLACK = 1e-6;
/** cleanlab's CONFIDENT_THRESHOLDS_LOWER_BOUND. */
const THRESHOLD_FLOOR = 2 * COMPARISON_SLACK;
/** Threshold of a class nobody is labelled with: above any probability, so it is never confident. */
const ABSENT_CLASS_THRESHOLD = 2;
/** cleanlab's TINY_VALUE, the floor of a divisor. */
const TINY = 1e-100;

export type LabelFilter = 'prune_by_noise_rate' | 'prune_by_class' | 'both';
export const LABEL_FILTERS: readonly LabelFilter[] = ['prune_by_noise_rate', 'prune_by_class', 'both'];

export interface LabelProblem {
  /** n×K row-major probabilities. */
  probs: ArrayLike<number>;
  labels: ArrayLike<number>;
  classes: number;
}

/** K×K counts, `joint[given][true]`. */
export type Joint = number[][];

/**
 * Validates the problem and returns n. `probabilities: false` leaves the finiteness of the
 * probabilities to `countJoint`, which reads every one of them anyway.
 */
function check({ probs, labels, classes }: LabelProblem, probabilities = true): number {
  if (!Number.isInteger(classes) || classes < 2) throw new RangeError(`need at least 2 classes, got ${classes}`);
  const n = labels.length;
  if (probs.length !== n * classes) {
    throw new RangeError(`probabilities hold ${probs.length} values, expected ${n} examples × ${classes} classes`);
  }
  for (let i = 0; i < n; i++) {
    const label = labels[i]!;
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new RangeError(`label ${label} of example ${i} is not a class index in [0, ${classes})`);
    }
  }
  if (probabilities) checkFinite(probs, classes);
  return n;
}

function checkFinite(probs: ArrayLike<number>, classes: number): void {
  for (let i = 0; i < probs.length; i++) {
    if (!Number.isFinite(probs[i]!)) throw new RangeError(`probability ${i % classes} of example ${Math.floor(i / classes)} is not finite`);
  }
}

/**
 * numpy's pairwise summation (numpy/_core/src/umath/loops_utils.h.src) for a contiguous
 * float64 run: blocks of up to 128 summed with 8 accumulators, larger runs split in halves
 * at a multiple of 8. Reproduces `np.sum`/`np.mean` to the last bit, which matters when a
 * probability sits on a class threshold.
 */
export function numpySum(values: ArrayLike<number>, start = 0, count = values.length - start): number {
  if (count < 8) {
    let sum = 0;
    for (let i = 0; i < count; i++) sum += values[start + i]!;
    return sum;
  }
  if (count <= 128) {
    let r0 = values[start]!;
    let r1 = values[start + 1]!;
    let r2 = values[start + 2]!;
    let r3 = values[start + 3]!;
    let r4 = values[start + 4]!;
    let r5 = values[start + 5]!;
    let r6 = values[start + 6]!;
    let r7 = values[start + 7]!;
    const blocked = start + count - (count % 8);
    let i = start + 8;
    for (; i < blocked; i += 8) {
      r0 += values[i]!;
      r1 += values[i + 1]!;
      r2 += values[i + 2]!;
      r3 += values[i + 3]!;
      r4 += values[i + 4]!;
      r5 += values[i + 5]!;
      r6 += values[i + 6]!;
      r7 += values[i + 7]!;
    }
    let sum = (r0 + r1 + (r2 + r3)) + (r4 + r5 + (r6 + r7));
    for (const end = start + count; i < end; i++) sum += values[i]!;
    return sum;
  }
  let half = Math.floor(count / 2);
  half -= half % 8;
  return numpySum(values, start, half) + numpySum(values, start + half, count - half);
}

/** numpy's `np.round`: to the nearest integer, halves to even. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Examples per class (zero for a class nobody is labelled with). */
export function labelCounts(labels: ArrayLike<number>, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]!++;
  return counts;
}

/**
 * Example indices grouped by given label, ascending within each class, with each example's
 * p(given label) in the same order: one counting-sort pass that the thresholds, the
 * per-class filters and their ties-by-index rule all read from.
 */
interface ClassGroups {
  counts: number[];
  /** Class k's run is [offsets[k], offsets[k + 1]) of `members` and `selfProbs`. */
  offsets: Int32Array;
  members: Int32Array;
  selfProbs: Float64Array;
}

function groupByClass(probs: ArrayLike<number>, labels: ArrayLike<number>, classes: number, n: number): ClassGroups {
  const counts = labelCounts(labels, classes);
  const offsets = new Int32Array(classes + 1);
  for (let k = 0; k < classes; k++) offsets[k + 1] = offsets[k]! + counts[k]!;
  const next = offsets.slice(0, classes);
  const members = new Int32Array(n);
  const selfProbs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const label = labels[i]!;
    const at = next[label]!++;
    members[at] = i;
    selfProbs[at] = probs[i * classes + label]!;
  }
  return { counts, offsets, members, selfProbs };
}

function thresholdsOf({ counts, offsets, selfProbs }: ClassGroups, classes: number): Float64Array {
  const thresholds = new Float64Array(classes);
  for (let k = 0; k < classes; k++) {
    const count = counts[k]!;
    thresholds[k] = count === 0 ? ABSENT_CLASS_THRESHOLD : Math.max(numpySum(selfProbs, offsets[k]!, count) / count, THRESHOLD_FLOOR);
  }
  return thresholds;
}

/**
 * Per-class thresholds t_j: the mean predicted probability of class j over the examples
 * labelled j (the expected self-confidence, paper eq. 2), floored at 2e-6; 2 for a class
 * with no example, so that no probability reaches it.
 */
export function confidentThresholds(problem: LabelProblem): Float64Array {
  const n = check(problem);
  return thresholdsOf(groupByClass(problem.probs, problem.labels, problem.classes, n), problem.classes);
}

export interface ConfidentJointResult {
  thresholds: Float64Array;
  /** Uncalibrated counts, `joint[given][true]`, with every diagonal entry at least 1. */
  joint: Joint;
  /** Per example, the class it is confidently counted as, or -1 when none is confident. */
  confidentClass: Int32Array;
}

/**
 * One pass over the rows counting the confident joint; when asked, it also records each
 * example's confident class and its normalized margin, which read the same row. It throws
 * check()'s error for a non-finite probability, so callers may skip that pass.
 */
function countJoint(
  { probs, labels, classes }: LabelProblem,
  n: number,
  thresholds: Float64Array,
  confidentClass: Int32Array | null,
  margin: Float64Array | null,
): Joint {
  const cut = new Float64Array(classes);
  for (let j = 0; j < classes; j++) cut[j] = thresholds[j]! - COMPARISON_SLACK;
  const flat = new Float64Array(classes * classes);
  let nonFinite = false;
  for (let i = 0; i < n; i++) {
    const row = i * classes;
    const label = labels[i]!;
    let confident = 0;
    let firstConfident = -1;
    let argmax = 0;
    let max = probs[row]!;
    for (let j = 0; j < classes; j++) {
      const p = probs[row + j]!;
      // p − p is NaN exactly when p is NaN or infinite.
      if (p - p !== 0) nonFinite = true;
      if (p >= cut[j]!) {
        confident++;
        if (firstConfident < 0) firstConfident = j;
      }
      if (p > max) {
        max = p;
        argmax = j;
      }
    }
    const guess = confident === 0 ? -1 : confident > 1 ? argmax : firstConfident;
    if (confidentClass) confidentClass[i] = guess;
    if (guess >= 0) flat[label * classes + guess]!++;
    if (margin) {
      let other = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < classes; j++) if (j !== label && probs[row + j]! > other) other = probs[row + j]!;
      margin[i] = probs[row + label]! - other;
    }
  }
  if (nonFinite) checkFinite(probs, classes);
  const joint: Joint = [];
  for (let k = 0; k < classes; k++) {
    const row = Array.from(flat.subarray(k * classes, (k + 1) * classes));
    row[k] = Math.max(row[k]!, 1);
    joint.push(row);
  }
  return joint;
}

/**
 * The confident joint C[i][j]: examples labelled i whose probability of class j reaches
 * t_j (less 1e-6). With several such classes, cleanlab counts the example under its overall
 * argmax (even when that class is not itself above its threshold); examples with none are
 * not counted. Each diagonal entry is raised to at least 1.
 */
export function confidentJoint(problem: LabelProblem, thresholds = confidentThresholds(problem)): ConfidentJointResult {
  const n = check(problem);
  const confidentClass = new Int32Array(n);
  const joint = countJoint(problem, n, thresholds, confidentClass, null);
  return { thresholds, joint, confidentClass };
}

/**
 * Integers with the same (rounded) total as `values`: round each half-to-even, then move
 * the entries whose rounding went furthest the other way by one until the totals agree
 * (cleanlab's `round_preserving_sum`).
 */
export function roundPreservingSum(values: readonly number[]): number[] {
  const ints = values.map(roundHalfEven);
  const target = roundHalfEven(numpySum(values));
  let total = roundHalfEven(numpySum(ints));
  while (Math.abs(total - target) > COMPARISON_SLACK) {
    const diff = roundHalfEven(target - total);
    const step = diff < 0 ? -1 : 1;
    const changes = Math.min(Math.abs(diff), values.length);
    const order = values.map((_, i) => i).sort((a, b) => values[a]! - ints[a]! - (values[b]! - ints[b]!) || a - b);
    // numpy walks the ascending argsort backwards to add, forwards to subtract.
    if (step > 0) order.reverse();
    for (const i of order.slice(0, changes)) ints[i]! += step;
    total = roundHalfEven(numpySum(ints));
  }
  return ints;
}

/**
 * Calibration (paper eq. 3): scale each row of the joint to the number of examples with
 * that given label, then the whole to n, and round keeping each row's total.
 */
export function calibrateConfidentJoint(joint: Joint, counts: readonly number[]): Joint {
  const classes = joint.length;
  const scaled = joint.map((row, i) => {
    const rowSum = Math.max(numpySum(row), TINY);
    return row.map((c) => (c / rowSum) * counts[i]!);
  });
  const total = Math.max(numpySum(scaled.flat()), TINY);
  const n = numpySum(counts);
  return Array.from({ length: classes }, (_, i) => roundPreservingSum(scaled[i]!.map((v) => (v / total) * n)));
}

/**
 * How many examples of each given label to prune towards each true label: the transposed
 * joint with each column's diagonal raised to `minPerClass`, the rise taken evenly from the
 * column's other non-zero entries, and off-diagonals scaled by `fracNoise`; counts are
 * truncated to integers as cleanlab's `_keep_at_least_n_per_class` does.
 * Returned as `[true][given]`.
 */
export function pruneCountMatrix(joint: Joint, minPerClass = 1, fracNoise = 1): Joint {
  const classes = joint.length;
  const m = Array.from({ length: classes }, (_, t) => Array.from({ length: classes }, (_, g) => joint[g]![t]!));
  for (let col = 0; col < classes; col++) {
    const diag = m[col]![col]!;
    const raised = Math.max(diag, minPerClass);
    let nonZero = 0;
    for (let row = 0; row < classes; row++) if (m[row]![col] !== 0) nonZero++;
    const share = (raised - diag) / Math.max(nonZero - 1, 1);
    for (let row = 0; row < classes; row++) m[row]![col] = row === col ? raised : Math.max(m[row]![col]! - share, 0);
  }
  for (let col = 0; col < classes; col++) {
    let removed = 0;
    for (let row = 0; row < classes; row++) {
      if (row === col) continue;
      const reduced = m[row]![col]! * fracNoise;
      removed += m[row]![col]! - reduced;
      m[row]![col] = reduced;
    }
    m[col]![col]! += removed;
  }
  return m.map((row) => row.map((v) => Math.trunc(v)));
}

/** p(given label) per example (cleanlab's `self_confidence` score). */
export function selfConfidence(problem: LabelProblem): Float64Array {
  const n = check(problem);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = problem.probs[i * problem.classes + problem.labels[i]!]!;
  return out;
}

/** p(given label) − max over other classes of p (Wei et al. 2018 eq. 2.2), in [−1, 1]. */
export function normalizedMargin(problem: LabelProblem): Float64Array {
  const n = check(problem);
  const { probs, labels, classes } = problem;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const label = labels[i]!;
    let other = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < classes; j++) if (j !== label && probs[i * classes + j]! > other) other = probs[i * classes + j]!;
    out[i] = probs[i * classes + label]! - other;
  }
  return out;
}

/** Whether position a comes after position b in the order (key ascending, then position). */
function after(keys: Float64Array, a: number, b: number): boolean {
  const ka = keys[a]!;
  const kb = keys[b]!;
  return ka > kb || (ka === kb && a > b);
}

/** Restores the max-heap below `at` (largest by key, then position, on top). */
function siftDown(heap: Int32Array, keys: Float64Array, at: number, size: number): void {
  const item = heap[at]!;
  for (;;) {
    let child = 2 * at + 1;
    if (child >= size) break;
    if (child + 1 < size && after(keys, heap[child + 1]!, heap[child]!)) child++;
    const larger = heap[child]!;
    if (!after(keys, larger, item)) break;
    heap[at] = larger;
    at = child;
  }
  heap[at] = item;
}

/**
 * Positions of the `count` lowest of `keys[0 … length)`, ties by lower position, as a
 * max-heap (unordered for callers that only mark them). A bounded heap instead of a full
 * sort: the filters keep a few dozen of thousands. Positions arrive in increasing order,
 * so a newcomer equal to the top ranks after it and is rightly turned away.
 */
function lowestPositions(keys: Float64Array, length: number, count: number): Int32Array {
  const size = Math.max(0, Math.min(count, length));
  const heap = new Int32Array(size);
  if (size === 0) return heap;
  let filled = 0;
  for (let p = 0; p < length; p++) {
    if (filled < size) {
      let at = filled++;
      while (at > 0) {
        const parent = (at - 1) >> 1;
        if (!after(keys, p, heap[parent]!)) break;
        heap[at] = heap[parent]!;
        at = parent;
      }
      heap[at] = p;
    } else if (keys[p]! < keys[heap[0]!]!) {
      heap[0] = p;
      siftDown(heap, keys, 0, size);
    }
  }
  return heap;
}

/** `lowestPositions` in ascending order (key, then position): heapsort of the kept heap. */
function sortedLowestPositions(keys: Float64Array, length: number, count: number): Int32Array {
  const heap = lowestPositions(keys, length, count);
  for (let end = heap.length - 1; end > 0; end--) {
    const top = heap[0]!;
    heap[0] = heap[end]!;
    heap[end] = top;
    siftDown(heap, keys, 0, end);
  }
  return heap;
}

function argmaxRow(probs: ArrayLike<number>, i: number, classes: number): number {
  let best = 0;
  for (let j = 1; j < classes; j++) if (probs[i * classes + j]! > probs[i * classes + best]!) best = j;
  return best;
}

export interface LabelIssues {
  method: 'cleanlab' | 'paper';
  /** Indices of examples whose label is probably wrong, most likely first. */
  indices: number[];
  thresholds: Float64Array;
  /** The joint the count came from: calibrated for cleanlab, raw for the paper. */
  joint: Joint;
  /** Per given class, the estimated fraction of its examples whose true class is another. */
  noiseRates: number[];
}

function noiseRates(joint: Joint): number[] {
  return joint.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total > 0 ? 1 - row[i]! / total : 0;
  });
}

export interface FindLabelIssuesOptions {
  filterBy?: LabelFilter;
  minExamplesPerClass?: number;
  fracNoise?: number;
}

/**
 * cleanlab's `find_label_issues` with `return_indices_ranked_by='self_confidence'`.
 * - prune_by_noise_rate: for every off-diagonal (given k, true j) of the prune counts,
 *   flag that many examples labelled k with the largest p_j − p_k;
 * - prune_by_class: flag, in each class k, all but prune[k][k] examples, lowest p_k first;
 * - both: flagged by both.
 * Classes with at most `minExamplesPerClass` examples are left alone, and an example whose
 * argmax is its given label is never flagged.
 */
export function findLabelIssues(problem: LabelProblem, options: FindLabelIssuesOptions = {}): LabelIssues {
  const { filterBy = 'prune_by_noise_rate', minExamplesPerClass = 1, fracNoise = 1 } = options;
  if (!LABEL_FILTERS.includes(filterBy)) throw new RangeError(`unknown filter ${String(filterBy)} (known: ${LABEL_FILTERS.join(', ')})`);
  const n = check(problem, false);
  const { probs, labels, classes } = problem;
  const groups = groupByClass(probs, labels, classes, n);
  const { counts, offsets, members, selfProbs } = groups;
  const thresholds = thresholdsOf(groups, classes);
  const calibrated = calibrateConfidentJoint(countJoint(problem, n, thresholds, null, null), counts);
  const prune = pruneCountMatrix(calibrated, minExamplesPerClass, fracNoise);

  const wantNoise = filterBy !== 'prune_by_class';
  const wantClass = filterBy !== 'prune_by_noise_rate';
  const byNoise = new Uint8Array(wantNoise ? n : 0);
  const byClass = new Uint8Array(wantClass ? n : 0);
  const keys = new Float64Array(Math.max(0, ...counts));
  for (let k = 0; k < classes; k++) {
    const start = offsets[k]!;
    const size = counts[k]!;
    if (size <= Math.max(1, minExamplesPerClass)) continue;
    const issues = size - prune[k]![k]!;
    if (wantClass && issues >= 1) {
      for (const p of lowestPositions(selfProbs.subarray(start, start + size), size, issues)) byClass[members[start + p]!] = 1;
    }
    if (!wantNoise) continue;
    for (let j = 0; j < classes; j++) {
      const count = prune[j]![k]!;
      if (j === k || count <= 0) continue;
      for (let p = 0; p < size; p++) {
        const row = members[start + p]! * classes;
        keys[p] = -(probs[row + j]! - probs[row + k]!);
      }
      for (const p of lowestPositions(keys, size, count)) byNoise[members[start + p]!] = 1;
    }
  }
  const flagged: number[] = [];
  for (let i = 0; i < n; i++) {
    const hit = filterBy === 'prune_by_noise_rate' ? byNoise[i] : filterBy === 'prune_by_class' ? byClass[i] : byNoise[i]! & byClass[i]!;
    if (hit && argmaxRow(probs, i, classes) !== labels[i]) flagged.push(i);
  }
  const flaggedSelf = new Float64Array(flagged.length);
  for (let f = 0; f < flagged.length; f++) flaggedSelf[f] = probs[flagged[f]! * classes + labels[flagged[f]!]!]!;
  const indices = Array.from(sortedLowestPositions(flaggedSelf, flagged.length, flagged.length), (f) => flagged[f]!);
  return { method: 'cleanlab', indices, thresholds, joint: calibrated, noiseRates: noiseRates(calibrated) };
}

/**
 * The "Pervasive Label Errors" method: ⌊(1 − trace(C)/sum(C))·n⌋ examples with the lowest
 * normalized margin, C the uncalibrated confident joint. `top` overrides the count (the
 * release reviewed the top 100 for MNIST, where the estimate is 15).
 */
export function paperLabelIssues(problem: LabelProblem, top?: number): LabelIssues & { estimated: number } {
  const n = check(problem, false);
  const thresholds = thresholdsOf(groupByClass(problem.probs, problem.labels, problem.classes, n), problem.classes);
  const margin = new Float64Array(n);
  const joint = countJoint(problem, n, thresholds, null, margin);
  let trace = 0;
  let sum = 0;
  for (let i = 0; i < joint.length; i++) {
    trace += joint[i]![i]!;
    for (const c of joint[i]!) sum += c;
  }
  const estimated = Math.floor((1 - trace / sum) * n);
  const count = top ?? estimated;
  if (!(Number.isInteger(count) && count >= 0)) throw new RangeError(`top must be a non-negative integer, got ${count}`);
  const indices = Array.from(sortedLowestPositions(margin, n, count));
  return { method: 'paper', indices, thresholds, joint, noiseRates: noiseRates(joint), estimated };
}
