/**
 * reachability.frozen-after-blowup — the training loss jumped up and then stayed flat for the
 * rest of the run: one bad update (a learning-rate spike, a bad batch, an overflow) destroyed
 * the weights — dead ReLUs, saturated units, a collapsed output — and the optimizer never
 * recovered. Unlike a spike (which comes back down) or a divergence (which keeps rising or
 * becomes NaN), the run goes on at a worse level and nothing it does afterwards counts.
 *
 * Statistic: the largest upward level shift of the loss (median of the window after minus
 * median of the window before, see level-shift.ts), in units of the robust noise floor of
 * the run before it and of what training had achieved before it (the smoothed range); then
 * no recovery after it: the Theil–Sen trend of the rest of the run (robust to the wild
 * points a broken network produces), projected over the remaining steps, wins back less
 * than flatFraction of the jump, and the last window has not come back halfway. The jump is
 * measured to the median of everything after it (where the run settled, not its transient peak). Its 95% interval is reported.
 */
import { noiseFloor } from '../../stats/robust.js';
import { theilSen } from '../../stats/trend.js';
import { defineCheck } from '../check.js';
import { levelShifts } from '../level-shift.js';
import { finitePoints, median } from '../series-tools.js';
import { slicePoints, thin } from '../thin.js';

export const frozenAfterBlowup = defineCheck({
  code: 'reachability.frozen-after-blowup',
  layer: 'reachability',
  description: 'training loss jumped up and stayed flat at the higher level for the rest of the run',
  thresholds: {
    jumpNoiseMultiple: {
      value: 10,
      why:
        'the jump between two window medians must be at least 10 noise-floor SDs: a median of ≥5 points has SE ' +
        '≈ 0.56 SD, so 10 SD is > 12 SEs of a difference — no scan over the run finds that by chance',
    },
    jumpRangeFraction: {
      value: 0.3,
      why: 'the jump must undo at least 30% of what training had achieved before it (the smoothed range so far): a blow-up, not a bump in a long descent',
    },
    flatFraction: {
      value: 0.25,
      why:
        'frozen = the Theil–Sen trend after the jump, times the remaining steps, wins back less than 25% of the ' +
        'jump and the last window has not come back even halfway: a run that recovers (a spike, a warm restart) gets ' +
        'most of the way back within the run',
    },
    minAfterFraction: {
      value: 0.1,
      why: 'the flat stretch must cover at least the last 10% of the run to be "for the rest of the run"',
    },
    divergenceFactor: {
      value: 10,
      why:
        'a loss that settles above 10× its initial level has diverged rather than frozen; reachability.divergence ' +
        'reports it with the same factor, so the two findings do not describe one event twice',
    },
    minPoints: { value: 30, why: 'fewer than 30 points cannot hold a before-window, a jump and a flat stretch' },
  },
  evaluate(evidence, t) {
    const train = evidence.trainLoss;
    if (!train) return { status: 'unknown', missing: 'a training-loss series' };
    const points = finitePoints(train.series);
    const { steps, values } = points;
    const n = values.length;
    if (n < t.minPoints) return { status: 'unknown', missing: `at least ${t.minPoints} finite training-loss points` };
    // 5% of the run per window (5 to 51 points): wide enough to ignore spikes, narrow enough to locate the jump.
    const window = Math.min(51, Math.max(5, 2 * Math.round(0.025 * n) + 1));
    const shifts = levelShifts(values, window);
    const minAfter = Math.max(window, Math.ceil(t.minAfterFraction * n));
    let best = -1;
    let bestJump = Number.NEGATIVE_INFINITY;
    for (let k = window; k <= n - minAfter; k++) {
      const jump = shifts.after[k]! - shifts.before[k]!;
      if (jump > bestJump) {
        bestJump = jump;
        best = k;
      }
    }
    if (best < 0) return { status: 'unknown', missing: `at least ${window + minAfter} finite training-loss points` };
    // The unit is the noise before the jump: after a blow-up the loss of a broken network can
    // be far noisier (huge logits) or not noisy at all (constant output), so it says nothing
    // about how surprising the jump was.
    const noiseBefore = noiseFloor(values.slice(0, best));
    let smoothMin = Number.POSITIVE_INFINITY;
    let smoothMax = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < best; i++) {
      smoothMin = Math.min(smoothMin, shifts.smooth[i]!);
      smoothMax = Math.max(smoothMax, shifts.smooth[i]!);
    }
    const levelBefore = shifts.before[best]!;
    // The level the run settled at: the median of everything after the jump (the first window
    // after a blow-up often holds its transient peak, which is not where the run stays).
    const levelAfter = median(values.slice(best));
    const jump = levelAfter - levelBefore;
    // Everything training achieved before the jump (its smoothed range), or the jump is judged on noise alone.
    const rangeBefore = smoothMax - smoothMin;
    const jumped = jump > 0 && jump >= t.jumpNoiseMultiple * noiseBefore && jump >= t.jumpRangeFraction * rangeBefore;
    const initialLevel = shifts.smooth[0]!;
    if (!jumped || (initialLevel > 0 && levelAfter > t.divergenceFactor * initialLevel)) return { status: 'clear' };

    const afterPoints = slicePoints(points, best);
    const sample = thin(afterPoints, 400);
    const trend = theilSen(sample.steps, sample.values);
    const span = steps[n - 1]! - steps[best]!;
    const change = trend.slope * span;
    const finalLevel = median(values.slice(-window));
    // Frozen: over the rest of the run the trend recovers less than flatFraction of the jump
    // (nor climbs by more than the jump again, which is a divergence still under way), and
    // the end of the run still sits in the upper part of the jump.
    const flat =
      Number.isFinite(change) &&
      -change <= t.flatFraction * jump &&
      change <= jump &&
      finalLevel - levelBefore >= (1 - 2 * t.flatFraction) * jump;
    if (!flat) return { status: 'clear' };
    const noiseAfter = noiseFloor(afterPoints.values);
    return {
      status: 'problem',
      findings: [
        {
          code: 'reachability.frozen-after-blowup',
          layer: 'reachability',
          severity: 'error',
          runs: [evidence.run.id],
          evidence: {
            series: train.name,
            step: steps[best]!,
            levelBefore,
            levelAfter,
            finalLevel,
            jump,
            jumpInNoiseFloors: noiseBefore > 0 ? jump / noiseBefore : null,
            rangeBefore,
            slopeAfter: trend.slope,
            changeAfter: change,
            changeAfterLow: trend.low * span,
            changeAfterHigh: trend.high * span,
            stepsAfter: span,
            noiseBefore,
            noiseAfter,
          },
          marks: [{ series: train.name, step: steps[best]!, label: 'loss jumps and stays flat' }],
        },
      ],
    };
  },
});
