import { afterAll, describe, expect, it } from 'vitest';
import { Lab, SEED_EXPERIMENT, healthyConfig, seedExperiment, type LabOptions } from '../../src/lab/lab.js';
import type { TrainConfig } from '../../src/lab/faults.js';
import type { Trial } from '../../src/lab/trial.js';
import type { Diagnosis } from '../../src/ladder/diagnose.js';
import type { Finding } from '../../src/ladder/finding.js';

const recipe = healthyConfig('lookup', 0);
const mlp = { ...recipe, spec: { ...recipe.spec, mixer: 'mlp' as const } };
const idOf = (c: TrainConfig) => `${c.spec.mixer}-${c.lr}-${c.steps}-seed${c.seed}`;
const trialOf = (config: TrainConfig, heldoutLoss = 1.9) => ({ config, heldoutLoss, heldoutError: 0.002, run: { id: idOf(config) } }) as unknown as Trial;
const seedNoise = (runs: string[], seedsNeeded: number | null, severity: Finding['severity'] = 'warning'): Finding =>
  ({ code: 'observation.seed-noise', layer: 'observation', severity, runs, summary: '', evidence: { seedsNeeded }, next: '' }) as Finding;

describe('the seed experiment observation.seed-noise names', () => {
  const attention = [0, 1, 2].map((seed) => trialOf({ ...recipe, seed }));
  const mlpBest = trialOf({ ...mlp, lr: 3e-2 });
  const mlpOther = [0, 1].map((seed) => trialOf({ ...mlp, seed }));
  const trials = [...attention, mlpBest, ...mlpOther];
  const compared = [...attention, mlpBest].map((t) => t.run.id);

  it('tops each compared setting up to the seeds the gap needs, counting up from its highest seed', () => {
    const configs = seedExperiment([seedNoise(compared, 5)], trials, 12);
    expect(configs.map((c) => [c.spec.mixer, c.lr, c.seed])).toEqual([
      ['attention', recipe.lr, 3],
      ['attention', recipe.lr, 4],
      ['mlp', 3e-2, 1],
      ['mlp', 3e-2, 2],
      ['mlp', 3e-2, 3],
      ['mlp', 3e-2, 4],
    ]);
    // Everything but the seed is the compared setting's: the MLP's other setting (lr 1e-2, two seeds) is not touched.
    for (const c of configs) expect({ ...c, seed: 0 }).toEqual(c.spec.mixer === 'mlp' ? { ...mlp, lr: 3e-2, seed: 0 } : { ...recipe, seed: 0 });
  });

  it('trains nothing for a clear comparison, a zero gap, or more seeds than the limit', () => {
    expect(seedExperiment([seedNoise(compared, 5, 'info')], trials, 12)).toEqual([]);
    expect(seedExperiment([seedNoise(compared, null)], trials, 12)).toEqual([]);
    expect(seedExperiment([seedNoise(compared, 13)], trials, 12)).toEqual([]);
    expect(seedExperiment([seedNoise(compared, 3)], trials, 12).map((c) => c.seed)).toEqual([1, 2]);
    expect(seedExperiment([], trials, 12)).toEqual([]);
    expect(SEED_EXPERIMENT.maxSeedsPerArm).toBe(12);
  });
});

describe('settledStudy runs the seed experiment and judges the study again with it', () => {
  const labs: Lab[] = [];
  afterAll(async () => {
    await Promise.all(labs.map((l) => l.close()));
  });

  async function standIn(options: LabOptions = {}) {
    const lab = await Lab.start({ workers: 1, ...options });
    labs.push(lab);
    const trained: TrainConfig[] = [];
    lab.trial = async (config: TrainConfig) => {
      trained.push(config);
      return trialOf(config);
    };
    return { lab, trained };
  }

  /** A judge whose seed-noise finding asks for 5 seeds per arm until both settings have them. */
  const judge = (trials: Trial[]) => {
    const counts = ['attention', 'mlp'].map((mixer) => trials.filter((t) => t.config.spec.mixer === mixer).length);
    const findings = counts.some((n) => n < 5) ? [seedNoise(trials.map((t) => t.run.id), 5)] : [];
    return { verdict: { layer: findings.length > 0 ? 'observation' : 'instantiation' }, findings } as unknown as Diagnosis;
  };
  const study = (lab: Lab) => (r: TrainConfig) => lab.trials([0, 1, 2].flatMap((seed) => [{ ...r, seed }, { ...mlp, steps: r.steps, seed }]));

  it('trains two more seeds of each arm, and the verdict is the one the seeds settle', async () => {
    const { lab, trained } = await standIn();
    const { trials, diagnosis } = await lab.settledStudy(recipe, study(lab), judge);
    expect(trained).toHaveLength(10);
    expect(trained.slice(6).map((c) => [c.spec.mixer, c.seed])).toEqual([
      ['attention', 3],
      ['attention', 4],
      ['mlp', 3],
      ['mlp', 4],
    ]);
    expect(trials).toHaveLength(10);
    expect(diagnosis.verdict.layer).toBe('instantiation');
  });

  it('keeps to the limit LabOptions.seedExperiment sets', async () => {
    const { lab, trained } = await standIn({ seedExperiment: { maxSeedsPerArm: 4 } });
    const { diagnosis } = await lab.settledStudy(recipe, study(lab), judge);
    expect(trained).toHaveLength(6);
    expect(diagnosis.verdict.layer).toBe('observation');
  });
});
