import { describe, expect, it } from 'vitest';
import { noisyLabels } from '../../../src/checks/reachability/noisy-labels.js';
import { noise, range, runWithSeries } from '../../support/runs.js';
import { evaluate, exampleRun, hasSuiteCase, suiteRun } from '../observation/support.js';

const evalSteps = range(40, 100); // 100 … 4000
const trainSteps = range(400, 10);

/** Validation accuracy rising to `peak` at `peakStep`, then falling linearly to `final`. */
function peakThenDecline(peak: number, peakStep: number, final: number, seed: number): number[] {
  const random = noise(seed);
  const last = evalSteps[evalSteps.length - 1]!;
  return evalSteps.map((t) => {
    const level = t <= peakStep ? 0.1 + (peak - 0.1) * Math.sqrt(t / peakStep) : peak - ((peak - final) * (t - peakStep)) / (last - peakStep);
    return level + 0.004 * (random() - 0.5);
  });
}

/** Training loss: a plateau at the noisy-label entropy, then memorisation towards `end`. */
function memorising(end: number, seed: number): number[] {
  const random = noise(seed);
  return trainSteps.map((t) => (t < 800 ? 2.3 - 0.6 * (t / 800) : Math.max(end, 1.7 * Math.exp(-(t - 800) / 500))) * (1 + 0.05 * (random() - 0.5)));
}

describe('reachability.noisy-labels (synthetic)', () => {
  it('warns on the two-phase curve: accuracy peaks at 10% of the run and falls while the training loss goes to ~0', () => {
    const run = runWithSeries('noisy', { loss: [trainSteps, memorising(0.01, 1)], eval_accuracy: [evalSteps, peakThenDecline(0.7, 400, 0.5, 2)] });
    const outcome = evaluate(noisyLabels, run);
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    const { severity, evidence } = outcome.findings[0]!;
    expect(severity).toBe('warning');
    expect(evidence).toMatchObject({ series: 'eval_accuracy', peakStep: 400 });
    expect(evidence.peakValue as number).toBeCloseTo(0.7, 2);
    // First evaluation 0.1 + 0.6·√(100/400) = 0.4: it gained 0.3 and lost 0.2 of it.
    expect(evidence.lostShare as number).toBeCloseTo(2 / 3, 1);
    expect(evidence.trendPValue as number).toBeLessThan(0.05);
    expect(evidence.finalTrainLoss as number).toBeLessThan(0.05);
  });

  it('uses the binomial noise of the accuracy when the evaluation size is known', () => {
    const run = runWithSeries('n', { loss: [trainSteps, memorising(0.01, 3)], eval_accuracy: [evalSteps, peakThenDecline(0.7, 400, 0.5, 4)] }, { eval_size: 1000 });
    const outcome = evaluate(noisyLabels, run);
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    expect(outcome.findings[0]!.evidence.noise as number).toBeCloseTo(Math.sqrt((0.7 * 0.3) / 1000), 3);
    // 1000 items: a 2-point drop is within 3 + √(2 ln 40) binomial standard errors, so it is noise.
    const small = runWithSeries('n', { loss: [trainSteps, memorising(0.01, 3)], eval_accuracy: [evalSteps, peakThenDecline(0.7, 400, 0.68, 4)] }, { eval_size: 1000 });
    expect(evaluate(noisyLabels, small).status).toBe('clear');
  });

  it('stays silent on plain overfitting: accuracy holds its plateau while the training loss goes to 0', () => {
    const run = runWithSeries('plateau', { loss: [trainSteps, memorising(0.001, 5)], eval_accuracy: [evalSteps, peakThenDecline(0.7, 400, 0.69, 6)] });
    expect(evaluate(noisyLabels, run).status).toBe('clear');
  });

  it('stays silent when the accuracy falls but the training loss does not go towards zero (no memorisation)', () => {
    const run = runWithSeries('no-memo', { loss: [trainSteps, memorising(0.9, 7)], eval_accuracy: [evalSteps, peakThenDecline(0.7, 400, 0.5, 8)] });
    expect(evaluate(noisyLabels, run).status).toBe('clear');
  });

  it('counts a training accuracy near 1 as memorisation when no training loss is logged', () => {
    const trainAccuracy = trainSteps.map((t) => Math.min(1, 0.3 + t / 2000));
    const run = runWithSeries('acc', { train_acc: [trainSteps, trainAccuracy], val_acc: [evalSteps, peakThenDecline(0.7, 400, 0.5, 9)] });
    const outcome = evaluate(noisyLabels, run);
    expect(outcome.status === 'problem' && outcome.findings[0]!.evidence).toMatchObject({ finalTrainAccuracy: 1, trainAccuracySeries: 'train_acc' });
  });

  it('stays silent when the peak comes late (ordinary end-of-run noise)', () => {
    const run = runWithSeries('late', { loss: [trainSteps, memorising(0.01, 10)], eval_accuracy: [evalSteps, peakThenDecline(0.7, 3000, 0.6, 11)] });
    expect(evaluate(noisyLabels, run).status).toBe('clear');
  });

  it('says what it needs', () => {
    expect(evaluate(noisyLabels, runWithSeries('no-acc', { loss: [trainSteps, memorising(0.01, 1)], eval_wer: [evalSteps, evalSteps.map(() => 30)] })).status).toBe(
      'unknown',
    );
    expect(evaluate(noisyLabels, runWithSeries('no-train', { eval_accuracy: [evalSteps, peakThenDecline(0.7, 400, 0.5, 2)] })).status).toBe('unknown');
    expect(
      evaluate(noisyLabels, runWithSeries('few', { loss: [trainSteps, memorising(0.01, 1)], eval_accuracy: [[1, 2, 3, 4, 5], [0.2, 0.7, 0.6, 0.5, 0.4]] })).status,
    ).toBe('unknown');
  });
});

describe('reachability.noisy-labels (real runs)', () => {
  it('warns on the Lightning run trained on 20% random labels (val_acc peaks at epoch 13, train accuracy 1.0)', async () => {
    const outcome = evaluate(noisyLabels, await exampleRun('lightning-overfit'));
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    expect(outcome.findings[0]).toMatchObject({ severity: 'warning', evidence: { series: 'val_acc', trainAccuracySeries: 'train_acc' } });
    expect(outcome.findings[0]!.evidence.peakValue as number).toBeCloseTo(0.665, 3);
  });

  it('stays silent on the healthy Hugging Face run', async () => {
    expect(evaluate(noisyLabels, await exampleRun('hf-healthy/trainer_state.json')).status).toBe('clear');
  });

  it.skipIf(!hasSuiteCase('noisy-labels-tb'))('fires on the suite’s noisy-label case, not on its clean overfitting case nor its healthy runs', async () => {
    const noisy = evaluate(noisyLabels, await suiteRun('noisy-labels-tb'));
    expect(noisy.status).toBe('problem');
    if (hasSuiteCase('overfitting-clean-tb')) expect(evaluate(noisyLabels, await suiteRun('overfitting-clean-tb')).status).toBe('clear');
    const healthy = ['healthy-tb-k10', 'healthy-tb-k4', 'healthy-lightning-k10', 'healthy-lightning-k4-sgd', 'healthy-jsonl-k10', 'healthy-hf-k10', 'healthy-hf-k4'];
    for (const name of healthy.filter(hasSuiteCase)) expect(evaluate(noisyLabels, await suiteRun(name)).status, name).not.toBe('problem');
  });
});
