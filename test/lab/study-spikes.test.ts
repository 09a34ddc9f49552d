import { afterAll, describe, expect, it } from 'vitest';
import { Lab, gridBelow, healthyConfig, spikesOutcome } from '../../src/lab/lab.js';
import type { TrainConfig } from '../../src/lab/faults.js';
import type { Trial } from '../../src/lab/trial.js';
import type { Diagnosis, JudgedOutcome } from '../../src/ladder/diagnose.js';
import type { Finding } from '../../src/ladder/finding.js';

const recipe = healthyConfig('copy-extrapolate', 0);
const idOf = (c: TrainConfig) => `${c.spec.positional}-${c.lr}-${c.seed}-${c.steps}`;
const trialOf = (config: TrainConfig, heldoutLoss: number) => ({ config, heldoutLoss, heldoutError: 0.002, run: { id: idOf(config) } }) as unknown as Trial;
const at = (positional: 'alibi' | 'learned', lr: number, heldoutLoss: number, seed = 0) =>
  trialOf({ ...recipe, lr, seed, spec: { ...recipe.spec, positional } }, heldoutLoss);
const spikes = (runId: string, severity: Finding['severity'] = 'warning'): Finding =>
  ({ code: 'reachability.grad-spikes', layer: 'reachability', severity, runs: [runId], summary: '', evidence: {}, next: '' }) as Finding;

describe("a study's gradient-spike warnings, measured by the lower rate", () => {
  it('settles them when no lower-rate run of the spiking arm beats it beyond noise and 2 %', () => {
    const trials = [at('alibi', 1e-2, 0.13), at('alibi', 3e-3, 0.135), at('learned', 1e-2, 2.0), at('learned', 3e-3, 2.1)];
    const outcome = spikesOutcome([trials[0]!], trials)!;
    expect(outcome.code).toBe('reachability.tuned-gap');
    expect(outcome.settles).toEqual(['reachability.grad-spikes']);
    expect(outcome.outcome.status).toBe('clear');
    // Only the spiking run's own architecture is compared: learned positions at 3e-3 are not a remedy for ALiBi's run.
    const evidence = outcome.outcome.status === 'clear' ? outcome.outcome.findings?.[0]?.evidence : undefined;
    expect(evidence?.bestSetting).toBe('learning_rate=0.003');
    expect(evidence?.settings).toBe(2);
  });

  it('fails the tuned gap when the lower rate gains beyond noise and 2 %, reporting the spiking run that lost the most', () => {
    const trials = [at('alibi', 1e-2, 0.13), at('alibi', 3e-3, 0.129), at('learned', 1e-2, 2.0), at('learned', 3e-3, 1.5, 1)];
    const outcome = spikesOutcome([trials[0]!, trials[2]!], trials)!;
    expect(outcome.outcome.status).toBe('problem');
    const evidence = outcome.outcome.status === 'problem' ? outcome.outcome.findings[0]!.evidence : {};
    expect(evidence.value).toBe(2.0);
    expect(evidence.bestSetting).toBe('learning_rate=0.003, seed=1');
  });

  it('has nothing to say without a lower-rate run of the same architecture and steps', () => {
    const trials = [at('alibi', 3e-3, 0.13), at('alibi', 1e-2, 0.12), at('learned', 1e-3, 2.0), trialOf({ ...recipe, lr: 1e-3, steps: recipe.steps * 2 }, 0.1)];
    expect(spikesOutcome([trials[0]!], trials)).toBeUndefined();
  });
});

describe('settledStudy trains the lower rate a spiking arm lacks', () => {
  const labs: Lab[] = [];
  afterAll(async () => {
    await Promise.all(labs.map((l) => l.close()));
  });

  async function standIn(loss: (c: TrainConfig) => number) {
    const lab = await Lab.start({ workers: 1 });
    labs.push(lab);
    const trained: TrainConfig[] = [];
    lab.trial = async (config: TrainConfig) => {
      trained.push(config);
      return trialOf(config, loss(config));
    };
    return { lab, trained };
  }

  /** A judge that reports a spike warning (or error) on the run named, and records the extra outcomes it was given. */
  const judgeWith = (runId: string, severity: Finding['severity'], seen: JudgedOutcome[][]) => (trials: Trial[], extra: JudgedOutcome[] = []) => {
    seen.push(extra);
    const settled = extra.some((o) => o.outcome.status === 'clear' && o.settles?.includes('reachability.grad-spikes'));
    const findings = settled || !trials.some((t) => t.run.id === runId) ? [] : [spikes(runId, severity)];
    return { verdict: { layer: findings.length > 0 ? 'reachability' : 'perception' }, findings } as unknown as Diagnosis;
  };

  it('builds the study once, trains one grid step below the spiking run, and judges again with the measurement', async () => {
    const { lab, trained } = await standIn((c) => (c.lr < recipe.lr ? 0.135 : 0.13));
    const study = (r: TrainConfig) => lab.trials([r, { ...r, spec: { ...r.spec, positional: 'learned' } }]);
    const seen: JudgedOutcome[][] = [];
    const { diagnosis } = await lab.settledStudy(recipe, study, judgeWith(idOf(recipe), 'warning', seen));
    expect(trained.map((c) => [c.spec.positional, c.lr])).toEqual([
      ['alibi', recipe.lr],
      ['learned', recipe.lr],
      ['alibi', gridBelow(recipe.lr)],
    ]);
    expect(seen.at(-1)!.map((o) => o.settles)).toEqual([['reachability.grad-spikes']]);
    expect(diagnosis.verdict.layer).toBe('perception');
  });

  it('leaves spike errors (lasting damage, non-finite weights) alone', async () => {
    const { lab, trained } = await standIn(() => 0.13);
    const study = (r: TrainConfig) => lab.trials([r]);
    const seen: JudgedOutcome[][] = [];
    const { diagnosis } = await lab.settledStudy(recipe, study, judgeWith(idOf(recipe), 'error', seen));
    expect(trained).toHaveLength(1);
    expect(seen).toEqual([[]]);
    expect(diagnosis.verdict.layer).toBe('reachability');
  });
});
