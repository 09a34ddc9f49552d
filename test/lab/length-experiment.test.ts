import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, LENGTH_EXPERIMENT, healthyConfig, type LabOptions } from '../../src/lab/lab.js';
import type { TrainConfig } from '../../src/lab/faults.js';
import type { Trial } from '../../src/lab/trial.js';

/** A lab whose trials are stand-ins: held-out loss as a function of the steps, no training. */
async function standIn(lossAt: (steps: number) => number, options: LabOptions = {}) {
  const lab = await Lab.start({ workers: 1, ...options });
  const trained: number[] = [];
  lab.trial = async (config: TrainConfig) => {
    trained.push(config.steps);
    return { config, heldoutLoss: lossAt(config.steps) } as unknown as Trial;
  };
  return { lab, trained };
}

describe('the training-length experiment', () => {
  const recipe = { ...healthyConfig('copy', 0), steps: 80, warmup: 8 };
  const plateau = Math.log(16);
  const labs: Lab[] = [];
  afterAll(async () => {
    await Promise.all(labs.map((l) => l.close()));
  });
  let clicksAt640: Awaited<ReturnType<typeof standIn>>;
  beforeAll(async () => {
    clicksAt640 = await standIn((steps) => (steps >= 640 ? 1.4 : plateau - 0.001));
    labs.push(clicksAt640.lab);
  });

  it('doubles once when the longer run has learned something', async () => {
    const { lab, trained } = await standIn((steps) => (steps >= 160 ? 2.0 : plateau));
    labs.push(lab);
    const trials = await lab.lengthExperiment(recipe, plateau);
    expect(trained).toEqual([160]);
    expect(trials.map((t) => t.config.warmup)).toEqual([16]);
  });

  it('keeps doubling while the model predicts no better than its token frequencies, and stops once it does', async () => {
    const trials = await clicksAt640.lab.lengthExperiment(recipe, plateau);
    expect(trials.map((t) => t.config.steps)).toEqual([160, 320, 640]);
    expect(trials.map((t) => t.config.warmup)).toEqual([16, 32, 64]);
  });

  it(`stops at ${LENGTH_EXPERIMENT.maxDoublings} doublings, and the limits are overridable`, async () => {
    const never = await standIn(() => plateau);
    labs.push(never.lab);
    expect((await never.lab.lengthExperiment(recipe, plateau)).map((t) => t.config.steps)).toEqual([160, 320, 640]);
    const once = await standIn(() => plateau, { lengthExperiment: { maxDoublings: 1 } });
    labs.push(once.lab);
    expect((await once.lab.lengthExperiment(recipe, plateau)).map((t) => t.config.steps)).toEqual([160]);
    // A 1 % margin: 0.5 % below the frequencies is still "nothing learned".
    const margin = await standIn((steps) => (steps >= 320 ? plateau * 0.98 : plateau * 0.995));
    labs.push(margin.lab);
    expect((await margin.lab.lengthExperiment(recipe, plateau)).map((t) => t.config.steps)).toEqual([160, 320]);
  });
});
