import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNpy } from '../../src/ingest/formats/npy.js';
import { controlLabels, probeVerdict, runProbe, stratifiedFolds } from '../../src/observation/probe.js';
import { createRng } from '../../src/stats/rng.js';
import { REPO } from '../support/corpus.js';

// Hidden states of a PyTorch MLP trained on (a + b) mod 4 (test/fixtures/probe/generate.py):
// a mod 3 is in the hidden layer but not in the output; "source" is independent of the input.
const fixture = (name: string) => parseNpy(readFileSync(path.join(REPO, 'test/fixtures/probe', `${name}.npy`))).array!.data;
const hidden = fixture('hidden');
const types = fixture('types');

describe('runProbe on hidden states of a real model', () => {
  it('finds the property the output hides, with high selectivity against the type control', () => {
    const r = runProbe({ features: hidden, dims: 32, labels: fixture('first-mod3'), types });
    expect(r).toMatchObject({ n: 600, d: 32, classes: 3, folds: 5, encodes: true, unconvergedFits: 0 });
    expect(r.control.method).toBe('types');
    expect(r.control.types).toBe(232); // distinct (a, b) pairs among the 600 examples
    expect(r.probe.accuracy).toBeGreaterThan(0.9);
    expect(r.selectivity).toBeGreaterThan(0.3);
    expect(r.majority).toBeCloseTo(229 / 600, 12);
    expect(r.chance).toBeCloseTo(1 / 3, 12);
    expect(r.probe.ci[0]).toBeLessThan(r.probe.accuracy);
    expect(r.probe.ci[1]).toBeGreaterThan(r.probe.accuracy);
    expect(probeVerdict(r)).toMatch(/^the representation encodes the label \(selectivity 0\.\d{3}, probe accuracy 0\.9\d{2} vs majority 0\.382\)$/);
  });

  it('finds nothing for a label the model never saw: probe accuracy ≈ majority', () => {
    const r = runProbe({ features: hidden, dims: 32, labels: fixture('source'), types });
    expect(r.encodes).toBe(false);
    expect(r.classes).toBe(2);
    expect(Math.abs(r.probe.accuracy - r.majority)).toBeLessThan(0.05);
    expect(r.probe.ci[0]).toBeLessThan(r.majority);
    expect(probeVerdict(r)).toMatch(/^no evidence the representation encodes it/);
  });

  it('without types, each example is its own type: control accuracy is a prior-only guess', () => {
    const labels = fixture('first-mod3');
    const r = runProbe({ features: hidden, dims: 32, labels });
    expect(r.control.method).toBe('examples');
    expect(r.control.types).toBe(600);
    // Held-out types never occur in training, so nothing better than the class prior is possible.
    expect(r.control.accuracy).toBeLessThan(r.majority + 0.04);
    expect(r.control.accuracy).toBeGreaterThan(r.chance - 0.06);
    expect(r.encodes).toBe(true);
  });

  it('is reproducible from the seed, and the seed matters', () => {
    const labels = fixture('first-mod3');
    const a = runProbe({ features: hidden, dims: 32, labels, types }, { seed: 7 });
    const b = runProbe({ features: hidden, dims: 32, labels, types }, { seed: 7 });
    const c = runProbe({ features: hidden, dims: 32, labels, types }, { seed: 8 });
    expect(b).toEqual(a);
    expect(c.control.correct === a.control.correct && c.probe.correct === a.probe.correct).toBe(false);
  });
});

describe('the control task catches a probe that memorizes types', () => {
  it('four well-separated input types: the probe is perfect, but so is the control, so no evidence', () => {
    // One-hot input type plus small noise; the label is a function of the type. Any labelling
    // of four points is linearly separable, so the probe learns the control labels just as well.
    const rng = createRng(3);
    const n = 400;
    const features = new Float64Array(n * 4);
    const typeIds = new Int32Array(n);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      typeIds[i] = i % 4;
      labels[i] = i % 2;
      for (let j = 0; j < 4; j++) features[i * 4 + j] = (j === typeIds[i] ? 1 : 0) + 0.05 * rng.normal();
    }
    const r = runProbe({ features, dims: 4, labels, types: typeIds });
    expect(r.probe.accuracy).toBe(1);
    expect(r.control.accuracy).toBe(1);
    expect(r.selectivity).toBe(0);
    expect(r.encodes).toBe(false);
  });

  it('copes with a class too rare to reach every training fold', () => {
    const n = 60;
    const features = Float64Array.from({ length: n * 2 }, (_, t) => Math.sin(t * 1.7));
    const labels = Int32Array.from({ length: n }, (_, i) => (i === 0 ? 9 : i % 2));
    const r = runProbe({ features, dims: 2, labels }, { folds: 5 });
    expect(r.classes).toBe(3);
    expect(r.probe.correct).toBeLessThanOrEqual(n);
  });

  it('refuses mismatched sizes and single-class labels', () => {
    expect(() => runProbe({ features: new Float64Array(10), dims: 2, labels: [0, 1, 0, 1] })).toThrow(RangeError);
    expect(() => runProbe({ features: new Float64Array(8), dims: 2, labels: [1, 1, 1, 1] }, { folds: 2 })).toThrow(/at least 2 distinct labels/);
    expect(() => runProbe({ features: new Float64Array(8), dims: 2, labels: [0, 1, 0, 1], types: [0] })).toThrow(/types has 1 entries/);
  });
});

describe('stratifiedFolds', () => {
  it('gives every fold each class in proportion (±1) and fold sizes within 1', () => {
    const classes = Int32Array.from({ length: 103 }, (_, i) => (i < 50 ? 0 : i < 90 ? 1 : 2));
    const fold = stratifiedFolds(classes, 3, 5, createRng(1));
    const perClass = [0, 1, 2].map((k) => [0, 1, 2, 3, 4].map((f) => classes.filter((c, i) => c === k && fold[i] === f).length));
    for (const counts of perClass) expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    const sizes = [0, 1, 2, 3, 4].map((f) => fold.filter((x) => x === f).length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(Array.from(stratifiedFolds(classes, 3, 5, createRng(1)))).toEqual(Array.from(fold));
    expect(Array.from(stratifiedFolds(classes, 3, 5, createRng(2)))).not.toEqual(Array.from(fold));
  });
});

describe('controlLabels', () => {
  it('gives all examples of a type one label, drawn from the empirical distribution', () => {
    const n = 40000;
    const classes = Int32Array.from({ length: n }, (_, i) => (i % 10 < 7 ? 0 : 1)); // 70 / 30
    const typeIds = Int32Array.from({ length: n }, (_, i) => Math.floor(i / 2)); // 20,000 types of 2
    const control = controlLabels(classes, 2, typeIds, n / 2, createRng(5));
    for (let i = 0; i < n; i += 2) expect(control[i]).toBe(control[i + 1]);
    const ones = control.reduce((s, c) => s + c, 0) / n;
    // 20,000 independent draws: SD of the share is sqrt(0.21 / 20000) ≈ 0.0032.
    expect(Math.abs(ones - 0.3)).toBeLessThan(0.013);
  });
});
