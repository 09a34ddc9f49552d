/**
 * The study fixtures (test/fixtures/studies: runs produced by real PyTorch training, one
 * folder per study, labels.json with the truth the generator verified): ladder must give each
 * study its labelled verdict, with the labelled findings, as one ladder.diagnosis/v1 document
 * whose subject holds every run.
 */
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/corpus.js';
import { hasStackTrace, ladder } from '../support/cli.js';
import { scratch } from '../support/files.js';
import { seedsForPower } from '../../src/stats/seed-noise.js';

const STUDIES = path.join(REPO, 'test/fixtures/studies');

interface StudyLabel {
  study: string;
  expected_layer: string;
  expected_findings: string[];
}

const labelled = readdirSync(STUDIES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(path.join(STUDIES, entry.name, 'labels.json')))
  .map((entry) => ({ folder: path.join(STUDIES, entry.name), label: JSON.parse(readFileSync(path.join(STUDIES, entry.name, 'labels.json'), 'utf8')) as StudyLabel }));

describe('ladder diagnose on study folders', () => {
  it('has the five studies issue 5 asks for', () => {
    expect(labelled.map((l) => l.label.expected_layer).sort()).toEqual(['instantiation', 'instantiation', 'observation', 'perception', 'reachability']);
  });

  for (const { folder, label } of labelled) {
    it(`${label.study}: verdict ${label.expected_layer} with ${label.expected_findings.join(', ')}`, () => {
      const result = ladder(['diagnose', '--json', folder]);
      expect(result.status, result.stderr).toBe(0);
      const json = JSON.parse(result.stdout);
      expect(json.schema).toBe('ladder.diagnosis/v1');
      expect(json.subject.runs).toBeGreaterThan(1);
      expect(json.subject.runIds).toHaveLength(json.subject.runs);
      expect(json.subject.study.arms.length).toBeGreaterThanOrEqual(2);
      expect(json.verdict.layer).toBe(label.expected_layer);
      const failing = json.findings.filter((f: { severity: string }) => f.severity !== 'info').map((f: { code: string }) => f.code);
      for (const code of label.expected_findings) expect(failing).toContain(code);
      // The taboo: no instantiation or perception verdict while reachability has not passed.
      const reachability = json.layers.find((l: { layer: string }) => l.layer === 'reachability');
      if (label.expected_layer === 'instantiation' || label.expected_layer === 'perception') expect(reachability.status).toBe('pass');
      else expect(json.layers.filter((l: { layer: string; status: string }) => ['instantiation', 'perception'].includes(l.layer)).map((l: { status: string }) => l.status)).toEqual(['gated', 'gated']);
    });
  }

  it('the confounded study names the per-arm learning-rate sweep that would settle it', () => {
    const json = JSON.parse(ladder(['diagnose', '--json', path.join(STUDIES, 'confounded')]).stdout);
    const taboo = json.findings.find((f: { code: string }) => f.code === 'reachability.untuned-comparison');
    expect(taboo.evidence.plan.kind).toBe('lr-sweep');
    expect(taboo.evidence.plan.perArm).toBe(true);
    expect(Object.values(taboo.evidence.plan.vary)[0]).toHaveLength(5);
    expect(json.verdict.next.join(' ')).toMatch(/tune each arm separately/);
  });

  it('the seed-noise study names how many seeds per arm its gap needs (Cohen-style power at 0.8)', () => {
    const json = JSON.parse(ladder(['diagnose', '--json', path.join(STUDIES, 'seed-noise')]).stdout);
    const finding = json.findings.find((f: { code: string }) => f.code === 'observation.seed-noise');
    // kaiming_normal 0.8217 against kaiming_uniform 0.8157 at a pooled seed SD near 0.0084 (labels.json):
    // d ≈ 0.7, about 2 · (2.8 / 0.7)² ≈ 32 seeds per arm; exactly what seedsForPower gives for the evidence.
    expect(finding.evidence.seedsNeeded).toBe(seedsForPower(finding.evidence.seedSd, finding.evidence.gap));
    expect(finding.evidence.seedsNeeded).toBeGreaterThan(20);
    expect(finding.evidence.seedsNeeded).toBeLessThan(60);
    expect(json.verdict.next.join(' ')).toContain(`the gap needs ${finding.evidence.seedsNeeded} seeds per arm`);
  });

  it('--per-run diagnoses each run of a study on its own; a ladder.yaml asking for a study that is not one is a one-line error', () => {
    const perRun = JSON.parse(ladder(['diagnose', '--json', '--per-run', path.join(STUDIES, 'confounded')]).stdout);
    expect(perRun.schema).toBe('ladder.diagnoses/v1');
    expect(perRun.diagnoses).toHaveLength(4);
    const mixed = ladder(['diagnose', path.join(REPO, 'examples/runs')]);
    expect(mixed.status).toBe(0);
    expect(mixed.stdout).not.toMatch(/study of/);
    expect(hasStackTrace(mixed.stderr)).toBe(false);
    const dir = scratch('not-a-study');
    cpSync(path.join(REPO, 'examples/runs'), dir, { recursive: true });
    writeFileSync(path.join(dir, 'ladder.yaml'), 'study: true\n');
    const forced = ladder(['diagnose', dir]);
    expect(forced.status).toBe(2);
    expect(forced.stderr.trim().split('\n')).toHaveLength(1);
    expect(forced.stderr).toMatch(/asks for a study.*several formats/);
  });
});
