import { describe, expect, it } from 'vitest';
import { belowChance, smallestSignificantN } from '../../../src/checks/observation/below-chance.js';
import { binomialCdf } from '../../../src/stats/distributions.js';
import { decayingLoss, range, runWithSeries } from '../../support/runs.js';
import { evaluate, exampleRun, hasSuiteCase, suiteRun } from './support.js';

const steps = range(200, 10);
const evalSteps = range(20, 100);
const train = decayingLoss(steps, 2.3, 0.3, 400, 0.05, 1);
/** An accuracy curve rising (or falling) from `start` to `end`. */
const curve = (start: number, end: number) => evalSteps.map((s, i) => start + ((end - start) * i) / (evalSteps.length - 1));

describe('observation.below-chance', () => {
  it('fires (error) on a trained model scored against shifted labels: accuracy 0.02 with K = 10 on 2000 items', () => {
    const run = runWithSeries('shifted', { loss: [steps, train], eval_accuracy: [evalSteps, curve(0.1, 0.02)] }, { num_labels: 10, eval_samples: 2000 });
    const outcome = evaluate(belowChance, run);
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    const [finding] = outcome.findings;
    expect(finding).toMatchObject({ severity: 'error', evidence: { series: 'eval_accuracy', correct: 40, evalSize: 2000, chance: 0.1, approximate: false } });
    // scipy.stats.binom.cdf(48, 2000, 0.1) = 7.9e-41 for 48; 40 is further out still.
    expect(finding!.evidence.pValue as number).toBeLessThan(1e-40);
    expect(finding!.marks).toEqual([{ series: 'eval_accuracy', step: evalSteps.at(-1), label: 'below chance' }]);
  });

  it('stays silent on a model at chance: 47 of 500 with K = 10 (scipy: P = 0.361)', () => {
    const run = runWithSeries('chance', { loss: [steps, train], eval_accuracy: [evalSteps, curve(0.1, 0.094)] }, { num_classes: 10, eval_size: 500 });
    expect(binomialCdf(47, 500, 0.1)).toBeCloseTo(0.36116173906125904, 10);
    expect(evaluate(belowChance, run).status).toBe('clear');
  });

  it('applies Bonferroni over the accuracies tested: 450 of 1000 at K = 2 (p = 0.00087) fires alone, not as one of two', () => {
    const one = runWithSeries('one', { eval_accuracy: [evalSteps, curve(0.5, 0.45)] }, { num_labels: 2, eval_size: 1000 });
    const outcome = evaluate(belowChance, one);
    expect(outcome.status).toBe('problem');
    if (outcome.status === 'problem') expect(outcome.findings[0]!.evidence.pValue).toBeCloseTo(0.0008652680424881513, 8);
    const two = runWithSeries('two', { eval_accuracy: [evalSteps, curve(0.5, 0.45)], eval_acc_norm: [evalSteps, curve(0.6, 0.7)] }, { num_labels: 2, eval_size: 1000 });
    expect(evaluate(belowChance, two).status).toBe('clear');
  });

  it('without the eval size: a warning marked approximate far below chance, silence just below chance', () => {
    const far = evaluate(belowChance, runWithSeries('far', { eval_accuracy: [evalSteps, curve(0.1, 0.01)] }, { num_labels: 10 }));
    expect(far.status).toBe('problem');
    if (far.status === 'problem') {
      expect(far.findings[0]).toMatchObject({ severity: 'warning', evidence: { approximate: true } });
      const n = far.findings[0]!.evidence.significantFromN as number;
      expect(binomialCdf(Math.round(0.01 * n), n, 0.1)).toBeLessThanOrEqual(0.001);
      expect(binomialCdf(Math.round(0.01 * (n - 1)), n - 1, 0.1)).toBeGreaterThan(0.001);
    }
    expect(evaluate(belowChance, runWithSeries('near', { eval_accuracy: [evalSteps, curve(0.1, 0.07)] }, { num_labels: 10 })).status).toBe('clear');
  });

  it('smallestSignificantN: 0 of n at chance 0.1 needs 0.9^n ≤ 0.001, n = 66', () => {
    expect(smallestSignificantN(0, 0.1, 0.001, 1000)).toBe(66);
    expect(smallestSignificantN(0.09, 0.1, 0.001, 1000)).toBeUndefined();
  });

  it('takes the per-task size lm-eval logs (n-samples) for that task only', () => {
    const run = runWithSeries('lm', { 'boolq/acc': [[0], [0.3]], 'other/acc': [[0], [0.3]] }, { num_labels: 2 });
    run.summary['n-samples'] = { boolq: { original: 3270, effective: 3270 } };
    run.roles = { valMetrics: ['boolq/acc', 'other/acc'] };
    const full = evaluate(belowChance, run);
    expect(full.status).toBe('problem');
    if (full.status === 'problem') {
      expect(full.findings.map((f) => [f.evidence.series, f.evidence.approximate])).toEqual([['boolq/acc', false]]);
    }
  });

  it('needs K and an accuracy in [0, 1]; ignores per-token accuracies, percentages and NaN', () => {
    expect(evaluate(belowChance, runWithSeries('noK', { eval_accuracy: [evalSteps, curve(0.1, 0.01)] }))).toEqual({
      status: 'unknown',
      missing: 'the number of classes (num_labels, num_classes or id2label)',
    });
    const notAccuracies = runWithSeries(
      'pct',
      { eval_accuracy: [evalSteps, curve(10, 1)], eval_mean_token_accuracy: [evalSteps, curve(0.1, 0.01)], eval_f1: [evalSteps, curve(0.1, 0.01)] },
      { num_labels: 10, eval_size: 2000 },
    );
    expect(evaluate(belowChance, notAccuracies)).toEqual({ status: 'unknown', missing: 'a validation accuracy in [0, 1]' });
    const withNaN = curve(0.1, 0.02);
    withNaN[withNaN.length - 1] = Number.NaN;
    const outcome = evaluate(belowChance, runWithSeries('nan', { eval_accuracy: [evalSteps, withNaN] }, { num_labels: 10, eval_size: 2000 }));
    expect(outcome.status).toBe('problem');
    if (outcome.status === 'problem') expect(outcome.findings[0]!.evidence.step).toBe(evalSteps.at(-2));
  });

  it('stays silent on the real healthy and collapsed Hugging Face runs (K = 4 from id2label)', async () => {
    expect(evaluate(belowChance, await exampleRun('hf-healthy', 'hf-trainer')).status).toBe('clear');
    // Collapse to the majority class scores its share (0.50), above 1/4: a reachability problem, not a label bug.
    expect(evaluate(belowChance, await exampleRun('hf-lr-too-high', 'hf-trainer')).status).toBe('clear');
  });

  it.skipIf(!hasSuiteCase('below-chance-hf'))('fires on the suite run whose eval labels are shifted by one (real HF Trainer)', async () => {
    const outcome = evaluate(belowChance, await suiteRun('below-chance-hf'));
    expect(outcome.status).toBe('problem');
    if (outcome.status === 'problem') expect(outcome.findings[0]).toMatchObject({ severity: 'error', evidence: { classes: 10, evalSize: 2000 } });
  });

  it.skipIf(!hasSuiteCase('healthy-hf-k10'))('stays silent on the suite healthy HF run', async () => {
    expect(evaluate(belowChance, await suiteRun('healthy-hf-k10')).status).toBe('clear');
  });
});
