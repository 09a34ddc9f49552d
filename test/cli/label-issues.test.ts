import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasStackTrace, ladder } from '../support/cli.js';
import { corpusPath } from '../support/corpus.js';
import { scratch } from '../support/files.js';

/** A version-1.0 .npy file, as numpy.save writes it (header padded to a multiple of 64). */
function npy(descr: '<f8' | '<i8' | '<u2', shape: number[], values: number[]): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const size = descr === '<u2' ? 2 : 8;
  const data = Buffer.alloc(values.length * size);
  values.forEach((v, i) => {
    if (descr === '<f8') data.writeDoubleLE(v, i * 8);
    else if (descr === '<i8') data.writeBigInt64LE(BigInt(v), i * 8);
    else data.writeUInt16LE(v, i * 2);
  });
  const prefix = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), data]);
}

// Twenty examples, two classes; example 8 (labelled 0) is confidently class 1 (hand-worked in
// test/stats/confident-learning.test.ts: calibrated joint [[9, 1], [0, 10]] → one issue).
const p0 = [0.95, 0.94, 0.93, 0.92, 0.91, 0.9, 0.89, 0.2, 0.1, 0.4, 0.1, 0.08, 0.06, 0.05, 0.04, 0.03, 0.02, 0.55, 0.45, 0.01];
const labels = p0.map((_, i) => (i < 10 ? 0 : 1));
const dir = scratch('label-issues-');
const probsFile = path.join(dir, 'probs.npy');
writeFileSync(probsFile, npy('<f8', [20, 2], p0.flatMap((p) => [p, 1 - p])));
writeFileSync(path.join(dir, 'labels.npy'), npy('<u2', [20], labels));
writeFileSync(path.join(dir, 'labels.jsonl'), labels.map((label, i) => JSON.stringify({ id: i, label })).join('\n') + '\n');
writeFileSync(path.join(dir, 'labels.csv'), 'id,target\n' + labels.map((label, i) => `${i},${label}`).join('\n') + '\n');
writeFileSync(path.join(dir, 'short.npy'), npy('<i8', [19], labels.slice(0, 19)));
writeFileSync(path.join(dir, 'out-of-range.npy'), npy('<i8', [20], labels.map((l, i) => (i === 5 ? 7 : l))));
writeFileSync(path.join(dir, 'float-labels.npy'), npy('<f8', [20], labels));
writeFileSync(path.join(dir, 'logits.npy'), npy('<f8', [20, 2], p0.flatMap((p) => [3 * p, -p])));
const at = (name: string) => path.join(dir, name);

function run(args: string[]) {
  const result = ladder(['label-issues', ...args]);
  return { ...result, json: result.status === 0 && args.includes('--json') ? JSON.parse(result.stdout) : undefined };
}

describe('ladder label-issues', () => {
  it('finds the mislabelled example with cleanlab defaults, as ladder.label-issues/v1', () => {
    const result = run(['--probs', probsFile, '--labels', at('labels.npy'), '--json']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.json).toMatchObject({ schema: 'ladder.label-issues/v1', method: 'cleanlab', filter: 'prune_by_noise_rate', count: 1, indices: [8], examples: 20, classes: 2 });
    expect(result.json.noiseRates[0]).toBeCloseTo(0.1, 12); // 1 − 9/10
    expect(result.json.noiseRates[1]).toBe(0);
  });

  it('runs the paper method: floor((1 − 15/16)·20) = 1, lowest normalized margin', () => {
    const result = run(['--probs', probsFile, '--labels', at('labels.npy'), '--method', 'paper', '--json']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.json).toMatchObject({ method: 'paper', filter: null, count: 1, indices: [8] });
  });

  it('reads labels from JSONL and from a CSV column', () => {
    expect(run(['--probs', probsFile, '--labels', at('labels.jsonl'), '--json']).json.indices).toEqual([8]);
    const csv = run(['--probs', probsFile, '--labels', at('labels.csv'), '--label-column', 'target', '--json']);
    expect(csv.status, csv.stderr).toBe(0);
    expect(csv.json.indices).toEqual([8]);
  });

  it('prints a summary with the count, noise rate per class and the top indices', () => {
    const result = run(['--probs', probsFile, '--labels', at('labels.npy')]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^1 of 20 examples \(5\.00 %\) probably mislabelled/);
    expect(result.stdout).toMatch(/^0\s+10\s+10\.00 %$/m);
    expect(result.stdout).toMatch(/^1\s+10\s+0\.00 %$/m);
    expect(result.stdout).toContain('(example indices, 0-based): 8\n');
  });

  const refusals: [string, string[], RegExp][] = [
    ['labels and probabilities of different lengths', ['--labels', at('short.npy')], /short\.npy has 19 labels but --probs .*probs\.npy has 20 rows/],
    ['a label that is not a class', ['--labels', at('out-of-range.npy')], /label 7 of example 5 is not a class of --probs \(0…1\)/],
    ['float labels', ['--labels', at('float-labels.npy')], /float-labels\.npy: dtype <f8 is not an integer type; save the labels as integers/],
    ['a 1-D probability file', ['--labels', at('labels.npy'), '--probs', at('labels.npy')], /labels\.npy: shape \(20,\) is not 2-D/],
    ['logits', ['--labels', at('labels.npy'), '--probs', at('logits.npy')], /logits\.npy: value .* is not a probability in \[0, 1\]; pass softmax outputs, not logits/],
    ['a missing file', ['--labels', at('nope.npy')], /nope\.npy: cannot read the file \(ENOENT\)/],
    ['an unknown method', ['--labels', at('labels.npy'), '--method', 'magic'], /--method takes cleanlab or paper/],
    ['a missing CSV column', ['--labels', at('labels.csv')], /no "label" column \(columns: id, target\); name it with --label-column/],
  ];
  for (const [what, args, message] of refusals) {
    it(`refuses ${what} with one line naming the file and the fix`, () => {
      const full = args.includes('--probs') ? args : ['--probs', probsFile, ...args];
      const result = run(full);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(hasStackTrace(result.stderr)).toBe(false);
    });
  }
});

const LABEL_ERRORS = corpusPath('label-errors');
const HAS_LABEL_ERRORS = existsSync(path.join(LABEL_ERRORS, 'mturk'));

describe.skipIf(!HAS_LABEL_ERRORS)('ladder label-issues on the Pervasive Label Errors release', () => {
  const files = (set: string) => [
    '--probs',
    path.join(LABEL_ERRORS, 'cross_validated_predicted_probabilities', `${set}_test_set_pyx.npy`),
    '--labels',
    path.join(LABEL_ERRORS, 'original_test_labels', `${set}_test_set_original_labels.npy`),
    '--json',
  ];
  // Paper: the published flagged counts (MNIST's estimate is 15; the release reviewed its top 100).
  // cleanlab: the counts of test/fixtures/label-issues/cleanlab-reference.json.
  const expected = {
    cifar10: { paper: 275, cleanlab: 284 },
    '20news': { paper: 93, cleanlab: 95 },
    imdb: { paper: 1310, cleanlab: 1309 },
    mnist: { paper: 15, cleanlab: 15 },
  };
  for (const [set, counts] of Object.entries(expected)) {
    it(`${set}: paper ${counts.paper}, cleanlab ${counts.cleanlab}`, () => {
      const paper = run([...files(set), '--method', 'paper']);
      expect(paper.status, paper.stderr).toBe(0);
      expect(paper.json.count).toBe(counts.paper);
      expect(paper.json.indices).toHaveLength(counts.paper);
      const cleanlab = run(files(set));
      expect(cleanlab.status, cleanlab.stderr).toBe(0);
      expect(cleanlab.json.count).toBe(counts.cleanlab);
    });
  }

  it('cifar10: the paper method flags exactly the 275 items the release sent to Mechanical Turk', () => {
    const ids = (JSON.parse(readFileSync(path.join(LABEL_ERRORS, 'mturk', 'cifar10_mturk.json'), 'utf8')) as { id: number }[]).map((e) => e.id);
    const paper = run([...files('cifar10'), '--method', 'paper']);
    expect([...paper.json.indices].sort((a: number, b: number) => a - b)).toEqual(ids.sort((a, b) => a - b));
  });
});
