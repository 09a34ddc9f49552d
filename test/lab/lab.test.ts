import { beforeAll, describe, expect, it } from 'vitest';
import { startEngine, type Engine } from '../../src/lab/engine/index.js';
import { healthyConfig, runTrial } from '../../src/lab/lab.js';
import { diagnoseRun } from '../../src/ladder/diagnose.js';
import { trainDataOutcome } from '../../src/ladder/train-data-gap.js';
import { groupedLoss } from '../../src/lab/trial.js';
import { worldEntry } from '../../src/lab/worlds/index.js';
import { createRng } from '../../src/stats/rng.js';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine('jax');
});

/** A short healthy recipe: enough steps for the logs, small enough for a test. */
const tiny = { ...healthyConfig('markov1', 3), steps: 40, warmup: 4, evaluations: 4, evalSize: 128 };

describe('lab trials', () => {
  it('a seeded trial reproduces bit for bit: same logs, same losses, same verdict', async () => {
    const a = await runTrial(engine, tiny);
    const b = await runTrial(engine, tiny);
    for (const name of ['train/loss', 'train/grad_norm', 'train/lr', 'eval/loss', 'eval/accuracy']) {
      expect(Array.from(b.run.series[name]!.values), name).toEqual(Array.from(a.run.series[name]!.values));
    }
    expect(b.freshLoss).toBe(a.freshLoss);
    expect(b.heldoutLoss).toBe(a.heldoutLoss);
    expect(diagnoseRun(b.run).verdict.layer).toBe(diagnoseRun(a.run).verdict.layer);
    const other = await runTrial(engine, { ...tiny, seed: 4 });
    expect(other.run.series['train/loss']!.values[0]).not.toBe(a.run.series['train/loss']!.values[0]);
  });

  it('logs like a real run: every step, evaluations at intervals, eval size and roles', async () => {
    const trial = await runTrial(engine, tiny);
    const { run } = trial;
    expect(run.series['train/loss']!.steps.length).toBe(40);
    expect(Array.from(run.series['eval/loss']!.steps)).toEqual([0, 10, 20, 30, 40]);
    expect(run.hparams.eval_size).toBe(128);
    expect(run.hparams.learning_rate).toBe(tiny.lr);
    expect(run.hparams.num_classes).toBe(16);
    expect(run.roles).toEqual({ trainLoss: 'train/loss', valLoss: 'eval/loss', lr: 'train/lr', gradNorm: 'train/grad_norm', valMetrics: ['eval/accuracy'] });
    // The warmup ramps to the peak, then cosine decays.
    const lr = run.series['train/lr']!.values;
    expect(lr[3]).toBeCloseTo(tiny.lr, 12);
    expect(lr[39]).toBeLessThan(0.01 * tiny.lr);
    // Losses start near ln 16 and the exact Bayes loss is a floor no estimate beats by more than noise.
    expect(run.series['train/loss']!.values[0]).toBeGreaterThan(0.8 * Math.log(16));
    expect(trial.reportedLoss).toBe(trial.evalLoss);
  });

  it('a shifted label map is scored exactly as rolled output columns: accuracy collapses while training is the same', async () => {
    const plain = await runTrial(engine, tiny);
    const shifted = await runTrial(engine, { ...tiny, labelShift: 1 });
    expect(Array.from(shifted.run.series['train/loss']!.values)).toEqual(Array.from(plain.run.series['train/loss']!.values));
    expect(shifted.freshLoss).toBe(plain.freshLoss);
    expect(shifted.evalAccuracy).toBeLessThan(plain.evalAccuracy / 2);
    expect(shifted.evalLoss).toBeGreaterThan(plain.evalLoss + 0.3);
  });

  it('a grouped standard error from one evaluation equals evaluating each group alone, bit for bit (50 sequences in 8 groups of 6)', async () => {
    const model = engine.createModel(tiny.spec, 2);
    const sequences = worldEntry('markov1').create(3).sample(50, 32, createRng(9));
    const grouped = groupedLoss(await engine.evaluate(model, sequences), 8);
    const means: number[] = [];
    for (let g = 0; g < 8; g++) means.push((await engine.evaluate(model, sequences.slice(6 * g, 6 * g + 6))).lossPerToken);
    model.dispose();
    const mean = means.reduce((a, b) => a + b, 0) / 8;
    expect(grouped.loss).toBe(mean);
    expect(grouped.error).toBe(Math.sqrt(means.reduce((s, m) => s + (m - mean) ** 2, 0) / 7) / Math.sqrt(8));
    expect(grouped.error).toBeGreaterThan(0);
  });

  it('ladder names observation for an eval of 50 sequences, from its small-eval check', async () => {
    const trial = await runTrial(engine, { ...tiny, evalSize: 50 });
    const diagnosis = diagnoseRun(trial.run);
    expect(diagnosis.verdict.layer).toBe('observation');
    expect(diagnosis.findings.map((f) => f.code)).toContain('observation.small-eval');
  });

  it("the data experiment: trained on 30 % corrupted tokens, the model scores worse on its own training data than on held-out data; trained clean, it does not", async () => {
    const recipe = { ...tiny, steps: 120, warmup: 12 };
    const judged = (t: Awaited<ReturnType<typeof runTrial>>) =>
      trainDataOutcome(t.run.id, { value: t.trainingSample.loss, error: t.trainingSample.error }, { value: t.heldoutAtTrainLength.loss, error: t.heldoutAtTrainLength.error }).outcome.status;
    const clean = await runTrial(engine, recipe);
    const corrupt = await runTrial(engine, { ...recipe, corruption: 0.3 });
    expect(clean.heldoutAtTrainLength).toEqual({ loss: clean.heldoutLoss, error: clean.heldoutError });
    expect(Math.abs(clean.trainingSample.loss - clean.heldoutLoss)).toBeLessThan(3 * Math.hypot(clean.trainingSample.error, clean.heldoutError) + 0.01);
    expect(judged(clean)).toBe('clear');
    expect(corrupt.trainingSample.loss).toBeGreaterThan(corrupt.heldoutLoss * 1.05);
    expect(judged(corrupt)).toBe('problem');
  });
});
