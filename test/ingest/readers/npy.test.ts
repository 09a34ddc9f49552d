import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingest } from '../../../src/ingest/ingest.js';
import { npyReader, setNameOf } from '../../../src/ingest/readers/npy.js';
import { CORPUS_SKIP_REASON, HAS_CORPUS, REPO, corpusPath } from '../../support/corpus.js';

const PAIRS = path.join(REPO, 'test/fixtures/npy/pairs');

describe('set names', () => {
  it.each([
    ['cifar10_test_set_pyx', 'cifar10_test_set'],
    ['cifar10_test_set_original_labels', 'cifar10_test_set'],
    ['cifar10_test_set_pyx_argmax_predicted_labels', 'cifar10_test_set'],
    ['caltech256_pyx_argmax_predicted_labels', 'caltech256'],
    ['cifar100_test_set_original_labels', 'cifar100_test_set'],
    ['labels', ''],
    ['val-y-pred', 'val'],
  ])('%s → %s', (stem, setName) => expect(setNameOf(stem)?.setName).toBe(setName));
  it('has no set name without a role word', () => expect(setNameOf('val_loss')).toBeUndefined());
});

describe('npy reader on arrays written by numpy (test/fixtures/npy/pairs)', async () => {
  const result = await ingest([PAIRS], { readers: [npyReader] });
  const run = result.runs[0]!;
  const set = (name: string) => run.examples.find((s) => s.name === name)!;
  const codes = (code: string) => result.issues.filter((i) => i.code === code);

  it('reads the folder as one run of sets paired by name prefix', () => {
    expect(result.runs).toHaveLength(1);
    expect(run.format).toBe('npy');
    expect(run.examples.map((s) => s.name).sort()).toEqual(['cifar10', 'cifar100', 'pairs', 'raw', 'short', 'test', 'val']);
  });

  it('pairs probabilities (Fortran-ordered float32), labels, predictions, correctness and a metric', () => {
    const val = set('val');
    expect(val.count).toBe(5);
    expect(val.probs!.classes).toBe(3);
    for (let i = 0; i < 5; i++) {
      const row = Array.from(val.probs!.data.subarray(i * 3, i * 3 + 3));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(val.preds![i]).toBe(row.indexOf(Math.max(...row)));
    }
    expect(val.labels).toEqual([0, 2, 1, 1, 0]);
    expect(Array.from(val.correct!)).toEqual([1, 0, 1, 1, 0]);
    expect(Array.from(val.metrics!['loss']!)).toEqual([0.1, 2.3, 0.5, Number.NaN, 1.0]);
  });

  it('gives a role to the first array in name order and keeps a second one as a metric', () => {
    const test = set('test');
    expect(test.count).toBe(4);
    expect(test.labels).toEqual([2, 0, 0, 1]); // test_noisy_labels
    expect(Array.from(test.metrics!['original_labels']!)).toEqual([2, 0, 1, 1]);
    expect(test.preds).toHaveLength(4);
  });

  it("reads scikit-learn's y.npy as the labels of the folder's set", () => {
    expect(set('pairs')).toMatchObject({ count: 5, labels: [1, 0, 1, 1, 0] });
  });

  it('never pairs cifar10 with cifar100', () => {
    expect(set('cifar10').probs!.classes).toBe(2);
    expect(set('cifar10').labels).toBeUndefined();
    expect(set('cifar100').labels).toEqual([5, 7, 9]);
  });

  it('reports arrays of another length as examples.mismatch and leaves them out', () => {
    expect(set('short').count).toBe(3);
    expect(set('short').labels).toBeUndefined();
    expect(codes('examples.mismatch')).toHaveLength(1);
    expect(codes('examples.mismatch')[0]).toMatchObject({ file: 'short_labels.npy', data: { got: 4, expected: 3 } });
  });

  it('warns when a 2-D float array is not probabilities', () => {
    expect(set('raw').probs!.classes).toBe(3);
    expect(codes('npy.not-probabilities').map((i) => i.file)).toEqual(['raw_logits.npy']);
  });

  it('keeps a 0-d array in the summary and reports a 3-D array and a 2-D feature matrix', () => {
    expect(run.summary['accuracy']).toBe(0.8125);
    expect(codes('npy.not-per-example')).toMatchObject([
      { file: 'X.npy', data: { shape: '5, 2', descr: '<f8' } },
      { file: 'embeddings.npy', data: { shape: '2, 2, 2', descr: '<f8' } },
      { file: 'features.npy', data: { shape: '4, 3', descr: '<f8' } },
    ]);
    expect(run.examples.find((s) => s.name === 'features')).toBeUndefined();
  });

  it('reports a truncated array as npy.invalid without losing the others, and skips a file without the magic', () => {
    expect(codes('npy.invalid')).toMatchObject([{ file: 'cut_probs.npy', severity: 'error' }]);
    expect(codes('npy.invalid')[0]!.data!['reason']).toMatch(/truncated/);
    expect(run.paths).not.toContain('notes.npy');
    expect(codes('file.unrecognized')).toMatchObject([{ data: { example: 'notes.npy' } }]);
  });
});

describe.skipIf(!HAS_CORPUS)(`npy reader on the label-errors corpus (${HAS_CORPUS ? 'present' : CORPUS_SKIP_REASON})`, async () => {
  const root = corpusPath('label-errors');
  const result = HAS_CORPUS ? await ingest([root], { readers: [npyReader] }) : { runs: [], issues: [] };

  it('reads every .npy with its count equal to shape[0] of its header text, without error issues', () => {
    expect(result.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(result.issues.filter((i) => i.code.startsWith('npy.') || i.code.startsWith('examples.'))).toEqual([]);
    let checked = 0;
    for (const folder of readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name)) {
      const dir = path.join(root, folder);
      const npys = readdirSync(dir).filter((name) => name.endsWith('.npy'));
      if (npys.length === 0) continue;
      const run = result.runs.find((r) => r.id === folder)!;
      expect(run.paths).toHaveLength(npys.length);
      for (const name of npys) {
        // Independent reading: a regex on the header text, and the file's own name for its set.
        const header = readFileSync(path.join(dir, name)).subarray(10, 128).toString('latin1');
        const shape = /'shape': \((\d+),\s*(\d*)\)/.exec(header)!;
        const dataset = name.replace(/_(pyx|original).*$/, '');
        const set = run.examples.find((s) => s.name === dataset)!;
        expect(set.count).toBe(Number(shape[1]));
        if (shape[2]) expect(set.probs!.classes).toBe(Number(shape[2]));
        else expect((folder.includes('predicted') ? set.preds : set.labels)!.length).toBe(Number(shape[1]));
        checked++;
      }
    }
    expect(checked).toBe(16);
  });

  it('reads cifar10 predictions equal to the argmax of its probabilities (numpy: 44954 = sum of argmax)', () => {
    const probs = result.runs.find((r) => r.id === 'cross_validated_predicted_probabilities')!.examples.find((s) => s.name === 'cifar10_test_set')!;
    const preds = result.runs.find((r) => r.id === 'cross_validated_predicted_labels')!.examples.find((s) => s.name === 'cifar10_test_set')!;
    expect((preds.preds as number[]).reduce((a, b) => a + b, 0)).toBe(44954);
    let agree = 0;
    for (let i = 0; i < probs.count; i++) {
      const row = Array.from(probs.probs!.data.subarray(i * 10, i * 10 + 10));
      if (row.indexOf(Math.max(...row)) === preds.preds![i]) agree++;
    }
    expect(agree).toBe(10000);
  });
});
