import { describe, expect, it } from 'vitest';
import { diagnoseRunWith } from '../../src/ladder/diagnose.js';
import { trainDataOutcome } from '../../src/ladder/train-data-gap.js';
import { emptyRun, seriesFromArrays } from '../../src/model/run.js';

describe('reachability.train-data-noise', () => {
  it('fails when the training sample scores worse than held-out data beyond noise and by more than 2 %, with the normal interval', () => {
    const outcome = trainDataOutcome('r', { value: 2.2, error: 0.003 }, { value: 2.0, error: 0.004 }).outcome;
    expect(outcome.status).toBe('problem');
    const evidence = outcome.status === 'problem' ? outcome.findings[0]!.evidence : {};
    expect(evidence.gap).toBeCloseTo(0.2, 12);
    // 1.959964 × √(0.003² + 0.004²) = 1.959964 × 0.005
    expect(evidence.low).toBeCloseTo(0.2 - 1.959964 * 0.005, 6);
    expect(evidence.high).toBeCloseTo(0.2 + 1.959964 * 0.005, 6);
    expect(evidence.relativeGap).toBeCloseTo(0.1, 12);
  });

  it('is clear when the training sample scores better (memorization), within noise, or below the margin; the margin is overridable', () => {
    expect(trainDataOutcome('r', { value: 1.8, error: 0.003 }, { value: 2.0, error: 0.003 }).outcome.status).toBe('clear');
    expect(trainDataOutcome('r', { value: 2.1, error: 0.05 }, { value: 2.0, error: 0.05 }).outcome.status).toBe('clear');
    expect(trainDataOutcome('r', { value: 2.03, error: 0.0001 }, { value: 2.0, error: 0.0001 }).outcome.status).toBe('clear');
    expect(trainDataOutcome('r', { value: 2.03, error: 0.0001 }, { value: 2.0, error: 0.0001 }, { confidence: 0.95, minRelativeGap: 0.01 }).outcome.status).toBe('problem');
  });

  it('is unknown without both numbers, and turns a passing run into a reachability verdict when it fails', () => {
    expect(trainDataOutcome('r', { value: Number.NaN, error: 0.01 }, { value: 2, error: 0.01 }).outcome.status).toBe('unknown');
    const quiet = emptyRun('quiet', 'jsonl', []);
    quiet.series['train/loss'] = seriesFromArrays([0, 1, 2], [2.6, 2.55, 2.5]);
    quiet.roles = { trainLoss: 'train/loss', valMetrics: [] };
    const diagnosis = diagnoseRunWith(quiet, [trainDataOutcome('quiet', { value: 2.5, error: 0.004 }, { value: 2.1, error: 0.004 })]);
    expect(diagnosis.verdict.layer).toBe('reachability');
    const finding = diagnosis.findings.find((f) => f.code === 'reachability.train-data-noise')!;
    expect(finding.summary).toContain('own training data');
    expect(finding.next).toContain('label-issues');
  });
});
