/**
 * Every single-run check, grouped by layer in the order of reverse reasoning. Adding a check
 * is adding its file and one entry here.
 */
import type { AnyCheck } from './check.js';
import { evalFrozen } from './observation/eval-frozen.js';
import { belowChance } from './observation/below-chance.js';
import { lossMetricDisagree } from './observation/loss-metric-disagree.js';
import { valBetterThanTrain } from './observation/val-better-than-train.js';
import { smallEval } from './observation/small-eval.js';
import { evalInterval } from './observation/eval-interval.js';
import { labelErrors } from './observation/label-errors.js';
import { divergence } from './reachability/divergence.js';
import { stall } from './reachability/stall.js';
import { frozenAfterBlowup } from './reachability/frozen-after-blowup.js';
import { gradSpikes } from './reachability/grad-spikes.js';
import { instability } from './reachability/instability.js';
import { badInitLoss } from './reachability/bad-init-loss.js';
import { clippingAlways } from './reachability/clipping-always.js';
import { scheduleNeverDecays } from './reachability/schedule-never-decays.js';
import { notConverged } from './reachability/not-converged.js';
import { overfitting } from './reachability/overfitting.js';
import { noisyLabels } from './reachability/noisy-labels.js';
import { collapse } from './reachability/collapse.js';

export const CHECKS = [evalFrozen, belowChance, lossMetricDisagree, valBetterThanTrain, smallEval, evalInterval, labelErrors, divergence, stall, collapse, frozenAfterBlowup, gradSpikes, instability, badInitLoss, clippingAlways, scheduleNeverDecays, notConverged, overfitting, noisyLabels] as const satisfies readonly AnyCheck[];

export function checkByCode(code: string): AnyCheck {
  const found = (CHECKS as readonly AnyCheck[]).find((check) => check.code === code);
  if (!found) throw new Error(`unknown check: ${code} (known: ${CHECKS.map((c) => c.code).join(', ')})`);
  return found;
}
