/**
 * A lab record: finished cases as JSON lines, appended as each case finishes, so that a grade
 * stopped at any moment keeps every case it finished, and resumes where it stopped
 * (`ladder lab --grade --record FILE`). Each line is one `ladder.lab/v1` case (whose `steps`
 * are its recipe's) with `quick`, the other setting that changes its result.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { LAYERS } from '../ladder/layers.js';
import type { LabCaseJson } from './tour.js';

export interface RecordedCase extends LabCaseJson {
  quick: boolean;
}

export interface LabRecord {
  cases: RecordedCase[];
  /** Lines that are not a recorded case (1-based), e.g. one cut short when a grade was killed mid-write. */
  skipped: number[];
}

/** The key a case is recorded under. */
export function recordKey(c: { world: string; fault: string; seed: number; steps: number; quick: boolean }): string {
  return JSON.stringify([c.world, c.fault, c.seed, c.steps, c.quick]);
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isNumberOrNull = (x: unknown) => x === null || typeof x === 'number';

function isRecordedCase(x: unknown): x is RecordedCase {
  if (!isObject(x) || !isObject(x.budget)) return false;
  const { budget } = x;
  const terms = (t: unknown) => isObject(t) && LAYERS.every((l) => isNumberOrNull(t[l]));
  const intervals = isObject(budget.intervals) && LAYERS.every((l) => isObject((budget.intervals as Record<string, unknown>)[l]));
  return (
    typeof x.world === 'string' &&
    typeof x.fault === 'string' &&
    typeof x.seed === 'number' &&
    typeof x.steps === 'number' &&
    typeof x.quick === 'boolean' &&
    typeof x.injectedLayer === 'string' &&
    typeof x.verdict === 'string' &&
    terms(budget.true) &&
    terms(budget.estimated) &&
    intervals &&
    isNumberOrNull(budget.total)
  );
}

/** The cases recorded in `file` (none when it does not exist yet); lines that are not a case are skipped and counted. */
export function readRecord(file: string): LabRecord {
  if (!existsSync(file)) return { cases: [], skipped: [] };
  const cases: RecordedCase[] = [];
  const skipped: number[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        parsed = undefined;
      }
      if (isRecordedCase(parsed)) cases.push(parsed);
      else skipped.push(i + 1);
    });
  return { cases, skipped };
}

/** Appends one finished case (on a line of its own, even after a line cut short). */
export function appendRecord(file: string, c: LabCaseJson, quick: boolean): void {
  let prefix = '';
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    if (text.length > 0 && !text.endsWith('\n')) prefix = '\n';
  }
  appendFileSync(file, `${prefix}${JSON.stringify({ ...c, quick })}\n`);
}
