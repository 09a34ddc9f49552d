import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpyFile } from '../../src/ingest/formats/npy.js';
import {
  calibrateConfidentJoint,
  confidentJoint,
  confidentThresholds,
  findLabelIssues,
  LABEL_FILTERS,
  normalizedMargin,
  numpySum,
  paperLabelIssues,
  pruneCountMatrix,
  roundHalfEven,
  roundPreservingSum,
  type LabelProblem,
} from '../../src/stats/confident-learning.js';
import { corpusPath, REPO } from '../support/corpus.js';

// Six examples, three classes. Class means of the given label (the thresholds):
// class 0: (0.9 + 0.2 + 0.5) / 3 = 0.5333…, class 1: (0.8 + 0.3) / 2 = 0.55, class 2: 0.7.
const small: LabelProblem = {
  classes: 3,
  labels: [0, 0, 0, 1, 1, 2],
  probs: [
    0.9, 0.05, 0.05, // label 0, confident 0
    0.2, 0.7, 0.1, //   label 0, confident 1 only → off-diagonal (0, 1)
    0.5, 0.2, 0.3, //   label 0, nothing reaches its threshold → not counted
    0.1, 0.8, 0.1, //   label 1, confident 1
    0.3, 0.3, 0.4, //   label 1, none confident (0.3 < 0.55, 0.4 < 0.7, 0.3 < 0.533)
    0.0, 0.25, 0.75, // label 2, confident 2
  ],
};

describe('numpy-exact arithmetic', () => {
  it('sums like numpy pairwise summation and rounds half to even', () => {
    expect(numpySum([1, 2, 3])).toBe(6);
    // 0.1 × 10 summed left to right is 0.9999999999999999; numpy's 8-accumulator block gives 1.
    const tenths = new Array(10).fill(0.1);
    expect(tenths.reduce((a, b) => a + b, 0)).toBe(0.9999999999999999);
    expect(numpySum(tenths)).toBe(1); // python3 -c "import numpy as np; print(np.sum([0.1]*10))" → 1.0
    expect(numpySum(new Array(1000).fill(0.1))).toBe(100.00000000000001); // np.sum([0.1]*1000)
    expect([0.5, 1.5, 2.5, -1.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([0, 2, 2, -2, 2, 3]); // np.round
  });

  it('rounds keeping the total (cleanlab round_preserving_sum)', () => {
    // Rounded half-even: [0, 2, 2] = 4, target round(4.5) = 4 → unchanged.
    expect(roundPreservingSum([0.5, 1.5, 2.5])).toEqual([0, 2, 2]);
    // [0.4, 0.4, 0.4, 0.4, 0.4] rounds to 0s; total 2 → the two with the largest (x − round x), ties by index
    // in numpy's reversed ascending argsort: the last two.
    expect(roundPreservingSum([0.4, 0.4, 0.4, 0.4, 0.4])).toEqual([0, 0, 0, 1, 1]);
    // [0.6, 0.6, 0.6, 1.2]: rounds to [1, 1, 1, 1] = 4, target 3 → take one from the smallest x − round x.
    expect(roundPreservingSum([0.6, 0.6, 0.6, 1.2])).toEqual([0, 1, 1, 1]);
  });
});

describe('confident joint', () => {
  it('thresholds are the mean self-probability per given class', () => {
    const t = confidentThresholds(small);
    expect(t[0]).toBeCloseTo(1.6 / 3, 15);
    expect(t[1]).toBeCloseTo(0.55, 15);
    expect(t[2]).toBeCloseTo(0.75, 15);
  });

  it('a class nobody carries gets threshold 2, never confident', () => {
    const t = confidentThresholds({ classes: 3, labels: [0, 1], probs: [0.6, 0.3, 0.1, 0.2, 0.7, 0.1] });
    expect(Array.from(t)).toEqual([0.6, 0.7, 2]);
  });

  it('counts each example under its confident class, with the diagonal floored at 1', () => {
    const { joint, confidentClass } = confidentJoint(small);
    expect(Array.from(confidentClass)).toEqual([0, 1, -1, 1, -1, 2]);
    expect(joint).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
  });

  it('with several confident classes it takes the overall argmax, as cleanlab does', () => {
    const problem: LabelProblem = {
      classes: 3,
      labels: [0, 0, 1, 2],
      probs: [0.4, 0.25, 0.35, 0.2, 0.45, 0.35, 0.05, 0.9, 0.05, 0.34, 0.36, 0.3],
    };
    // With thresholds [0.3, 0.9, 0.3]: example 0 reaches 0 and 2 → argmax 0; example 1 only 2;
    // example 2 only 1; example 3 reaches 0 and 2 (0.30 ≥ 0.3 − 1e-6) but its overall argmax is 1,
    // below its threshold: cleanlab still counts it under 1. C[2][2] is floored to 1.
    const { joint, confidentClass } = confidentJoint(problem, Float64Array.from([0.3, 0.9, 0.3]));
    expect(Array.from(confidentClass)).toEqual([0, 2, 1, 1]);
    expect(joint).toEqual([
      [1, 0, 1],
      [0, 1, 0],
      [0, 1, 1],
    ]);
  });

  it('calibration scales rows to the label counts and the total to n', () => {
    // Row 0 [3, 1] over 8 examples → [6, 2]; row 1 [1, 1] over 2 → [1, 1]; total 10 already.
    expect(calibrateConfidentJoint([[3, 1], [1, 1]], [8, 2])).toEqual([[6, 2], [1, 1]]);
    // Row 0 [2, 1] over 4 → [2.667, 1.333] → [3, 1]; row 1 [1, 2] over 5 → [1.667, 3.333] → [2, 3].
    expect(calibrateConfidentJoint([[2, 1], [1, 2]], [4, 5])).toEqual([[3, 1], [2, 3]]);
  });

  it('prune counts: transposed, diagonal raised to the minimum taken from the column', () => {
    expect(pruneCountMatrix([[5, 2], [1, 4]])).toEqual([[5, 1], [2, 4]]);
    // Given class 0 has diagonal 0: raise to 1, take 1/2 from each other non-zero entry of column 0
    // (prune[1][0] = 3 → 2.5, prune[2][0] = 1 → 0.5), truncated to 2 and 0.
    expect(pruneCountMatrix([[0, 3, 1], [0, 4, 0], [0, 0, 4]])).toEqual([[1, 0, 0], [2, 4, 0], [0, 0, 4]]);
    // frac_noise 0.5 halves the off-diagonals and gives the rest to the diagonal.
    expect(pruneCountMatrix([[6, 4], [2, 8]], 1, 0.5)).toEqual([[8, 1], [2, 9]]);
  });
});

describe('filters', () => {
  // Ten examples of class 0, ten of class 1; examples 7–9 (labelled 0) look like class 1.
  const n0 = [0.95, 0.94, 0.93, 0.92, 0.91, 0.9, 0.89, 0.2, 0.1, 0.4];
  const n1 = [0.1, 0.08, 0.06, 0.05, 0.04, 0.03, 0.02, 0.55, 0.45, 0.01];
  const problem: LabelProblem = {
    classes: 2,
    labels: [...n0.map(() => 0), ...n1.map(() => 1)],
    probs: [...n0.flatMap((p) => [p, 1 - p]), ...n1.flatMap((p) => [p, 1 - p])],
  };
  // t0 = mean(n0) = 0.704, t1 = mean(1 − n1) = 0.861. Labelled 0: examples 0–6 confident 0;
  // 7 (p1 0.8) and 9 (p1 0.6) reach nothing; 8 (p1 0.9) is confident 1 → C[0] = [7, 1].
  // Labelled 1: 10–16 and 19 confident 1; 17 (p0 0.55) and 18 (p1 0.55) reach nothing → C[1] = [0, 8].
  // Calibrated: row 0 × 10/8 → [8.75, 1.25] → [9, 1]; row 1 → [0, 10].
  it('computes the joint and its calibration by hand', () => {
    expect(confidentJoint(problem).joint).toEqual([[7, 1], [0, 8]]);
    expect(findLabelIssues(problem).joint).toEqual([[9, 1], [0, 10]]);
  });

  it('prune_by_noise_rate flags the largest p(true) − p(given) per off-diagonal count', () => {
    // One (given 0, true 1) issue: the largest p1 − p0 among class 0 is example 8 (0.9 − 0.1).
    expect(findLabelIssues(problem).indices).toEqual([8]);
  });

  it('prune_by_class flags the lowest self-confidence beyond the diagonal count', () => {
    // Class 0 keeps 9 of 10 → flags its lowest p0, example 8 (0.1); class 1 keeps all 10.
    expect(findLabelIssues(problem, { filterBy: 'prune_by_class' }).indices).toEqual([8]);
    expect(findLabelIssues(problem, { filterBy: 'both' }).indices).toEqual([8]);
  });

  it('ranks by self-confidence, ties by index, and estimates the noise rate per class', () => {
    const probs = [...(problem.probs as number[])];
    for (const i of [7, 9]) [probs[i * 2], probs[i * 2 + 1]] = [0.1, 0.9];
    // Now 7, 8, 9 are all confidently 1: C[0] = [7, 3]; three (0 → 1) issues, all p0 = 0.1.
    const result = findLabelIssues({ ...problem, probs });
    expect(result.joint).toEqual([[7, 3], [0, 10]]);
    expect(result.indices).toEqual([7, 8, 9]);
    expect(result.noiseRates[0]).toBeCloseTo(0.3, 12);
    expect(result.noiseRates[1]).toBe(0);
  });

  it('never flags an example whose argmax is its given label', () => {
    // Class 1 is poorly predicted (p1 = 0.4 for both its examples → t1 = 0.4), so example 6
    // (label 0, p = [0.55, 0.45]) is counted as truly 1 — yet its argmax is its label.
    // t0 = (6 × 0.95 + 0.55 + 0.1) / 8 = 0.794; C = [[6, 2], [0, 2]], calibrated the same.
    const skewed: LabelProblem = {
      classes: 2,
      labels: [0, 0, 0, 0, 0, 0, 0, 0, 1, 1],
      probs: [...[0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.55, 0.1].flatMap((p) => [p, 1 - p]), 0.6, 0.4, 0.6, 0.4],
    };
    expect(confidentJoint(skewed).joint).toEqual([[6, 2], [0, 2]]);
    // Both filters pick examples 6 and 7; 6 is dropped by the argmax rule. Examples 8 and 9
    // (argmax 0, label 1) are not flagged: the joint has no (given 1, true 0) count.
    for (const filterBy of LABEL_FILTERS) expect(findLabelIssues(skewed, { filterBy }).indices).toEqual([7]);
  });

  it('rejects labels outside the classes and misshapen probabilities', () => {
    expect(() => findLabelIssues({ classes: 2, labels: [0, 2], probs: [1, 0, 0, 1] })).toThrow(/label 2 of example 1/);
    expect(() => findLabelIssues({ classes: 2, labels: [0, 1], probs: [1, 0, 0] })).toThrow(/3 values/);
    expect(() => findLabelIssues({ classes: 2, labels: [0, 1], probs: [1, 0, Number.NaN, 1] })).toThrow(/not finite/);
  });
});

describe('paper method', () => {
  it('flags ⌊(1 − trace/sum)·n⌋ lowest normalized margins', () => {
    // small: C = [[1,1,0],[0,1,0],[0,0,1]] → 1 − 3/4 = 0.25, × 6 = 1.5 → 1 issue.
    const result = paperLabelIssues(small);
    expect(result.estimated).toBe(1);
    // Margins: 0.85, −0.5, 0.2, 0.7, −0.1, 0.5 → lowest is example 1.
    expect(Array.from(normalizedMargin(small)).map((m) => Math.round(m * 100) / 100)).toEqual([0.85, -0.5, 0.2, 0.7, -0.1, 0.5]);
    expect(result.indices).toEqual([1]);
    expect(paperLabelIssues(small, 3).indices).toEqual([1, 4, 2]);
  });
});

const LABEL_ERRORS = corpusPath('label-errors');
const HAS_LABEL_ERRORS = existsSync(path.join(LABEL_ERRORS, 'mturk'));
if (!HAS_LABEL_ERRORS) console.warn(`label-errors corpus not found at ${LABEL_ERRORS}; its tests are skipped`);

async function load(set: string): Promise<LabelProblem> {
  const probs = await readNpyFile(path.join(LABEL_ERRORS, 'cross_validated_predicted_probabilities', `${set}_test_set_pyx.npy`));
  const labels = await readNpyFile(path.join(LABEL_ERRORS, 'original_test_labels', `${set}_test_set_original_labels.npy`));
  if (!probs.array || !labels.array) throw new Error(`cannot read ${set}`);
  return { probs: probs.array.data, labels: labels.array.data, classes: probs.array.shape[1]! };
}

interface MturkEntry {
  id: number | string;
  given_original_label: number | string;
  mturk: { given: number };
}

/** Example index of each human-checked item (IMDB ids are file names, mapped through dataset_indexing). */
function mturk(set: string): { index: number; given: number; validated: boolean }[] {
  const entries = JSON.parse(readFileSync(path.join(LABEL_ERRORS, 'mturk', `${set}_mturk.json`), 'utf8')) as MturkEntry[];
  let position: Map<string, number> | undefined;
  if (set === 'imdb') {
    const names = JSON.parse(readFileSync(path.join(LABEL_ERRORS, 'dataset_indexing', 'imdb_test_set_index_to_filename.json'), 'utf8')) as string[];
    position = new Map(names.map((name, i) => [name, i]));
  }
  return entries.map((e) => ({
    index: position ? position.get(`${String(e.id).replace(/^test\//, '')}.txt`)! : Number(e.id),
    given: typeof e.given_original_label === 'number' ? e.given_original_label : e.given_original_label === 'Positive' ? 1 : 0,
    // The release counts an item as a validated error when fewer than 3 of the 5 workers
    // chose the given label (a majority picked the guessed label, both, neither, …).
    validated: e.mturk.given < 3,
  }));
}

describe.skipIf(!HAS_LABEL_ERRORS)('label-errors corpus (Northcutt et al. 2021 release)', () => {
  // Published: flagged CIFAR-10 275, 20news 93, IMDB 1,310, MNIST 100 (the top 100 reviewed; the
  // estimate is 15.84 → 15); human-validated among them 54, 82, 725, 15.
  const published = {
    cifar10: { flagged: 275, estimated: 275, validated: 54 },
    '20news': { flagged: 93, estimated: 93, validated: 82 },
    imdb: { flagged: 1310, estimated: 1310, validated: 725 },
    mnist: { flagged: 100, estimated: 15, validated: 15 },
  } as const;

  for (const [set, expected] of Object.entries(published)) {
    it(`${set}: the paper method flags exactly the published items`, async () => {
      const problem = await load(set);
      const checked = mturk(set);
      expect(paperLabelIssues(problem).estimated).toBe(expected.estimated);
      const result = paperLabelIssues(problem, expected.flagged);
      expect(result.indices).toHaveLength(expected.flagged);
      // The flagged set is exactly the set the release sent to Mechanical Turk.
      expect([...result.indices].sort((a, b) => a - b)).toEqual(checked.map((c) => c.index).sort((a, b) => a - b));
      for (const c of checked) expect(problem.labels[c.index]).toBe(c.given);
      const flagged = new Set(result.indices);
      expect(checked.filter((c) => c.validated && flagged.has(c.index))).toHaveLength(expected.validated);
    });
  }

  // cleanlab itself cannot be installed here; test/fixtures/label-issues/cleanlab_reference.py
  // re-states its defaults in NumPy (numpy 1.24.2's own mean, argsort, rounding) and wrote the JSON.
  const reference = JSON.parse(readFileSync(path.join(REPO, 'test/fixtures/label-issues/cleanlab-reference.json'), 'utf8')) as Record<
    string,
    { thresholds: number[]; confidentJoint: number[][]; calibratedJoint: number[][] } & Record<string, number[]>
  >;
  const counts = {
    cifar10: { prune_by_noise_rate: 284, prune_by_class: 284, both: 226 },
    '20news': { prune_by_noise_rate: 95, prune_by_class: 96, both: 45 },
    imdb: { prune_by_noise_rate: 1309, prune_by_class: 1309, both: 1309 },
    mnist: { prune_by_noise_rate: 15, prune_by_class: 15, both: 15 },
  } as const;

  for (const set of Object.keys(counts) as (keyof typeof counts)[]) {
    it(`${set}: cleanlab defaults give the reference thresholds, joints and ranked issues`, async () => {
      const problem = await load(set);
      const ref = reference[set]!;
      expect(Array.from(confidentThresholds(problem))).toEqual(ref.thresholds); // to the last bit
      expect(confidentJoint(problem).joint).toEqual(ref.confidentJoint);
      const selfConf = Array.from(problem.labels, (label, i) => problem.probs[i * problem.classes + label]!);
      for (const filterBy of LABEL_FILTERS) {
        const result = findLabelIssues(problem, { filterBy });
        expect(result.joint).toEqual(ref.calibratedJoint);
        expect(result.indices).toHaveLength(counts[set][filterBy]);
        // Identical to numpy with stable sorts (ties by lower index, ladder's rule) …
        expect(result.indices).toEqual(ref[`${filterBy}:stable`]);
        // … and to numpy's default (unstable) argsort, as cleanlab calls it, except where exact
        // ties straddle a cut: 20news has many probabilities of exactly 0, and which of those tied
        // examples numpy keeps is an accident of its sort (it gives 47 for `both`, ladder 45).
        const numpyDefault = ref[filterBy]!;
        if (set === '20news') {
          const mine = new Set(result.indices);
          const theirs = new Set(numpyDefault);
          const differing = [...mine].filter((i) => !theirs.has(i)).concat(numpyDefault.filter((i) => !mine.has(i)));
          for (const i of differing) expect(selfConf[i]).toBe(0);
          if (filterBy !== 'both') expect(numpyDefault).toHaveLength(result.indices.length);
        } else {
          expect(result.indices).toEqual(numpyDefault);
        }
      }
    });
  }
});
