/**
 * The degradation budget in the lab (DESIGN §1, §7):
 *
 *   L_O − L_D = (L_O − L_R) + (L_R − L_I) + (L_I − L_P) + (L_P − L_D)
 *
 * True terms (the lab knows every loss):
 * - L_D: the world's exact Bayes loss at the budget length (src/lab/worlds);
 * - L_P: the best loss over the concept family — every size of the architectures that share
 *   the concept (the positional encoding), each at its best learning rate, ideal training;
 * - L_I: the best loss of the given architecture over a nuisance sweep (learning rates a
 *   factor of 3 apart), with the healthy recipe's steps and clean data;
 * - L_R: the trained weights' loss on a fresh sample of FRESH_TOKENS tokens (its
 *   standard error is a few thousandths of a nat);
 * - L_O: what the run's evaluation reports.
 *
 * Estimates: ladder's, from only what a user would have — the run's logs and the experiments
 * ladder names and the lab runs for it (src/lab/lab.ts):
 * - observation ≈ L_O − (loss of the same weights on a larger held-out evaluation through a
 *   correct pipeline), the experiment observation.small-eval names ("more eval items");
 * - reachability ≈ (that held-out loss) − (best held-out loss of the learning-rate sweep
 *   ladder plans around the run's own rate: the run's recipe and data, a factor of 3 apart,
 *   extended beyond an edge as reachability.sweep-edge says, at 2× the steps when
 *   reachability.not-converged fired);
 * - instantiation ≈ (the architecture's tuned best) − (the best alternative architecture's
 *   tuned best) in the comparison ladder plans (the architecture study the fault needs, or
 *   the same architecture at twice the width), floored at 0;
 * - perception ≈ (the run's concept family at its best in everything ladder trained) − (the
 *   best other concept: the concept study's other family, and the n-gram baseline fitted on
 *   the run's training data, src/lab/baseline.ts), floored at 0.
 */
import { LAYERS, type Layer } from '../ladder/layers.js';

export interface Losses {
  observed: number;
  reachable: number;
  instantiated: number;
  perceived: number;
  bayes: number;
}

export type Terms = Record<Layer, number>;

export interface TermEstimate {
  estimate: number | null;
  low: number | null;
  high: number | null;
}

export interface Budget {
  losses: Losses;
  true: Terms;
  estimated: Record<Layer, TermEstimate>;
  /** L_O − L_D. */
  total: number;
}

export function trueTerms(l: Losses): Terms {
  return {
    observation: l.observed - l.reachable,
    reachability: l.reachable - l.instantiated,
    instantiation: l.instantiated - l.perceived,
    perception: l.perceived - l.bayes,
  };
}

/** An estimate with a normal 95 % interval from the standard errors of the losses it subtracts. */
export function termEstimate(estimate: number | null, errors: number[] = []): TermEstimate {
  if (estimate === null || !Number.isFinite(estimate)) return { estimate: null, low: null, high: null };
  const se = Math.sqrt(errors.reduce((s, e) => s + e * e, 0));
  return { estimate, low: estimate - 1.96 * se, high: estimate + 1.96 * se };
}

export function makeBudget(losses: Losses, estimated: Record<Layer, TermEstimate>): Budget {
  return { losses, true: trueTerms(losses), estimated, total: losses.observed - losses.bayes };
}

/**
 * Estimation error of each term relative to the total gap: |estimate − true| / |L_O − L_D|
 * (an unknown estimate counts as 0, the term ladder would have to assume).
 */
export function relativeErrors(budget: Budget): Terms {
  return Object.fromEntries(LAYERS.map((layer) => [layer, relativeError(budget.estimated[layer].estimate, budget.true[layer], budget.total)])) as Terms;
}

/** |estimate − truth| as a fraction of the total gap (an unknown estimate counts as 0). */
export function relativeError(estimate: number | null, truth: number, total: number): number {
  return Math.abs((estimate ?? 0) - truth) / Math.max(Math.abs(total), 1e-12);
}

/** The relative error a term may have and still count as estimated (issue 7: within 20 % of the total gap). */
export const MAX_RELATIVE_ERROR = 0.2;
