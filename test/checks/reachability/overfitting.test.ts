import { describe, expect, it } from 'vitest';
import { overfitting } from '../../../src/checks/reachability/overfitting.js';
import { noise, range, runWithSeries } from '../../support/runs.js';
import { evaluate, exampleRun, hasSuiteCase, suiteRun } from '../observation/support.js';

const evalSteps = range(30, 100); // 100 … 3000
const trainSteps = range(300, 10);

/** A training loss falling towards `floor`, with relative noise. */
function falling(steps: number[], floor: number, seed: number): number[] {
  const random = noise(seed);
  return steps.map((t) => (floor + 2 * Math.exp(-t / 400)) * (1 + 0.1 * (random() - 0.5)));
}

/** Validation loss: falls to `min` at `turn`, then rises linearly by `rise` (relative) by the end. */
function uShaped(steps: number[], min: number, turn: number, rise: number, relativeNoise: number, seed: number): number[] {
  const random = noise(seed);
  const last = steps[steps.length - 1]!;
  return steps.map((t) => {
    const level = t <= turn ? min + (2.3 - min) * ((turn - t) / turn) ** 2 : min * (1 + (rise * (t - turn)) / (last - turn));
    return level * (1 + relativeNoise * (random() - 0.5) * 2);
  });
}

describe('reachability.overfitting (synthetic)', () => {
  it('fires as an error when the validation loss ends 40% above its minimum while training loss falls', () => {
    const run = runWithSeries('u', {
      loss: [trainSteps, falling(trainSteps, 0.05, 1)],
      eval_loss: [evalSteps, uShaped(evalSteps, 0.8, 600, 0.4, 0.01, 2)],
    });
    const outcome = evaluate(overfitting, run);
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    const { severity, evidence, marks } = outcome.findings[0]!;
    expect(severity).toBe('error');
    expect(Math.abs((evidence.bestStep as number) - 600)).toBeLessThanOrEqual(200);
    expect(evidence.relativeRise as number).toBeGreaterThan(0.3);
    expect(evidence.relativeRise as number).toBeLessThan(0.5);
    expect(evidence.trendPValue as number).toBeLessThan(0.05);
    expect(evidence.trainAtEnd as number).toBeLessThan(evidence.trainAtBest as number);
    expect(evidence.gapAtEnd as number).toBeGreaterThan(evidence.gapAtBest as number);
    expect(evidence.gapSlopeLow as number).toBeGreaterThan(0);
    expect(marks?.[0]).toMatchObject({ series: 'eval_loss', step: evidence.bestStep });
  });

  it('is a warning for a milder rise (5%)', () => {
    const run = runWithSeries('mild', {
      loss: [trainSteps, falling(trainSteps, 0.05, 3)],
      eval_loss: [evalSteps, uShaped(evalSteps, 0.8, 1200, 0.05, 0.002, 4)],
    });
    const outcome = evaluate(overfitting, run);
    expect(outcome.status === 'problem' && outcome.findings[0]!.severity).toBe('warning');
  });

  it('stays silent on a validation loss that keeps falling', () => {
    const random = noise(5);
    const val = evalSteps.map((t) => (0.5 + 1.8 * Math.exp(-t / 500)) * (1 + 0.01 * (random() - 0.5)));
    expect(evaluate(overfitting, runWithSeries('ok', { loss: [trainSteps, falling(trainSteps, 0.3, 6)], eval_loss: [evalSteps, val] }))).toEqual({
      status: 'clear',
    });
  });

  it('rarely fires on a flat noisy validation loss: at most 2 of 40 seeds', () => {
    let fired = 0;
    for (let seed = 0; seed < 40; seed++) {
      const random = noise(200 + seed);
      const val = evalSteps.map(() => 0.7 * (1 + 0.05 * (random() + random() + random() - 1.5)));
      val[0] = 2.3;
      if (evaluate(overfitting, runWithSeries('flat', { loss: [trainSteps, falling(trainSteps, 0.3, seed)], eval_loss: [evalSteps, val] })).status === 'problem') fired++;
    }
    expect(fired).toBeLessThanOrEqual(2);
  });

  it('is not overfitting when the validation loss never fell (rising from the first evaluation: a broken evaluation)', () => {
    const val = evalSteps.map((t) => 2.3 + t / 1000);
    expect(evaluate(overfitting, runWithSeries('rising', { loss: [trainSteps, falling(trainSteps, 0.05, 7)], eval_loss: [evalSteps, val] })).status).toBe('clear');
  });

  it('is not overfitting when the training loss rose too (training degraded)', () => {
    const train = trainSteps.map((t) => (t < 600 ? 2 - t / 400 : 0.5 + (t - 600) / 1000));
    const run = runWithSeries('both-up', { loss: [trainSteps, train], eval_loss: [evalSteps, uShaped(evalSteps, 0.8, 600, 0.4, 0.01, 8)] });
    expect(evaluate(overfitting, run).status).toBe('clear');
  });

  it('is at most a warning without a training loss, or when the best model was loaded at the end; reports the best checkpoint', () => {
    const val = uShaped(evalSteps, 0.8, 600, 0.4, 0.01, 9);
    const noTrain = evaluate(overfitting, runWithSeries('val-only', { eval_loss: [evalSteps, val] }));
    expect(noTrain.status === 'problem' && noTrain.findings[0]!.severity).toBe('warning');

    const run = runWithSeries('hf', { loss: [trainSteps, falling(trainSteps, 0.05, 10)], eval_loss: [evalSteps, val] }, { load_best_model_at_end: true });
    run.summary = { best_model_checkpoint: 'out/checkpoint-600', best_metric: 0.8, best_global_step: 600 };
    const loaded = evaluate(overfitting, run);
    expect(loaded.status).toBe('problem');
    if (loaded.status !== 'problem') return;
    expect(loaded.findings[0]).toMatchObject({
      severity: 'warning',
      evidence: { bestModelCheckpoint: 'out/checkpoint-600', bestMetric: 0.8, bestGlobalStep: 600, loadBestModelAtEnd: true },
    });
  });

  it('needs 6 evaluations and ignores non-finite ones', () => {
    expect(evaluate(overfitting, runWithSeries('few', { eval_loss: [[1, 2, 3, 4, 5], [2, 1, 0.9, 1, 1.2]] })).status).toBe('unknown');
    const val = uShaped(evalSteps, 0.8, 600, 0.4, 0.01, 11);
    val[20] = Number.NaN;
    val[25] = Number.POSITIVE_INFINITY;
    const outcome = evaluate(overfitting, runWithSeries('nan', { loss: [trainSteps, falling(trainSteps, 0.05, 12)], eval_loss: [evalSteps, val] }));
    expect(outcome.status === 'problem' && outcome.findings[0]!.evidence.evaluations).toBe(28);
    expect(evaluate(overfitting, runWithSeries('none', { loss: [trainSteps, falling(trainSteps, 0.05, 1)] })).status).toBe('unknown');
  });
});

describe('reachability.overfitting (real runs)', () => {
  it('fires as an error on the Lightning run that memorises its training set (minimum at step 127, epoch 7)', async () => {
    const outcome = evaluate(overfitting, await exampleRun('lightning-overfit'));
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    expect(outcome.findings[0]).toMatchObject({ severity: 'error', evidence: { series: 'val_loss', bestStep: 127, lastStep: 1599 } });
    expect(outcome.findings[0]!.evidence.bestValue as number).toBeCloseTo(0.9433, 3);
  });

  it('stays silent on the healthy Hugging Face run and the W&B run still improving', async () => {
    expect(evaluate(overfitting, await exampleRun('hf-healthy/trainer_state.json')).status).toBe('clear');
    expect(evaluate(overfitting, await exampleRun('wandb-undertrained')).status).toBe('clear');
  });

  it.skipIf(!hasSuiteCase('overfitting-clean-tb'))('fires on the suite’s overfitting cases and stays silent on its healthy ones', async () => {
    for (const name of ['overfitting-clean-tb', 'overfitting-lightning', 'noisy-labels-tb'].filter(hasSuiteCase)) {
      const outcome = evaluate(overfitting, await suiteRun(name));
      expect(outcome.status === 'problem' && outcome.findings[0]!.severity, name).toBe('error');
    }
    const healthy = ['healthy-tb-k10', 'healthy-tb-k4', 'healthy-lightning-k10', 'healthy-lightning-k4-sgd', 'healthy-jsonl-k10', 'healthy-hf-k10', 'healthy-hf-k4'];
    for (const name of healthy.filter(hasSuiteCase)) expect(evaluate(overfitting, await suiteRun(name)).status, name).toBe('clear');
    // Label-mapping bugs make the validation loss rise from the first evaluation: not overfitting.
    for (const name of ['below-chance-hf', 'loss-metric-disagree-lightning'].filter(hasSuiteCase)) {
      expect(evaluate(overfitting, await suiteRun(name)).status, name).toBe('clear');
    }
  });
});
