import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { scratch } from '../support/files.js';
import { describe, expect, it } from 'vitest';
import { corpusPath, HAS_CORPUS, REPO } from '../support/corpus.js';
import { hasStackTrace, ladder } from '../support/cli.js';

const examples = path.join(REPO, 'examples/runs');

describe('ladder diagnose', () => {
  it('diagnoses one run as a ladder.diagnosis/v1 document', () => {
    const result = ladder(['diagnose', '--json', path.join(examples, 'torch-tensorboard-stall')]);
    expect(result.status, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.schema).toBe('ladder.diagnosis/v1');
    expect(json.verdict.layer).toBe('reachability');
    expect(json.findings.map((f: { code: string }) => f.code)).toContain('reachability.stall');
    expect(json.layers.map((l: { status: string }) => l.status).slice(2)).toEqual(['gated', 'gated']);
  });

  it('wraps several runs in ladder.diagnoses/v1, one diagnosis per run', () => {
    const result = ladder(['diagnose', '--json', examples]);
    expect(result.status, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.schema).toBe('ladder.diagnoses/v1');
    expect(json.diagnoses.length).toBeGreaterThanOrEqual(6);
    for (const d of json.diagnoses) expect(d.schema).toBe('ladder.diagnosis/v1');
  });

  it('--fail-on makes the exit code 1 when a verdict is that layer or before it', () => {
    const stall = path.join(examples, 'torch-tensorboard-stall');
    expect(ladder(['diagnose', '--fail-on', 'reachability', stall]).status).toBe(1);
    expect(ladder(['diagnose', '--fail-on', 'any', stall]).status).toBe(1);
    expect(ladder(['diagnose', '--fail-on', 'observation', stall]).status).toBe(0);
    const bad = ladder(['diagnose', '--fail-on', 'everything', stall]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('prints the verdict first in human output', () => {
    const result = ladder(['diagnose', path.join(examples, 'torch-tensorboard-stall')]);
    const lines = result.stdout.split('\n');
    expect(lines[1]).toMatch(/^ {2}verdict: reachability/);
    expect(hasStackTrace(result.stdout + result.stderr)).toBe(false);
  });

  it('lets thresholds be overridden from the command line and from ladder.yaml, and refuses unknown ones', () => {
    const healthy = path.join(examples, 'hf-healthy/trainer_state.json');
    const verdictOf = (result: { stdout: string }) => JSON.parse(result.stdout).verdict.layer;
    expect(verdictOf(ladder(['diagnose', '--json', healthy]))).toBe('none');
    // asking for a 99% drop makes any run a stall
    const strict = ladder(['diagnose', '--json', '--threshold', 'reachability.stall.minRelativeDrop=0.99', healthy]);
    expect(verdictOf(strict)).toBe('reachability');

    const dir = path.join(scratch('diagnose-config'), 'run');
    cpSync(path.join(examples, 'hf-healthy'), dir, { recursive: true });
    writeFileSync(path.join(dir, 'ladder.yaml'), 'thresholds:\n  reachability.stall:\n    minRelativeDrop: 0.99\n');
    const fromYaml = ladder(['diagnose', '--json', path.join(dir, 'trainer_state.json')]);
    expect(fromYaml.status, fromYaml.stderr).toBe(0);
    expect(verdictOf(fromYaml)).toBe('reachability');

    for (const bad of ['reachability.nope.x=1', 'reachability.stall.nope=1', 'reachability.stall.minRelativeDrop=abc', 'oops']) {
      const result = ladder(['diagnose', '--threshold', bad, healthy]);
      expect(result.status, bad).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('a path with no runs is a one-line error', () => {
    const result = ladder(['diagnose', path.join(REPO, 'does-not-exist')]);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.skipIf(!HAS_CORPUS)('diagnoses every run of the real corpus without an error', () => {
    const result = ladder(['diagnose', '--json', corpusPath('real-logs')]);
    expect(result.status, result.stderr).toBe(0);
    expect(hasStackTrace(result.stderr)).toBe(false);
    const json = JSON.parse(result.stdout);
    expect(json.schema).toBe('ladder.diagnoses/v1');
    expect(json.diagnoses.length).toBe(69);
    for (const d of json.diagnoses) expect(['observation', 'reachability', 'instantiation', 'perception', 'none']).toContain(d.verdict.layer);
  });
});

describe('ladder diagnose on per-example results, with --baseline', () => {
  const fixtures = path.join(REPO, 'test/fixtures/diagnose-examples');
  const codes = (json: { findings: { code: string; severity: string }[] }) => Object.fromEntries(json.findings.map((f) => [f.code, f.severity]));

  it('adds the interval and label-error checks, and fails the observation when the baseline is within noise', () => {
    const alone = ladder(['diagnose', '--json', path.join(fixtures, 'strong')]);
    expect(alone.status, alone.stderr).toBe(0);
    expect(codes(JSON.parse(alone.stdout))).toMatchObject({ 'observation.eval-interval': 'info', 'observation.label-errors': 'info' });

    const close = ladder(['diagnose', '--json', '--fail-on', 'observation', path.join(fixtures, 'strong'), '--baseline', path.join(fixtures, 'close')]);
    expect(close.status, close.stderr).toBe(1);
    const json = JSON.parse(close.stdout);
    expect(json.verdict.layer).toBe('observation');
    expect(codes(json)).toMatchObject({ 'observation.eval-interval': 'warning', 'observation.label-errors': 'warning' });
    const interval = json.findings.find((f: { code: string }) => f.code === 'observation.eval-interval');
    expect(interval.evidence).toMatchObject({ baseline: 'items', onlyRun: 11, onlyBaseline: 13, test: 'mcnemar-exact' });

    const weak = ladder(['diagnose', '--json', path.join(fixtures, 'strong'), '--baseline', path.join(fixtures, 'weak')]);
    expect(JSON.parse(weak.stdout).layers[0].status).toBe('pass');
  });

  it('takes a value baseline from the flag or from ladder.yaml, and a metric by name', () => {
    const dir = scratch('diagnose-baseline');
    cpSync(path.join(fixtures, 'strong'), path.join(dir, 'strong'), { recursive: true });
    writeFileSync(path.join(dir, 'strong', 'ladder.yaml'), 'baseline: 0.95\n');
    const fromYaml = JSON.parse(ladder(['diagnose', '--json', path.join(dir, 'strong')]).stdout);
    const interval = fromYaml.findings.find((f: { code: string }) => f.code === 'observation.eval-interval');
    expect(interval.evidence).toMatchObject({ baseline: 'value', baselineValue: 0.95, distinguishable: true, baselineSource: 'ladder.yaml' });
    const fromFlag = JSON.parse(ladder(['diagnose', '--json', path.join(dir, 'strong'), '--baseline', '0.9']).stdout);
    expect(fromFlag.findings.find((f: { code: string }) => f.code === 'observation.eval-interval').evidence).toMatchObject({ baselineValue: 0.9, distinguishable: false });
    const human = ladder(['diagnose', path.join(dir, 'strong'), '--baseline', '0.9']);
    expect(human.stdout).toMatch(/verdict: observation — correct = 0\.8973 on 1,500 items/);
    const unknownMetric = JSON.parse(ladder(['diagnose', '--json', path.join(dir, 'strong'), '--metric', 'bleu']).stdout);
    const layer = unknownMetric.layers[0];
    expect(layer.unknown.map((u: { missing: string }) => u.missing).join(' ')).toMatch(/no per-example 'bleu'/);
  });

  it('a --baseline path without per-example results is a one-line error', () => {
    const result = ladder(['diagnose', path.join(fixtures, 'strong'), '--baseline', path.join(examples, 'hf-healthy')]);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/--baseline .*no per-example results/);
    expect(hasStackTrace(result.stderr)).toBe(false);
    const missing = ladder(['diagnose', path.join(fixtures, 'strong'), '--baseline', path.join(fixtures, 'nope')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
  });
});
