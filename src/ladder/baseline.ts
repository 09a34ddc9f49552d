/**
 * What a run's evaluation is being compared with. A claimed result is a gap: "0.81, up from
 * 0.78". The observation layer asks whether the measurement can show that gap, so the
 * baseline is part of the evidence: a number (a published score, a target) or another
 * system's per-example results on the same items (then the comparison is paired).
 */
import type { ExampleSet } from '../model/run.js';

export type Baseline =
  /** A score to beat on the run's headline per-example metric (e.g. a published 0.78). */
  | { kind: 'value'; value: number; source: string }
  /** Another system's per-example results on the same eval items. */
  | { kind: 'items'; sets: ExampleSet[]; source: string };

/** `--baseline` is a number when it parses as one, otherwise a path to per-example results. */
export function baselineFlagKind(text: string): 'value' | 'path' {
  return text.trim() !== '' && Number.isFinite(Number(text)) ? 'value' : 'path';
}
