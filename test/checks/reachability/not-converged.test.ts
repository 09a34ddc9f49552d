import { describe, expect, it } from 'vitest';
import { notConverged } from '../../../src/checks/reachability/not-converged.js';
import { noise, range, runWithSeries } from '../../support/runs.js';
import { evaluate, exampleRun, hasSuiteCase, suiteRun } from '../observation/support.js';

/** L(t) = floor + amplitude·exp(−t/τ) with Gaussian-ish relative noise (sum of uniforms). */
function curve(steps: number[], floor: number, amplitude: number, tau: number, relativeNoise: number, seed: number): number[] {
  const random = noise(seed);
  return steps.map((t) => {
    const wiggle = (random() + random() + random() - 1.5) / 1.5;
    return (floor + amplitude * Math.exp(-t / tau)) * (1 + relativeNoise * wiggle);
  });
}

const evalSteps = range(20, 10); // 10 … 200
const trainSteps = range(200, 1); // 1 … 200

function undertrained(seed: number, extra: Record<string, [number[], number[]]> = {}) {
  return runWithSeries('undertrained', {
    loss: [trainSteps, curve(trainSteps, 0.3, 2, 300, 0.03, seed)],
    eval_loss: [evalSteps, curve(evalSteps, 0.3, 2, 300, 0.005, seed + 1)],
    ...extra,
  });
}

describe('reachability.not-converged (synthetic)', () => {
  it('fires as an error on a validation loss still falling steeply, and the 2× prediction covers the true curve', () => {
    const outcome = evaluate(notConverged, undertrained(1));
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    const { severity, evidence } = outcome.findings[0]!;
    expect(severity).toBe('error');
    expect(evidence).toMatchObject({ series: 'eval_loss', seriesRole: 'validation loss', lastStep: 200, gainExcludesZero: true });
    const truth2x = 0.3 + 2 * Math.exp(-400 / 300);
    const truth4x = 0.3 + 2 * Math.exp(-800 / 300);
    expect(evidence.predictedAt2xLow as number).toBeLessThanOrEqual(truth2x);
    expect(evidence.predictedAt2xHigh as number).toBeGreaterThanOrEqual(truth2x);
    expect(Math.abs((evidence.predictedAt2x as number) - truth2x)).toBeLessThan(0.1);
    expect(evidence.predictedAt4x as number).toBeLessThan(evidence.predictedAt2x as number);
    expect(Math.abs((evidence.predictedAt4x as number) - truth4x)).toBeLessThan(0.35);
    expect(evidence.slopeHigh as number).toBeLessThan(0);
    expect(evidence.relativeGainAt2x as number).toBeGreaterThan(0.05);
  });

  it('is reproducible: the bootstrap is seeded', () => {
    const a = evaluate(notConverged, undertrained(2));
    const b = evaluate(notConverged, undertrained(2));
    expect(a).toEqual(b);
  });

  it('stays silent on a curve that has levelled off (τ = 50 over 2000 steps)', () => {
    const steps = range(20, 100);
    const run = runWithSeries('converged', {
      loss: [range(400, 5), curve(range(400, 5), 0.3, 2, 50, 0.05, 3)],
      eval_loss: [steps, curve(steps, 0.3, 2, 50, 0.01, 4)],
    });
    const outcome = evaluate(notConverged, run);
    expect(outcome.status).toBe('clear');
    if (outcome.status === 'clear') expect(outcome.findings ?? []).toEqual([]);
  });

  it('rarely fires on flat noise: at most 3 of 40 flat noisy curves show a significant falling tail', () => {
    let fired = 0;
    for (let seed = 0; seed < 40; seed++) {
      const steps = range(40, 25);
      const run = runWithSeries('flat', { eval_loss: [steps, curve(steps, 0.5, 0, 1, 0.02, 100 + seed)] });
      const outcome = evaluate(notConverged, run);
      if (outcome.status === 'problem' || (outcome.status === 'clear' && (outcome.findings ?? []).length > 0)) fired++;
    }
    expect(fired).toBeLessThanOrEqual(3);
  });

  it('caps the severity at warning when the learning rate has annealed to ~0 (part of the drop is annealing)', () => {
    const lr = trainSteps.map((t) => 1e-3 * (1 - t / 200));
    const outcome = evaluate(notConverged, undertrained(5, { learning_rate: [trainSteps, lr] }));
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    expect(outcome.findings[0]).toMatchObject({ severity: 'warning', evidence: { annealed: true, finalLearningRateShare: 0 } });
  });

  it('reads the training loss when the validation loss has fewer than 6 evaluations', () => {
    const run = runWithSeries('train-only', {
      loss: [trainSteps, curve(trainSteps, 0.3, 2, 300, 0.02, 6)],
      eval_loss: [[100, 200], [1.5, 1.2]],
    });
    const outcome = evaluate(notConverged, run);
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    expect(outcome.findings[0]!.evidence).toMatchObject({ series: 'loss', seriesRole: 'training loss' });
  });

  it('stays silent when the end of the curve is flat even though the tail fell (annealing drop that is over)', () => {
    const steps = range(21, 100, 0);
    const values = steps.map((t) => (t < 1600 ? 0.6 - (0.05 * t) / 1600 : 0.55) + (t % 200 === 0 ? 0.0004 : -0.0004));
    const outcome = evaluate(notConverged, runWithSeries('flat-end', { eval_loss: [steps, values] }));
    expect(outcome).toEqual({ status: 'clear' });
  });

  it('says what it needs: no loss, too few points, a diverged run', () => {
    expect(evaluate(notConverged, runWithSeries('none', { eval_accuracy: [[1, 2], [0.1, 0.2]] })).status).toBe('unknown');
    expect(evaluate(notConverged, runWithSeries('short', { loss: [range(8), curve(range(8), 0.3, 2, 300, 0.01, 7)] }))).toMatchObject({
      status: 'unknown',
    });
    const values = curve(trainSteps, 0.3, 2, 300, 0.02, 8);
    values[150] = Number.NaN;
    expect(evaluate(notConverged, runWithSeries('nan', { loss: [trainSteps, values] })).status).toBe('unknown');
  });

  it('the thresholds are overridable', () => {
    const outcome = evaluate(notConverged, undertrained(9), { errorRelativeGain: 0.9 });
    expect(outcome.status === 'problem' && outcome.findings[0]!.severity).toBe('warning');
  });
});

describe('reachability.not-converged (real runs)', () => {
  it('fires as an error on the W&B run stopped too early, from its validation loss', async () => {
    const outcome = evaluate(notConverged, await exampleRun('wandb-undertrained'));
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    expect(outcome.findings[0]).toMatchObject({ severity: 'error', evidence: { series: 'val/loss', lastStep: 200 } });
    expect(outcome.findings[0]!.evidence.predictedAt2x as number).toBeLessThan(outcome.findings[0]!.evidence.fittedAtLastStep as number);
  });

  it('gives the healthy Hugging Face run no warning or error (at most context)', async () => {
    const outcome = evaluate(notConverged, await exampleRun('hf-healthy/trainer_state.json'));
    expect(outcome.status).toBe('clear');
    for (const finding of outcome.status === 'clear' ? (outcome.findings ?? []) : []) expect(finding.severity).toBe('info');
  });

  it.skipIf(!hasSuiteCase('not-converged-hf'))('fires on the suite’s not-converged cases (HF Trainer, JSONL)', async () => {
    for (const name of ['not-converged-hf', 'not-converged-jsonl']) {
      if (!hasSuiteCase(name)) continue;
      const outcome = evaluate(notConverged, await suiteRun(name));
      expect(outcome.status, name).toBe('problem');
      if (outcome.status === 'problem') expect(outcome.findings[0]!.severity, name).toBe('error');
    }
  });

  it.skipIf(!hasSuiteCase('healthy-tb-k10'))('gives no warning or error on the suite’s healthy runs', async () => {
    const healthy = ['healthy-tb-k10', 'healthy-tb-k4', 'healthy-lightning-k10', 'healthy-lightning-k4-sgd', 'healthy-jsonl-k10', 'healthy-hf-k10', 'healthy-hf-k4'];
    for (const name of healthy.filter(hasSuiteCase)) {
      const outcome = evaluate(notConverged, await suiteRun(name));
      expect(outcome.status, name).not.toBe('problem');
    }
  });
});
