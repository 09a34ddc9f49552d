import { describe, expect, it } from 'vitest';
import { badInitLoss } from '../../../src/checks/reachability/bad-init-loss.js';
import { decayingLoss, range, runWithSeries } from '../../support/runs.js';
import { evaluate, exampleRun, hasSuiteCase, suiteRun } from '../observation/support.js';

const steps = range(200, 10);

function run(start: number, hparams: Record<string, string | number> = { num_classes: 10 }, from = 10) {
  const s = range(200, 10, from);
  return runWithSeries('init', { loss: [s, decayingLoss(s, start, 0.4, 400, 0.02, 1)] }, hparams);
}

describe('reachability.bad-init-loss (synthetic)', () => {
  it('stays silent when the first loss is near ln K', () => {
    expect(evaluate(badInitLoss, run(2.3))).toEqual({ status: 'clear' });
  });

  it('warns when the first loss is far above ln K (over-confident init, summed loss)', () => {
    const outcome = evaluate(badInitLoss, run(9));
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    const { severity, evidence } = outcome.findings[0]!;
    expect(severity).toBe('warning');
    expect(evidence).toMatchObject({ direction: 'high', classes: 10, step: 10 });
    expect(evidence.chanceLoss as number).toBeCloseTo(Math.log(10), 12);
    expect(evidence.ratio as number).toBeGreaterThan(1.5);
  });

  it('warns when the first loss is far below ln K (not the K-way cross-entropy)', () => {
    const outcome = evaluate(badInitLoss, run(0.7));
    expect(outcome.status === 'problem' && outcome.findings[0]!.evidence.direction).toBe('low');
  });

  it('prefers a validation loss at step 0 (evaluation before training) to a later training point', () => {
    const r = runWithSeries('val0', { loss: [steps, decayingLoss(steps, 2.3, 0.4, 400, 0.02, 2)], eval_loss: [[0, 1000, 2000], [12, 1, 0.5]] }, { num_classes: 10 });
    const outcome = evaluate(badInitLoss, r);
    expect(outcome.status === 'problem' && outcome.findings[0]!.evidence).toMatchObject({ series: 'eval_loss', step: 0, initialLoss: 12 });
  });

  it('is unknown when the first point is late in the run (it already includes learning)', () => {
    expect(evaluate(badInitLoss, run(9, { num_classes: 10 }, 500))).toMatchObject({ status: 'unknown' });
  });

  it('is unknown without K, for multi-label problems and for margin losses (ArcFace) whose init loss is not ln K', () => {
    expect(evaluate(badInitLoss, run(9, {}))).toMatchObject({ status: 'unknown' });
    expect(evaluate(badInitLoss, run(9, { num_labels: 10, problem_type: 'multi_label_classification' }))).toMatchObject({ status: 'unknown' });
    expect(evaluate(badInitLoss, run(30, { num_classes: 91354, loss_fn: 'arcface_loss' }))).toMatchObject({ status: 'unknown' });
  });
});

describe('reachability.bad-init-loss (real runs)', () => {
  it.skipIf(!hasSuiteCase('bad-init-loss-jsonl'))('fires on the suite case (final layer ×30 at init)', async () => {
    const outcome = evaluate(badInitLoss, await suiteRun('bad-init-loss-jsonl'));
    expect(outcome.status).toBe('problem');
    expect(outcome.status === 'problem' && outcome.findings[0]!.evidence.direction).toBe('high');
  });

  it('stays silent on the real healthy example (K = 4 from its config.json) and the healthy suite runs', async () => {
    const example = evaluate(badInitLoss, await exampleRun('hf-healthy'));
    expect(example.status).toBe('clear');
    for (const name of ['healthy-tb-k10', 'healthy-tb-k4', 'healthy-hf-k10', 'healthy-lightning-k4-sgd', 'healthy-jsonl-k10']) {
      if (hasSuiteCase(name)) expect(evaluate(badInitLoss, await suiteRun(name)).status, name).toBe('clear');
    }
  });
});
