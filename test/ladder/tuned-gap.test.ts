import { describe, expect, it } from 'vitest';
import { diagnoseRunWith } from '../../src/ladder/diagnose.js';
import { tunedGapOutcome } from '../../src/ladder/tuned-gap.js';
import { emptyRun, seriesFromArrays } from '../../src/model/run.js';
import { assignRoles } from '../../src/ingest/roles.js';
import { range, runWithSeries } from '../support/runs.js';

const run = (id: string, value: number, error = 0.005, setting = id) => ({ id, value, error, setting });

describe('reachability.tuned-gap', () => {
  it('fails when the sweep beats the run beyond noise and by more than 2 %, with the normal interval of the gap', () => {
    const outcome = tunedGapOutcome(run('a', 2.0, 0.003), [run('a', 2.0, 0.003), run('b', 1.9, 0.004), run('c', 1.95)]).outcome;
    expect(outcome.status).toBe('problem');
    const evidence = outcome.status === 'problem' ? outcome.findings[0]!.evidence : {};
    expect(evidence.gap).toBeCloseTo(0.1, 12);
    // 1.959964 × √(0.003² + 0.004²) = 1.959964 × 0.005
    expect(evidence.low).toBeCloseTo(0.1 - 1.959964 * 0.005, 6);
    expect(evidence.high).toBeCloseTo(0.1 + 1.959964 * 0.005, 6);
    expect(evidence.bestSetting).toBe('b');
    expect(evidence.settings).toBe(3);
  });

  it('is clear when the gap is inside noise, or below the practical margin, or the run is the best', () => {
    expect(tunedGapOutcome(run('a', 2.0, 0.03), [run('b', 1.95, 0.03)]).outcome.status).toBe('clear');
    expect(tunedGapOutcome(run('a', 2.0, 0.0001), [run('b', 1.97, 0.0001)]).outcome.status).toBe('clear');
    expect(tunedGapOutcome(run('a', 1.8), [run('b', 1.9), run('c', 2.5)]).outcome.status).toBe('clear');
    expect(tunedGapOutcome(run('a', 2.0, 0.0001), [run('b', 1.97, 0.0001)], { confidence: 0.95, minRelativeGap: 0.01 }).outcome.status).toBe('problem');
  });

  it('is unknown without a sweep, and turns a passing run into a reachability verdict when it fails', () => {
    expect(tunedGapOutcome(run('a', 2.0), [run('a', 2.0)]).outcome.status).toBe('unknown');
    const quiet = emptyRun('quiet', 'jsonl', []);
    quiet.series['train/loss'] = seriesFromArrays([0, 1, 2], [2.1, 2.05, 2.0]);
    quiet.roles = { trainLoss: 'train/loss', valMetrics: [] };
    const diagnosis = diagnoseRunWith(quiet, [tunedGapOutcome(run('quiet', 2.0, 0.003), [run('b', 1.5, 0.003, 'learning_rate=0.01')])]);
    expect(diagnosis.verdict.layer).toBe('reachability');
    const finding = diagnosis.findings.find((f) => f.code === 'reachability.tuned-gap')!;
    expect(finding.summary).toContain('learning_rate=0.01');
    expect(finding.next).toContain('learning_rate=0.01');
  });

  describe('a sweep at twice the steps settles reachability.not-converged', () => {
    // A validation loss still falling steeply at its last evaluation: the curve check predicts
    // a large gain from more steps.
    const evalSteps = range(20, 10);
    const falling = () => {
      const r = runWithSeries('falling', { eval_loss: [evalSteps, evalSteps.map((t, i) => 0.3 + 2 * Math.exp(-t / 300) + (i % 2 ? 0.002 : -0.002))] });
      r.roles = assignRoles(r);
      return r;
    };
    const longer = (value: number, error: number) => ({ ...tunedGapOutcome(run('falling', 2.0, 0.003), [run('b', value, error, 'learning_rate=0.01, steps=400')]), settles: ['reachability.not-converged'] });

    it('keeps the curve check when no experiment measured it', () => {
      const d = diagnoseRunWith(falling(), []);
      expect(d.verdict.layer).toBe('reachability');
      expect(d.findings.find((f) => f.code === 'reachability.not-converged')!.severity).not.toBe('info');
    });

    it('keeps it when the longer sweep confirms the gain', () => {
      const d = diagnoseRunWith(falling(), [longer(1.6, 0.003)]);
      expect(d.verdict.layer).toBe('reachability');
      expect(d.layers[1]!.findings).toEqual(expect.arrayContaining(['reachability.not-converged', 'reachability.tuned-gap']));
      expect(d.findings.find((f) => f.code === 'reachability.not-converged')!.evidence.settledBy).toBeUndefined();
    });

    it('turns it into context when the longer sweep measured no practical gain, saying which experiment settled it', () => {
      const d = diagnoseRunWith(falling(), [longer(1.99, 0.003)]);
      expect(d.layers[1]!.status).toBe('pass');
      expect(d.verdict.layer).not.toBe('reachability');
      const finding = d.findings.find((f) => f.code === 'reachability.not-converged')!;
      expect(finding.severity).toBe('info');
      expect(finding.evidence.settledBy).toBe('reachability.tuned-gap');
      expect(finding.summary).toContain('settled by reachability.tuned-gap');
    });

    it('does not settle anything when the experiment could not be assessed', () => {
      const unknown = { ...tunedGapOutcome(run('falling', 2.0), []), settles: ['reachability.not-converged'] };
      expect(diagnoseRunWith(falling(), [unknown]).verdict.layer).toBe('reachability');
    });
  });
});
