import { describe, expect, it } from 'vitest';
import { kendallTau, lossMetricDisagree } from '../../../src/checks/observation/loss-metric-disagree.js';
import { improvementDirection } from '../../../src/checks/metric-kinds.js';
import { HAS_CORPUS, corpusPath } from '../../support/corpus.js';
import { ingest } from '../../../src/ingest/ingest.js';
import { decayingLoss, noise, range, runWithSeries } from '../../support/runs.js';
import { evaluate, exampleRun, hasSuiteCase, suiteRun } from './support.js';

const evalSteps = range(20, 100);
const falling = decayingLoss(evalSteps, 2.3, 0.5, 600, 0.01, 1);
const rising = (from: number, to: number, seed: number) => {
  const random = noise(seed);
  return evalSteps.map((_, i) => from + ((to - from) * i) / (evalSteps.length - 1) + 0.01 * (random() - 0.5));
};

describe('kendallTau', () => {
  // References: scipy.stats.kendalltau(x, y, alternative=..., method=...) 1.17.1.
  it('matches scipy: exact one-sided p for untied data', () => {
    const r = kendallTau([1, 2, 3, 4, 5, 6, 7, 8], [2, 1, 4, 3, 6, 5, 8, 7]);
    expect(r.exact).toBe(true);
    expect(r.tau).toBeCloseTo(0.7142857142857142, 12);
    expect(r.pGreater).toBeCloseTo(0.007068452380952381, 12);
    expect(r.pLess).toBeCloseTo(0.9972470238095239, 12);
    const reversed = kendallTau([1, 2, 3, 4, 5], [5, 4, 3, 2, 1]);
    expect(reversed.pLess).toBeCloseTo(0.008333333333333333, 12);
    const mixed = kendallTau([0.9, 0.8, 0.85, 0.7, 0.72, 0.6, 0.65, 0.5, 0.55, 0.4], [0.1, 0.3, 0.2, 0.4, 0.35, 0.5, 0.6, 0.55, 0.7, 0.8]);
    expect(mixed.tau).toBeCloseTo(-0.8666666666666666, 12);
    expect(mixed.pLess).toBeCloseTo(5.759479717813051e-5, 12);
  });

  it('matches scipy: tie-corrected normal approximation with ties in both', () => {
    const r = kendallTau([1, 1, 2, 2, 3, 3, 4, 5, 6, 7], [1, 2, 2, 3, 3, 3, 5, 4, 7, 7]);
    expect(r.exact).toBe(false);
    expect(r.tau).toBeCloseTo(0.8783100656536798, 12);
    expect(r.pGreater).toBeCloseTo(0.0004296482748542179, 10);
  });
});

describe('improvementDirection', () => {
  it('reads the direction from the metric name', () => {
    expect(['eval_accuracy', 'val_acc_epoch', 'eval/f1', 'eval_rouge-1', 'eval_mean_token_accuracy', 'mmlu/acc_norm'].map(improvementDirection)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(['eval_wer', 'val/cer', 'val_epoch_perplexity', 'eval_error_rate'].map(improvementDirection)).toEqual([-1, -1, -1, -1]);
    expect(['eval_gen_len', 'eval/mean_emission'].map(improvementDirection)).toEqual([0, 0]);
  });
});

describe('observation.loss-metric-disagree', () => {
  it('fires when the loss rises while the accuracy rises (loss against other labels)', () => {
    const run = runWithSeries('bug', { eval_loss: [evalSteps, rising(2.3, 6, 2)], eval_accuracy: [evalSteps, rising(0.1, 0.8, 3)] });
    const outcome = evaluate(lossMetricDisagree, run);
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    expect(outcome.findings[0]).toMatchObject({ severity: 'warning', evidence: { lossSeries: 'eval_loss', metricSeries: 'eval_accuracy', evaluations: 20, exact: true } });
    expect(outcome.findings[0]!.evidence.tau as number).toBeGreaterThan(0.8);
  });

  it('fires when the loss falls while WER rises (lower-is-better metric)', () => {
    const run = runWithSeries('wer', { eval_loss: [evalSteps, falling], eval_wer: [evalSteps, rising(20, 60, 4)] });
    expect(evaluate(lossMetricDisagree, run).status).toBe('problem');
  });

  it('stays silent when loss falls and accuracy rises, and when the metric only fluctuates', () => {
    expect(evaluate(lossMetricDisagree, runWithSeries('ok', { eval_loss: [evalSteps, falling], eval_accuracy: [evalSteps, rising(0.1, 0.8, 5)] })).status).toBe('clear');
    const random = noise(6);
    const flat = evalSteps.map(() => 0.5 + 0.02 * (random() - 0.5));
    expect(evaluate(lossMetricDisagree, runWithSeries('flat', { eval_loss: [evalSteps, falling], eval_accuracy: [evalSteps, flat] })).status).toBe('clear');
  });

  it('needs ≥ 5 paired evaluations and a metric of known direction; pairs only matching finite steps', () => {
    const four = range(4, 100);
    expect(evaluate(lossMetricDisagree, runWithSeries('short', { eval_loss: [four, [1, 2, 3, 4]], eval_accuracy: [four, [0.1, 0.2, 0.3, 0.4]] })).status).toBe('unknown');
    expect(evaluate(lossMetricDisagree, runWithSeries('len', { eval_loss: [evalSteps, rising(1, 3, 7)], eval_gen_len: [evalSteps, rising(10, 30, 8)] })).status).toBe('unknown');
    expect(evaluate(lossMetricDisagree, runWithSeries('noval', { eval_accuracy: [evalSteps, rising(0.1, 0.8, 9)] }))).toEqual({ status: 'unknown', missing: 'a validation loss series' });
    // Loss logged at other steps than the metric: nothing to pair.
    const shifted = evalSteps.map((s) => s + 1);
    expect(evaluate(lossMetricDisagree, runWithSeries('offset', { eval_loss: [shifted, rising(1, 3, 10)], eval_accuracy: [evalSteps, rising(0.1, 0.8, 11)] })).status).toBe('unknown');
    const withNaN = rising(2.3, 6, 12);
    withNaN[3] = Number.NaN;
    const outcome = evaluate(lossMetricDisagree, runWithSeries('nan', { eval_loss: [evalSteps, withNaN], eval_accuracy: [evalSteps, rising(0.1, 0.8, 13)] }));
    expect(outcome.status).toBe('problem');
    if (outcome.status === 'problem') expect(outcome.findings[0]!.evidence.evaluations).toBe(19);
  });

  it('stays silent on the real healthy, collapsed and overfitting examples', async () => {
    expect(evaluate(lossMetricDisagree, await exampleRun('hf-healthy', 'hf-trainer')).status).toBe('clear');
    expect(evaluate(lossMetricDisagree, await exampleRun('hf-lr-too-high', 'hf-trainer')).status).toBe('clear');
    expect(evaluate(lossMetricDisagree, await exampleRun('lightning-overfit')).status).toBe('clear');
  });

  it.skipIf(!hasSuiteCase('loss-metric-disagree-lightning'))('fires on the suite run whose eval loss uses shifted labels (real Lightning CSVLogger)', async () => {
    const outcome = evaluate(lossMetricDisagree, await suiteRun('loss-metric-disagree-lightning'));
    expect(outcome.status).toBe('problem');
  });

  it.skipIf(!HAS_CORPUS)('on the corpus: fires where val loss doubles while val accuracy climbs (Lightning, version_39)', async () => {
    const { runs } = await ingest([corpusPath('real-logs/tensorboard/AnAccountWithoutAName__Deep-Lineary-Gated-Networks/lightning_logs/version_39')]);
    const outcome = evaluate(lossMetricDisagree, runs[0]!);
    expect(outcome.status).toBe('problem');
    if (outcome.status === 'problem') expect(outcome.findings[0]!.evidence).toMatchObject({ lossSeries: 'val_loss', metricSeries: 'val_acc', evaluations: 100 });
  });
});
