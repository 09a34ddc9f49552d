/**
 * One check = one file: a code (`layer.name`), the evidence it needs, named thresholds with
 * the reason for each value, and a pure function from evidence to an outcome. Checks never
 * touch files, processes or the clock; the engine (src/ladder/diagnose.ts) runs them.
 */
import type { FindingDraft } from '../ladder/finding.js';
import type { Layer } from '../ladder/layers.js';
import type { Baseline } from '../ladder/baseline.js';
import type { Run, Series } from '../model/run.js';
import type { ItemScores } from '../observation/compare.js';

export interface Threshold {
  value: number;
  /** Why this value: the reference or the reasoning, shown in `ladder diagnose --explain`. */
  why: string;
}

/** The series of one run resolved by role, with what is known about the task. */
export interface RunEvidence {
  run: Run;
  trainLoss?: { name: string; series: Series };
  valLoss?: { name: string; series: Series };
  valMetrics: { name: string; series: Series }[];
  lr?: { name: string; series: Series };
  gradNorm?: { name: string; series: Series };
  /** Number of classes when the run says (num_labels, num_classes, id2label…). */
  classes?: number;
  /** Number of evaluation items when the run says. */
  evalSize?: number;
  /** Evaluation items behind particular series, when they differ (lm-eval's per-task `n-samples`). */
  evalSizes?: Record<string, number>;
  /** Items the benchmark behind a series has (lm-eval `original`): more than `evalSizes` under `--limit`. */
  evalSizesAvailable?: Record<string, number>;
  /**
   * The run's per-example eval results pooled over its example sets, on its headline metric
   * (`correct` when every set has 0/1 correctness, else the metric every set shares, or the
   * one chosen with `--metric`); absent when the run has no per-example results.
   */
  items?: { metric: string; scores: ItemScores; clusters?: (string | null)[] };
  /** Why `items` is absent although the run has per-example results (e.g. no common metric). */
  itemsMissing?: string;
  /** What the run is compared with (`--baseline` or `baseline:` in ladder.yaml). */
  baseline?: Baseline;
}

export type CheckOutcome =
  /** The check assessed its evidence and found nothing wrong. */
  | { status: 'clear'; findings?: FindingDraft[] }
  /** The check found a problem (findings of severity warning or error). */
  | { status: 'problem'; findings: FindingDraft[] }
  /** Not enough evidence to assess; `missing` names what would be needed. */
  | { status: 'unknown'; missing: string };

export interface Check<T extends Record<string, Threshold> = Record<string, Threshold>> {
  code: string;
  layer: Layer;
  description: string;
  thresholds: T;
  evaluate(evidence: RunEvidence, thresholds: { [K in keyof T]: number }): CheckOutcome;
}

/** A check with its type parameter erased, for registries. */
export type AnyCheck = Check<Record<string, Threshold>>;

export function defineCheck<T extends Record<string, Threshold>>(check: Check<T>): AnyCheck {
  return check as unknown as AnyCheck;
}
