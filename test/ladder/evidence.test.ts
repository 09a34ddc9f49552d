import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingest } from '../../src/ingest/ingest.js';
import { evidenceOf } from '../../src/ladder/evidence.js';
import { REPO } from '../support/corpus.js';
import { runWithSeries } from '../support/runs.js';

/** What the Trainer logs for an evaluation of n items that took `seconds`. */
function speed(n: number, seconds: number): [number, number] {
  return [Math.round(seconds * 1e4) / 1e4, Math.round((n / seconds) * 1e3) / 1e3];
}

function runOf(evals: [number, number][]) {
  const steps = evals.map((_, i) => (i + 1) * 100);
  return runWithSeries('r', {
    eval_runtime: [steps, evals.map((e) => e[0])],
    eval_samples_per_second: [steps, evals.map((e) => e[1])],
  });
}

describe('evaluation size from the Trainer\'s speed metrics', () => {
  it('recovers n when the intervals of all evaluations hold exactly one whole number', () => {
    const evals = [0.1143, 0.1187, 0.1102, 0.125, 0.1199].map((s) => speed(2000, s));
    expect(evidenceOf(runOf(evals)).evalSize).toBe(2000);
    expect(evidenceOf(runOf([speed(872, 3.2113), speed(872, 2.9871)])).evalSize).toBe(872);
  });

  it('stays silent when one fast evaluation leaves several counts possible', () => {
    expect(evidenceOf(runOf([speed(2000, 0.0113)])).evalSize).toBeUndefined();
  });

  it('stays silent when evaluations disagree (the eval set changed size)', () => {
    expect(evidenceOf(runOf([speed(2000, 1.5), speed(1000, 1.5)])).evalSize).toBeUndefined();
  });

  it('prefers a size the run states', () => {
    const run = runOf([speed(2000, 1.5)]);
    run.hparams = { eval_size: 1999 };
    expect(evidenceOf(run).evalSize).toBe(1999);
  });

  it('finds the 1,000-item evaluation of the real healthy example', async () => {
    const { runs } = await ingest([path.join(REPO, 'examples/runs/hf-healthy/trainer_state.json')]);
    expect(evidenceOf(runs[0]!).evalSize).toBe(1000);
  });

  it('finds the suite\'s 2,000-item evaluation in a real Trainer log', async () => {
    const { runs } = await ingest([path.join(REPO, 'test/fixtures/diagnosis-suite/runs/below-chance-hf')]);
    const evidence = evidenceOf(runs[0]!);
    expect(evidence.evalSize).toBe(2000);
    expect(evidence.classes).toBe(10);
  });
});
