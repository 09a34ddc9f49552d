import { describe, expect, it } from 'vitest';
import { assignRoles } from '../../src/ingest/roles.js';
import { emptyRun, seriesFromArrays, type HValue, type Run } from '../../src/model/run.js';
import { ablation } from '../../src/studies/checks/ablation.js';
import { capacity } from '../../src/studies/checks/capacity.js';
import { sweepImportance } from '../../src/studies/checks/sweep-importance.js';
import { conceptProbe } from '../../src/studies/checks/concept-probe.js';
import { familyFloor } from '../../src/studies/checks/family-floor.js';
import { seedNoise } from '../../src/studies/checks/seed-noise.js';
import { sweepEdge } from '../../src/studies/checks/sweep-edge.js';
import { tunedComparison } from '../../src/studies/checks/tuned-comparison.js';
import { untunedComparison } from '../../src/studies/checks/untuned-comparison.js';
import { pooledSeedNoise, compareArms } from '../../src/studies/compare-arms.js';
import { diagnoseStudy } from '../../src/studies/diagnose-study.js';
import { assembleStudy, classifyKey, type Study, type StudyConfig } from '../../src/studies/study.js';
import type { AnyStudyCheck } from '../../src/studies/check.js';
import { noise } from '../support/runs.js';
import { wordingOf } from '../../src/ladder/findings-text.js';

/** A run whose val/accuracy ends at `final` (a short rising curve), with the given hyperparameters. */
function run(id: string, hparams: Record<string, HValue>, final: number, extra: Record<string, number> = {}): Run {
  const r = emptyRun(id, 'tensorboard', [id]);
  r.hparams = { ...hparams, output_dir: `/tmp/${id}` };
  const steps = [100, 200, 300, 400];
  r.series['val/accuracy'] = seriesFromArrays(steps, steps.map((_, i) => final - 0.02 * (3 - i)));
  r.series['train/loss'] = seriesFromArrays(steps, steps.map((s) => 1 / Math.sqrt(s)));
  for (const [name, value] of Object.entries(extra)) r.series[name] = seriesFromArrays([400], [value]);
  r.roles = assignRoles(r);
  return r;
}

function study(runs: Run[], config: StudyConfig = {}): Study {
  const assembled = assembleStudy(runs, config);
  if (!('study' in assembled)) throw new Error(assembled.notStudy);
  return assembled.study;
}

function evaluate(check: AnyStudyCheck, s: Study, overrides: Record<string, number> = {}) {
  const t = Object.fromEntries(Object.entries(check.thresholds).map(([k, v]) => [k, overrides[k] ?? v.value]));
  return check.evaluate(s, t);
}

/**
 * A 2×2 ablation (use_hidden × use_norm), 3 learning rates × 2 seeds per cell: accuracy 0.7,
 * +0.15 with the hidden layer, +`normEffect` with the norm, peaking at lr 1e-3, plus uniform
 * noise of width `noiseWidth` drawn from `noise(seed)`.
 */
function ablationStudy(seed: number, normEffect: number, noiseWidth: number): Study {
  const random = noise(seed);
  const runs: Run[] = [];
  for (const useHidden of [false, true]) {
    for (const useNorm of [false, true]) {
      for (const lr of [1e-4, 1e-3, 1e-2]) {
        for (const s of [0, 1]) {
          const acc = 0.7 + (useHidden ? 0.15 : 0) + (useNorm ? normEffect : 0) - 0.05 * Math.log10(lr / 1e-3) ** 2 + noiseWidth * (random() - 0.5);
          runs.push(run(`h${useHidden}-n${useNorm}-${lr}-${s}`, { use_hidden: useHidden, use_norm: useNorm, learning_rate: lr, seed: s }, acc));
        }
      }
    }
  }
  return study(runs);
}

/** Accuracy peaking at lr 1e-3 (log-quadratic), arm offset, seed noise of SD `sd`. */
function sweep(arms: Record<string, number>, lrs: number[], seeds: number, sd: number, seed = 1): Run[] {
  const random = noise(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const runs: Run[] = [];
  for (const [arch, offset] of Object.entries(arms)) {
    for (const lr of lrs) {
      for (let s = 0; s < seeds; s++) {
        const acc = 0.8 + offset - 0.05 * Math.log10(lr / 1e-3) ** 2 + sd * gauss();
        runs.push(run(`${arch}-lr${lr}-s${s}`, { arch, learning_rate: lr, seed: s, steps: 400 }, acc));
      }
    }
  }
  return runs;
}

describe('study assembly', () => {
  it('classifies keys as nuisance, seed, scientific or bookkeeping', () => {
    expect(classifyKey('learning_rate')).toBe('nuisance');
    expect(classifyKey('optimizer.lr')).toBe('nuisance');
    expect(classifyKey('model.hidden_dropout_prob')).toBe('nuisance');
    expect(classifyKey('seed')).toBe('seed');
    expect(classifyKey('arch')).toBe('scientific');
    expect(classifyKey('model_name_or_path')).toBe('scientific');
    expect(classifyKey('use_norm')).toBe('scientific');
    expect(classifyKey('output_dir')).toBe('ignored');
    expect(classifyKey('run_name')).toBe('ignored');
    expect(classifyKey('use_norm', { nuisance: ['use_norm'] })).toBe('nuisance');
    expect(classifyKey('learning_rate', { scientific: ['learning_rate'] })).toBe('scientific');
  });

  it('groups runs into arms, settings and seeds, with each arm best setting', () => {
    const s = study(sweep({ linear: -0.1, mlp: 0 }, [1e-4, 1e-3, 1e-2], 2, 0.001));
    expect(s.scientific).toEqual(['arch']);
    expect(s.nuisance).toEqual(['learning_rate']);
    expect(s.seedKey).toBe('seed');
    expect(s.objective).toEqual({ metric: 'val/accuracy', direction: 1 });
    expect(s.arms.map((a) => a.label)).toEqual(['arch=linear', 'arch=mlp']);
    for (const arm of s.arms) {
      expect(arm.settings).toHaveLength(3);
      expect(arm.best.nuisance.learning_rate).toBe(1e-3);
      expect(arm.best.runs).toHaveLength(2);
    }
  });

  it('is not a study: one run, mixed formats, nothing varying, no shared objective', () => {
    const a = run('a', { arch: 'x', learning_rate: 1e-3 }, 0.8);
    expect(assembleStudy([a], {})).toHaveProperty('notStudy');
    const b = run('b', { arch: 'x', learning_rate: 1e-3 }, 0.7);
    expect(assembleStudy([a, b], {})).toHaveProperty('notStudy');
    const c = run('c', { arch: 'y', learning_rate: 1e-3 }, 0.7);
    c.format = 'csv';
    expect(assembleStudy([a, c], {})).toHaveProperty('notStudy');
  });
});

describe('study checks on synthetic sweeps with known effects', () => {
  it('pooled seed noise recovers the SD the runs were drawn with', () => {
    const s = study(sweep({ a: 0, b: 0 }, [1e-4, 1e-3, 1e-2], 8, 0.01, 3));
    const noiseEstimate = pooledSeedNoise(s)!;
    expect(noiseEstimate.degreesOfFreedom).toBe(6 * 7);
    expect(noiseEstimate.sd).toBeGreaterThan(0.007);
    expect(noiseEstimate.sd).toBeLessThan(0.013);
  });

  it('a tuned gap of 5 points at seed SD 0.005 is an instantiation finding; the same gap at SD 0.05 is seed noise', () => {
    const clear = study(sweep({ linear: -0.05, mlp: 0 }, [1e-4, 1e-3, 1e-2, 1e-1], 2, 0.005));
    const found = evaluate(tunedComparison, clear);
    expect(found.status).toBe('problem');
    if (found.status === 'problem') expect(found.findings[0]!.evidence).toMatchObject({ better: 'arch=mlp', worse: 'arch=linear', matchedSettings: 4, betterWinsAt: 4 });
    expect(evaluate(seedNoise, clear).status).toBe('clear');
    const noisy = study(sweep({ linear: -0.01, mlp: 0 }, [1e-4, 1e-3, 1e-2, 1e-1], 3, 0.05, 9));
    expect(evaluate(seedNoise, noisy).status).toBe('problem');
    expect(evaluate(tunedComparison, noisy).status).toBe('clear');
  });

  it('the t interval of the gap matches the textbook two-sample formula with pooled df', () => {
    const s = study(sweep({ linear: -0.05, mlp: 0 }, [1e-4, 1e-3, 1e-2], 2, 0.01, 4));
    const [linear, mlp] = s.arms;
    const c = compareArms(s, mlp!, linear!, 0.95)!;
    // df = 6 settings × (2 − 1) = 6; t(0.975, 6) = 2.446912 (scipy.stats.t.ppf).
    const se = c.noise.sd * Math.sqrt(1 / 2 + 1 / 2);
    expect(c.noise.degreesOfFreedom).toBe(6);
    expect(c.high - c.gap).toBeCloseTo(2.4469118511449692 * se, 9);
  });

  it('one learning rate for every arm is the taboo, with a per-arm sweep as the plan', () => {
    const s = study(sweep({ linear: -0.05, mlp: 0 }, [1e-3], 2, 0.005));
    const outcome = evaluate(untunedComparison, s);
    expect(outcome.status).toBe('problem');
    if (outcome.status === 'problem') {
      expect(outcome.findings[0]!.evidence.plan).toMatchObject({ kind: 'lr-sweep', perArm: true, vary: { learning_rate: [1e-4, 0.000333, 1e-3, 0.003, 1e-2] } });
    }
    const d = diagnoseStudy(s, 'confounded');
    expect(d.verdict.layer).toBe('reachability');
    expect(d.layers.map((l) => l.status)).toEqual(['inconclusive', 'fail', 'gated', 'gated']);
  });

  it('a best learning rate at the edge of the sweep asks to extend it one grid step', () => {
    const runs = sweep({ linear: -0.05, mlp: 0 }, [1e-6, 1e-5, 1e-4], 2, 0.001);
    const outcome = evaluate(sweepEdge, study(runs));
    expect(outcome.status).toBe('problem');
    if (outcome.status === 'problem') expect(outcome.findings[0]!.evidence).toMatchObject({ key: 'learning_rate', side: 'high', best: 1e-4, extendTo: 1e-3 });
    expect(evaluate(sweepEdge, study(sweep({ a: 0, b: 0 }, [1e-4, 1e-3, 1e-2], 2, 0.001))).status).toBe('clear');
  });

  it('an edge within seed noise of the best inside is a flat landscape, reported as info', () => {
    // Every rate on one plateau (a model that learns nothing at any rate): the best is where noise puts it.
    const runs: Run[] = [];
    const values: Record<string, number> = { '0.001': 0.5002, '0.003': 0.5001, '0.01': 0.5004 };
    for (const arm of ['a', 'b']) {
      for (const lr of [1e-3, 3e-3, 1e-2]) {
        for (const seed of [0, 1]) {
          const base = arm === 'a' ? values[String(lr)]! : 0.7 - 0.1 * Math.abs(Math.log10(lr / 3e-3));
          runs.push(run(`${arm}-${lr}-${seed}`, { arch: arm, learning_rate: lr, seed }, base + (seed === 0 ? 0.001 : -0.001)));
        }
      }
    }
    const outcome = evaluate(sweepEdge, study(runs));
    expect(outcome.status).toBe('clear');
    const finding = outcome.status === 'clear' ? outcome.findings?.[0] : undefined;
    expect(finding?.severity).toBe('info');
    expect(finding?.evidence).toMatchObject({ arm: expect.stringContaining('a'), best: 0.01, flat: true });
    expect(Number(finding?.evidence.margin)).toBeCloseTo(0.0002, 9);
    // The same edge 0.05 above the inside is a trend towards it: a warning.
    const trending = runs.map((r) => (r.id.startsWith('a-0.01-') ? run(r.id, { arch: 'a', learning_rate: 1e-2, seed: Number(r.id.at(-1)) }, 0.5504 + (r.id.endsWith('0') ? 0.001 : -0.001)) : r));
    const warned = evaluate(sweepEdge, study(trending));
    expect(warned.status).toBe('problem');
    expect(warned.status === 'problem' && warned.findings[0]!.evidence.flat).toBe(false);
  });

  it('a gap beyond seed noise but within 2 % of the better arm is kept as info, and instantiation passes', () => {
    // 0.008 of accuracy 0.8 (1 %) with a seed SD of 0.001: told apart at p < 0.001, but too small to explain a loss.
    const s = study(sweep({ linear: -0.008, mlp: 0 }, [1e-4, 1e-3, 1e-2], 3, 0.001));
    const outcome = evaluate(tunedComparison, s);
    expect(outcome.status).toBe('clear');
    const finding = outcome.status === 'clear' ? outcome.findings?.[0] : undefined;
    expect(finding?.severity).toBe('info');
    expect(finding?.evidence.worse).toBe('arch=linear');
    expect(finding?.evidence.relativeGap).toBeGreaterThan(0.005);
    expect(finding?.evidence.relativeGap).toBeLessThan(0.02);
    expect(Number(finding?.evidence.pValue)).toBeLessThan(0.001);
    // The margin is a threshold like any other: at 0.5 % the same gap is a problem.
    expect(evaluate(tunedComparison, s, { minRelativeGap: 0.005 }).status).toBe('problem');
    const d = diagnoseStudy(s, 'small gap');
    expect(d.layers.find((l) => l.layer === 'instantiation')?.status).toBe('pass');
    expect(d.verdict.layer).toBe('none');
    expect(d.findings.find((f) => f.code === 'instantiation.tuned-comparison')?.summary).toMatch(/too small to explain the loss/);
  });

  it('a tuned study with a real gap is judged at instantiation; the verdict passes through the taboo', () => {
    const d = diagnoseStudy(study(sweep({ linear: -0.05, mlp: 0 }, [1e-4, 1e-3, 1e-2, 1e-1], 2, 0.005)), 'tuned');
    expect(d.verdict.layer).toBe('instantiation');
    expect(d.findings.map((f) => f.code)).toContain('instantiation.tuned-comparison');
  });

  it('a 2×2 ablation: the component that moves the score matters, the other is replaceable', () => {
    const s = ablationStudy(21, 0, 0.01);
    const outcome = evaluate(ablation, s);
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    const evidence = outcome.findings[0]!.evidence;
    expect(evidence.matters).toEqual(['use_hidden']);
    expect(evidence.replaceable).toEqual(['use_norm']);
    const [hidden] = evidence.components as { estimate: number; on: string; off: string }[];
    expect(hidden).toMatchObject({ on: 'true', off: 'false' });
    expect(hidden!.estimate).toBeCloseTo(0.15, 1);
    expect(evaluate(tunedComparison, s).status).toBe('unknown');
  });

  it('an ablation effect beyond seed noise but within 2 % of the mean is negligible: the component is replaceable', () => {
    // use_norm adds 0.008 to a mean of about 0.78 (1.0 %), with a seed SD near 0.0003.
    const s = ablationStudy(22, 0.008, 0.001);
    const outcome = evaluate(ablation, s);
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    const evidence = outcome.findings[0]!.evidence;
    expect(evidence.matters).toEqual(['use_hidden']);
    expect(evidence.replaceable).toEqual(['use_norm']);
    const norm = (evidence.components as { component: string; estimate: number; beyondNoise: boolean }[])[1]!;
    expect(norm).toMatchObject({ component: 'use_norm', beyondNoise: true });
    expect(norm.estimate).toBeCloseTo(0.008, 3);
    expect(evidence.meanValue as number).toBeCloseTo(0.779, 2);
    expect(wordingOf('instantiation.ablation').summary(outcome.findings[0]!.evidence)).toContain('use_norm is negligible (');
    // At a 0.5 % margin the same effect matters.
    const strict = evaluate(ablation, s, { minRelativeEffect: 0.005 });
    expect(strict.status === 'problem' && strict.findings[0]!.evidence.matters).toEqual(['use_hidden', 'use_norm']);
  });

  it('a concept family that fails the long probe at every size is a perception finding', () => {
    const runs: Run[] = [];
    for (const posenc of ['learned', 'alibi']) {
      for (const d of [16, 32]) {
        for (const lr of [1e-3, 3e-3]) {
          const long = posenc === 'learned' ? 0.52 + d / 1000 : 0.95;
          runs.push(run(`${posenc}-${d}-${lr}`, { posenc, d_model: d, learning_rate: lr, seed: 0 }, 0.97, { 'probe/accuracy_len64': long }));
        }
      }
    }
    const s = study(runs, { concept: 'posenc', probes: ['probe/accuracy_len64'] });
    const outcome = evaluate(conceptProbe, s);
    expect(outcome.status).toBe('problem');
    if (outcome.status === 'problem') expect(outcome.findings[0]!.evidence).toMatchObject({ concept: 'posenc', failing: 'learned', sizeKeys: 'd_model' });
    expect(evaluate(conceptProbe, s, { minGap: 0.5 }).status).toBe('clear');
    expect(evaluate(conceptProbe, study(runs)).status).toBe('unknown');
  });

  it('capacity: a width still paying off at its largest value asks for a larger model; a saturated one does not', () => {
    const random = noise(5);
    const make = (gain: (w: number) => number) => {
      const runs: Run[] = [];
      for (const width of [16, 32, 64]) {
        for (const lr of [1e-4, 1e-3, 1e-2]) {
          for (const seed of [0, 1]) {
            const acc = 0.6 + gain(width) - 0.05 * Math.log10(lr / 1e-3) ** 2 + 0.004 * (random() - 0.5);
            runs.push(run(`w${width}-${lr}-${seed}`, { hidden_size: width, learning_rate: lr, seed }, acc));
          }
        }
      }
      return study(runs);
    };
    const growing = evaluate(capacity, make((w) => 0.05 * Math.log2(w)));
    expect(growing.status).toBe('problem');
    if (growing.status === 'problem') {
      expect(growing.findings[0]!.evidence).toMatchObject({ key: 'hidden_size', sizes: [16, 32, 64], stillImproving: true });
      expect(growing.findings[0]!.evidence.gainFromLast as number).toBeCloseTo(0.05, 1);
    }
    expect(evaluate(capacity, make((w) => (w >= 32 ? 0.2 : 0.1))).status).toBe('clear');
    // A gain beyond seed noise but under 2 % (0.006 from 32 to 64 on about 0.67, 0.9 %) asks
    // for no larger model; at a 0.5 % margin it does.
    const small = make((w) => 0.006 * Math.log2(w) + 0.03);
    const modest = evaluate(capacity, small);
    expect(modest.status).toBe('clear');
    if (modest.status === 'clear') {
      expect(modest.findings![0]!.evidence).toMatchObject({ beyondNoise: true, stillImproving: false });
      expect(wordingOf('instantiation.capacity').summary(modest.findings![0]!.evidence)).toContain('beyond seed noise, but under the 2.0% a larger model must gain');
    }
    expect(evaluate(capacity, small, { minRelativeGain: 0.005 }).status).toBe('problem');
    expect(evaluate(tunedComparison, make((w) => 0.05 * Math.log2(w))).status).toBe('unknown');
  });

  it('sweep importance: the F test tells settings from seeds, and the learning rate carries the variance', () => {
    // One-way ANOVA by hand on a tiny case: settings means 1 and 3, two seeds each (±0.5).
    const runs = [
      run('a-0', { arch: 'a', learning_rate: 0.1, seed: 0 }, 0.5 + 0.06),
      run('a-1', { arch: 'a', learning_rate: 0.1, seed: 1 }, 0.5 + 0.04 + 0.04),
      run('b-0', { arch: 'a', learning_rate: 0.01, seed: 0 }, 0.5),
      run('b-1', { arch: 'a', learning_rate: 0.01, seed: 1 }, 0.5 + 0.02),
      run('c-0', { arch: 'b', learning_rate: 0.1, seed: 0 }, 0.5),
      run('c-1', { arch: 'b', learning_rate: 0.01, seed: 0 }, 0.5),
    ];
    const outcome = evaluate(sweepImportance, study(runs));
    expect(outcome.status).toBe('clear');
    if (outcome.status !== 'clear') return;
    const [armA] = outcome.findings![0]!.evidence.arms as { arm: string; f: number; pValue: number; importance: Record<string, number> }[];
    // Final values are final − 0: groups {0.56, 0.58} and {0.50, 0.52}: SSB = 4·0.03² = 0.0036, SSW = 0.0004, F = 0.0036 / (0.0004/2) = 18;
    // p = scipy.stats.f.sf(18, 1, 2) = 0.0513167019494862.
    expect(armA!.arm).toBe('arch=a');
    expect(armA!.f).toBeCloseTo(18, 9);
    expect(armA!.pValue).toBeCloseTo(0.0513167019494862, 9);
    expect(armA!.importance.learning_rate).toBeCloseTo(0.9, 9);
  });

  it('family floors: a family whose scaling curve levels off higher cannot reach the other by size', () => {
    const random = noise(8);
    const runs: Run[] = [];
    // Loss-like objective (val/loss falls with size): family A floors at 2.0, family B at 1.5.
    for (const [family, floor] of [['a', 2.0], ['b', 1.5]] as const) {
      for (const width of [8, 16, 32, 64, 128]) {
        for (const lr of [1e-3, 3e-3]) {
          const loss = floor + 3 * width ** -0.7 + 0.002 * (random() - 0.5) + (lr === 3e-3 ? 0.01 : 0);
          const r = run(`${family}-${width}-${lr}`, { family, width, learning_rate: lr, seed: 0 }, 0.5);
          r.series['val/loss'] = seriesFromArrays([100, 200], [loss + 0.1, loss]);
          r.roles = assignRoles(r);
          runs.push(r);
        }
      }
    }
    const s = study(runs, { concept: 'family', objective: { metric: 'val/loss', direction: 'lower' } });
    const outcome = evaluate(familyFloor, s);
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    const evidence = outcome.findings[0]!.evidence;
    const floors = evidence.floors as { family: string; floor: number; low: number; high: number }[];
    expect(floors.find((f) => f.family === 'a')!.floor).toBeCloseTo(2.0, 1);
    expect(floors.find((f) => f.family === 'b')!.floor).toBeCloseTo(1.5, 1);
    for (const f of floors) {
      expect(f.low).toBeLessThanOrEqual(f.floor + 1e-9);
      expect(f.high).toBeGreaterThanOrEqual(f.floor - 1e-9);
    }
    expect(evidence.limited).toEqual([expect.objectContaining({ family: 'a', against: 'b' })]);
    // Same floors: nothing limited.
    const same = study(
      runs.map((r) => {
        if (r.hparams.family !== 'a') return r;
        const copy = run(r.id, r.hparams, 0.5);
        const v = r.series['val/loss']!.values;
        copy.series['val/loss'] = seriesFromArrays([100, 200], [v[0]! - 0.5, v[1]! - 0.5]);
        copy.roles = assignRoles(copy);
        return copy;
      }),
      { concept: 'family', objective: { metric: 'val/loss', direction: 'lower' } },
    );
    expect(evaluate(familyFloor, same).status).toBe('clear');
  });
});


describe("a stall the study's own sweep has answered", () => {
  /** A run logging train/loss and val/loss over 20 evaluations: flat at ln 16 when stalled, falling to `final` otherwise. */
  function lossRun(id: string, hparams: Record<string, HValue>, final: number, stalled: boolean, jitter: number): Run {
    const r = emptyRun(id, 'tensorboard', [id]);
    r.hparams = { ...hparams, output_dir: `/tmp/${id}` };
    const steps = Array.from({ length: 20 }, (_, i) => 40 * (i + 1));
    const start = Math.log(16);
    const curve = (i: number) => (stalled ? start + 0.002 * Math.sin(7 * i + jitter) : final + (start - final) * Math.exp(-i / 3));
    r.series['train/loss'] = seriesFromArrays(steps, steps.map((_, i) => curve(i)));
    r.series['val/loss'] = seriesFromArrays(steps, steps.map((_, i) => curve(i) + 0.001 * jitter));
    r.roles = assignRoles(r);
    return r;
  }
  const config: StudyConfig = { objective: { metric: 'val/loss', direction: 'lower' } };
  /** width 16 trains at 3e-3 and 1e-2; width 4 sits at ln 16 at every rate in `narrowRates`. */
  function studyOf(narrowRates: number[]): Study {
    const runs: Run[] = [];
    for (const [lr, final] of [[3e-3, 1.5], [1e-2, 1.4], [3e-2, 1.45]] as const) {
      for (const seed of [0, 1]) runs.push(lossRun(`w16-${lr}-${seed}`, { width: 16, learning_rate: lr, seed }, final + 0.002 * seed, false, seed));
    }
    narrowRates.forEach((lr, k) => {
      for (const seed of [0, 1]) runs.push(lossRun(`w4-${lr}-${seed}`, { width: 4, learning_rate: lr, seed }, 0, true, k + 3 * seed));
    });
    return study(runs, config);
  }

  it('keeps it as info when the stalled arm ran around the rate that trains the other arm, which beats it beyond noise', () => {
    const d = diagnoseStudy(studyOf([1e-3, 3e-3, 1e-2, 3e-2, 1e-1]), 'width4');
    const stalls = d.findings.filter((f) => f.code === 'reachability.stall');
    expect(stalls.length).toBeGreaterThan(0);
    expect(stalls.every((f) => f.severity === 'info')).toBe(true);
    expect(stalls[0]!.summary).toMatch(/settled by the study's learning-rate sweep: width=4 ran at 5 learning rates from 0\.001 to 0\.1 and none did better than its stalled best, while width=16 trained at 0\.01/);
    expect(d.layers.find((l) => l.layer === 'reachability')?.status).toBe('pass');
    expect(d.verdict.layer).toBe('instantiation');
  });

  it('lets it stand when the sweep never reached the rate that trains the other arm', () => {
    const d = diagnoseStudy(studyOf([1e-5, 3e-5, 1e-4]), 'width4, rates too low');
    expect(d.findings.some((f) => f.code === 'reachability.stall' && f.severity === 'error')).toBe(true);
    expect(d.verdict.layer).toBe('reachability');
  });

  it('lets it stand with fewer than three rates', () => {
    const d = diagnoseStudy(studyOf([3e-3, 3e-2]), 'width4, two rates');
    expect(d.findings.some((f) => f.code === 'reachability.stall' && f.severity === 'error')).toBe(true);
  });
});

describe('a worse arm still improving, whose gap to the best arm outlasts training', () => {
  /** A run logging val/loss and train/loss over 20 evaluations to step 800: floor + a·t^(−1/2) (a = 0: converged from ln 16 by step 400), a little noise. */
  function fallingRun(id: string, hparams: Record<string, HValue>, floor: number, a: number, seed: number): Run {
    const r = emptyRun(id, 'tensorboard', [id]);
    r.hparams = { ...hparams, output_dir: `/tmp/${id}` };
    const steps = Array.from({ length: 20 }, (_, i) => 40 * (i + 1));
    const wiggle = noise(seed);
    const curve = steps.map((s) => floor + (a > 0 ? a / Math.sqrt(s) : (Math.log(16) - floor) * Math.exp(-s / 50)) + 0.0005 * (wiggle() - 0.5));
    r.series['train/loss'] = seriesFromArrays(steps, curve.map((v) => v + 0.01));
    r.series['val/loss'] = seriesFromArrays(steps, curve);
    r.roles = assignRoles(r);
    return r;
  }
  const config: StudyConfig = { objective: { metric: 'val/loss', direction: 'lower' } };
  /** Width 16 converged at `leader` (flat curve), width 4 falling as floor 1.5 + 9.9/√t (1.85 at step 800, gaining about 0.10 a doubling). */
  function studyOf(leader: number): Study {
    const runs: Run[] = [];
    for (const [lr, offset] of [[3e-3, 0.05], [1e-2, 0], [3e-2, 0.04]] as const) {
      for (const seed of [0, 1]) {
        runs.push(fallingRun(`w16-${lr}-${seed}`, { width: 16, learning_rate: lr, seed }, leader + offset + 0.002 * seed, 0, 10 + seed));
        runs.push(fallingRun(`w4-${lr}-${seed}`, { width: 4, learning_rate: lr, seed }, 1.5 + offset + 0.002 * seed, 9.9, 20 + seed));
      }
    }
    return study(runs, config);
  }

  it('settles the not-converged finding when four more doublings at its predicted gain leave it behind', () => {
    const d = diagnoseStudy(studyOf(1.1), 'width4, far behind');
    const falling = d.findings.filter((f) => f.code === 'reachability.not-converged' && f.runs.some((r) => r.startsWith('w4')));
    expect(falling.length).toBeGreaterThan(0);
    expect(falling.every((f) => f.severity === 'info')).toBe(true);
    expect(falling[0]!.summary).toMatch(/settled by the comparison of arms: width=4 at 1\.8\d+, gaining at most 0\.1\d* a doubling, would still be at 1\.[34]\d* after 4 more \(16× the steps\), behind width=16's 1\.10\d*/);
    expect(d.verdict.layer).toBe('instantiation');
  });

  it('lets it stand when the gap could close within 16× the steps, or with a smaller allowance overridden', () => {
    const close = diagnoseStudy(studyOf(1.6), 'width4, close behind');
    expect(close.findings.some((f) => f.code === 'reachability.not-converged' && f.severity !== 'info')).toBe(true);
    expect(close.verdict.layer).toBe('reachability');
    // 1.1 is beyond four doublings but not beyond twenty.
    const patient = diagnoseStudy(studyOf(1.1), 'width4, twenty doublings', { thresholds: { 'instantiation.tuned-comparison': { outlastDoublings: 20 } } });
    expect(patient.verdict.layer).toBe('reachability');
  });
});
