/**
 * Grading diagnoses against a labelled suite: a folder of runs with known injected faults and
 * a `labels.json` beside them (`[{case, expected_layer, expected_findings, healthy}]`). Used by
 * the test that holds ladder to its accuracy and by the benchmark that sets it beside the
 * anchors' fixed-threshold rules.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ingest } from '../ingest/ingest.js';
import type { Run } from '../model/run.js';
import { diagnoseRun, type Diagnosis } from './diagnose.js';
import { LAYERS, type Verdict } from './layers.js';

export interface SuiteLabel {
  case: string;
  format?: string;
  expected_layer: Verdict;
  expected_findings: string[];
  fault?: string;
  healthy: boolean;
}

export interface SuiteCase {
  label: SuiteLabel;
  run: Run;
}

export const VERDICTS: readonly Verdict[] = [...LAYERS, 'none'];

/** Reads every case of a suite folder (`labels.json` + `runs/<case>/`), one run per case. */
export async function loadSuite(root: string): Promise<SuiteCase[]> {
  const labels = JSON.parse(readFileSync(path.join(root, 'labels.json'), 'utf8')) as SuiteLabel[];
  const cases: SuiteCase[] = [];
  for (const label of labels) {
    const { runs } = await ingest([path.join(root, 'runs', label.case)]);
    // A case folder may hold one run in two formats (e.g. Trainer state and its TensorBoard
    // events); the case is the run in the format its label names, else the first.
    const run = runs.find((r) => r.format === label.format) ?? runs[0];
    if (run) cases.push({ label, run });
  }
  return cases;
}

export interface Grade {
  accuracy: number;
  correct: number;
  total: number;
  /** confusion[expected][predicted] = count. */
  confusion: Record<string, Record<string, number>>;
  misses: { case: string; expected: Verdict; got: Verdict }[];
  /** Healthy cases that got an error-severity finding from ladder (must be none). */
  healthyWithErrors: string[];
}

export function grade(cases: SuiteCase[], predict: (run: Run) => { verdict: Verdict; diagnosis?: Diagnosis }): Grade {
  const confusion: Grade['confusion'] = Object.fromEntries(VERDICTS.map((e) => [e, Object.fromEntries(VERDICTS.map((p) => [p, 0]))]));
  const misses: Grade['misses'] = [];
  const healthyWithErrors: string[] = [];
  let correct = 0;
  for (const { label, run } of cases) {
    const { verdict, diagnosis } = predict(run);
    confusion[label.expected_layer]![verdict]!++;
    if (verdict === label.expected_layer) correct++;
    else misses.push({ case: label.case, expected: label.expected_layer, got: verdict });
    if (label.healthy && diagnosis?.findings.some((f) => f.severity === 'error')) healthyWithErrors.push(label.case);
  }
  return { accuracy: cases.length ? correct / cases.length : Number.NaN, correct, total: cases.length, confusion, misses, healthyWithErrors };
}

export function ladderPredict(run: Run): { verdict: Verdict; diagnosis: Diagnosis } {
  const diagnosis = diagnoseRun(run);
  return { verdict: diagnosis.verdict.layer, diagnosis };
}

export function formatConfusion(g: Grade): string {
  const header = ['expected \\ got', ...VERDICTS];
  const rows = VERDICTS.map((e) => [e, ...VERDICTS.map((p) => String(g.confusion[e]![p]))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}
