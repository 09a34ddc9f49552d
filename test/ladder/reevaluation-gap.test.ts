import { describe, expect, it } from 'vitest';
import { diagnoseRunWith } from '../../src/ladder/diagnose.js';
import { reevaluationOutcome } from '../../src/ladder/reevaluation-gap.js';
import { tunedGapOutcome } from '../../src/ladder/tuned-gap.js';
import { emptyRun, seriesFromArrays } from '../../src/model/run.js';

describe('observation.reevaluation-gap', () => {
  it('fails when the reported loss is worse than the re-evaluation beyond noise and by more than 3 %, with the normal interval', () => {
    const outcome = reevaluationOutcome('r', { value: 3.0, error: 0.03 }, { value: 1.5, error: 0.04 }).outcome;
    expect(outcome.status).toBe('problem');
    const evidence = outcome.status === 'problem' ? outcome.findings[0]!.evidence : {};
    expect(evidence.gap).toBeCloseTo(1.5, 12);
    // 1.959964 × √(0.03² + 0.04²) = 1.959964 × 0.05
    expect(evidence.low).toBeCloseTo(1.5 - 1.959964 * 0.05, 6);
    expect(evidence.high).toBeCloseTo(1.5 + 1.959964 * 0.05, 6);
    expect(evidence.relativeGap).toBeCloseTo(1, 12);
    expect(evidence.direction).toBe('worse');
  });

  it('fails the other way too: a reported loss that flatters the model (a leak)', () => {
    const outcome = reevaluationOutcome('r', { value: 1.2, error: 0.01 }, { value: 1.4, error: 0.005 }).outcome;
    expect(outcome.status).toBe('problem');
    const evidence = outcome.status === 'problem' ? outcome.findings[0]!.evidence : {};
    expect(evidence.direction).toBe('better');
    expect(evidence.gap).toBeCloseTo(-0.2, 12);
  });

  it('is clear within noise or below the margin; the margin is overridable', () => {
    expect(reevaluationOutcome('r', { value: 1.45, error: 0.04 }, { value: 1.4, error: 0.01 }).outcome.status).toBe('clear');
    expect(reevaluationOutcome('r', { value: 1.42, error: 0.0001 }, { value: 1.4, error: 0.0001 }).outcome.status).toBe('clear');
    expect(reevaluationOutcome('r', { value: 1.38, error: 0.0001 }, { value: 1.4, error: 0.0001 }).outcome.status).toBe('clear');
    expect(reevaluationOutcome('r', { value: 1.42, error: 0.0001 }, { value: 1.4, error: 0.0001 }, { confidence: 0.95, minRelativeGap: 0.01 }).outcome.status).toBe('problem');
  });

  it('is unknown without the reported error, and names observation before a reachability problem', () => {
    expect(reevaluationOutcome('r', { value: 2, error: Number.NaN }, { value: 2, error: 0.01 }).outcome.status).toBe('unknown');
    const run = emptyRun('shifted', 'jsonl', []);
    run.series['train/loss'] = seriesFromArrays([0, 1, 2], [2.6, 2.0, 1.5]);
    run.roles = { trainLoss: 'train/loss', valMetrics: [] };
    const diagnosis = diagnoseRunWith(run, [
      reevaluationOutcome('shifted', { value: 4.1, error: 0.05 }, { value: 1.5, error: 0.01 }),
      tunedGapOutcome({ id: 'shifted', value: 1.5, error: 0.01, setting: 'learning_rate=0.01' }, [{ id: 'other', value: 1.2, error: 0.01, setting: 'learning_rate=0.03' }]),
    ]);
    expect(diagnosis.verdict.layer).toBe('observation');
    const finding = diagnosis.findings.find((f) => f.code === 'observation.reevaluation-gap')!;
    expect(finding.summary).toContain('re-evaluated independently');
    expect(finding.next).toContain('targets line up');
  });
});
