import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateLearningCurves, METHODS, MIN_ANCHORS, powerLawWithoutOffset, renderMarkdown } from '../../scripts/learning-curves.js';
import { HAS_CORPUS, corpusPath } from '../support/corpus.js';

describe('powerLawWithoutOffset', () => {
  it('recovers an exact A·x^(−α) and extrapolates it', () => {
    const x = [16, 32, 64, 128, 256];
    const y = x.map((v) => 2 * Math.pow(v, -0.5));
    expect(powerLawWithoutOffset(x, y, 1024)).toBeCloseTo(2 * Math.pow(1024, -0.5), 8);
  });
});

describe.skipIf(!HAS_CORPUS)('learning-curve extrapolation on a subset of LCDB 1.1', () => {
  const root = corpusPath('learning-curves/learning-curve-research__LCDB-1.1');
  const files = ['3.json', '61.json', '1000.json'];

  it('compares the three methods on every long-enough curve, finitely and reproducibly', () => {
    const summary = evaluateLearningCurves(root, files);
    expect(summary.files).toBe(3);
    expect(summary.curvesSeen).toBe(3 * 28);
    expect(summary.curvesCompared + summary.tooShort + summary.failedFits).toBe(summary.curvesSeen);
    expect(summary.curvesCompared).toBeGreaterThan(50);
    for (const m of METHODS) {
      expect(Number.isFinite(summary.medianAbsoluteError[m])).toBe(true);
      expect(summary.wins[m]).toBeGreaterThanOrEqual(0);
    }
    expect(METHODS.reduce((s, m) => s + summary.wins[m], 0)).toBeCloseTo(1, 12);
    expect(evaluateLearningCurves(root, files)).toEqual(summary);
    const markdown = renderMarkdown(summary, 'subset');
    expect(markdown).toContain(summary.medianAbsoluteError.ladder.toFixed(4));
  });

  it('predicts the last anchor from the first half, with the naive method read off the data independently', () => {
    const summary = evaluateLearningCurves(root, ['1000.json']);
    // Independently: learner 0 of dataset 1000, test-error means at the anchors that have one.
    const raw = JSON.parse(readFileSync(path.join(root, 'docs/data/er/1000.json'), 'utf8')) as (number | null)[][][][];
    const values = raw[0]![0]!.map((split) => split[2]).filter((v): v is number => typeof v === 'number');
    expect(values.length).toBeGreaterThanOrEqual(MIN_ANCHORS);
    const outcome = summary.outcomes.find((o) => o.learner === 'SVM_Linear')!;
    expect(outcome.anchors).toBe(values.length);
    expect(outcome.actual).toBe(values[values.length - 1]);
    expect(outcome.predictions.lastObserved).toBe(values[Math.floor(values.length / 2) - 1]);
    expect(outcome.errors.lastObserved).toBeCloseTo(Math.abs(outcome.actual - outcome.predictions.lastObserved), 15);
  });
});
