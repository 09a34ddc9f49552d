import { describe, expect, it } from 'vitest';
import { frozenAfterBlowup } from '../../../src/checks/reachability/frozen-after-blowup.js';
import { decayingLoss, noise, range, runWithSeries } from '../../support/runs.js';
import { evaluate, exampleRun, hasSuiteCase, suiteRun } from '../observation/support.js';

const steps = range(400, 5);

/** Trains normally to step 1000, then the loss jumps to `level` (a dead network's ln K) with small noise. */
function blownUp(level: number, seed: number, recoverTau?: number): number[] {
  const random = noise(seed);
  const healthy = decayingLoss(steps, 2.3, 0.4, 300, 0.1, seed);
  return steps.map((t, i) => {
    if (t <= 1000) return healthy[i]!;
    const settled = recoverTau ? 0.4 + (level - 0.4) * Math.exp(-(t - 1000) / recoverTau) : level;
    return settled * (1 + 0.02 * (random() - 0.5));
  });
}

describe('reachability.frozen-after-blowup (synthetic)', () => {
  it('fires as an error at the jump when the loss jumps to ln 10 and stays there', () => {
    const outcome = evaluate(frozenAfterBlowup, runWithSeries('frozen', { loss: [steps, blownUp(2.3, 1)] }));
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    const { severity, evidence } = outcome.findings[0]!;
    expect(severity).toBe('error');
    expect(Math.abs((evidence.step as number) - 1005)).toBeLessThanOrEqual(10);
    expect(evidence.levelAfter as number).toBeCloseTo(2.3, 1);
    expect(evidence.levelBefore as number).toBeLessThan(0.6);
    expect(Math.abs(evidence.changeAfter as number)).toBeLessThan(0.1);
  });

  it('stays silent on a healthy decaying loss', () => {
    expect(evaluate(frozenAfterBlowup, runWithSeries('ok', { loss: [steps, decayingLoss(steps, 2.3, 0.4, 300, 0.1, 2)] })).status).toBe('clear');
  });

  it('stays silent when the loss jumps but recovers (a spike with a tail, a warm restart)', () => {
    expect(evaluate(frozenAfterBlowup, runWithSeries('recovers', { loss: [steps, blownUp(2.3, 3, 150)] })).status).toBe('clear');
  });

  it('leaves a loss that settles far above its initial level to reachability.divergence', () => {
    expect(evaluate(frozenAfterBlowup, runWithSeries('diverged', { loss: [steps, blownUp(2.3e6, 4)] })).status).toBe('clear');
    expect(evaluate(frozenAfterBlowup, runWithSeries('diverged', { loss: [steps, blownUp(2.3e6, 4)] }), { divergenceFactor: 1e9 }).status).toBe('problem');
  });

  it('does not call a jump in the last few points frozen (no stretch after it), and needs 30 points', () => {
    const late = decayingLoss(steps, 2.3, 0.4, 300, 0.1, 5);
    for (let i = 395; i < 400; i++) late[i] = 2.3;
    expect(evaluate(frozenAfterBlowup, runWithSeries('late', { loss: [steps, late] })).status).toBe('clear');
    expect(evaluate(frozenAfterBlowup, runWithSeries('short', { loss: [range(20), range(20).map(() => 1)] }))).toMatchObject({ status: 'unknown' });
  });

  it('ignores NaN points rather than failing on them', () => {
    const values = blownUp(2.3, 6);
    values[50] = Number.NaN;
    values[300] = Number.POSITIVE_INFINITY;
    expect(evaluate(frozenAfterBlowup, runWithSeries('nan', { loss: [steps, values] })).status).toBe('problem');
  });
});

describe('reachability.frozen-after-blowup (real runs)', () => {
  it.skipIf(!hasSuiteCase('frozen-after-blowup-tb'))('fires on the suite case (lr ×2000 for steps 600–605 kills the ReLUs)', async () => {
    const outcome = evaluate(frozenAfterBlowup, await suiteRun('frozen-after-blowup-tb'));
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    expect(Math.abs((outcome.findings[0]!.evidence.step as number) - 600)).toBeLessThanOrEqual(30);
  });

  it('stays silent on the real healthy and lr-too-high examples (a collapse at the start is not a blow-up)', async () => {
    expect(evaluate(frozenAfterBlowup, await exampleRun('hf-healthy/trainer_state.json')).status).toBe('clear');
    expect(evaluate(frozenAfterBlowup, await exampleRun('hf-lr-too-high/trainer_state.json')).status).toBe('clear');
  });

  it.skipIf(!hasSuiteCase('healthy-tb-k10'))('stays silent on the healthy suite runs', async () => {
    for (const name of ['healthy-tb-k10', 'healthy-hf-k10', 'healthy-lightning-k4-sgd', 'grad-spikes-tb']) {
      if (hasSuiteCase(name)) expect(evaluate(frozenAfterBlowup, await suiteRun(name)).status, name).toBe('clear');
    }
  });
});
