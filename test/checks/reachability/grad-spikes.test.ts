import { describe, expect, it } from 'vitest';
import { gradSpikes } from '../../../src/checks/reachability/grad-spikes.js';
import { decayingLoss, noise, range, runWithSeries } from '../../support/runs.js';
import { evaluate, exampleRun, hasSuiteCase, suiteRun } from '../observation/support.js';

const steps = range(300, 10);

/** A grad norm drifting from 1 to 3 with log-normal-ish noise (±30%). */
function norms(seed: number): number[] {
  const random = noise(seed);
  return steps.map((t, i) => (1 + (2 * i) / steps.length) * Math.exp(0.3 * (random() + random() + random() - 1.5)));
}

const loss = decayingLoss(steps, 2.3, 0.4, 800, 0.05, 9);

describe('reachability.grad-spikes (synthetic)', () => {
  it('stays silent on a noisy, drifting but spike-free grad norm', () => {
    expect(evaluate(gradSpikes, runWithSeries('ok', { loss: [steps, loss], grad_norm: [steps, norms(1)] }))).toEqual({ status: 'clear' });
  });

  it('warns on recurring ×30 spikes and lists their steps', () => {
    const g = norms(2);
    for (const i of [40, 100, 160, 220]) g[i]! *= 30;
    const outcome = evaluate(gradSpikes, runWithSeries('spiky', { loss: [steps, loss], grad_norm: [steps, g] }));
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    const { severity, evidence } = outcome.findings[0]!;
    expect(severity).toBe('warning');
    expect(evidence.spikes).toBe(4);
    expect(evidence.spikeSteps).toEqual([steps[40], steps[100], steps[160], steps[220]]);
    expect(evidence.largestRatio as number).toBeGreaterThan(15);
  });

  it('notes a single spike as info only', () => {
    const one = norms(3);
    one[150]! *= 40;
    const single = evaluate(gradSpikes, runWithSeries('one', { loss: [steps, loss], grad_norm: [steps, one] }));
    expect(single.status).toBe('clear');
    if (single.status !== 'clear') return;
    expect(single.findings?.[0]).toMatchObject({ severity: 'info', evidence: { spikes: 1, largestStep: steps[150] } });
  });

  it('is an error when a spike is followed by a lasting rise of the training loss (loss damage)', () => {
    const g = norms(4);
    for (const i of [40, 100, 160]) g[i]! *= 30;
    const damaged = loss.map((v, i) => (i > 160 ? v + 1.5 : v));
    const outcome = evaluate(gradSpikes, runWithSeries('damage', { loss: [steps, damaged], grad_norm: [steps, g] }));
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    expect(outcome.findings[0]).toMatchObject({ severity: 'error', evidence: { damageStep: steps[160] } });
  });

  it('counts isolated non-finite norms as overflow steps: info when rare, warning when frequent', () => {
    const rare = norms(5);
    rare[50] = Number.POSITIVE_INFINITY;
    rare[90] = Number.NaN;
    const rareOutcome = evaluate(gradSpikes, runWithSeries('rare', { loss: [steps, loss], grad_norm: [steps, rare] }));
    expect(rareOutcome.status).toBe('clear');
    expect(rareOutcome.status === 'clear' && rareOutcome.findings?.[0]?.evidence).toMatchObject({ overflowSteps: 2, firstNonFiniteStep: steps[50], endsNonFinite: false });
    const frequent = norms(6);
    for (let i = 5; i < 300; i += 12) frequent[i] = Number.POSITIVE_INFINITY;
    const frequentOutcome = evaluate(gradSpikes, runWithSeries('frequent', { loss: [steps, loss], grad_norm: [steps, frequent] }));
    expect(frequentOutcome.status).toBe('problem');
    expect(frequentOutcome.status === 'problem' && frequentOutcome.findings[0]!.severity).toBe('warning');
  });

  it('is an error when the grad norm stays non-finite to the end (the weights are NaN)', () => {
    const g = norms(7);
    for (let i = 250; i < 300; i++) g[i] = Number.NaN;
    const outcome = evaluate(gradSpikes, runWithSeries('nan', { loss: [steps, loss], grad_norm: [steps, g] }));
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    expect(outcome.findings[0]).toMatchObject({ severity: 'error', evidence: { endsNonFinite: true, firstNonFiniteStep: steps[250], nonFinite: 50 } });
  });

  it('says what it needs', () => {
    expect(evaluate(gradSpikes, runWithSeries('none', { loss: [steps, loss] }))).toEqual({ status: 'unknown', missing: 'a gradient-norm series' });
    expect(evaluate(gradSpikes, runWithSeries('short', { grad_norm: [range(10), range(10)] })).status).toBe('unknown');
  });
});

describe('reachability.grad-spikes (real runs)', () => {
  it.skipIf(!hasSuiteCase('grad-spikes-tb'))('warns on the suite case: every 97th batch corrupted', async () => {
    const outcome = evaluate(gradSpikes, await suiteRun('grad-spikes-tb'));
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    const spikeSteps = outcome.findings[0]!.evidence.spikeSteps as number[];
    expect(spikeSteps.length).toBeGreaterThanOrEqual(8);
    for (const step of spikeSteps) expect(step % 97).toBe(0);
  });

  it.skipIf(!hasSuiteCase('divergence-nan-hf'))('is an error on the HF divergence case, whose train loss the Trainer filters but whose grad norm is Inf', async () => {
    const outcome = evaluate(gradSpikes, await suiteRun('divergence-nan-hf'));
    expect(outcome.status).toBe('problem');
    expect(outcome.status === 'problem' && outcome.findings[0]!.evidence.endsNonFinite).toBe(true);
  });

  it('stays silent on the real healthy example and on the healthy suite runs', async () => {
    expect(evaluate(gradSpikes, await exampleRun('hf-healthy/trainer_state.json')).status).toBe('clear');
    for (const name of ['healthy-tb-k10', 'healthy-hf-k10', 'healthy-hf-k4', 'healthy-jsonl-k10']) {
      if (hasSuiteCase(name)) expect(evaluate(gradSpikes, await suiteRun(name)).status, name).toBe('clear');
    }
  });
});
