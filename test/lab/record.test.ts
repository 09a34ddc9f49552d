import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendRecord, readRecord, recordKey } from '../../src/lab/record.js';
import { formatGrade } from '../../src/cli/commands/lab.js';
import { gradeOf, indictsOtherArm, verdictRight, type LabCaseJson } from '../../src/lab/tour.js';

/** A case as `ladder.lab/v1` writes it: total gap 1, true terms and estimates given per layer. */
function labCase(fault: string, injected: LabCaseJson['injectedLayer'], verdict: string, truth: number[], estimate: (number | null)[], halfWidth = 0.05): LabCaseJson {
  const layers = ['observation', 'reachability', 'instantiation', 'perception'] as const;
  const terms = (values: (number | null)[]) => Object.fromEntries(layers.map((l, i) => [l, values[i] ?? null])) as LabCaseJson['budget']['true'];
  return {
    world: 'markov1',
    fault,
    seed: 0,
    injectedLayer: injected,
    steps: 200,
    verdict,
    findings: [],
    budget: {
      true: terms(truth),
      estimated: terms(estimate),
      intervals: Object.fromEntries(layers.map((l, i) => [l, estimate[i] === null ? { low: null, high: null } : { low: estimate[i]! - halfWidth, high: estimate[i]! + halfWidth }])) as LabCaseJson['budget']['intervals'],
      losses: {},
      total: truth.reduce((a, b) => a + b, 0),
    },
    probes: [],
    runs: 1,
    seconds: 1,
  };
}

describe('lab record (JSON lines, resumable grades)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ladder-record-'));

  it('reads back what it appended, keyed by world, fault, seed and quick', () => {
    const file = path.join(dir, 'a.jsonl');
    expect(readRecord(file)).toEqual({ cases: [], skipped: [] });
    const a = labCase('none', 'none', 'none', [0, 0.5, 0.3, 0.2], [0, 0.5, 0.3, 0.2]);
    const b = labCase('lr-high', 'reachability', 'reachability', [0, 0.9, 0.05, 0.05], [0, 0.8, 0, null]);
    appendRecord(file, a, false);
    appendRecord(file, b, true);
    const record = readRecord(file);
    expect(record.skipped).toEqual([]);
    expect(record.cases.map((c) => recordKey(c))).toEqual([recordKey({ ...a, quick: false }), recordKey({ ...b, quick: true })]);
    expect(record.cases[1]).toEqual({ ...b, quick: true });
  });

  it('skips a line cut short (a grade killed mid-write) and keeps the next case on a line of its own', () => {
    const file = path.join(dir, 'b.jsonl');
    const a = labCase('none', 'none', 'none', [0, 0.5, 0.3, 0.2], [0, 0.5, 0.3, 0.2]);
    appendRecord(file, a, false);
    appendFileSync(file, JSON.stringify({ ...a, quick: false }).slice(0, 40));
    appendRecord(file, { ...a, seed: 1 }, false);
    writeFileSync(path.join(dir, 'c.jsonl'), `${readFileSync(file, 'utf8')}{"world": "markov1"}\n`);
    expect(readRecord(file).skipped).toEqual([2]);
    expect(readRecord(file).cases.map((c) => c.seed)).toEqual([0, 1]);
    // A line that parses but is not a case is skipped too.
    expect(readRecord(path.join(dir, 'c.jsonl')).skipped).toEqual([2, 4]);
  });
});

describe('gradeOf', () => {
  it('sets apart model faults that put nothing measurable into their layer, never observation faults or healthy cases', () => {
    const cases = [
      // mlp-mixer on a fixed-offset copy: the instantiation term is 0 of the gap, ladder says instantiation anyway.
      labCase('mlp-mixer', 'instantiation', 'instantiation', [0, 0.8, 0, 0.2], [0, 0.8, 0, 0.2]),
      // 0.2 of the gap is the grade's own tolerance: still inert; 0.25 is not.
      labCase('width4', 'instantiation', 'reachability', [0, 0.8, 0.2, 0], [0, 0.8, 0.2, 0]),
      labCase('width4', 'instantiation', 'instantiation', [0, 0.75, 0.25, 0], [0, 0.75, 0.25, 0]),
      labCase('lr-high', 'reachability', 'reachability', [0, 0.9, 0.05, 0.05], [0, 0.9, 0.05, 0.05]),
      // An eval too small to trust can land on the truth: not inert.
      labCase('small-eval', 'observation', 'observation', [0, 0.5, 0.3, 0.2], [0, 0.5, 0.3, 0.2]),
      labCase('none', 'none', 'none', [0, 0.5, 0.3, 0.2], [0, 0.5, 0.3, 0.2]),
    ];
    const grade = gradeOf(cases);
    expect(grade.inert.map((c) => [c.fault, c.term, c.verdict])).toEqual([
      ['mlp-mixer', 0, 'instantiation'],
      ['width4', 0.2, 'reachability'],
    ]);
    expect(grade).toMatchObject({ cases: 6, correct: 5, measurable: { cases: 4, correct: 4 } });
    const text = formatGrade(grade, { color: false });
    expect(text).toContain('markov1 · mlp-mixer (seed 0): true instantiation term 0.000 of a total 1.000; ladder says instantiation');
    expect(text).toContain('verdicts right over the other cases: 4/4');
    expect(formatGrade(gradeOf([cases[3]!]), { color: false })).not.toContain('nothing measurable');
  });

  it('counts verdicts, estimates within 20 % of the total gap, and true terms inside the interval', () => {
    const cases = [
      // Exact estimates: every term within, every truth inside.
      labCase('none', 'none', 'none', [0, 0.5, 0.3, 0.2], [0, 0.5, 0.3, 0.2]),
      // Reachability off by 0.3 of a total of 1 (outside 20 %), perception unknown (counts as 0: off by 0.05).
      labCase('lr-high', 'reachability', 'reachability', [0, 0.9, 0.05, 0.05], [0, 0.6, 0.05, null]),
      // A wrong verdict on a healthy case.
      labCase('none', 'none', 'instantiation', [0, 0.4, 0.4, 0.2], [0, 0.4, 0.45, 0.2], 0.01),
    ];
    const grade = gradeOf(cases);
    expect(grade).toMatchObject({ cases: 3, correct: 2, healthy: 2, healthyJudgedFaulty: 1 });
    expect(grade.terms.reachability.within).toBe(2);
    expect(grade.terms.reachability.max).toBeCloseTo(0.3, 9);
    expect(grade.terms.perception.within).toBe(3);
    // Perception's unknown estimate has no interval; instantiation's 0.45 ± 0.01 misses 0.4.
    expect(grade.terms.perception.covered).toBe(2);
    expect(grade.terms.instantiation.covered).toBe(2);
    // Resolvable: every interval here (half-widths 0.05, 0.05, 0.01) is within 20 % of its
    // total of 1; the second case's unknown perception has no interval and is not. A total of
    // 0.01 with the same 0.05 is not resolvable.
    expect(grade.terms.reachability).toMatchObject({ resolvable: 3, withinResolvable: 2 });
    expect(grade.terms.perception).toMatchObject({ resolvable: 2, withinResolvable: 2 });
    const tiny = gradeOf([labCase('none', 'none', 'none', [0, 0.01, 0, 0], [0, 0.02, 0, 0])]);
    expect(tiny.terms.reachability).toMatchObject({ within: 0, resolvable: 0, withinResolvable: 0 });
    expect(grade.byFault.none).toEqual({ cases: 2, correct: 1, verdicts: { none: 1, instantiation: 1 } });
    expect(grade.misses).toEqual([{ world: 'markov1', fault: 'none', seed: 0, injectedLayer: 'none', verdict: 'instantiation', findings: [] }]);
    const explained = gradeOf([{ ...cases[2]!, findings: ['instantiation.tuned-comparison'], diagnosis: { summary: 'width 4 is worse', findings: [] } }]);
    expect(explained.misses).toEqual([expect.objectContaining({ findings: ['instantiation.tuned-comparison'], summary: 'width 4 is worse' })]);
    // The printed grade names each miss and why ladder judged it so; a grade without misses says nothing of them.
    const text = formatGrade(explained, { color: false });
    expect(text).toContain('misses:\n  markov1 · none (seed 0): injected none, ladder says instantiation — width 4 is worse\n');
    expect(formatGrade(gradeOf([cases[0]!]), { color: false })).not.toContain('misses');
  });

  it('counts an instantiation verdict as a miss when the study finds the faulty arm the better one', () => {
    const comparison = (better: string, worse: string, severity = 'warning') => ({
      summary: `${worse} is worse than ${better}`,
      findings: [{ code: 'instantiation.tuned-comparison', layer: 'instantiation' as const, severity, runs: [], summary: '', evidence: { better, worse } }],
    });
    const base = labCase('mlp-mixer', 'instantiation', 'instantiation', [0, 0.2, 0.8, 0], [0, 0.2, 0.8, 0]);
    // copy-noisy · mlp-mixer, seed 0: attention (the healthy arm) is the worse one.
    const otherArm = { ...base, world: 'copy-noisy', diagnosis: comparison('mixer=mlp', 'mixer=attention') };
    const ownArm = { ...base, world: 'copy-noisy', diagnosis: comparison('mixer=attention', 'mixer=mlp') };
    const width = { ...labCase('width4', 'instantiation', 'instantiation', [0, 0.2, 0.8, 0], [0, 0.2, 0.8, 0]), diagnosis: comparison('width=16, heads=2', 'width=4, heads=1') };
    const widthReversed = { ...width, diagnosis: comparison('width=4, heads=1', 'width=16, heads=2') };
    expect([otherArm, ownArm, width, widthReversed].map(indictsOtherArm)).toEqual([true, false, false, true]);
    expect([otherArm, ownArm, width, widthReversed].map(verdictRight)).toEqual([false, true, true, false]);
    // An info comparison (within the practical margin) does not make the verdict; nor does a record without a diagnosis.
    expect(indictsOtherArm({ ...otherArm, diagnosis: comparison('mixer=mlp', 'mixer=attention', 'info') })).toBe(false);
    expect(verdictRight(base)).toBe(true);
    const grade = gradeOf([otherArm, ownArm]);
    expect(grade).toMatchObject({ cases: 2, correct: 1 });
    expect(grade.byFault['mlp-mixer']).toEqual({ cases: 2, correct: 1, verdicts: { instantiation: 2 } });
    expect(grade.misses).toEqual([expect.objectContaining({ world: 'copy-noisy', verdict: 'instantiation', summary: 'mixer=attention is worse than mixer=mlp' })]);
  });
});
