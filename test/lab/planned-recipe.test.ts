import { describe, expect, it } from 'vitest';
import { dataOutcomeOf, experimentSetting, healthyConfig, plannedRecipe, settledByExperiment } from '../../src/lab/lab.js';
import { faultByName } from '../../src/lab/faults.js';
import type { Trial } from '../../src/lab/trial.js';
import type { Finding } from '../../src/ladder/finding.js';
import { wordingOf } from '../../src/ladder/findings-text.js';

const finding = (code: string, evidence: Finding['evidence'] = {}, severity: Finding['severity'] = 'warning', runs = ['run']): Finding =>
  ({ code, layer: 'reachability', severity, runs, summary: '', evidence, next: '' }) as Finding;

describe('the sweep recipe planned from a run\'s findings', () => {
  const healthy = healthyConfig('markov3', 0);
  const noWarmup = faultByName('no-warmup').apply(healthy);

  it('keeps the run\'s recipe when nothing names a change', () => {
    expect(plannedRecipe(noWarmup, healthy, [], 'run')).toEqual(noWarmup);
    expect(plannedRecipe(healthy, healthy, [finding('reachability.tuned-gap')], 'run')).toEqual(healthy);
  });

  it('trains twice as long, warmup at its fraction, when not converged', () => {
    const planned = plannedRecipe(healthy, healthy, [finding('reachability.not-converged')], 'run');
    expect(planned).toEqual({ ...healthy, steps: healthy.steps * 2, warmup: healthy.warmup * 2 });
  });

  it('adds the healthy fraction of warmup to an unstable run that had less', () => {
    expect(noWarmup.warmup).toBe(0);
    for (const code of ['reachability.grad-spikes', 'reachability.instability', 'reachability.divergence', 'reachability.frozen-after-blowup']) {
      const planned = plannedRecipe(noWarmup, healthy, [finding(code)], 'run');
      expect(planned.warmup, code).toBe(healthy.warmup);
      expect(planned.lr, code).toBe(noWarmup.lr);
      expect(planned.schedule, code).toBe('constant');
    }
    // With the doubling too, the warmup scales with the steps.
    const both = plannedRecipe(noWarmup, healthy, [finding('reachability.grad-spikes'), finding('reachability.not-converged')], 'run');
    expect(both.steps).toBe(healthy.steps * 2);
    expect(both.warmup).toBe(healthy.warmup * 2);
    // A run with more warmup than the recipe keeps its own.
    const long = { ...healthy, warmup: healthy.steps / 2 };
    expect(plannedRecipe(long, healthy, [finding('reachability.grad-spikes')], 'run').warmup).toBe(long.warmup);
  });

  it('decays a constant rate that ends on a plateau, and only that kind of never-decaying schedule', () => {
    const plateau = plannedRecipe(noWarmup, healthy, [finding('reachability.schedule-never-decays', { kind: 'constant-at-plateau' })], 'run');
    expect(plateau.schedule).toBe(healthy.schedule);
    expect(plateau.warmup).toBe(0);
    const falling = plannedRecipe(noWarmup, healthy, [finding('reachability.schedule-never-decays', { kind: 'constant', stillFalling: true })], 'run');
    expect(falling.schedule).toBe('constant');
  });

  it('ignores info findings and findings about other runs', () => {
    const findings = [finding('reachability.grad-spikes', {}, 'info'), finding('reachability.not-converged', {}, 'warning', ['other'])];
    expect(plannedRecipe(noWarmup, healthy, findings, 'run')).toEqual(noWarmup);
  });
});

describe('what an experiment changed, as the tuned-gap finding names it', () => {
  const healthy = healthyConfig('markov3', 0);
  const noWarmup = faultByName('no-warmup').apply(healthy);

  it('names the rate always, and only the settings that differ', () => {
    expect(experimentSetting({ ...healthy, lr: 0.01 }, healthy)).toBe('learning_rate=0.01');
    // A rate computed by scaling reads as a person would write it.
    expect(0.03 * 30).not.toBe(0.9);
    expect(experimentSetting({ ...healthy, lr: 0.03 * 30 }, healthy)).toBe('learning_rate=0.9');
    // Twice the steps with the warmup scaled along: the warmup is not a change.
    expect(experimentSetting({ ...healthy, steps: healthy.steps * 2, warmup: healthy.warmup * 2 }, healthy)).toBe(`learning_rate=${healthy.lr}, steps=${healthy.steps * 2}`);
    const planned = plannedRecipe(noWarmup, healthy, [finding('reachability.grad-spikes'), finding('reachability.schedule-never-decays', { kind: 'constant-at-plateau' })], 'run');
    expect(experimentSetting({ ...planned, lr: 0.1 }, noWarmup)).toBe(`learning_rate=0.1, warmup_steps=${healthy.warmup}, schedule=cosine`);
    expect(experimentSetting({ ...healthy, corruption: 0 }, { ...healthy, corruption: 0.3 })).toBe(`learning_rate=${healthy.lr}, cleaned training data`);
  });
});

describe('the checks the planned experiment settles', () => {
  it('settles not-converged when it fired, and gradient spikes only at warning level (no damage, finite weights)', () => {
    expect(settledByExperiment([], 'run')).toEqual([]);
    expect(settledByExperiment([finding('reachability.not-converged')], 'run')).toEqual(['reachability.not-converged']);
    expect(settledByExperiment([finding('reachability.not-converged', {}, 'error'), finding('reachability.grad-spikes')], 'run')).toEqual(['reachability.not-converged', 'reachability.grad-spikes']);
    // Damage or non-finite weights (error) are facts; a few small spikes (info) need no settling.
    expect(settledByExperiment([finding('reachability.grad-spikes', {}, 'error')], 'run')).toEqual([]);
    expect(settledByExperiment([finding('reachability.grad-spikes', {}, 'info')], 'run')).toEqual([]);
    expect(settledByExperiment([finding('reachability.grad-spikes', {}, 'warning', ['other'])], 'run')).toEqual([]);
  });
});

describe('the data experiment on a trial', () => {
  const trial = (id: string, training: number, heldout: number) =>
    ({ run: { id }, trainingSample: { loss: training, error: 0.002 }, heldoutAtTrainLength: { loss: heldout, error: 0.002 } }) as unknown as Trial;

  it("scores the trial's training sample against held-out data, naming the model when it is not the run's own", () => {
    // copy with 30 % of its training tokens corrupted (seed 0): the run sat on the plateau, the sweep's best had learned to copy.
    const run = trial('run', 2.745, 2.745);
    const best = trial('best', 2.396, 1.765);
    expect(dataOutcomeOf(run)!.outcome.status).toBe('clear');
    const outcome = dataOutcomeOf(best, run, "the sweep's best (learning_rate=0.01)")!;
    expect(outcome.outcome.status).toBe('problem');
    const evidence = outcome.outcome.status === 'problem' ? outcome.outcome.findings[0]!.evidence : {};
    expect(outcome.outcome.status === 'problem' && outcome.outcome.findings[0]!.runs).toEqual(['best']);
    expect(wordingOf('reachability.train-data-noise').summary(evidence)).toMatch(/^scored in evaluation mode, the final model of the sweep's best \(learning_rate=0\.01\)'s loss on a sample of its own training data is 2\.396/);
    const own = dataOutcomeOf(run)!.outcome;
    expect(wordingOf('reachability.train-data-noise').summary(own.status === 'clear' ? own.findings![0]!.evidence : {})).toMatch(/^scored in evaluation mode, the final model's loss/);
    // A trial already judged is not judged again.
    expect(dataOutcomeOf(run, run)).toBeUndefined();
  });
});
