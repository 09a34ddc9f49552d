import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collapse } from '../../../src/checks/reachability/collapse.js';
import { ingest } from '../../../src/ingest/ingest.js';
import { decayingLoss, range, runWithSeries } from '../../support/runs.js';
import { REPO } from '../../support/corpus.js';
import { evaluate } from '../observation/support.js';

const steps = range(400, 5);
const evalSteps = range(10, 200);

function run(accuracy: number[], loss: number[], hparams = {}) {
  return runWithSeries('r', { loss: [steps, decayingLoss(steps, 1.4, 1.0, 300, 0.05, 1)], eval_accuracy: [evalSteps, accuracy], eval_loss: [evalSteps, loss] }, hparams);
}

describe('reachability.collapse', () => {
  const movingLoss = evalSteps.map((s) => 1.01 + 0.03 * Math.sin(s));

  it('fires when the accuracy repeats to the last digit while the loss moves (known eval size)', () => {
    const accuracy = [0.39, 0.45, 0.47, 0.503, 0.503, 0.503, 0.503, 0.503, 0.503, 0.503];
    const outcome = evaluate(collapse, run(accuracy, movingLoss, { eval_size: 1000 }));
    expect(outcome.status).toBe('problem');
    if (outcome.status === 'problem') expect(outcome.findings[0]!.evidence).toMatchObject({ accuracy: 0.503, evaluations: 7, fromStep: 800, evalSize: 1000 });
  });

  it('stays silent when the accuracy still moves, when it is perfect, on a small eval set, and when the loss is frozen too', () => {
    const moving = evalSteps.map((_, i) => 0.5 + i * 0.01);
    expect(evaluate(collapse, run(moving, movingLoss, { eval_size: 1000 })).status).toBe('clear');
    expect(evaluate(collapse, run(evalSteps.map(() => 1), movingLoss, { eval_size: 1000 })).status).toBe('clear');
    expect(evaluate(collapse, run(evalSteps.map(() => 0.6), movingLoss, { eval_size: 5 })).status).toBe('unknown');
    expect(evaluate(collapse, run(evalSteps.map(() => 0.6), evalSteps.map(() => 1.2), { eval_size: 1000 })).status).toBe('clear');
  });

  it('asks for twice as many identical evaluations when the eval size is unknown', () => {
    const accuracy = [0.39, 0.45, 0.47, 0.48, 0.503, 0.503, 0.503, 0.503, 0.503, 0.503];
    expect(evaluate(collapse, run(accuracy, movingLoss, { eval_size: 1000 })).status).toBe('problem');
    expect(evaluate(collapse, run(accuracy, movingLoss)).status).toBe('clear');
  });

  it('fires on the real run at 30× the learning rate (collapsed to the majority class) and not on its healthy twin', async () => {
    const high = (await ingest([path.join(REPO, 'examples/runs/hf-lr-too-high/trainer_state.json')])).runs[0]!;
    const outcome = evaluate(collapse, high);
    expect(outcome.status).toBe('problem');
    if (outcome.status === 'problem') expect(outcome.findings[0]!.evidence).toMatchObject({ accuracy: 0.503, evalSize: 1000 });
    const healthy = (await ingest([path.join(REPO, 'examples/runs/hf-healthy/trainer_state.json')])).runs[0]!;
    expect(evaluate(collapse, healthy).status).toBe('clear');
  });
});
