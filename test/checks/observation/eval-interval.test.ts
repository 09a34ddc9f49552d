import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evalInterval, scoreInterval } from '../../../src/checks/observation/eval-interval.js';
import { smallEval } from '../../../src/checks/observation/small-eval.js';
import { ingest } from '../../../src/ingest/ingest.js';
import type { Baseline } from '../../../src/ladder/baseline.js';
import { evidenceOf } from '../../../src/ladder/evidence.js';
import { emptyRun, type ExampleSet, type Run } from '../../../src/model/run.js';
import { wilsonInterval } from '../../../src/stats/intervals.js';
import { REPO } from '../../support/corpus.js';
import { noise } from '../../support/runs.js';
import { defaults } from './support.js';

const FIXTURES = path.join(REPO, 'test/fixtures/diagnose-examples');

async function fixtureRun(name: string): Promise<Run> {
  const { runs } = await ingest([path.join(FIXTURES, name)]);
  expect(runs).toHaveLength(1);
  return runs[0]!;
}

async function fixtureBaseline(name: string): Promise<Baseline> {
  return { kind: 'items', sets: (await fixtureRun(name)).examples, source: name };
}

function run(id: string, sets: ExampleSet[]): Run {
  const r = emptyRun(id, 'jsonl', [`${id}.jsonl`]);
  r.examples = sets;
  return r;
}

function judge(r: Run, baseline?: Baseline, overrides: Record<string, number> = {}, metric?: string) {
  return evalInterval.evaluate(evidenceOf(r, { ...(baseline ? { baseline } : {}), ...(metric ? { metric } : {}) }), { ...defaults(evalInterval), ...overrides });
}

function only(outcome: ReturnType<typeof judge>) {
  if (outcome.status === 'unknown') throw new Error(`unexpected unknown: ${outcome.missing}`);
  return outcome.findings![0]!;
}

describe('observation.eval-interval on per-example results written by PyTorch classifiers', () => {
  it('gives the Wilson interval of the accuracy (1,346 of 1,500), info without a baseline', async () => {
    const finding = only(judge(await fixtureRun('strong')));
    expect(finding.severity).toBe('info');
    expect(finding.evidence).toMatchObject({ metric: 'correct', n: 1500, method: 'wilson', baseline: 'none' });
    // Wilson 95% for 1346/1500 by the textbook formula in Python (scipy.stats.norm.ppf(0.975)).
    expect(finding.evidence.low as number).toBeCloseTo(0.8809443624227629, 12);
    expect(finding.evidence.high as number).toBeCloseTo(0.9116923832982662, 12);
  });

  it('warns when 80 items leave ±6 points and no baseline is given', async () => {
    const outcome = judge(await fixtureRun('small'));
    expect(outcome.status).toBe('problem');
    expect(only(outcome).evidence.halfWidth as number).toBeGreaterThan(0.05);
    expect(judge(await fixtureRun('small'), undefined, { maxHalfWidth: 0.07 }).status).toBe('clear');
  });

  it('against a clearly weaker system on the same items: significant by exact McNemar (info)', async () => {
    const outcome = judge(await fixtureRun('strong'), await fixtureBaseline('weak'));
    expect(outcome.status).toBe('clear');
    const { evidence } = only(outcome);
    // 519 items only the strong model got right, 32 only the weak one: scipy.stats.binomtest(519, 551).pvalue.
    expect(evidence).toMatchObject({ baseline: 'items', paired: 1500, onlyRun: 519, onlyBaseline: 32, test: 'mcnemar-exact', distinguishable: true });
    expect((evidence.pValue as number) / 2.2860700118186248e-114).toBeCloseTo(1, 8);
  });

  it('against a second seed of the same model: not significant, so the claim fails at the observation', async () => {
    const outcome = judge(await fixtureRun('strong'), await fixtureBaseline('close'));
    expect(outcome.status).toBe('problem');
    const { evidence, severity } = only(outcome);
    expect(severity).toBe('warning');
    // 11 vs 13 discordant items: scipy.stats.binomtest(11, 24).pvalue.
    expect(evidence).toMatchObject({ onlyRun: 11, onlyBaseline: 13, distinguishable: false });
    expect(evidence.pValue as number).toBeCloseTo(0.8388197422027588, 12);
    expect(evidence.mde as number).toBeGreaterThan(Math.abs(evidence.difference as number));
    expect(evidence.itemsNeeded as number).toBeGreaterThan(1500);
  });

  it('against a value: told apart exactly when the value lies outside the interval', async () => {
    const r = await fixtureRun('strong');
    const inside = only(judge(r, { kind: 'value', value: 0.89, source: 'paper' }));
    expect(inside).toMatchObject({ severity: 'warning', evidence: { distinguishable: false, baselineValue: 0.89 } });
    expect(inside.evidence.difference as number).toBeCloseTo(1346 / 1500 - 0.89, 12);
    // The interval's lower end is 0.88094: a value just below it is told apart, just above it is not.
    expect(only(judge(r, { kind: 'value', value: 0.8809 - 1e-4, source: 'paper' })).evidence.distinguishable).toBe(true);
    expect(only(judge(r, { kind: 'value', value: 0.8809 + 1e-4, source: 'paper' })).evidence.distinguishable).toBe(false);
    const above = only(judge(r, { kind: 'value', value: 0.95, source: 'paper' }));
    expect(above).toMatchObject({ severity: 'info', evidence: { distinguishable: true } });
  });

  it('refuses a percentage where the score is a proportion, and a baseline on other items', async () => {
    const r = await fixtureRun('strong');
    const percent = judge(r, { kind: 'value', value: 89, source: 'cli' });
    expect(percent.status).toBe('unknown');
    if (percent.status === 'unknown') expect(percent.missing).toMatch(/0\.89/);
    const other = judge(r, await fixtureBaseline('small'));
    expect(other.status).toBe('unknown');
  });

  it('uses the clustered interval when items share clusters (wider than the independent one)', () => {
    const random = noise(11);
    const count = 400;
    // 40 passages of 10 questions each; a passage is easy or hard as a whole.
    const clusters = Array.from({ length: count }, (_, i) => `passage-${Math.floor(i / 10)}`);
    const easy = Array.from({ length: 40 }, () => random() < 0.5);
    const correct = Float64Array.from({ length: count }, (_, i) => (random() < (easy[Math.floor(i / 10)] ? 0.95 : 0.45) ? 1 : 0));
    const finding = only(judge(run('clustered', [{ name: 'qa', count, correct, clusters }])));
    expect(finding.evidence).toMatchObject({ method: 'clustered', clusters: 40 });
    const successes = correct.reduce((a, b) => a + b, 0);
    const independent = wilsonInterval(successes, count);
    expect((finding.evidence.high as number) - (finding.evidence.low as number)).toBeGreaterThan(1.5 * (independent.high - independent.low));
  });

  it('bootstraps a non-0/1 metric (BCa), the only metric the sets share', () => {
    const random = noise(5);
    const bleu = Float64Array.from({ length: 300 }, () => 20 + 30 * random() ** 2);
    const finding = only(judge(run('mt', [{ name: 'wmt', count: 300, metrics: { bleu } }]), { kind: 'value', value: 30.5, source: 'paper' }));
    expect(finding.evidence).toMatchObject({ metric: 'bleu', method: 'bca-bootstrap', n: 300 });
    const mean = bleu.reduce((a, b) => a + b, 0) / 300;
    expect(finding.evidence.value as number).toBeCloseTo(mean, 12);
    expect(finding.evidence.low as number).toBeLessThan(mean);
    expect(finding.evidence.high as number).toBeGreaterThan(mean);
    // Same data, same seed: the same interval as the bootstrap itself.
    const direct = scoreInterval(bleu, undefined, 0.95, 2000);
    expect([finding.evidence.low, finding.evidence.high]).toEqual([direct.low, direct.high]);
  });

  it('names the choice when several metrics are shared and none is chosen', () => {
    const metrics = { bleu: new Float64Array([1, 2, 3]), chrf: new Float64Array([4, 5, 6]) };
    const outcome = judge(run('two', [{ name: 'set', count: 3, metrics }]));
    expect(outcome.status).toBe('unknown');
    if (outcome.status === 'unknown') expect(outcome.missing).toMatch(/bleu, chrf.*--metric/);
    expect(only(judge(run('two', [{ name: 'set', count: 3, metrics }]), undefined, {}, 'chrf')).evidence.metric).toBe('chrf');
  });

  it('supersedes observation.small-eval when per-example results exist', async () => {
    const r = await fixtureRun('small');
    r.series.eval_accuracy = { steps: new Float64Array([1]), values: new Float64Array([0.9125]), wallTimes: new Float64Array([Number.NaN]) };
    r.roles.valMetrics = ['eval_accuracy'];
    r.hparams.eval_size = 80;
    expect(smallEval.evaluate(evidenceOf(r), defaults(smallEval))).toEqual({ status: 'clear' });
  });
});
