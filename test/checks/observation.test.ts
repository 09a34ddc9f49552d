import { describe, expect, it } from 'vitest';
import { evalFrozen } from '../../src/checks/observation/eval-frozen.js';
import { evidenceOf } from '../../src/ladder/evidence.js';
import { assignRoles } from '../../src/ingest/roles.js';
import { decayingLoss, range, runWithSeries } from '../support/runs.js';

const defaults = Object.fromEntries(Object.entries(evalFrozen.thresholds).map(([k, t]) => [k, t.value]));
const steps = range(100, 10);
const evalSteps = range(10, 100);

function outcome(series: Record<string, [number[], number[]]>) {
  const run = runWithSeries('r', series);
  run.roles = assignRoles(run);
  return evalFrozen.evaluate(evidenceOf(run), defaults);
}

describe('observation.eval-frozen', () => {
  it('fires when every evaluation reports the same numbers while training moves', () => {
    const result = outcome({
      loss: [steps, decayingLoss(steps, 2.3, 0.3, 200, 0.05, 1)],
      eval_accuracy: [evalSteps, evalSteps.map(() => 0.1)],
      eval_loss: [evalSteps, evalSteps.map(() => 2.3)],
    });
    expect(result.status).toBe('problem');
    if (result.status !== 'problem') return;
    expect(result.findings.map((f) => f.evidence.series).sort()).toEqual(['eval_accuracy', 'eval_loss']);
  });

  it('stays silent on an accuracy stuck at the majority class while the eval loss moves (the eval sees new weights)', () => {
    expect(
      outcome({
        loss: [steps, decayingLoss(steps, 2.3, 0.3, 200, 0.05, 1)],
        eval_accuracy: [evalSteps, evalSteps.map(() => 0.1)],
        eval_loss: [evalSteps, decayingLoss(evalSteps, 2.3, 0.5, 200, 0.01, 2)],
      }).status,
    ).toBe('clear');
  });

  it('stays silent when one metric is constant by nature while another evaluation moves (an RL episode length)', () => {
    expect(
      outcome({
        loss: [steps, decayingLoss(steps, 2.3, 0.3, 200, 0.05, 1)],
        'eval/mean_ep_length': [evalSteps, evalSteps.map(() => 720)],
        'eval/mean_reward': [evalSteps, evalSteps.map((s) => -250 + s / 100)],
      }).status,
    ).toBe('clear');
  });

  it('stays silent when evaluations change', () => {
    expect(
      outcome({
        loss: [steps, decayingLoss(steps, 2.3, 0.3, 200, 0.05, 1)],
        eval_accuracy: [evalSteps, evalSteps.map((s) => 0.1 + s / 2000)],
      }).status,
    ).toBe('clear');
  });

  it('stays silent when training did not move either (that is a stall, not a frozen eval)', () => {
    expect(
      outcome({
        loss: [steps, steps.map(() => 2.3)],
        eval_accuracy: [evalSteps, evalSteps.map(() => 0.1)],
      }).status,
    ).toBe('clear');
  });

  it('needs at least three evaluations', () => {
    expect(outcome({ loss: [steps, steps.map(() => 1)], eval_accuracy: [[1, 2], [0.5, 0.5]] }).status).toBe('unknown');
    expect(outcome({ loss: [steps, steps.map(() => 1)] })).toEqual({ status: 'unknown', missing: 'a validation loss or metric series' });
  });
});
