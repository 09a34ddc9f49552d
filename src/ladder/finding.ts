/**
 * Findings are data: a stable code (`layer.name`), the layer, a severity, the runs, the
 * evidence (numbers, steps, intervals) and the next action as a code the wording catalogue
 * (findings-text.ts) turns into prose. Tests assert codes and numbers, not sentences.
 */
import type { Layer } from './layers.js';

export type FindingSeverity = 'error' | 'warning' | 'info';

export type EvidenceValue = number | string | boolean | null | EvidenceValue[] | { [key: string]: EvidenceValue };

export interface Finding {
  code: string;
  layer: Layer;
  severity: FindingSeverity;
  runs: string[];
  summary: string;
  evidence: Record<string, EvidenceValue>;
  next: string;
  /** Where on the curves it happens, for plots: series name and step. */
  marks?: { series: string; step: number; label: string }[];
}

/** What a check emits: the engine adds the summary and next action from findings-text.ts. */
export type FindingDraft = Omit<Finding, 'summary' | 'next'>;

/**
 * An experiment that would settle an inconclusive layer, as data the experiment runner can
 * execute (issue 6): what to vary, over which values, and what stays fixed.
 */
export interface PlannedExperiment {
  kind: 'lr-sweep' | 'longer-run' | 'more-seeds' | 'larger-eval' | 'nuisance-sweep' | 'concept-comparison' | 'validation-run';
  description: string;
  /** The hyperparameter(s) varied and their values. */
  vary?: Record<string, number[] | string[]>;
  /** Multipliers or settings that stay fixed, e.g. { steps: '1x' }. */
  fixed?: Record<string, string | number>;
  /** A rough cost relative to the original run (1 = one more run of the same length). */
  cost: number;
}
