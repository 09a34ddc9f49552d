/**
 * reachability.schedule-never-decays — the learning rate never comes down. A constant rate
 * is legitimate while the loss is still falling, but once the loss has stopped improving it
 * bounces in a noise ball whose height grows with the rate, and annealing is what lowers it
 * (the decay phase of warmup-stable-decay schedules gives most of their final gain; the
 * Tuning Playbook recommends a decaying schedule by default). So:
 *
 * - a decaying scheduler was configured (lr_scheduler_type linear, cosine, …) yet the rate
 *   stayed at its peak: the scheduler was not stepped, or the run stopped long before its
 *   horizon — warning;
 * - no decaying scheduler, the rate stayed at its peak, and the loss's tail has stopped
 *   falling (Theil–Sen 95% interval of its slope not below 0) after real progress, while its
 *   noise is large against what training achieved — warning: decay is the cheapest gain left;
 * - otherwise a constant rate is reported as context (info);
 * - a decaying scheduler that ended far above its floor (the run stopped before annealing)
 *   is also context (info): the last checkpoint is not the annealed one.
 */
import { median, noiseFloor } from '../../stats/robust.js';
import { theilSen } from '../../stats/trend.js';
import { defineCheck } from '../check.js';
import { hparamString } from '../hparams.js';
import { finitePoints, head } from '../series-tools.js';
import { slicePoints, thin } from '../thin.js';

const SCHEDULER_KEYS = ['lr_scheduler_type', 'lr_scheduler', 'scheduler', 'scheduler_type', 'lr_schedule', 'schedule', 'scheduler_name'] as const;
/** Schedulers that decay to (near) zero by design. */
const DECAYS_TO_FLOOR = /linear|cosine|poly|inverse_sqrt|invsqrt|exponential|exp_decay|step|multistep|wsd|warmup_stable_decay|one_?cycle|rsqrt/i;
/** Schedulers that keep the rate (or change it only on a plateau, which may legitimately never happen). */
const CONSTANT = /^constant|plateau|none$|^fixed/i;

export const scheduleNeverDecays = defineCheck({
  code: 'reachability.schedule-never-decays',
  layer: 'reachability',
  description: 'learning rate never decays (or ends far above the floor of its decaying schedule)',
  thresholds: {
    noDecayRatio: {
      value: 0.9,
      why: 'a final rate within 10% of the peak is no annealing at all (a cosine or linear schedule ends below 10% of its peak by design)',
    },
    farFromFloorRatio: {
      value: 0.25,
      why: 'a linear schedule to 0 is above 25% of its peak only in its first 75% of steps: the run stopped before annealing',
    },
    minPoints: { value: 20, why: 'a learning-rate series of fewer than 20 points is too short a run for its schedule to matter' },
    tailFraction: { value: 0.25, why: 'the last quarter of the run: long enough for a slope interval, late enough to be the end state' },
    minRelativeDrop: {
      value: 0.05,
      why:
        'the plateau must follow real progress (a 5% drop, as reachability.stall requires): a loss that never moved ' +
        'is a stall — a rate too low or a broken pipeline — and decaying that rate would make it worse',
    },
    noisyFraction: {
      value: 0.05,
      why:
        'a tail whose point-to-point noise is at least 5% of everything the loss has dropped since the start is ' +
        'noise-dominated: annealing typically removes a good part of that noise band from the mean loss',
    },
  },
  evaluate(evidence, t) {
    const lr = evidence.lr;
    if (!lr) return { status: 'unknown', missing: 'a learning-rate series' };
    const rate = finitePoints(lr.series);
    if (rate.values.length < t.minPoints) return { status: 'unknown', missing: `at least ${t.minPoints} learning-rate points` };
    const peak = rate.values.reduce((a, v) => (v > a ? v : a), Number.NEGATIVE_INFINITY);
    if (!(peak > 0)) return { status: 'unknown', missing: 'a positive learning rate' };
    const peakIndex = rate.values.indexOf(peak);
    const final = rate.values[rate.values.length - 1]!;
    const finalOverPeak = final / peak;
    const scheduler = hparamString(evidence.run, SCHEDULER_KEYS)?.value ?? null;
    const configuredDecay = scheduler !== null && DECAYS_TO_FLOOR.test(scheduler) && !CONSTANT.test(scheduler);
    const base = {
      series: lr.name,
      peakLr: peak,
      peakStep: rate.steps[peakIndex]!,
      finalLr: final,
      finalStep: rate.steps[rate.steps.length - 1]!,
      finalOverPeak,
      scheduler,
    };
    const finding = (severity: 'warning' | 'info', kind: string, extra: Record<string, number | string | boolean | null> = {}) => ({
      code: 'reachability.schedule-never-decays',
      layer: 'reachability' as const,
      severity,
      runs: [evidence.run.id],
      evidence: { ...base, kind, ...extra },
      marks: [{ series: lr.name, step: base.finalStep, label: `final learning rate ${(100 * finalOverPeak).toFixed(0)}% of its peak` }],
    });

    if (finalOverPeak < t.noDecayRatio) {
      if (configuredDecay && finalOverPeak >= t.farFromFloorRatio) return { status: 'clear', findings: [finding('info', 'stopped-before-floor')] };
      return { status: 'clear' };
    }
    if (configuredDecay) return { status: 'problem', findings: [finding('warning', 'configured-decay-not-applied')] };

    // A constant rate: harmful only once the loss has stopped improving in a noisy plateau.
    const train = evidence.trainLoss ? finitePoints(evidence.trainLoss.series) : undefined;
    if (!train || train.values.length < t.minPoints) return { status: 'clear', findings: [finding('info', 'constant')] };
    const tailStart = Math.floor(train.values.length * (1 - t.tailFraction));
    const tailPoints = thin(slicePoints(train, tailStart), 400);
    const trend = theilSen(tailPoints.steps, tailPoints.values);
    const tailLevel = median(tailPoints.values);
    const initial = median(head(train.values, 0.1));
    const tailNoise = noiseFloor(slicePoints(train, tailStart).values);
    const drop = initial - tailLevel;
    const noiseOverDrop = drop > 0 ? tailNoise / drop : Number.POSITIVE_INFINITY;
    const stillFalling = trend.high < 0;
    const extra = {
      lossSeries: evidence.trainLoss!.name,
      tailSlope: trend.slope,
      tailSlopeLow: trend.low,
      tailSlopeHigh: trend.high,
      tailLoss: tailLevel,
      initialLoss: initial,
      tailNoise,
      noiseOverDrop: Number.isFinite(noiseOverDrop) ? noiseOverDrop : null,
      stillFalling,
    };
    const progressed = initial !== 0 && drop / Math.abs(initial) >= t.minRelativeDrop;
    if (!stillFalling && progressed && noiseOverDrop >= t.noisyFraction) return { status: 'problem', findings: [finding('warning', 'constant-at-plateau', extra)] };
    return { status: 'clear', findings: [finding('info', 'constant', extra)] };
  },
});
