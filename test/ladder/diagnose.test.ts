import { describe, expect, it } from 'vitest';
import { diagnoseRun } from '../../src/ladder/diagnose.js';
import { diagnosisToJson } from '../../src/ladder/to-json.js';
import { assignRoles } from '../../src/ingest/roles.js';
import { decayingLoss, range, runWithSeries } from '../support/runs.js';
import type { Run } from '../../src/model/run.js';

const steps = range(200, 10);
const evalSteps = range(10, 200);

function withRoles(run: Run): Run {
  run.roles = assignRoles(run);
  return run;
}

describe('the verdict engine', () => {
  it('names reachability for a stalled run and gates the layers above it', () => {
    const run = withRoles(
      runWithSeries('stalled', {
        loss: [steps, decayingLoss(steps, 2.31, 2.3, 400, 0.02, 1)],
        eval_loss: [evalSteps, decayingLoss(evalSteps, 2.31, 2.3, 400, 0.01, 2)],
      }, { learning_rate: 1e-5 }),
    );
    const d = diagnoseRun(run);
    expect(d.verdict.layer).toBe('reachability');
    expect(d.layers.map((l) => [l.layer, l.status])).toEqual([
      ['observation', 'pass'],
      ['reachability', 'fail'],
      ['instantiation', 'gated'],
      ['perception', 'gated'],
    ]);
    expect(d.findings.map((f) => f.code)).toEqual(['reachability.stall']);
    // a gated layer still names what would decide it, as data the runner can execute
    expect(d.layers[2]!.experiment).toMatchObject({ kind: 'nuisance-sweep', vary: { learning_rate: [1e-5 / 3, 1e-5, 1e-5 * 3] } });
  });

  it('a failing observation comes first and gates everything above it', () => {
    const run = withRoles(
      runWithSeries('frozen-eval', {
        loss: [steps, steps.map((s) => (s < 1000 ? 2.3 : Number.NaN))],
        eval_accuracy: [evalSteps, evalSteps.map(() => 0.1)],
      }),
    );
    // training moves before it blows up? no: the loss is flat then NaN, so the eval check stays silent
    const d = diagnoseRun(run);
    expect(d.verdict.layer).toBe('reachability');

    const moving = withRoles(
      runWithSeries('frozen-eval-2', {
        loss: [steps, decayingLoss(steps, 2.3, 0.3, 300, 0.05, 3)],
        eval_accuracy: [evalSteps, evalSteps.map(() => 0.1)],
      }),
    );
    const d2 = diagnoseRun(moving);
    expect(d2.verdict.layer).toBe('observation');
    expect(d2.layers.map((l) => l.status)).toEqual(['fail', 'gated', 'gated', 'gated']);
  });

  it('reports an inconclusive observation without gating reachability, and names the experiment', () => {
    const run = withRoles(runWithSeries('train-only', { loss: [steps, decayingLoss(steps, 2.3, 0.3, 300, 0.05, 4)] }));
    const d = diagnoseRun(run);
    expect(d.layers[0]).toMatchObject({ layer: 'observation', status: 'inconclusive', experiment: { kind: 'validation-run' } });
    expect(d.layers[1]!.status).toBe('pass');
  });

  it('lets thresholds be overridden by name', () => {
    // an 8% drop: progress at the default 5%, a stall when a researcher asks for 10%
    const values = decayingLoss(steps, 2.3, 2.1, 300, 0.002, 5);
    const run = withRoles(runWithSeries('slow', { loss: [steps, values] }));
    expect(diagnoseRun(run).findings.map((f) => f.code)).not.toContain('reachability.stall');
    const strict = diagnoseRun(run, { thresholds: { 'reachability.stall': { minRelativeDrop: 0.1 } } });
    expect(strict.verdict.layer).toBe('reachability');
    expect(strict.findings.map((f) => f.code)).toContain('reachability.stall');
  });

  it('writes the ladder.diagnosis/v1 contract', () => {
    const run = withRoles(runWithSeries('stalled', { loss: [steps, decayingLoss(steps, 2.31, 2.3, 400, 0.02, 1)] }));
    const json = diagnosisToJson(diagnoseRun(run), []);
    expect(json.schema).toBe('ladder.diagnosis/v1');
    expect(json.verdict.layer).toBe('reachability');
    expect(json.layers.map((l) => l.layer)).toEqual(['observation', 'reachability', 'instantiation', 'perception']);
    expect(json.findings[0]).toMatchObject({ code: 'reachability.stall', layer: 'reachability', severity: 'error', runs: ['stalled'] });
    expect(Object.keys(json.budget)).toEqual(['observation', 'reachability', 'instantiation', 'perception']);
  });
});
