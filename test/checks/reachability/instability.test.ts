import { describe, expect, it } from 'vitest';
import { instability, warmupOf } from '../../../src/checks/reachability/instability.js';
import { seriesFromArrays } from '../../../src/model/run.js';
import { decayingLoss, noise, range, runWithSeries } from '../../support/runs.js';
import { evaluate, exampleRun, hasSuiteCase, suiteRun } from '../observation/support.js';

const steps = range(400, 5);
const warmupLr = steps.map((t) => 1e-3 * Math.min(1, t / 100));
const constantLr = steps.map(() => 1e-3);

describe('reachability.instability (synthetic)', () => {
  it('stays silent on a healthy noisy decaying loss', () => {
    const run = runWithSeries('ok', { loss: [steps, decayingLoss(steps, 2.3, 0.4, 300, 0.1, 1)], learning_rate: [steps, warmupLr] });
    expect(evaluate(instability, run)).toEqual({ status: 'clear' });
  });

  it('stays silent on heavy-tailed single-batch losses near zero (a hard batch at 0.1 among batches at 0.001)', () => {
    const random = noise(2);
    const values = steps.map((t) => (0.002 + 2 * Math.exp(-t / 200)) * Math.exp(1.2 * (random() + random() + random() - 1.5) * 2));
    expect(evaluate(instability, runWithSeries('tails', { train_loss_step: [steps, values] })).status).toBe('clear');
  });

  it('fires when the training loss climbs back from its best at a constant rate, not when the rate annealed', () => {
    const random = noise(7);
    // falls to 1.0 by 40 % of the run, then climbs back to about 1.6: the optimizer is thrown out of the valley
    const values = steps.map((t, i) => (i < 160 ? 2.3 - 1.3 * (i / 160) : 1.0 + 0.6 * ((i - 160) / 240)) * (1 + 0.03 * (random() - 0.5)));
    const constant = evaluate(instability, runWithSeries('climb', { loss: [steps, values], learning_rate: [steps, constantLr] }));
    expect(constant.status).toBe('problem');
    if (constant.status === 'problem') {
      expect(constant.findings[0]!.evidence).toMatchObject({ regressed: true, spikes: 0 });
      expect(constant.findings[0]!.evidence.regressionShare as number).toBeGreaterThan(0.4);
    }
    const annealed = steps.map((_, i) => 1e-3 * (1 - i / steps.length));
    expect(evaluate(instability, runWithSeries('climb-annealed', { loss: [steps, values], learning_rate: [steps, annealed] })).status).toBe('clear');
    // a healthy curve that flattens does not climb back
    const flat = decayingLoss(steps, 2.3, 1.0, 150, 0.03, 8);
    expect(evaluate(instability, runWithSeries('flat', { loss: [steps, flat], learning_rate: [steps, constantLr] })).status).toBe('clear');
  });

  it('warns on recurring spikes well above the noise floor, with their steps, and reports no warmup', () => {
    const values = decayingLoss(steps, 2.3, 0.4, 300, 0.05, 3);
    for (const i of [100, 160, 220, 280, 340]) values[i] = values[i]! + 0.4;
    const outcome = evaluate(instability, runWithSeries('spiky', { loss: [steps, values], learning_rate: [steps, constantLr] }));
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    const { severity, evidence } = outcome.findings[0]!;
    expect(severity).toBe('warning');
    expect(evidence).toMatchObject({ spikes: 5, spikeSteps: [100, 160, 220, 280, 340].map((i) => steps[i]), warmup: false, peakLr: 1e-3 });
  });

  it('is an error when spikes repeatedly throw the loss back more than half its range', () => {
    const values = decayingLoss(steps, 2.3, 0.4, 300, 0.05, 4);
    for (const i of [100, 160, 220, 280, 340]) values[i] = 2.5;
    const outcome = evaluate(instability, runWithSeries('large', { loss: [steps, values], learning_rate: [steps, warmupLr] }));
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    expect(outcome.findings[0]).toMatchObject({ severity: 'error', evidence: { largeSpikes: 5, warmup: true } });
  });

  it('detects oscillation over most of the run: large, irregular residuals alternating in sign from point to point', () => {
    const base = decayingLoss(steps, 2.3, 0.6, 300, 0.02, 5);
    const random = noise(6);
    const values = base.map((v, i) => (i > 50 && i < 350 ? v * (1 + (i % 2 ? 1 : -1) * (0.1 + 0.4 * random())) : v));
    const outcome = evaluate(instability, runWithSeries('osc', { loss: [steps, values] }));
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    expect(outcome.findings[0]!.evidence.oscillating).toBe(true);
    expect(outcome.findings[0]!.evidence.lag1Autocorrelation as number).toBeLessThan(-0.3);
  });

  it('does not call two smooth curves interleaved point by point an oscillation, nor rounding of a smooth curve', () => {
    const interleaved = steps.map((t, i) => (i % 2 ? 0.3 : 1) * (0.02 + 2 * Math.exp(-t / 400)));
    expect(evaluate(instability, runWithSeries('interleaved', { train_loss: [steps, interleaved] })).status).toBe('clear');
    const rounded = steps.map((t) => Math.round(1e3 * (1.1 + 0.5 * Math.exp(-t / 300))) / 1e3);
    expect(evaluate(instability, runWithSeries('rounded', { train_loss: [steps, rounded] })).status).toBe('clear');
  });

  it('tells warmup from none from the learning-rate series', () => {
    expect(warmupOf(seriesFromArrays(steps, warmupLr))).toBe(true);
    expect(warmupOf(seriesFromArrays(steps, constantLr))).toBe(false);
    expect(warmupOf(undefined)).toBeNull();
  });

  it('needs 30 finite points', () => {
    expect(evaluate(instability, runWithSeries('short', { loss: [range(20), range(20)] })).status).toBe('unknown');
  });
});

describe('reachability.instability (real runs)', () => {
  it.skipIf(!hasSuiteCase('grad-spikes-tb'))('fires on the corrupted-batch suite case (loss spikes every 97 steps)', async () => {
    const outcome = evaluate(instability, await suiteRun('grad-spikes-tb'));
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    for (const step of outcome.findings[0]!.evidence.spikeSteps as number[]) expect(step % 97).toBe(0);
  });

  it('stays silent on the real healthy and overfitting examples (noise that shrinks with the loss is not instability)', async () => {
    expect(evaluate(instability, await exampleRun('hf-healthy/trainer_state.json')).status).toBe('clear');
    expect(evaluate(instability, await exampleRun('lightning-overfit')).status).toBe('clear');
  });

  it('stays silent on the healthy suite runs', async () => {
    for (const name of ['healthy-tb-k10', 'healthy-tb-k4', 'healthy-hf-k10', 'healthy-lightning-k10', 'healthy-lightning-k4-sgd', 'healthy-jsonl-k10', 'overfitting-clean-tb']) {
      if (hasSuiteCase(name)) expect(evaluate(instability, await suiteRun(name)).status, name).toBe('clear');
    }
  });
});
