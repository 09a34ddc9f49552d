import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError as oneLineError, ladder } from '../support/cli.js';
import { REPO } from '../support/corpus.js';

interface GroupJson {
  name: string;
  n: number;
  mean: number;
  sd: number;
  sdCi: [number, number];
  values: number[];
  runs: string[];
  seeds: (string | null)[];
}

interface SeedsJson {
  schema: string;
  metric: string;
  direction: 'higher' | 'lower';
  at: 'final' | 'best';
  a: GroupJson;
  b?: GroupJson;
  gap?: { value: number; verdict: string; better: string };
  pAB?: { estimate: number; ci: [number, number]; meaningful: boolean; gamma: number; wins: number };
  pairedBy?: 'seed' | 'order';
  expectedMax: { a: { n: number; value: number; sd: number }[]; b?: { n: number; value: number; sd: number }[] };
  seed: number;
}

const FIXTURES = path.join(REPO, 'test/fixtures/seeds');
const fixture = (name: string) => path.join(FIXTURES, name);
const expected = JSON.parse(readFileSync(fixture('expected.json'), 'utf8')) as Record<string, { seed: number; final: Record<string, number> }>;

function seedsJson(args: string[]): SeedsJson {
  const result = ladder(['seeds', ...args, '--json']);
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as SeedsJson;
}

/** A refusal of `ladder seeds args`: one line, exit 2, nothing on stdout. */
function expectOneLineError(args: string[], ...mentions: string[]): string {
  const result = oneLineError(['seeds', ...args], ...mentions);
  expect(result.stdout).toBe('');
  return result.stderr;
}

let dir: string;
const tmp = (name: string) => path.join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ladder-seeds-'));
  // One run only.
  cpSync(fixture('adam-3e-3/seed-0'), tmp('single/seed-0'), { recursive: true });
  // Two TensorBoard runs and a CSV run that logged another metric.
  cpSync(fixture('adam-3e-3/seed-0'), tmp('mixed/seed-0'), { recursive: true });
  cpSync(fixture('adam-3e-3/seed-1'), tmp('mixed/seed-1'), { recursive: true });
  mkdirSync(tmp('mixed/odd'));
  writeFileSync(tmp('mixed/odd/metrics.csv'), 'step,loss\n0,1.5\n1,1.2\n');
  // Two CSV runs of a metric whose name says nothing about its direction.
  for (const [name, last] of [['r1', 3], ['r2', 4]] as const) {
    mkdirSync(tmp(`plain/${name}`), { recursive: true });
    writeFileSync(tmp(`plain/${name}/metrics.csv`), `step,widgets\n0,1\n1,${last}\n`);
  }
  // A folder with nothing ladder reads.
  mkdirSync(tmp('empty'));
  writeFileSync(tmp('empty/notes.txt'), 'nothing here\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ladder seeds on runs written by torch SummaryWriter', () => {
  it('beyond seed noise: ladder.seeds/v1 with the logged values, paired by seed, P(A > B) meaningful', () => {
    const out = seedsJson([fixture('adam-3e-3'), fixture('adam-1e-3')]);
    expect(out.schema).toBe('ladder.seeds/v1');
    expect(out.metric).toBe('val/accuracy');
    expect(out.direction).toBe('higher');
    expect(out.at).toBe('final');
    expect(out.pairedBy).toBe('seed');
    for (const [side, config] of [[out.a, 'adam-3e-3'], [out.b!, 'adam-1e-3']] as const) {
      expect(side.n).toBe(5);
      side.runs.forEach((id, i) => {
        expect(side.values[i]).toBe(expected[`${config}/${id}`]!.final['val/accuracy']);
        expect(side.seeds[i]).toBe(String(expected[`${config}/${id}`]!.seed));
      });
      expect(side.sdCi[0]).toBeLessThan(side.sd);
      expect(side.sdCi[1]).toBeGreaterThan(side.sd);
    }
    expect(out.pAB!.estimate).toBeGreaterThan(0.9);
    expect(out.pAB!.meaningful).toBe(true);
    expect(out.pAB!.gamma).toBe(0.75);
    expect(out.gap!.verdict).toBe('beyond-noise');
    expect(out.gap!.value).toBeCloseTo(out.a.mean - out.b!.mean, 12);
    expect(out.expectedMax.a).toHaveLength(5);
    expect(out.expectedMax.a[0]!.value).toBeCloseTo(out.a.mean, 12);
    expect(out.expectedMax.a[4]!.value).toBeLessThanOrEqual(Math.max(...out.a.values));
    expect(out.seed).toBe(0);
  });

  it('within seed noise: the interval of P(A > B) contains 0.5', () => {
    const out = seedsJson([fixture('adam-3e-3'), fixture('adam-3e-3-bis')]);
    expect(out.pairedBy).toBe('order');
    expect(out.pAB!.ci[0]).toBeLessThan(0.5);
    expect(out.pAB!.ci[1]).toBeGreaterThan(0.5);
    expect(out.pAB!.meaningful).toBe(false);
  });

  it('one folder: spread and expected max only; --metric and --at best', () => {
    const out = seedsJson([fixture('adam-1e-3'), '--metric', 'val/loss', '--at', 'best']);
    expect(out.direction).toBe('lower');
    expect(out.at).toBe('best');
    expect(out.b).toBeUndefined();
    expect(out.pAB).toBeUndefined();
    expect(out.gap).toBeUndefined();
    const curve = out.expectedMax.a.map((p) => p.value);
    for (let i = 1; i < curve.length; i++) expect(curve[i]).toBeLessThanOrEqual(curve[i - 1]!);
  });

  it('human output: short, with the verdicts', () => {
    const result = ladder(['seeds', fixture('adam-3e-3'), fixture('adam-1e-3')]);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('val/accuracy');
    expect(result.stdout).toContain('beyond seed noise');
    expect(result.stdout).toMatch(/P\(A > B\) 1\.00 +95% CI \[1\.00, 1\.00\] +over 5 runs paired by seed/);
    expect(result.stdout).toContain('meaningfully');
    expect(result.stdout.split('\n').length).toBeLessThan(25);
    const within = ladder(['seeds', fixture('adam-3e-3'), fixture('adam-3e-3-bis')]);
    expect(within.stdout).toContain('No winner');
    expect(within.stdout).toContain('note: runs paired by sorted run id');
  });
});

describe('ladder seeds: bad input is one line, exit 2', () => {
  it('missing folder', () => expectOneLineError([tmp('nope'), fixture('adam-1e-3')], 'nope'));
  it('no runs', () => expectOneLineError([tmp('empty')], 'no runs'));
  it('fewer than 2 runs', () => expectOneLineError([tmp('single'), fixture('adam-1e-3')], 'single', 'at least 2'));
  it('metric absent in one run, named', () => expectOneLineError([tmp('mixed'), '--metric', 'val/accuracy'], 'run odd', 'val/accuracy'));
  it('no shared objective: lists what is shared', () => expectOneLineError([tmp('mixed')], '--metric'));
  it('unknown direction, unless a flag gives it', () => {
    expectOneLineError([tmp('plain'), '--metric', 'widgets'], '--higher-is-better');
    const out = seedsJson([tmp('plain'), '--metric', 'widgets', '--lower-is-better']);
    expect(out.direction).toBe('lower');
    expect(out.a.values).toEqual([3, 4]);
    expect(out.expectedMax.a[1]!.value).toBeCloseTo(3.25, 12);
  });
  it('bad flags and arity', () => {
    expectOneLineError([fixture('adam-1e-3'), '--at', 'last'], '--at');
    expectOneLineError([fixture('adam-1e-3'), '--higher-is-better', '--lower-is-better'], 'contradict');
    expectOneLineError([fixture('adam-1e-3'), '--gamma', '0.3'], '--gamma');
    expectOneLineError([], 'one or two folders');
    expectOneLineError([fixture('adam-1e-3'), fixture('adam-3e-3'), fixture('adam-3e-3-bis')], 'one or two folders');
  });
});
