/**
 * A study check: like a run check (src/checks/check.ts) — a code, a layer, named thresholds
 * with their reasons, a pure function — but over a whole study (src/studies/study.ts).
 */
import type { CheckOutcome, Threshold } from '../checks/check.js';
import type { Layer } from '../ladder/layers.js';
import type { Study } from './study.js';

export interface StudyCheck<T extends Record<string, Threshold> = Record<string, Threshold>> {
  code: string;
  layer: Layer;
  description: string;
  thresholds: T;
  evaluate(study: Study, thresholds: { [K in keyof T]: number }): CheckOutcome;
}

export type AnyStudyCheck = StudyCheck<Record<string, Threshold>>;

export function defineStudyCheck<T extends Record<string, Threshold>>(check: StudyCheck<T>): AnyStudyCheck {
  return check as unknown as AnyStudyCheck;
}
