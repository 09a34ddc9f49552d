import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNpy, parseNpyHeader, readNpyFile } from '../../../src/ingest/formats/npy.js';
import { CORPUS_SKIP_REASON, HAS_CORPUS, REPO, corpusPath } from '../../support/corpus.js';

const FIXTURES = path.join(REPO, 'test/fixtures/npy');

interface Expected {
  shape: number[];
  descr: string;
  fortran_order: boolean;
  values: (number | string)[];
}
// Written by numpy in generate.py: numpy's own reading of each fixture, values in C order.
const EXPECTED = JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, Expected>;
const decode = (v: number | string) => (typeof v === 'number' ? v : Number(v));

describe('parseNpy on fixtures written by numpy', () => {
  it('covers every dtype in C, Fortran and big-endian layouts', () => {
    const names = Object.keys(EXPECTED);
    for (const code of ['f8', 'f4', 'f2', 'i8', 'i4', 'i2', 'i1', 'u8', 'u4', 'u2', 'u1', 'b1']) {
      expect(names).toContain(`${code}_c.npy`);
      expect(names).toContain(`${code}_fortran.npy`);
    }
    expect(names).toContain('f8_big.npy');
  });

  it.each(Object.keys(EXPECTED))('%s matches numpy', (name) => {
    const expected = EXPECTED[name]!;
    const { array, error } = parseNpy(readFileSync(path.join(FIXTURES, name)));
    expect(error).toBeUndefined();
    expect(array!.shape).toEqual(expected.shape);
    expect(array!.descr).toBe(expected.descr);
    expect(array!.fortranOrder).toBe(expected.fortran_order);
    expect(Array.from(array!.data)).toEqual(expected.values.map(decode));
    expect(array!.trailingBytes).toBe(0);
  });

  it('reads header versions 2.0 and 3.0', () => {
    expect(parseNpy(readFileSync(path.join(FIXTURES, 'f8_v2.npy'))).array!.version).toBe('2.0');
    expect(parseNpy(readFileSync(path.join(FIXTURES, 'f8_v3.npy'))).array!.version).toBe('3.0');
  });

  it('turns a Fortran-ordered array into the same row-major data as the C-ordered one', () => {
    const c = parseNpy(readFileSync(path.join(FIXTURES, 'cube_c.npy'))).array!;
    const f = parseNpy(readFileSync(path.join(FIXTURES, 'cube_fortran.npy'))).array!;
    expect(f.fortranOrder).toBe(true);
    expect(Array.from(f.data)).toEqual(Array.from(c.data));
    expect(Array.from(c.data)).toEqual(Array.from({ length: 24 }, (_, i) => i));
  });

  it('keeps a 0-d array as one item with an empty shape', () => {
    const { array } = parseNpy(readFileSync(path.join(FIXTURES, 'scalar_0d.npy')));
    expect(array!.shape).toEqual([]);
    expect(Array.from(array!.data)).toEqual([3.25]);
  });
});

describe('parseNpy refuses damaged or unsupported files with a reason', () => {
  const refuse = (name: string) => parseNpy(readFileSync(path.join(FIXTURES, name))).error;

  it('truncated data', () => {
    const error = refuse('bad_truncated_data.npy');
    expect(error?.reason).toMatch(/truncated: 76 bytes .* needs 96/);
  });
  it('truncated header', () => expect(refuse('bad_truncated_header.npy')?.reason).toMatch(/runs past the end/));
  it('wrong magic', () => expect(refuse('bad_magic.npy')?.reason).toMatch(/magic/));
  it('pickled objects', () => expect(refuse('bad_object.npy')?.reason).toMatch(/'\|O'/));
  it('structured dtypes', () => expect(refuse('bad_structured.npy')?.reason).toMatch(/structured/));
  it('complex numbers', () => expect(refuse('bad_complex.npy')?.reason).toMatch(/'<c16' is not supported/));

  it('never throws on any prefix of a valid file', () => {
    const whole = readFileSync(path.join(FIXTURES, 'probs_6x3.npy'));
    for (let length = 0; length < whole.length; length++) {
      const result = parseNpy(whole.subarray(0, length));
      expect(result.error).toBeDefined();
    }
    expect(parseNpy(whole).error).toBeUndefined();
  });

  it('reports bytes after the data instead of failing (numpy.load ignores them too)', () => {
    const whole = readFileSync(path.join(FIXTURES, 'u2_labels.npy'));
    const { array } = parseNpy(Buffer.concat([whole, Buffer.from([1, 2, 3])]));
    expect(Array.from(array!.data)).toEqual([0, 9, 65535, 3]);
    expect(array!.trailingBytes).toBe(3);
  });

  it('parses Python 2 headers with long-integer suffixes', () => {
    const header = "{'descr': '<u1', 'fortran_order': False, 'shape': (2L, 1L), }";
    const padded = header.padEnd(118, ' ') + '\n';
    const bytes = Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0, padded.length, 0]), Buffer.from(padded, 'latin1'), Buffer.from([5, 6])]);
    expect(parseNpyHeader(bytes).header?.shape).toEqual([2, 1]);
    expect(Array.from(parseNpy(bytes).array!.data)).toEqual([5, 6]);
  });

  it('returns an I/O reason for a missing file', async () => {
    expect((await readNpyFile(path.join(FIXTURES, 'no-such.npy'))).error?.reason).toMatch(/ENOENT/);
  });
});

describe.skipIf(!HAS_CORPUS)(`parseNpy on the label-errors corpus (${HAS_CORPUS ? 'present' : CORPUS_SKIP_REASON})`, () => {
  const root = corpusPath('label-errors');
  // Read inside the test: describe bodies run even when the block is skipped (no corpus).
  const readManifest = () =>
    readFileSync(path.join(root, 'MANIFEST.tsv'), 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.split('\t'))
      .filter(([rel]) => rel?.endsWith('.npy'));

  it('every .npy in the manifest parses with the shape its header text states', async () => {
    const manifest = readManifest();
    expect(manifest.length).toBe(16);
    for (const [rel, bytes] of manifest) {
      const file = path.join(root, rel!);
      const raw = readFileSync(file);
      expect(raw.length).toBe(Number(bytes));
      // Independent reading of the header: a regex on its text.
      const headerText = raw.subarray(10, 128).toString('latin1');
      const shape = /'shape': \(([\d, ]*)\)/.exec(headerText)![1]!.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
      const descr = /'descr': '([^']+)'/.exec(headerText)![1];
      const { array, error } = await readNpyFile(file);
      expect(error).toBeUndefined();
      expect(array!.shape).toEqual(shape);
      expect(array!.descr).toBe(descr);
      expect(array!.data.length).toBe(shape.reduce((a, b) => a * b, 1));
    }
  });

  // Reference figures printed by Debian's numpy 1.24 (python3-numpy):
  //   a = np.load(f); a.shape, a[0].tolist(), float(a.sum()), float(np.abs(a.sum(1) - 1).max()), int(a.argmax(1).sum())
  const PROBS = {
    cifar10_test_set_pyx: { shape: [10000, 10], sum: 9999.99998147608, maxRowError: 2.348626821913058e-7, argmaxSum: 44954, first3: 0.9985514283180237 },
    mnist_test_set_pyx: { shape: [10000, 10], sum: 10000.000842175687, maxRowError: 1.092021438608981e-6, argmaxSum: 44352, first3: 3.82116300406965e-12 },
    '20news_test_set_pyx': { shape: [7532, 20], sum: 7532.000000000001, maxRowError: 4.440892098500626e-16, argmaxSum: 69583, first3: 0 },
    imdb_test_set_pyx: { shape: [25000, 2], sum: 25000.500333728258, maxRowError: 2.0101957488805056e-5, argmaxSum: 12582, first3: undefined },
  };

  it.each(Object.entries(PROBS))('probabilities %s match numpy', async (name, ref) => {
    const { array } = await readNpyFile(path.join(root, 'cross_validated_predicted_probabilities', `${name}.npy`));
    const [n, k] = array!.shape as [number, number];
    expect([n, k]).toEqual(ref.shape);
    let total = 0;
    let maxRowError = 0;
    let argmaxSum = 0;
    for (let i = 0; i < n; i++) {
      let rowSum = 0;
      let best = 0;
      for (let j = 0; j < k; j++) {
        const p = array!.data[i * k + j]!;
        rowSum += p;
        if (p > array!.data[i * k + best]!) best = j;
      }
      total += rowSum;
      maxRowError = Math.max(maxRowError, Math.abs(rowSum - 1));
      argmaxSum += best;
    }
    expect(total).toBeCloseTo(ref.sum, 6);
    expect(maxRowError).toBeCloseTo(ref.maxRowError, 12);
    expect(maxRowError).toBeLessThan(1e-4);
    expect(argmaxSum).toBe(ref.argmaxSum);
    if (ref.first3 !== undefined) expect(array!.data[3]).toBe(ref.first3);
  });

  // Reference: a = np.load(f); a[:5].tolist(), int(a.sum()), int(a.max())  (Debian numpy 1.24)
  const LABELS: [string, number[], number, number][] = [
    ['original_test_labels/cifar10_test_set_original_labels.npy', [3, 8, 8, 0, 6], 45000, 9],
    ['original_test_labels/cifar100_test_set_original_labels.npy', [49, 33, 72, 51, 71], 495000, 99],
    ['original_test_labels/caltech256_original_labels.npy', [0, 0, 0, 0, 0], 3889815, 255],
    ['original_test_labels/mnist_test_set_original_labels.npy', [7, 2, 1, 0, 4], 44434, 9],
    ['cross_validated_predicted_labels/caltech256_pyx_argmax_predicted_labels.npy', [0, 0, 0, 28, 90], 3870341, 255],
    ['cross_validated_predicted_labels/cifar10_test_set_pyx_argmax_predicted_labels.npy', [3, 8, 8, 0, 6], 44954, 9],
  ];

  it.each(LABELS)('labels %s match numpy', async (rel, first5, sum, max) => {
    const { array } = await readNpyFile(path.join(root, rel));
    expect(array!.descr).toBe('<u2');
    expect(Array.from(array!.data.subarray(0, 5))).toEqual(first5);
    expect(array!.data.reduce((a, b) => a + b, 0)).toBe(sum);
    expect(Math.max(...array!.data)).toBe(max);
  });
});
