import { describe, expect, it } from 'vitest';
import { itemsForHalfWidth, smallEval } from '../../../src/checks/observation/small-eval.js';
import { ingest } from '../../../src/ingest/ingest.js';
import { HAS_CORPUS, corpusPath } from '../../support/corpus.js';
import { range, runWithSeries } from '../../support/runs.js';
import { evaluate, exampleRun, hasSuiteCase, suiteRun } from './support.js';

const evalSteps = range(10, 100);
const rising = (to: number) => evalSteps.map((_, i) => 0.1 + ((to - 0.1) * (i + 1)) / evalSteps.length);

describe('observation.small-eval', () => {
  it('warns when 30 eval items leave ±14 points around 0.8 (Wilson, by the closed form)', () => {
    const outcome = evaluate(smallEval, runWithSeries('small', { eval_accuracy: [evalSteps, rising(0.8)] }, { eval_size: 30 }));
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    const { severity, evidence } = outcome.findings[0]!;
    expect(severity).toBe('warning');
    expect(evidence).toMatchObject({ series: 'eval_accuracy', evalSize: 30, accuracies: 1 });
    // Wilson 95% for 24/30 from the textbook formula: [0.62694, 0.90495].
    expect(evidence.low as number).toBeCloseTo(0.6269430358685175, 10);
    expect(evidence.high as number).toBeCloseTo(0.9049489282271013, 10);
  });

  it('gives an info finding (layer not failed) when 2000 items leave ±1.8 points', () => {
    const outcome = evaluate(smallEval, runWithSeries('big', { eval_accuracy: [evalSteps, rising(0.7855)] }, { eval_size: 2000 }));
    expect(outcome.status).toBe('clear');
    if (outcome.status !== 'clear') return;
    expect(outcome.findings?.[0]).toMatchObject({ severity: 'info', evidence: { evalSize: 2000 } });
    expect(outcome.findings![0]!.evidence.low as number).toBeCloseTo(0.7669720719700481, 10);
    expect(outcome.findings![0]!.evidence.high as number).toBeCloseTo(0.8029332940323564, 10);
  });

  it('the half-width threshold is overridable', () => {
    const run = () => runWithSeries('m', { eval_accuracy: [evalSteps, rising(0.8)] }, { eval_size: 2000 });
    expect(evaluate(smallEval, run(), { maxHalfWidth: 0.01 }).status).toBe('problem');
  });

  it('items for ±1 point: 9604 at p = 0.5 (1.96²·0.25/0.01²), fewer near 0 or 1 but never zero', () => {
    expect(itemsForHalfWidth(0.5, 0.01)).toBe(9604);
    expect(itemsForHalfWidth(0.9, 0.01)).toBe(3458);
    expect(itemsForHalfWidth(1, 0.01)).toBe(189);
  });

  it('without the eval size: unknown, naming the size that would give ±1 point', () => {
    expect(evaluate(smallEval, runWithSeries('nosize', { eval_accuracy: [evalSteps, rising(0.9)] }))).toEqual({
      status: 'unknown',
      missing: 'the evaluation size (at "eval_accuracy" = 0.9, about 3,458 items would give ±1 point)',
    });
    expect(evaluate(smallEval, runWithSeries('f1', { eval_f1: [evalSteps, rising(0.9)] }, { eval_size: 30 }))).toEqual({
      status: 'unknown',
      missing: 'a validation accuracy in [0, 1]',
    });
  });

  it('lm-eval: a subset (--limit) warns, a benchmark scored in full is context only', () => {
    const limited = runWithSeries('limited', { 'gsm8k/exact_match,strict-match': [[0], [0.75]] });
    limited.summary['n-samples'] = { gsm8k: { original: 1319, effective: 100 } };
    limited.roles = { valMetrics: ['gsm8k/exact_match,strict-match'] };
    const outcome = evaluate(smallEval, limited);
    expect(outcome.status).toBe('problem');
    if (outcome.status === 'problem') expect(outcome.findings[0]!.evidence).toMatchObject({ evalSize: 100, available: 1319, wideEnlargeable: 1 });
    const full = runWithSeries('full', { 'bbh_snarks/acc_norm': [[0], [0.51]], 'hellaswag/acc': [[0], [0.55]] });
    full.summary['n-samples'] = { bbh_snarks: { original: 178, effective: 178 }, hellaswag: { original: 10042, effective: 10042 } };
    full.roles = { valMetrics: ['bbh_snarks/acc_norm', 'hellaswag/acc'] };
    const context = evaluate(smallEval, full);
    expect(context.status).toBe('clear');
    if (context.status === 'clear') {
      expect(context.findings).toHaveLength(1);
      expect(context.findings![0]).toMatchObject({ severity: 'info', evidence: { series: 'bbh_snarks/acc_norm', accuracies: 2, wide: 1, wideEnlargeable: 0 } });
    }
  });

  it('reads the final finite accuracy', () => {
    const values = rising(0.8);
    values[values.length - 1] = Number.NaN;
    const outcome = evaluate(smallEval, runWithSeries('nan', { eval_accuracy: [evalSteps, values] }, { eval_size: 2000 }));
    expect(outcome.status).toBe('clear');
    if (outcome.status === 'clear') expect(outcome.findings![0]!.evidence.step).toBe(evalSteps.at(-2));
  });

  it('on the real healthy example: the 1,000-item eval set (recovered from the Trainer\'s speed metrics) gives an info interval', async () => {
    const outcome = evaluate(smallEval, await exampleRun('hf-healthy', 'hf-trainer'));
    expect(outcome.status).toBe('clear');
    if (outcome.status === 'clear') expect(outcome.findings![0]!).toMatchObject({ severity: 'info' });
  });

  it.skipIf(!hasSuiteCase('small-eval-jsonl'))('on the suite: warns on the 30-item eval, info on the 2000-item healthy run', async () => {
    expect(evaluate(smallEval, await suiteRun('small-eval-jsonl')).status).toBe('problem');
    const healthy = evaluate(smallEval, await suiteRun('healthy-tb-k10'));
    expect(healthy.status).toBe('clear');
    if (healthy.status === 'clear') expect(healthy.findings![0]!.severity).toBe('info');
  });

  it.skipIf(!HAS_CORPUS)('on the corpus: lm-eval run with --limit 100 on gsm8k warns (±8 points of 1319 available)', async () => {
    const { runs } = await ingest([corpusPath('real-logs/lm-eval/DanielKluev__pyFade/tests/data')]);
    const gsm8k = runs.filter((r) => Object.keys(r.series).some((name) => name.startsWith('gsm8k/')));
    expect(gsm8k.length).toBeGreaterThan(0);
    for (const run of gsm8k) {
      const outcome = evaluate(smallEval, run);
      expect(outcome.status).toBe('problem');
      if (outcome.status === 'problem') expect(outcome.findings[0]!.evidence).toMatchObject({ evalSize: 100, available: 1319 });
    }
  });
});
