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
