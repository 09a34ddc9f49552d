import { describe, expect, it } from 'vitest';
import { scheduleNeverDecays } from '../../../src/checks/reachability/schedule-never-decays.js';
import { decayingLoss, range, runWithSeries } from '../../support/runs.js';
import { evaluate, exampleRun, hasSuiteCase, suiteRun } from '../observation/support.js';

const steps = range(400, 5);
const constant = steps.map(() => 1e-3);
const cosine = steps.map((t) => 0.5e-3 * (1 + Math.cos((Math.PI * t) / 2000)));
const plateau = decayingLoss(steps, 2.3, 0.7, 150, 0.15, 1);
const falling = decayingLoss(steps, 2.3, 0.3, 3000, 0.02, 2);

describe('reachability.schedule-never-decays (synthetic)', () => {
  it('warns on a constant rate once the loss sits on a flat, noisy plateau after real progress', () => {
    const outcome = evaluate(scheduleNeverDecays, runWithSeries('plateau', { loss: [steps, plateau], learning_rate: [steps, constant] }));
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    const { severity, evidence } = outcome.findings[0]!;
    expect(severity).toBe('warning');
    expect(evidence).toMatchObject({ kind: 'constant-at-plateau', finalOverPeak: 1, stillFalling: false });
    expect(evidence.tailSlopeLow as number).toBeLessThanOrEqual(0);
    expect(evidence.tailSlopeHigh as number).toBeGreaterThanOrEqual(0);
  });

  it('only notes a constant rate while the loss is still falling', () => {
    const outcome = evaluate(scheduleNeverDecays, runWithSeries('falling', { loss: [steps, falling], learning_rate: [steps, constant] }));
    expect(outcome.status).toBe('clear');
    expect(outcome.status === 'clear' && outcome.findings?.[0]).toMatchObject({ severity: 'info', evidence: { kind: 'constant', stillFalling: true } });
  });

  it('does not advise decay on a stalled run (a loss that never moved needs a higher rate, not a lower one)', () => {
    const stalled = decayingLoss(steps, 2.31, 2.3, 150, 0.05, 3);
    const outcome = evaluate(scheduleNeverDecays, runWithSeries('stalled', { loss: [steps, stalled], learning_rate: [steps, constant] }));
    expect(outcome.status).toBe('clear');
  });

  it('stays silent on a cosine schedule that reaches its floor', () => {
    expect(evaluate(scheduleNeverDecays, runWithSeries('cos', { loss: [steps, plateau], learning_rate: [steps, cosine] }, { lr_scheduler_type: 'cosine' }))).toEqual({ status: 'clear' });
  });

  it('warns when a decaying scheduler was configured but the rate never moved (scheduler not stepped)', () => {
    const outcome = evaluate(scheduleNeverDecays, runWithSeries('stuck', { loss: [steps, falling], learning_rate: [steps, constant] }, { lr_scheduler_type: 'linear' }));
    expect(outcome.status === 'problem' && outcome.findings[0]!.evidence.kind).toBe('configured-decay-not-applied');
  });

  it('notes a decaying schedule that stopped far above its floor (no annealing yet)', () => {
    const halfway = steps.map((t) => 1e-3 * (1 - t / 4000));
    const outcome = evaluate(scheduleNeverDecays, runWithSeries('half', { loss: [steps, falling], learning_rate: [steps, halfway] }, { lr_scheduler_type: 'linear' }));
    expect(outcome.status === 'clear' && outcome.findings?.[0]).toMatchObject({ severity: 'info', evidence: { kind: 'stopped-before-floor' } });
  });

  it('is unknown without a learning-rate series or with too few points', () => {
    expect(evaluate(scheduleNeverDecays, runWithSeries('none', { loss: [steps, plateau] }))).toMatchObject({ status: 'unknown' });
    expect(evaluate(scheduleNeverDecays, runWithSeries('short', { learning_rate: [range(10), range(10).map(() => 1)] }))).toMatchObject({ status: 'unknown' });
  });
});

describe('reachability.schedule-never-decays (real runs)', () => {
  it.skipIf(!hasSuiteCase('schedule-never-decays-jsonl'))('warns on the suite case (AdamW 1e-2 held constant, noisy plateau)', async () => {
    const outcome = evaluate(scheduleNeverDecays, await suiteRun('schedule-never-decays-jsonl'));
    expect(outcome.status === 'problem' && outcome.findings[0]!.evidence.kind).toBe('constant-at-plateau');
  });

  it.skipIf(!hasSuiteCase('not-converged-jsonl'))('only notes the constant rate of a run that is still learning', async () => {
    const outcome = evaluate(scheduleNeverDecays, await suiteRun('not-converged-jsonl'));
    expect(outcome.status).toBe('clear');
  });

  it('stays silent on the decaying real examples and healthy suite runs', async () => {
    expect(evaluate(scheduleNeverDecays, await exampleRun('hf-healthy/trainer_state.json'))).toEqual({ status: 'clear' });
    for (const name of ['healthy-tb-k10', 'healthy-hf-k10', 'healthy-lightning-k4-sgd', 'healthy-jsonl-k10']) {
      if (hasSuiteCase(name)) expect(evaluate(scheduleNeverDecays, await suiteRun(name)), name).toEqual({ status: 'clear' });
    }
  });
});
