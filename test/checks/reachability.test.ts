import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingest } from '../../src/ingest/ingest.js';
import { divergence } from '../../src/checks/reachability/divergence.js';
import { stall } from '../../src/checks/reachability/stall.js';
import type { AnyCheck } from '../../src/checks/check.js';
import { evidenceOf } from '../../src/ladder/evidence.js';
import { assignRoles } from '../../src/ingest/roles.js';
import { REPO } from '../support/corpus.js';
import { decayingLoss, range, runWithSeries } from '../support/runs.js';
import type { Run } from '../../src/model/run.js';

function evaluate(check: AnyCheck, run: Run) {
  run.roles = assignRoles(run);
  const defaults = Object.fromEntries(Object.entries(check.thresholds).map(([k, t]) => [k, t.value]));
  return check.evaluate(evidenceOf(run), defaults);
}

const steps = range(200, 10);

describe('reachability.divergence', () => {
  it('stays silent on a healthy decaying loss', () => {
    expect(evaluate(divergence, runWithSeries('ok', { loss: [steps, decayingLoss(steps, 2.3, 0.4, 400, 0.05, 1)] })).status).toBe('clear');
  });

  it('fires on a loss that becomes NaN, at the first non-finite step', () => {
    const values = decayingLoss(steps, 2.3, 0.4, 400, 0.05, 2);
    for (let i = 120; i < values.length; i++) values[i] = Number.NaN;
    const outcome = evaluate(divergence, runWithSeries('nan', { loss: [steps, values] }));
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    expect(outcome.findings[0]).toMatchObject({ code: 'reachability.divergence', severity: 'error', evidence: { step: steps[120], nonFiniteCount: 80 } });
  });

  it('fires on an explosion far above the initial loss, not on a 3× bump nor on a single hard batch', () => {
    const exploding = decayingLoss(steps, 2.3, 0.4, 400, 0.05, 3);
    for (let i = 150; i < 170; i++) exploding[i] = 2.3 * 40;
    expect(evaluate(divergence, runWithSeries('boom', { loss: [steps, exploding] })).status).toBe('problem');
    const bump = decayingLoss(steps, 2.3, 0.4, 400, 0.05, 3);
    for (let i = 150; i < 170; i++) bump[i] = 2.3 * 3;
    expect(evaluate(divergence, runWithSeries('bump', { loss: [steps, bump] })).status).toBe('clear');
    const oneBatch = decayingLoss(steps, 2.3, 0.4, 400, 0.05, 3);
    oneBatch[150] = 2.3 * 40;
    expect(evaluate(divergence, runWithSeries('one-batch', { loss: [steps, oneBatch] })).status).toBe('clear');
  });

  it('does not take a high first logged loss (the start of training) for an explosion', () => {
    // the Gemma run of the corpus logs 14.8 first, then 0.77
    const values = decayingLoss(steps, 0.8, 0.4, 400, 0.05, 4);
    values[0] = 14.8;
    expect(evaluate(divergence, runWithSeries('high-start', { loss: [steps, values] })).status).toBe('clear');
  });

  it('says what it needs when there is no training loss', () => {
    expect(evaluate(divergence, runWithSeries('none', { eval_accuracy: [[1, 2], [0.5, 0.6]] }))).toEqual({
      status: 'unknown',
      missing: 'a training-loss series of at least 5 points',
    });
  });
});

describe('reachability.stall', () => {
  it('stays silent on a loss that falls', () => {
    expect(evaluate(stall, runWithSeries('ok', { loss: [steps, decayingLoss(steps, 2.3, 0.4, 400, 0.05, 4)] })).status).toBe('clear');
  });

  it('fires on a flat noisy loss at the chance level and reports ln K', () => {
    const flat = decayingLoss(steps, 2.31, 2.30, 400, 0.02, 5);
    const outcome = evaluate(stall, runWithSeries('flat', { loss: [steps, flat] }, { num_classes: 10 }));
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    expect(outcome.findings[0]!.evidence.chanceLoss).toBeCloseTo(Math.log(10), 10);
  });

  it('does not call noise progress: a 6% drop inside very large noise is not called a clear run', () => {
    const noisy = decayingLoss(steps, 2.3, 2.16, 400, 0.6, 6);
    const outcome = evaluate(stall, runWithSeries('noisy', { loss: [steps, noisy] }));
    expect(outcome.status).not.toBe('clear');
  });

  it('has nothing to say about a loss that is zero or changes sign (a policy-gradient objective)', () => {
    expect(evaluate(stall, runWithSeries('zero', { loss: [steps, steps.map(() => 0)] })).status).toBe('unknown');
    expect(evaluate(stall, runWithSeries('grpo', { loss: [steps, steps.map((_, i) => (i % 3 === 0 ? -1e-4 : 1e-4))] })).status).toBe('unknown');
  });

  it('does not call a large drop measured on a few noisy points a stall: it cannot tell', () => {
    const few = range(12, 100);
    const values = [3.4, 3.1, 3.6, 2.9, 3.2, 2.7, 3.0, 2.5, 2.9, 2.6, 2.8, 2.7];
    expect(evaluate(stall, runWithSeries('few', { loss: [few, values] })).status).toBe('unknown');
  });

  it('does not call a run that learned early and then got worse a stall', () => {
    const values = steps.map((_, i) => (i < 20 ? 2.3 - 1.2 * (i / 20) : 1.1 + 0.8 * ((i - 20) / 180)));
    expect(evaluate(stall, runWithSeries('learned-then-worse', { loss: [steps, values] }))).toEqual({ status: 'clear' });
  });

  it('fires on the real stalled example (torch SummaryWriter, SGD lr 1e-5)', async () => {
    const { runs } = await ingest([path.join(REPO, 'examples/runs/torch-tensorboard-stall')]);
    const run = runs[0]!;
    const defaults = Object.fromEntries(Object.entries(stall.thresholds).map(([k, t]) => [k, t.value]));
    expect(stall.evaluate(evidenceOf(run), defaults).status).toBe('problem');
  });

  it('stays silent on the real healthy example (Hugging Face Trainer)', async () => {
    const { runs } = await ingest([path.join(REPO, 'examples/runs/hf-healthy/trainer_state.json')]);
    const defaults = Object.fromEntries(Object.entries(stall.thresholds).map(([k, t]) => [k, t.value]));
    expect(stall.evaluate(evidenceOf(runs[0]!), defaults).status).toBe('clear');
  });
});
