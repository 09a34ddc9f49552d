/**
 * Per-example results saved as NumPy arrays (`numpy.save`), e.g. cleanlab's label-errors
 * release: out-of-sample probabilities `cifar10_test_set_pyx.npy` (n×K float64), original
 * labels `cifar10_test_set_original_labels.npy` and predictions
 * `cifar10_test_set_pyx_argmax_predicted_labels.npy` (n uint16).
 *
 * Claims every `*.npy` file that starts with the .npy magic; a folder is one run.
 *
 * Pairing: arrays of one folder that describe the same examples share a name prefix.
 * A file name is cut into words at `_`, `-`, `.` and spaces; its **set name** is the words
 * before the first role word (pyx, probs, labels, original, pred, argmax, correct…, see
 * ROLE_WORDS), and arrays with the same set name form one ExampleSet of that name (a file
 * whose name starts with a role word, like `labels.npy`, belongs to the set named after
 * the folder). A name without any role word (`val_loss`) joins the set whose name is its
 * longest leading run of words (`val`), or else is a set of its own. Words are compared
 * whole, so `cifar10_…` never pairs with `cifar100_…`.
 *
 * What each array becomes, by shape, dtype and name (lower-cased):
 *   2-D float, rows sum to 1        → probs
 *   2-D float named like pyx, probs,
 *     softmax, logits, scores, pred  → probs, with a warning when rows do not sum to 1
 *   2-D float otherwise (features,
 *     embeddings)                    → not per-example: reported, not read
 *   1-D, name has "pred"            → preds
 *   1-D, name has "label"/"target"
 *     or a word y/true/gold/given/noisy → labels (`y.npy`, `y_true.npy`)
 *   1-D, name has "correct"         → correct
 *   1-D otherwise                   → metrics[name without the set name]
 *   0-d                             → run.summary[file stem]
 *   anything else                   → not per-example: reported, not read
 * The first array of a role (in name order) takes it; a second one of the same role is kept
 * as a metric. All arrays of a set must have the same length (shape[0]); one that does not
 * is reported as `examples.mismatch` and left out.
 */
import path from 'node:path';
import { emptyRun, type ExampleSet, type Run } from '../../model/run.js';
import { hasNpyMagic, readNpyFile, type NpyArray } from '../formats/npy.js';
import type { Claim, FileEntry, FilePool, ReadContext, Reader } from '../reader.js';

const ROLE_WORDS = new Set([
  'pyx', 'psx', 'prob', 'probs', 'proba', 'probas', 'probabilities', 'softmax', 'logits', 'scores', 'score',
  'label', 'labels', 'original', 'given', 'noisy', 'true', 'gold', 'target', 'targets', 'y',
  'pred', 'preds', 'predicted', 'prediction', 'predictions', 'argmax', 'correct', 'is',
]);

/** Tolerance on a probability row's sum: float32 softmax outputs saved as float64 drift by ~1e-5. */
const ROW_SUM_TOLERANCE = 1e-3;

const wordsOf = (stem: string) => stem.split(/[_\-. ]+/).filter(Boolean);

/** The set name of a file stem that has a role word; undefined when it has none. */
export function setNameOf(fileStem: string): { setName: string; rest: string } | undefined {
  const words = wordsOf(fileStem);
  const cut = words.findIndex((word) => ROLE_WORDS.has(word.toLowerCase()));
  if (cut < 0) return undefined;
  return { setName: words.slice(0, cut).join('_'), rest: words.slice(cut).join('_') };
}

/** For a stem without a role word: the longest known set name made of its leading words. */
function joinByPrefix(fileStem: string, known: ReadonlySet<string>): { setName: string; rest: string } {
  const words = wordsOf(fileStem);
  for (let length = words.length - 1; length > 0; length--) {
    const candidate = words.slice(0, length).join('_');
    if (known.has(candidate)) return { setName: candidate, rest: words.slice(length).join('_') };
  }
  return { setName: words.join('_'), rest: fileStem };
}

type Slot = 'probs' | 'labels' | 'preds' | 'correct' | 'metric';

const PROBABILITY_NAME = /pyx|psx|prob|softmax|logit|score|pred/;
/** Whole words that name labels: scikit-learn's `y.npy` / `y_true.npy`, `gold`, `given`, `noisy`. */
const LABEL_WORDS = new Set(['y', 'true', 'gold', 'given', 'noisy']);

function slotOf(array: NpyArray, lowerName: string): Slot | undefined {
  if (array.shape.length === 2) {
    if (array.kind !== 'f') return undefined;
    const [rows, classes] = array.shape as [number, number];
    return PROBABILITY_NAME.test(lowerName) || firstBadRow(array.data, rows, classes) === undefined ? 'probs' : undefined;
  }
  if (array.shape.length !== 1) return undefined;
  if (lowerName.includes('pred')) return 'preds';
  if (lowerName.includes('label') || lowerName.includes('target')) return 'labels';
  if (wordsOf(lowerName).some((word) => LABEL_WORDS.has(word))) return 'labels';
  if (lowerName.includes('correct')) return 'correct';
  return 'metric';
}

interface Member {
  file: FileEntry;
  array: NpyArray;
  slot: Slot;
  rest: string;
}

const stemOf = (name: string) => name.replace(/\.npy$/i, '');

export const npyReader: Reader = {
  format: 'npy',
  description: 'NumPy .npy arrays of per-example probabilities, labels and predictions (paired by name prefix)',

  async claim(pool: FilePool): Promise<Claim[]> {
    const byDir = new Map<string, FileEntry[]>();
    for (const file of pool.files()) {
      if (!file.name.toLowerCase().endsWith('.npy')) continue;
      if (!hasNpyMagic(await pool.head(file, 8))) continue;
      const list = byDir.get(file.dir);
      if (list) list.push(file);
      else byDir.set(file.dir, [file]);
    }
    return [...byDir].map(([dir, files]) => ({ format: 'npy', dir, files }));
  },

  async read(claim: Claim, context: ReadContext): Promise<Run[]> {
    const { issue } = context;
    const run = emptyRun(context.runId(claim.dir), 'npy', claim.files.map((file) => file.rel));
    const files = [...claim.files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const arrays: { file: FileEntry; array: NpyArray; slot: Slot; stem: string }[] = [];
    for (const file of files) {
      const { array, error } = await readNpyFile(file.path);
      if (error) {
        issue('npy.invalid', file.rel, error.offset === undefined ? undefined : `byte ${error.offset}`, { reason: error.reason });
        continue;
      }
      const stem = stemOf(file.name);
      if (array.shape.length === 0) {
        run.summary[stem] = array.data[0]!;
        continue;
      }
      const slot = slotOf(array, stem.toLowerCase());
      if (!slot) {
        issue('npy.not-per-example', file.rel, undefined, { shape: array.shape.join(', '), descr: array.descr });
        continue;
      }
      arrays.push({ file, array, slot, stem });
    }
    const named = new Set(arrays.flatMap(({ stem }) => setNameOf(stem)?.setName ?? []));
    const sets = new Map<string, Member[]>();
    for (const { file, array, slot, stem } of arrays) {
      const { setName, rest } = setNameOf(stem) ?? joinByPrefix(stem, named);
      const key = setName === '' ? path.basename(claim.dir) : setName;
      const members = sets.get(key) ?? [];
      members.push({ file, array, slot, rest: rest || stem });
      sets.set(key, members);
    }
    for (const [name, members] of sets) run.examples.push(buildSet(name, members, context));
    return [run];
  },
};

/** The set's length comes from its probabilities, else its labels, else its first array. */
function buildSet(name: string, members: Member[], { issue }: ReadContext): ExampleSet {
  const reference = members.find((m) => m.slot === 'probs') ?? members.find((m) => m.slot === 'labels') ?? members[0]!;
  const count = reference.array.shape[0]!;
  const set: ExampleSet = { name, count };
  for (const { file, array, slot, rest } of members) {
    const length = array.shape[0]!;
    if (length !== count) {
      issue('examples.mismatch', file.rel, undefined, { what: `${file.name} against ${reference.file.name}`, got: length, expected: count });
      continue;
    }
    const taken =
      (slot === 'probs' && set.probs) || (slot === 'labels' && set.labels) || (slot === 'preds' && set.preds) || (slot === 'correct' && set.correct);
    if (slot === 'metric' || taken) {
      set.metrics ??= {};
      set.metrics[rest] = array.data;
    } else if (slot === 'probs') {
      const classes = array.shape[1]!;
      set.probs = { classes, data: array.data };
      checkProbabilities(array.data, count, classes, file, issue);
    } else if (slot === 'labels') {
      set.labels = Array.from(array.data);
    } else if (slot === 'preds') {
      set.preds = Array.from(array.data);
    } else {
      set.correct = array.data;
    }
  }
  return set;
}

function checkProbabilities(data: Float64Array, rows: number, classes: number, file: FileEntry, issue: ReadContext['issue']): void {
  const bad = firstBadRow(data, rows, classes);
  if (bad) issue('npy.not-probabilities', file.rel, `row ${bad.row}`, { row: bad.row, sum: Number(bad.sum.toPrecision(6)) });
}

/** The first row with a negative entry or a sum away from 1; rows holding a NaN are unknown, not wrong. */
function firstBadRow(data: Float64Array, rows: number, classes: number): { row: number; sum: number } | undefined {
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    let negative = false;
    for (let j = 0; j < classes; j++) {
      const p = data[i * classes + j]!;
      sum += p;
      if (p < 0) negative = true;
    }
    if (Number.isNaN(sum)) continue;
    if (negative || Math.abs(sum - 1) > ROW_SUM_TOLERANCE) return { row: i, sum };
  }
  return undefined;
}
