import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingest } from '../../src/ingest/ingest.js';
import { emptyRun, type HValue, type Run } from '../../src/model/run.js';
import {
  bouthillierDecision,
  defaultMetric,
  directionOf,
  pairRuns,
  runValue,
  seedNoiseReport,
  seedOf,
  SeedsInputError,
  seedsToJson,
  type SeedGroup,
} from '../../src/observation/seeds.js';
import { REPO } from '../support/corpus.js';

function run(id: string, series: Record<string, number[]>, hparams: Record<string, HValue> = {}, valMetrics: string[] = []): Run {
  const r = emptyRun(id, 'csv', [id]);
  for (const [name, values] of Object.entries(series)) {
    r.series[name] = {
      steps: Float64Array.from(values, (_, i) => i),
      values: Float64Array.from(values),
      wallTimes: new Float64Array(values.length).fill(Number.NaN),
    };
  }
  r.hparams = hparams;
  r.roles = { valMetrics };
  return r;
}

const group = (name: string, runs: Run[]): SeedGroup => ({ name, runs });

function inputError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SeedsInputError);
    expect((error as Error).message).not.toContain('\n');
    return (error as Error).message;
  }
  throw new Error('expected a SeedsInputError');
}

describe('seedOf', () => {
  it('finds the seed under the names and paths configs use, shallowest first', () => {
    expect(seedOf(run('r', {}, { seed: 3 }))).toBe('3');
    expect(seedOf(run('r', {}, { random_seed: '17' }))).toBe('17');
    expect(seedOf(run('r', {}, { 'training.seed': 5 }))).toBe('5');
    expect(seedOf(run('r', {}, { 'trainer/seed': 6 }))).toBe('6');
    expect(seedOf(run('r', {}, { training: { seed: 7 } }))).toBe('7');
    expect(seedOf(run('r', {}, { training: { seed: 7 }, seed: 8 }))).toBe('8');
    expect(seedOf(run('r', {}, { rng_seed: 1, seed: 2 }))).toBe('2');
  });

  it('ignores data_seed, non-integers and missing seeds', () => {
    expect(seedOf(run('r', {}, { data_seed: 3 }))).toBeUndefined();
    expect(seedOf(run('r', {}, { seed: 0.5 }))).toBeUndefined();
    expect(seedOf(run('r', {}, { seed: 'abc' }))).toBeUndefined();
    expect(seedOf(run('r', {}, { lr: 0.1 }))).toBeUndefined();
  });
});

describe('runValue', () => {
  const r = run('r1', { acc: [0.5, 0.8, 0.7], loss: [2, 1, 1.5], bad: [0.4, Number.NaN], empty: [] });
  it('takes the last point, or the best one in the metric direction', () => {
    expect(runValue(r, 'acc', 'final', 1)).toBe(0.7);
    expect(runValue(r, 'acc', 'best', 1)).toBe(0.8);
    expect(runValue(r, 'loss', 'final', -1)).toBe(1.5);
    expect(runValue(r, 'loss', 'best', -1)).toBe(1);
    expect(runValue(r, 'bad', 'best', 1)).toBe(0.4);
  });

  it('names the run when the metric is missing, empty or ends non-finite', () => {
    const missing = inputError(() => runValue(r, 'f1', 'final', 1));
    expect(missing).toContain('r1');
    expect(missing).toContain('f1');
    expect(missing).toContain('acc');
    expect(inputError(() => runValue(r, 'empty', 'final', 1))).toContain('r1');
    expect(inputError(() => runValue(r, 'bad', 'final', 1))).toContain('NaN');
  });
});

describe('defaultMetric and directionOf', () => {
  it('takes the first validation metric every run logs, else the validation loss', () => {
    const a = run('a', { 'val/f1': [1], 'val/acc': [1], 'val/loss': [1] }, {}, ['val/f1', 'val/acc']);
    const b = run('b', { 'val/acc': [1], 'val/loss': [1] }, {}, ['val/acc']);
    expect(defaultMetric([a, b])).toBe('val/acc');
    const c = run('c', { 'val/loss': [1] });
    c.roles.valLoss = 'val/loss';
    expect(defaultMetric([a, c])).toBe('val/loss');
    const message = inputError(() => defaultMetric([run('x', { foo: [1], bar: [1] }), run('y', { foo: [1] })]));
    expect(message).toContain('--metric');
    expect(message).toContain('foo');
    expect(message).not.toContain('bar');
  });

  it('reads the direction from the name, losses and the flags', () => {
    expect(directionOf('val/accuracy', [])).toBe(1);
    expect(directionOf('eval_perplexity', [])).toBe(-1);
    expect(directionOf('val/loss', [])).toBe(-1);
    expect(directionOf('val/nll_loss', [])).toBe(-1);
    expect(directionOf('val/accuracy', [], false)).toBe(-1);
    expect(inputError(() => directionOf('val/widgets', []))).toContain('--higher-is-better');
    expect(directionOf('val/widgets', [], true)).toBe(1);
    const r = run('r', { objective: [1] });
    r.roles.valLoss = 'objective';
    expect(directionOf('objective', [r])).toBe(-1);
  });
});

describe('pairRuns', () => {
  it('pairs by seed whatever the run names, and reports seeds without a partner', () => {
    const a = group('A', [run('z', {}, { seed: 2 }), run('y', {}, { seed: 1 }), run('x', {}, { seed: 3 })]);
    const b = group('B', [run('p', {}, { seed: 1 }), run('q', {}, { seed: 2 }), run('r', {}, { seed: 9 })]);
    const pairing = pairRuns(a, b);
    expect(pairing.pairedBy).toBe('seed');
    expect(pairing.pairs.map((p) => [a.runs[p.a]!.id, b.runs[p.b]!.id, p.seed])).toEqual([
      ['y', 'p', '1'],
      ['z', 'q', '2'],
    ]);
    expect(pairing.unpaired).toEqual({ a: ['x'], b: ['r'] });
    expect(pairing.notes.join(' ')).toMatch(/3 \(only in A\).*9 \(only in B\)/);
  });

  it('falls back to sorted run ids with a note when a seed is missing or repeated', () => {
    const a = group('A', [run('a2', {}, { seed: 1 }), run('a1', {})]);
    const b = group('B', [run('b1', {}, { seed: 1 }), run('b2', {}, { seed: 2 }), run('b3', {}, { seed: 3 })]);
    const pairing = pairRuns(a, b);
    expect(pairing.pairedBy).toBe('order');
    expect(pairing.pairs.map((p) => [a.runs[p.a]!.id, b.runs[p.b]!.id])).toEqual([
      ['a1', 'b1'],
      ['a2', 'b2'],
    ]);
    expect(pairing.unpaired.b).toEqual(['b3']);
    expect(pairing.notes[0]).toContain('seed');
    const repeated = pairRuns(group('A', [run('a1', {}, { seed: 1 }), run('a2', {}, { seed: 1 })]), group('B', [run('b1', {}, { seed: 1 }), run('b2', {}, { seed: 2 })]));
    expect(repeated.pairedBy).toBe('order');
    expect(repeated.notes[0]).toContain('more than once');
  });
});

describe('bouthillierDecision', () => {
  it('significant: lower end above 0.5; meaningful: also upper end above gamma', () => {
    expect(bouthillierDecision([0.6, 0.8], 0.75)).toEqual({ significant: true, meaningful: true });
    expect(bouthillierDecision([0.55, 0.7], 0.75)).toEqual({ significant: true, meaningful: false });
    expect(bouthillierDecision([0.4, 1], 0.75)).toEqual({ significant: false, meaningful: false });
    expect(bouthillierDecision([0.1, 0.3], 0.75)).toEqual({ significant: true, meaningful: false });
  });
});

describe('seedNoiseReport on hand-made runs', () => {
  it('P(A > B) counts wins over seed pairs, not over run-name order', () => {
    // By seed A wins all three pairs; paired by name order (a1-b1, a2-b2, a3-b3) it would lose one.
    const a = group('A', [run('a1', { acc: [0.9] }, { seed: 1 }), run('a2', { acc: [0.7] }, { seed: 2 }), run('a3', { acc: [0.8] }, { seed: 3 })]);
    const b = group('B', [run('b1', { acc: [0.75] }, { seed: 3 }), run('b2', { acc: [0.6] }, { seed: 2 }), run('b3', { acc: [0.85] }, { seed: 1 })]);
    const report = seedNoiseReport(a, b, { metric: 'acc', resamples: 2000 });
    expect(report.pairedBy).toBe('seed');
    expect(report.pAB!.wins).toBe(3);
    expect(report.pAB!.estimate).toBe(1);
    expect(report.a.values).toEqual([0.9, 0.7, 0.8]);
    expect(report.gap!.value).toBeCloseTo(0.8 - 0.7333333333333334, 12);
  });

  it('for a lower-is-better metric the best of N is the expected minimum, and B winning is not meaningful for A', () => {
    const losses = [[1.0, 0.8], [0.9, 0.85], [1.2, 0.7], [1.1, 0.9]];
    const a = group('A', losses.map(([final, best], i) => run(`a${i}`, { 'val/loss': [1.5, best!, final!] }, { seed: i })));
    const b = group('B', losses.map(([final], i) => run(`b${i}`, { 'val/loss': [1.5, final! - 0.3] }, { seed: i })));
    const report = seedNoiseReport(a, b, { metric: 'val/loss', at: 'best', resamples: 2000 });
    expect(report.direction).toBe('lower');
    expect(report.a.values).toEqual([0.8, 0.85, 0.7, 0.9]);
    const curve = report.a.expectedMax.map((p) => p.value);
    expect(curve[0]).toBeCloseTo((0.8 + 0.85 + 0.7 + 0.9) / 4, 12);
    for (let i = 1; i < curve.length; i++) expect(curve[i]).toBeLessThan(curve[i - 1]!);
    expect(curve.at(-1)!).toBeGreaterThan(0.7);
    // B's losses (0.7, 0.6, 0.9, 0.8) beat A's best ones on seeds 0, 1, 3, lose on seed 2.
    expect(report.pAB!.wins).toBe(1);
    expect(report.pAB!.losses).toBe(3);
    expect(report.pAB!.meaningful).toBe(false);
    expect(report.gap!.better).toBe('b');
  });

  it('one group: spread and expected max only; fewer than two runs is an input error', () => {
    const a = group('A', [run('a1', { acc: [0.5] }), run('a2', { acc: [0.7] })]);
    const report = seedNoiseReport(a, undefined, { metric: 'acc' });
    expect(report.a.mean).toBeCloseTo(0.6, 12);
    expect(report.a.sd).toBeCloseTo(Math.SQRT2 * 0.1, 12);
    expect(report.b).toBeUndefined();
    expect(report.pAB).toBeUndefined();
    const json = seedsToJson(report);
    expect(json.schema).toBe('ladder.seeds/v1');
    expect(json).not.toHaveProperty('b');
    expect(inputError(() => seedNoiseReport(group('solo', [run('a1', { acc: [0.5] })]), undefined, { metric: 'acc' }))).toContain('solo');
  });
});

interface Expected {
  seed: number;
  final: Record<string, number>;
  best: Record<string, number>;
  points: Record<string, number>;
}

const FIXTURES = path.join(REPO, 'test/fixtures/seeds');
const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, Expected>;
const expectedOf = (config: string) => Object.entries(expected).filter(([key]) => key.startsWith(`${config}/`)).map(([key, value]) => ({ id: key.split('/')[1]!, ...value }));

async function fixtureGroup(config: string): Promise<SeedGroup> {
  const result = await ingest([path.join(FIXTURES, config)]);
  expect(result.issues.filter((issue) => issue.severity === 'error')).toEqual([]);
  return { name: config, runs: result.runs };
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

describe('seedNoiseReport on TensorBoard runs written by torch (test/fixtures/seeds)', () => {
  it('takes from every run the value the generator logged, final and best, with its seed', async () => {
    const a = await fixtureGroup('adam-3e-3');
    const b = await fixtureGroup('adam-1e-3');
    const report = seedNoiseReport(a, b);
    expect(report.metric).toBe('val/accuracy');
    expect(report.direction).toBe('higher');
    for (const [summary, config] of [[report.a, 'adam-3e-3'], [report.b!, 'adam-1e-3']] as const) {
      const want = expectedOf(config);
      expect(summary.n).toBe(5);
      for (const run of want) {
        const i = summary.runs.indexOf(run.id);
        expect(i).toBeGreaterThanOrEqual(0);
        expect(summary.values[i]).toBe(run.final['val/accuracy']);
        expect(summary.seeds[i]).toBe(String(run.seed));
      }
      expect(summary.mean).toBeCloseTo(mean(want.map((r) => r.final['val/accuracy']!)), 12);
    }
    const best = seedNoiseReport(a, undefined, { metric: 'val/loss', at: 'best' });
    for (const run of expectedOf('adam-3e-3')) expect(best.a.values[best.a.runs.indexOf(run.id)]).toBe(run.best['val/loss']);
  });

  it('a gap far beyond seed noise: paired by seed, P(A > B) near 1 and meaningful', async () => {
    const report = seedNoiseReport(await fixtureGroup('adam-3e-3'), await fixtureGroup('adam-1e-3'));
    expect(report.pairedBy).toBe('seed');
    expect(report.pairs!.map((p) => p.seed)).toEqual(['0', '1', '2', '3', '4']);
    expect(report.pairs!.every((p) => p.a === p.b)).toBe(true);
    // Independently: A's final accuracy beats B's on every shared seed.
    const a = expectedOf('adam-3e-3');
    const b = expectedOf('adam-1e-3');
    const wins = a.filter((run) => run.final['val/accuracy']! > b.find((other) => other.seed === run.seed)!.final['val/accuracy']!).length;
    expect(wins).toBe(5);
    expect(report.pAB!.wins).toBe(wins);
    expect(report.pAB!.estimate).toBeGreaterThan(0.9);
    expect(report.pAB!.ci[0]).toBeGreaterThan(0.5);
    expect(report.pAB!.meaningful).toBe(true);
    expect(report.gap!.verdict).toBe('beyond-noise');
    expect(report.gap!.better).toBe('a');
  });

  it('the same configuration with other seeds: the P(A > B) interval contains 0.5', async () => {
    const report = seedNoiseReport(await fixtureGroup('adam-3e-3'), await fixtureGroup('adam-3e-3-bis'));
    // Seeds 0–4 against 5–9: nothing shared, so runs are paired by sorted id, with a note.
    expect(report.pairedBy).toBe('order');
    expect(report.notes.join(' ')).toContain('share no seed');
    expect(report.pAB!.ci[0]).toBeLessThan(0.5);
    expect(report.pAB!.ci[1]).toBeGreaterThan(0.5);
    expect(report.pAB!.meaningful).toBe(false);
    expect(report.pAB!.significant).toBe(false);
    expect(report.gap!.verdict).not.toBe('beyond-noise');
  });
});
