import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasStackTrace, ladder } from '../support/cli.js';
import { REPO } from '../support/corpus.js';
import { scratch } from '../support/files.js';

// Hidden states and labels written by test/fixtures/probe/generate.py (PyTorch + numpy.save).
const fixture = (name: string) => path.join(REPO, 'test/fixtures/probe', name);

/** A version-1.0 .npy file, as numpy.save writes it (header padded to a multiple of 64). */
function npy(descr: '<f8' | '<i8', shape: number[], values: number[]): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const data = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => (descr === '<f8' ? data.writeDoubleLE(v, i * 8) : data.writeBigInt64LE(BigInt(v), i * 8)));
  const prefix = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), data]);
}

const dir = scratch('probe-');
const at = (name: string) => path.join(dir, name);
const grid = Array.from({ length: 20 }, (_, i) => [Math.cos(i), Math.sin(i)]).flat();
writeFileSync(at('features.npy'), npy('<f8', [20, 2], grid));
writeFileSync(at('nan-features.npy'), npy('<f8', [20, 2], grid.map((v, i) => (i === 13 ? Number.NaN : v))));
writeFileSync(at('flat-features.npy'), npy('<f8', [40], grid));
writeFileSync(at('labels.npy'), npy('<i8', [20], grid.slice(0, 20).map((_, i) => i % 2)));
writeFileSync(at('short-labels.npy'), npy('<i8', [19], grid.slice(0, 19).map((_, i) => i % 2)));
writeFileSync(at('float-labels.npy'), npy('<f8', [20], grid.slice(0, 20).map((_, i) => (i % 2) + 0.5)));

function run(args: string[]) {
  const result = ladder(['probe', ...args]);
  return { ...result, json: result.status === 0 && args.includes('--json') ? JSON.parse(result.stdout) : undefined };
}

describe('ladder probe', () => {
  it('reports ladder.probe/v1 for the property the model hides: encodes, with high selectivity', () => {
    const result = run(['--features', fixture('hidden.npy'), '--labels', fixture('first-mod3.npy'), '--types', fixture('types.npy'), '--json']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toBe(''); // no progress under --json
    const r = result.json;
    expect(r).toMatchObject({ schema: 'ladder.probe/v1', n: 600, d: 32, classes: 3, folds: 5, encodes: true, cSelection: 'fixed', C: 1 });
    expect(r.probe.accuracy).toBeGreaterThan(0.9);
    expect(r.probe.ci).toHaveLength(2);
    expect(r.control).toMatchObject({ method: 'types', types: 232 });
    expect(r.selectivity).toBeCloseTo(r.probe.accuracy - r.control.accuracy, 12);
    expect(r.selectivity).toBeGreaterThan(0.3);
    expect(r.majority).toBeCloseTo(229 / 600, 12);
    expect(r.chance).toBeCloseTo(1 / 3, 12);
  });

  it('finds no evidence for a label independent of the input, and says so in the summary', () => {
    const result = run(['--features', fixture('hidden.npy'), '--labels', fixture('source.npy'), '--types', fixture('types.npy'), '--folds', '4', '--seed', '3']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^no evidence the representation encodes it \(selectivity -?0\.\d{3}, probe accuracy 0\.\d{3} vs majority 0\.593\)/);
    expect(result.stdout).toMatch(/^control\s+0\.\d{3}\s+\[0\.\d{3}, 0\.\d{3}\]\s+random label per input type \(232 types\)$/m);
    expect(result.stdout).toContain('4-fold stratified CV (seed 3), L2 logistic regression with C = 1 (fixed, --C to change)');
  });

  it('passes --C and --no-standardize through', () => {
    const result = run(['--features', fixture('hidden.npy'), '--labels', fixture('task-a.npy'), '--C', '0.01', '--no-standardize', '--json']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.json).toMatchObject({ C: 0.01, standardized: false, classes: 4 });
    expect(result.json.control.method).toBe('examples');
  });

  const refusals: [string, string[], RegExp][] = [
    ['labels and features of different lengths', ['--features', at('features.npy'), '--labels', at('short-labels.npy')], /short-labels\.npy has 19 entries but --features .*features\.npy has 20 rows/],
    ['1-D features', ['--features', at('flat-features.npy'), '--labels', at('labels.npy')], /flat-features\.npy: shape \(40,\) is not 2-D; expected \(examples, dims\)/],
    ['non-integer labels', ['--features', at('features.npy'), '--labels', at('float-labels.npy')], /float-labels\.npy: dtype <f8 is not an integer type; save integer labels/],
    ['NaN features', ['--features', at('nan-features.npy'), '--labels', at('labels.npy')], /nan-features\.npy: value NaN at example 6, dim 1 is not finite/],
    ['a missing file', ['--features', at('nope.npy'), '--labels', at('labels.npy')], /--features .*nope\.npy: cannot read the file \(ENOENT\); check the path/],
    ['a missing --labels', ['--features', at('features.npy')], /probe needs --features FILE\.npy and --labels FILE\.npy/],
    ['more folds than examples', ['--features', at('features.npy'), '--labels', at('labels.npy'), '--folds', '21'], /--folds 21 is more than the 20 examples/],
    ['a non-positive C', ['--features', at('features.npy'), '--labels', at('labels.npy'), '--C', '0'], /--C takes a positive number \(got 0\)/],
  ];
  for (const [what, args, message] of refusals) {
    it(`refuses ${what} with one line naming the file and the fix (exit 2)`, () => {
      const result = run(args);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(hasStackTrace(result.stderr)).toBe(false);
    });
  }
});
