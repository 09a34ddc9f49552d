import { describe, expect, it } from 'vitest';
import { clippingAlways } from '../../../src/checks/reachability/clipping-always.js';
import { decayingLoss, noise, range, runWithSeries } from '../../support/runs.js';
import { evaluate, exampleRun, hasSuiteCase, suiteRun } from '../observation/support.js';

const steps = range(100, 10);
const loss = decayingLoss(steps, 2.3, 0.4, 400, 0.02, 1);

function norms(level: number, seed: number): number[] {
  const random = noise(seed);
  return steps.map(() => level * Math.exp(0.2 * (random() - 0.5)));
}

describe('reachability.clipping-always (synthetic)', () => {
  it('warns with SGD when every logged norm exceeds max_grad_norm, with the median ratio', () => {
    const run = runWithSeries('sgd', { loss: [steps, loss], grad_norm: [steps, norms(5, 1)] }, { max_grad_norm: 1, optim: 'sgd' });
    const outcome = evaluate(clippingAlways, run);
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    const { severity, evidence } = outcome.findings[0]!;
    expect(severity).toBe('warning');
    expect(evidence).toMatchObject({ clippedPoints: 100, points: 100, clippedFraction: 1, limitKey: 'max_grad_norm', optimizer: 'sgd' });
    expect(evidence.medianNormOverLimit as number).toBeCloseTo(5, 0);
  });

  it('reports it as info under Adam (a common rescaling of every step mostly cancels out)', () => {
    const run = runWithSeries('adam', { loss: [steps, loss], grad_norm: [steps, norms(5, 2)] }, { max_grad_norm: 1, optim: 'adamw_torch' });
    const outcome = evaluate(clippingAlways, run);
    expect(outcome.status).toBe('clear');
    expect(outcome.status === 'clear' && outcome.findings?.[0]?.severity).toBe('info');
  });

  it('stays silent when clipping catches only some steps, or when the limit is 0 (off)', () => {
    const half = norms(1, 3).map((v, i) => (i % 2 ? v * 3 : v / 3));
    expect(evaluate(clippingAlways, runWithSeries('half', { grad_norm: [steps, half] }, { gradient_clip_val: 1 }))).toEqual({ status: 'clear' });
    expect(evaluate(clippingAlways, runWithSeries('off', { grad_norm: [steps, norms(5, 4)] }, { gradient_clip_val: 0 }))).toEqual({ status: 'clear' });
  });

  it('reads the limit under Lightning and nested names; unknown without a limit, for value clipping, or with too few points', () => {
    expect(evaluate(clippingAlways, runWithSeries('nested', { grad_norm: [steps, norms(5, 5)] }, { 'trainer.gradient_clip_val': 0.5 })).status).toBe('problem');
    expect(evaluate(clippingAlways, runWithSeries('none', { grad_norm: [steps, norms(5, 6)] }))).toMatchObject({ status: 'unknown' });
    expect(evaluate(clippingAlways, runWithSeries('value', { grad_norm: [steps, norms(5, 7)] }, { gradient_clip_val: 0.5, gradient_clip_algorithm: 'value' }))).toMatchObject({ status: 'unknown' });
    expect(evaluate(clippingAlways, runWithSeries('short', { grad_norm: [range(10), range(10).map(() => 5)] }, { max_grad_norm: 1 }))).toMatchObject({ status: 'unknown' });
  });
});

describe('reachability.clipping-always (real runs)', () => {
  it.skipIf(!hasSuiteCase('clipping-always-hf'))('warns on the suite case (SGD with max_grad_norm 1e-3)', async () => {
    const outcome = evaluate(clippingAlways, await suiteRun('clipping-always-hf'));
    expect(outcome.status).toBe('problem');
    expect(outcome.status === 'problem' && outcome.findings[0]!.evidence).toMatchObject({ clippedFraction: 1, optimizer: 'sgd' });
  });

  it('only notes (info) the healthy AdamW example whose norms exceed max_grad_norm = 1 on 97% of steps', async () => {
    const outcome = evaluate(clippingAlways, await exampleRun('hf-healthy'));
    expect(outcome.status).toBe('clear');
    expect(outcome.status === 'clear' && outcome.findings?.[0]?.severity).toBe('info');
  });

  it.skipIf(!hasSuiteCase('healthy-hf-k10'))('stays silent on the healthy HF suite runs (measure-only limit of 1e9)', async () => {
    expect(evaluate(clippingAlways, await suiteRun('healthy-hf-k10'))).toEqual({ status: 'clear' });
  });
});
