import { afterAll, describe, expect, it } from 'vitest';
import { Lab, LENGTH_EXPERIMENT, armEstimates, doublingOutcome, healthyConfig, lengthOutcome, sweepBest, type LabOptions } from '../../src/lab/lab.js';
import type { Diagnosis, JudgedOutcome } from '../../src/ladder/diagnose.js';
import type { TrainConfig } from '../../src/lab/faults.js';
import type { Trial } from '../../src/lab/trial.js';

/** A stand-in trial: held-out loss as a function of the steps (standard error 0.005), no training. */
const trialOf = (config: TrainConfig, lossAt: (steps: number) => number) => {
  const loss = { loss: lossAt(config.steps), error: 0.005 };
  return { config, heldoutLoss: loss.loss, heldoutError: loss.error, heldoutAtTrainLength: loss } as unknown as Trial;
};

const labs: Lab[] = [];
afterAll(async () => {
  await Promise.all(labs.map((l) => l.close()));
});

/** A lab whose trials are stand-ins, recording the steps it was asked to train. */
async function standIn(lossAt: (steps: number) => number, options: LabOptions = {}) {
  const lab = await Lab.start({ workers: 1, ...options });
  labs.push(lab);
  const trained: number[] = [];
  lab.trial = async (config: TrainConfig) => {
    trained.push(config.steps);
    return trialOf(config, lossAt);
  };
  return { lab, trained };
}

describe('the training-length experiment', () => {
  const recipe = { ...healthyConfig('copy', 0), steps: 80, warmup: 8 };
  const plateau = Math.log(16);
  /** A saturating curve: 2.0 at 80 steps, 1.0 from 640 on (each doubling up to 640 pays). */
  const saturating = (steps: number) => (steps >= 640 ? 1.0 : 1.0 + 80 / steps);

  it('doubles once when the doubling does not pay and the model has learned something', async () => {
    const flat = (steps: number) => 1.5 - steps * 1e-6;
    const { lab, trained } = await standIn(flat);
    const trials = await lab.lengthExperiment(trialOf(recipe, flat), plateau);
    expect(trained).toEqual([160]);
    expect(trials.map((t) => t.config.warmup)).toEqual([16]);
  });

  it('keeps doubling while it pays, scaling the warmup, and stops at the doubling that does not', async () => {
    const { lab } = await standIn(saturating);
    const trials = await lab.lengthExperiment(trialOf({ ...recipe, steps: 40, warmup: 4 }, saturating), plateau);
    expect(trials.map((t) => t.config.steps)).toEqual([80, 160, 320]);
    expect(trials.map((t) => t.config.warmup)).toEqual([8, 16, 32]);
    const fromTen = await lab.lengthExperiment(trialOf({ ...recipe, steps: 320, warmup: 32 }, saturating), plateau);
    // 640 pays over 320 (1.25 → 1.0), 1280 does not: two doublings.
    expect(fromTen.map((t) => t.config.steps)).toEqual([640, 1280]);
  });

  it('keeps doubling while the model predicts no better than its token frequencies, and stops once it does', async () => {
    const clicks = (steps: number) => (steps >= 640 ? 1.4 : plateau - 0.001);
    const { lab } = await standIn(clicks);
    const trials = await lab.lengthExperiment(trialOf(recipe, clicks), plateau);
    expect(trials.map((t) => t.config.steps)).toEqual([160, 320, 640]);
  });

  it('counts the sweep trained at twice the steps as the first doubling, and goes on from it only if it paid over the run', async () => {
    const { lab, trained } = await standIn(saturating);
    const run = trialOf({ ...recipe, steps: 40, warmup: 4 }, saturating);
    const sweepBest = trialOf(recipe, saturating);
    expect((await lab.lengthExperiment(sweepBest, plateau, undefined, run)).map((t) => t.config.steps)).toEqual([160, 320]);
    trained.length = 0;
    const flat = (steps: number) => 1.5 - steps * 1e-6;
    expect(await lab.lengthExperiment(trialOf(recipe, flat), plateau, undefined, trialOf({ ...recipe, steps: 40 }, flat))).toEqual([]);
    expect(trained).toEqual([]);
  });

  it(`stops at ${LENGTH_EXPERIMENT.maxDoublings} doublings, ${LENGTH_EXPERIMENT.maxDoublingsUnlearned} while nothing is learned; the limits are overridable`, async () => {
    const never = await standIn(() => plateau);
    expect((await never.lab.lengthExperiment(trialOf(recipe, () => plateau), plateau)).map((t) => t.config.steps)).toEqual([160, 320, 640, 1280]);
    // Learned at the fourth doubling (the induction head forming late): the experiment sees it.
    const late = (steps: number) => (steps >= 1280 ? 1.4 : plateau - 0.001);
    const lateLab = await standIn(late);
    expect((await lateLab.lab.lengthExperiment(trialOf(recipe, late), plateau)).map((t) => t.heldoutLoss).at(-1)).toBe(1.4);
    // Paying but learned: the ordinary limit.
    const paying = (steps: number) => 1.0 + 80 / steps;
    const payingLab = await standIn(paying);
    expect((await payingLab.lab.lengthExperiment(trialOf(recipe, paying), plateau)).map((t) => t.config.steps)).toEqual([160, 320, 640]);
    const once = await standIn(() => plateau, { lengthExperiment: { maxDoublings: 1, maxDoublingsUnlearned: 1 } });
    expect((await once.lab.lengthExperiment(trialOf(recipe, () => plateau), plateau)).map((t) => t.config.steps)).toEqual([160]);
    // A 5 % margin: 4 % below the frequencies is still "nothing learned"; 5.5 % below is not
    // (and 0.96 → 0.945 of the plateau is a 1.6 % gain, under the 2 % that pays).
    const margin = (steps: number) => (steps >= 320 ? plateau * 0.945 : plateau * 0.96);
    const near = await standIn(margin);
    expect((await near.lab.lengthExperiment(trialOf(recipe, margin), plateau)).map((t) => t.config.steps)).toEqual([160, 320]);
  });
});

describe('the training length the experiment settled', () => {
  const plateau = Math.log(16);
  const recipe = { ...healthyConfig('markov1', 0), steps: 20, warmup: 2 };
  const at = (steps: number, heldoutLoss: number, heldoutError = 0.005) => ({ config: { ...recipe, steps }, heldoutLoss, heldoutError, heldoutAtTrainLength: { loss: heldoutLoss, error: heldoutError } }) as unknown as Trial;

  it('is the last run whose doubling paid (beyond noise and 2 %), where the capacity alternative is compared', async () => {
    const { lab } = await standIn(() => 1);
    // markov1 `short`: 20 steps 2.17, then 1.95, 1.84, 1.82 (1.1 %, under 2 %): settled at 80.
    expect(lab.settledLength([at(20, 2.17), at(40, 1.95), at(80, 1.84), at(160, 1.82)], plateau).config.steps).toBe(80);
    // The first doubling did not pay: the sweep's best itself, at its own steps.
    expect(lab.settledLength([at(200, 1.82), at(400, 1.81)], plateau).config.steps).toBe(200);
    expect(lab.settledLength([at(200, 1.82)], plateau).config.steps).toBe(200);
    // A gain of 3 % within noise does not pay, and the chain stops counting there.
    expect(lab.settledLength([at(20, 2.0), at(40, 1.94, 0.05), at(80, 1.5)], plateau).config.steps).toBe(20);
    // Still paying at the last doubling: the last.
    expect(lab.settledLength([at(20, 2.0), at(40, 1.8), at(80, 1.6)], plateau).config.steps).toBe(80);
    // copy `short`: on the frequency plateau (ln 16) at 80, 160 and 320 steps, learned at 640,
    // and 1,280 gained under 2 %: settled at 640.
    const copy = [at(80, plateau - 0.001), at(160, plateau - 0.002), at(320, plateau - 0.001), at(640, 1.36), at(1280, 1.35)];
    expect(lab.settledLength(copy, plateau).config.steps).toBe(640);
  });
});

describe("a study's doubling, measured", () => {
  const recipe = healthyConfig('markov3', 0);
  const arm = (width: number, steps: number, heldoutLoss: number, lr = recipe.lr) =>
    ({ config: { ...recipe, steps, lr, spec: { ...recipe.spec, width } }, heldoutLoss, heldoutError: 0.002, heldoutAtTrainLength: { loss: heldoutLoss, error: 0.002 }, run: { id: `w${width}-${steps}-${lr}` } }) as unknown as Trial;

  it('takes the arm that gained the most, and settles not-converged only when no arm gained beyond noise and 2 %', () => {
    const before = [arm(16, 1600, 0.75), arm(16, 1600, 0.76, 0.01), arm(4, 1600, 0.9)];
    const flat = doublingOutcome(before, [arm(16, 3200, 0.745), arm(4, 3200, 0.895)])!;
    expect(flat.settles).toEqual(['reachability.not-converged']);
    expect(flat.outcome.status).toBe('clear');
    const gained = doublingOutcome(before, [arm(16, 3200, 0.745), arm(4, 3200, 0.85)])!;
    expect(gained.outcome.status).toBe('problem');
    const evidence = gained.outcome.status === 'problem' ? gained.outcome.findings[0]!.evidence : {};
    expect(evidence.setting).toBe('width=4, positional=learned, mixer=attention, learning_rate=0.03, steps=1600');
    expect(evidence.bestSetting).toContain('steps=3200');
    // The best of each arm is compared, whatever its rate (0.75, not 0.76); width 16 gained
    // 0.67 %, width 4 0.56 %.
    expect(flat.outcome.status === 'clear' && flat.outcome.findings?.[0]?.evidence.value).toBe(0.75);
    expect(doublingOutcome([arm(8, 1600, 1)], [arm(16, 3200, 0.7)])).toBeUndefined();
  });

  it('reports the last doubling of each arm that went on, and keeps not-converged when the longer runs undo the arms\' order', () => {
    // Width 4 gained 13 % from the study's doubling, then 4 % and 1 % more; width 16 0.7 %.
    const wide = [arm(16, 1600, 0.724), arm(16, 3200, 0.719)];
    const narrow = [arm(4, 1600, 1.01), arm(4, 3200, 0.88), arm(4, 6400, 0.845), arm(4, 12800, 0.837)];
    const study = [wide[1]!, narrow[1]!];
    const settled = lengthOutcome([wide, narrow], study)!;
    expect(settled.outcome.status).toBe('clear');
    expect(settled.settles).toEqual(['reachability.not-converged']);
    const evidence = settled.outcome.status === 'clear' ? settled.outcome.findings?.[0]?.evidence : undefined;
    expect(evidence?.setting).toContain('steps=6400');
    expect(evidence?.bestSetting).toContain('steps=12800');
    // Still gaining at the last doubling: a problem, as the study's doubling alone was.
    const gaining = lengthOutcome([wide, narrow.slice(0, 3)], study)!;
    expect(gaining.outcome.status).toBe('problem');
    // Trained longer, width 4 caught up with width 16: the comparison depends on the length.
    const caughtUp = [...narrow.slice(0, 3), arm(4, 12800, 0.72)];
    const undone = lengthOutcome([wide, caughtUp], study)!;
    expect(undone.outcome.status).toBe('problem');
    const flatAgain = [...narrow.slice(0, 2), arm(4, 6400, 0.725), arm(4, 12800, 0.7235)];
    const overturned = lengthOutcome([wide, flatAgain], study)!;
    expect(overturned.outcome.status).toBe('clear');
    expect(overturned.settles).toBeUndefined();
  });

  it('settles it when the arm still gaining stays behind the best arm after four more such doublings', () => {
    // markov2 width4, seed 1: width 4 gained 0.054 from 3,200 to 6,400 steps (1.768 → 1.714),
    // less than the doubling before, 0.47 nats behind width 16.
    const wide = [arm(16, 1600, 1.25), arm(16, 3200, 1.244)];
    const narrow = [arm(4, 1600, 1.843), arm(4, 3200, 1.768), arm(4, 6400, 1.714)];
    const study = [wide[1]!, narrow[1]!];
    const outlasted = lengthOutcome([wide, narrow], study)!;
    expect(outlasted.outcome.status).toBe('clear');
    expect(outlasted.settles).toEqual(['reachability.not-converged']);
    const finding = outlasted.outcome.status === 'clear' ? outlasted.outcome.findings?.[0] : undefined;
    expect(finding?.severity).toBe('info');
    expect(finding?.evidence.settledBy).toBe('the comparison of arms');
    expect(finding?.evidence.settledHow).toMatch(/^the 4-wide attention arm with learned positions at 1\.714 after 6400 steps, gaining at most 0\.05954 a doubling, would still be at 1\.476 after 4 more \(16× the steps\), behind 1\.244 beyond noise$/);
    // A gain that grows from one doubling to the next is not judged: the arm may be taking off.
    const accelerating = lengthOutcome([wide, [arm(4, 1600, 1.9), arm(4, 3200, 1.88), arm(4, 6400, 1.8)]], study)!;
    expect(accelerating.outcome.status).toBe('problem');
    // Nor a gap that four such doublings could close.
    const closing = lengthOutcome([wide, [arm(4, 1600, 1.6), arm(4, 3200, 1.5), arm(4, 6400, 1.42)]], study)!;
    expect(closing.outcome.status).toBe('problem');
    // The leader still gaining is reported in its stead (the outlasted arm left out).
    const leaderGaining = lengthOutcome([[arm(16, 1600, 1.35), arm(16, 3200, 1.244)], narrow], study)!;
    expect(leaderGaining.outcome.status === 'problem' && leaderGaining.outcome.findings[0]!.evidence.setting).toContain('width=16');
  });

  /** A study of widths 16 and 4 on stand-in trials (held-out loss `narrow` of the steps for width 4), judged by a stand-in that settles on a clear doubling. */
  async function studyWith(narrow: (steps: number) => number) {
    const lab = await Lab.start({ workers: 1 });
    labs.push(lab);
    const trained: [number, number][] = [];
    lab.trial = async (config: TrainConfig) => {
      trained.push([config.spec.width, config.steps]);
      const heldoutLoss = config.spec.width === 4 ? narrow(config.steps) : 0.72 + 0.004 * (1600 / config.steps);
      return { config, heldoutLoss, heldoutError: 0.002, heldoutAtTrainLength: { loss: heldoutLoss, error: 0.002 }, run: { id: `w${config.spec.width}-${config.steps}` } } as unknown as Trial;
    };
    const seen: JudgedOutcome[][] = [];
    const judge = (trials: Trial[], extra: JudgedOutcome[] = []) => {
      seen.push(extra);
      const settled = extra.some((o) => o.settles?.includes('reachability.not-converged') && o.outcome.status === 'clear');
      return {
        verdict: { layer: settled ? 'instantiation' : 'reachability' },
        findings: settled ? [] : [{ code: 'reachability.not-converged', severity: 'warning', runs: [trials[0]!.run.id] }],
      } as unknown as Diagnosis;
    };
    const { diagnosis, trials, atRecipe } = await lab.settledStudy(recipe, (r) => lab.trials([r, { ...r, spec: { ...r.spec, width: 4 } }]), judge);
    return { trained, last: seen.at(-1)![0]!, diagnosis, trials, atRecipe };
  }

  it('doubles the best setting of an arm that still gains while it pays, and judges the study with its last doubling', async () => {
    // Width 4: 1.1 → 0.875 → 0.819 (6.4 %) → 0.805 (1.7 %, under 2 %): converged at 12,800 steps, still worse than width 16.
    const settles = await studyWith((steps) => 0.8 + 0.3 * (1600 / steps) ** 2);
    expect(settles.trained).toEqual([
      [16, 1600],
      [4, 1600],
      [16, 3200],
      [4, 3200],
      [4, 6400],
      [4, 12800],
    ]);
    expect(settles.last.outcome.status).toBe('clear');
    expect(settles.diagnosis.verdict.layer).toBe('instantiation');
    // The study is judged at twice the steps; the budget's estimates come from it at the recipe's.
    expect(settles.trials.map((t) => t.config.steps)).toEqual([3200, 3200]);
    expect(settles.atRecipe.map((t) => [t.config.spec.width, t.config.steps, t.heldoutLoss])).toEqual([
      [16, 1600, 0.724],
      [4, 1600, 1.1],
    ]);
    // Width 4 still gains 6 % at the third doubling (LENGTH_EXPERIMENT.maxDoublings): not converged, as the curves said.
    const gains = await studyWith((steps) => 0.7 + 0.4 * (1600 / steps));
    expect(gains.trained.at(-1)).toEqual([4, 12800]);
    expect(gains.last.outcome.status).toBe('problem');
    expect(gains.diagnosis.verdict.layer).toBe('reachability');
  });
});

describe("the sweep's best, where the length experiment starts", () => {
  const recipe = healthyConfig('copy', 1);
  const at = (lr: number, heldoutLoss: number) => ({ config: { ...recipe, lr }, heldoutLoss, heldoutError: 0.001, heldoutAtTrainLength: { loss: heldoutLoss, error: 0.001 } }) as unknown as Trial;
  const plateau = Math.log(16);

  it('is the lowest held-out loss once anything was learned', () => {
    expect(sweepBest([at(3e-3, 2.0), at(1e-2, 1.5), at(3e-2, 2.77)], 1e-2, plateau * 0.99).config.lr).toBe(1e-2);
    expect(sweepBest([at(3e-3, 1.4), at(1e-2, 1.5), at(3e-2, 2.77)], 1e-2, plateau * 0.99).config.lr).toBe(3e-3);
  });

  it("is the recipe's own rate when every rate sits on the frequency plateau (the lowest is noise)", () => {
    const flat = [at(1e-4, 2.7718), at(3e-4, 2.7721), at(1e-3, 2.7725), at(3e-3, 2.7724), at(1e-2, 2.7726), at(3e-2, 2.7729)];
    expect(sweepBest(flat, 1e-2, plateau * 0.99).config.lr).toBe(1e-2);
    // Without the recipe's rate among them, the lowest.
    expect(sweepBest(flat.slice(0, 2), 1e-2, plateau * 0.99).config.lr).toBe(1e-4);
  });
});

describe('the planned learning-rate sweep', () => {
  const recipe = { ...healthyConfig('markov3', 1), lr: 0.9 };
  /**
   * A lab whose stand-in trials score `lossAt(lr)` held out (standard error 0.005), at the
   * training length `atTrainLength(lr)` (by default the same), recording the rates it trained.
   */
  async function ratesLab(lossAt: (lr: number) => number, atTrainLength: (lr: number) => number = lossAt) {
    const lab = await Lab.start({ workers: 1 });
    labs.push(lab);
    const rates: number[] = [];
    lab.trial = async (config: TrainConfig) => {
      rates.push(config.lr);
      return { config, heldoutLoss: lossAt(config.lr), heldoutError: 0.005, heldoutAtTrainLength: { loss: atTrainLength(config.lr), error: 0.005 } } as unknown as Trial;
    };
    return { lab, rates };
  }
  /** Stand-in trials on the plateau (1.32, its lowest by noise at the run's rate) above `trainsBelow`, learning below it. */
  const sweepLab = (trainsBelow: number) => ratesLab((lr) => (lr < trainsBelow ? 0.76 + 0.2 * Math.abs(Math.log10(lr / 0.03)) : lr === 0.9 ? 1.318 : 1.321));

  it('widens on both sides while no rate has learned anything, then follows the best to its edge', async () => {
    const { lab, rates } = await sweepLab(0.2);
    const trials = await lab.plannedSweep(recipe, undefined, 1.3);
    // 0.3, 0.9, 3 on the plateau; widened to 0.1 and 10; 0.1 learned and sits at the edge: 0.03 and 0.01.
    expect(rates.map((r) => Number(r.toPrecision(2)))).toEqual([0.3, 0.9, 3, 0.1, 10, 0.03, 0.01]);
    expect(sweepBest(trials, recipe.lr, 1.3).config.lr).toBeCloseTo(0.03);
  });

  it('finds the recipe rate of a run at a hundredth of it: widened until 3e-3 learns, then followed to 1e-2', async () => {
    // A copy-like stand-in: the ln 16 plateau below 2e-3 (lowest at the run's own rate, by noise), then best at 1e-2.
    const { lab, rates } = await ratesLab((lr) => (lr < 2e-3 ? (lr === 1e-4 ? 2.771 : 2.772) : 1.4 + 0.3 * Math.abs(Math.log10(lr / 1e-2))));
    const trials = await lab.plannedSweep({ ...healthyConfig('copy', 0), lr: 1e-4 }, undefined, 2.74);
    expect(rates.map((r) => Number(r.toPrecision(2)))).toEqual([3e-5, 1e-4, 3e-4, 1e-5, 1e-3, 3e-6, 3e-3, 1e-2, 3e-2]);
    expect(sweepBest(trials, 1e-4, 2.74).config.lr).toBeCloseTo(1e-2);
  });

  it('stops widening after three grid steps on each side when nothing learns, and without the plateau level chases the lowest as before', async () => {
    const nothing = await sweepLab(1e-9);
    await nothing.lab.plannedSweep(recipe, undefined, 1.3);
    // No edge is followed on a sweep that learned nothing: 0.01 to 100, and no further.
    expect(nothing.rates.map((r) => Number(r.toPrecision(2)))).toEqual([0.3, 0.9, 3, 0.1, 10, 0.03, 30, 0.01, 100]);
    const before = await sweepLab(1e-9);
    await before.lab.plannedSweep(recipe);
    // 0.9 is the lowest, inside the sweep: no extension.
    expect(before.rates).toHaveLength(3);
  });

  it('asks whether a rate learned anything at the training length, not at the 4L the budget is held out at', async () => {
    // Learned positions on a length-extrapolation world: well below the frequencies (2.05) at
    // L at every rate, above them at 4L; best at the low edge (0.003), as the tour's case.
    const atL = (lr: number) => 1.3 + 0.05 * Math.abs(Math.log10(lr / 1e-3));
    const { lab, rates } = await ratesLab((lr) => atL(lr) + 0.9, atL);
    const recipe = { ...healthyConfig('markov2-extrapolate', 0), lr: 1e-2 };
    const trials = await lab.plannedSweep(recipe, undefined, 2.05 * 0.95);
    // Not widened: the edge is followed (1e-3, 3e-4), and 1e-3 is inside.
    expect(rates.map((r) => Number(r.toPrecision(2)))).toEqual([3e-3, 1e-2, 3e-2, 1e-3, 3e-4]);
    expect(sweepBest(trials, recipe.lr, 2.05 * 0.95).config.lr).toBeCloseTo(1e-3);
  });
});

describe('the estimates of an architecture study', () => {
  const at = (heldoutLoss: number, seed = 1) => ({ heldoutLoss, heldoutError: 0.01, config: { seed } });

  it("share one L_I, the architecture's best at the run's own seed, so that the terms telescope", () => {
    // markov3 width4, seed 1's shape: the run at 1.215 is its sweep's best; the width-4 arm's
    // other seeds (0.99) are not this run's, width 16 reaches 0.76 at the run's seed (0.74 at another).
    const main = at(1.215);
    const { instantiated, reachability, instantiation } = armEstimates(main, [at(1.23), at(1.3)], { own: [at(1.218), at(1.25), at(0.99, 2), at(1.02, 3)], other: [at(0.76), at(0.8), at(0.74, 2)] });
    expect(instantiated).toBeCloseTo(1.215, 12);
    expect(reachability.estimate).toBeCloseTo(0, 12);
    expect(instantiation!.estimate).toBeCloseTo(0.455, 12);
    expect(reachability.estimate! + instantiation!.estimate!).toBeCloseTo(main.heldoutLoss - 0.76, 12);
  });

  it("counts the study's runs of the run's arm as the sweep's: a better rate there is reachability", () => {
    const { reachability, instantiation } = armEstimates(at(1.3), [at(1.28)], { own: [at(1.1)], other: [at(0.9)] });
    expect(reachability.estimate).toBeCloseTo(0.2, 12);
    expect(instantiation!.estimate).toBeCloseTo(0.2, 12);
    expect(reachability.low).toBeCloseTo(0.2 - 1.96 * Math.SQRT2 * 0.01, 12);
  });

  it('floors the instantiation term at 0, and has none without a study', () => {
    expect(armEstimates(at(1.0), [at(1.1)], { own: [], other: [at(1.05)] }).instantiation!.estimate).toBe(0);
    const alone = armEstimates(at(1.0), [at(0.9), at(1.1)]);
    expect(alone.instantiation).toBeUndefined();
    expect(alone.reachability.estimate).toBeCloseTo(0.1, 12);
  });
});
