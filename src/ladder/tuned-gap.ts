/**
 * reachability.tuned-gap — a run judged against the learning-rate sweep planned around it
 * (the experiment `ladder diagnose` names for an unsettled reachability layer: the run's own
 * recipe at neighbouring rates). When the sweep's best setting beats the run by more than the
 * noise of the two measurements, and by a practical margin, training did not reach what the
 * architecture can, whatever the curves looked like. This is what settles reachability when
 * a run's curves show nothing: a learning rate 100× too low, annealed by a cosine schedule,
 * ends on a flat curve that every single-run check reads as converged.
 *
 * The gap is measured on one held-out evaluation for both (lower is better, e.g. a loss):
 * gap = run − best, with a normal interval from the two standard errors.
 */
import { normalQuantile } from '../stats/distributions.js';
import type { JudgedOutcome } from './diagnose.js';

export interface Measured {
  /** Run id. */
  id: string;
  /** The objective on the held-out evaluation (lower is better). */
  value: number;
  /** Its standard error. */
  error: number;
  /** The setting, for the wording (`learning_rate=0.003`). */
  setting: string;
}

export const TUNED_GAP_THRESHOLDS = {
  /** Two-sided confidence of the gap's interval: the gap counts when its lower end is above 0. */
  confidence: 0.95,
  /**
   * The smallest gap worth a verdict, relative to the run's value: 2 %. On the lab's healthy
   * recipes (already near their best rate) the sweep's neighbours beat the run by 0.5–1.5 %,
   * the usual noise of picking a best among a few settings; the reachability faults it has to
   * catch cost 3–50 %.
   */
  minRelativeGap: 0.02,
} as const;

/**
 * The excess of `a` over `b` (two independent measurements with standard errors, lower is
 * better) with its two-sided normal interval, relative to `scale`; a problem when the
 * interval's lower end is above 0 and the relative excess beyond the practical margin.
 * Shared by reachability.tuned-gap and reachability.train-data-noise.
 */
export function excessGap(a: { value: number; error: number }, b: { value: number; error: number }, scale: number, thresholds: { confidence: number; minRelativeGap: number }) {
  const gap = a.value - b.value;
  const z = normalQuantile(1 - (1 - thresholds.confidence) / 2);
  const se = Math.sqrt(a.error ** 2 + b.error ** 2);
  const low = gap - z * se;
  const relativeGap = gap / Math.abs(scale);
  return { gap, low, high: gap + z * se, relativeGap, problem: low > 0 && relativeGap > thresholds.minRelativeGap };
}

export function tunedGapOutcome(run: Measured, sweep: Measured[], thresholds: { confidence: number; minRelativeGap: number } = TUNED_GAP_THRESHOLDS): JudgedOutcome {
  const base = { code: 'reachability.tuned-gap', layer: 'reachability' as const };
  const others = sweep.filter((m) => m.id !== run.id && Number.isFinite(m.value));
  if (!Number.isFinite(run.value) || others.length === 0) {
    return { ...base, outcome: { status: 'unknown', missing: 'the learning-rate sweep around the run, evaluated on the same held-out set' } };
  }
  const best = others.reduce((a, b) => (b.value < a.value ? b : a));
  const { gap, low, high, relativeGap, problem } = excessGap(run, best, run.value, thresholds);
  const finding = {
    code: 'reachability.tuned-gap',
    layer: 'reachability' as const,
    severity: problem ? ('error' as const) : ('info' as const),
    runs: [run.id, best.id],
    evidence: {
      value: run.value,
      setting: run.setting,
      bestValue: best.value,
      bestSetting: best.setting,
      gap,
      low,
      high,
      relativeGap,
      minRelativeGap: thresholds.minRelativeGap,
      confidence: thresholds.confidence,
      settings: others.length + 1,
    },
  };
  return { ...base, outcome: problem ? { status: 'problem', findings: [finding] } : { status: 'clear', findings: [finding] } };
}
