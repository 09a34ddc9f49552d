/**
 * reachability.grad-spikes — the gradient norm spikes far above its running level, or is
 * non-finite. Statistic: robust z-scores of log grad-norm against a centred rolling median,
 * scaled by the MAD of the residuals over the whole run (the log makes multiplicative
 * spikes additive and the heavy right tail of norms roughly symmetric). A spike must also
 * be a real multiple of the running level, so a very smooth series does not flag 5% bumps.
 *
 * Non-finite norms are of two kinds: isolated ones between finite ones are fp16/bf16
 * overflow steps (with a loss scaler those updates are skipped: harmless when rare), a
 * non-finite stretch to the end of the run means the weights themselves are NaN/Inf.
 *
 * Severity: a run that ends with non-finite gradients, or a spike followed by a lasting rise
 * of the training loss (loss damage), is an error; recurring order-of-magnitude spikes
 * without damage, or frequent overflow skips, are a warning; a few or small spikes and rare
 * skips are context (info).
 */
import { mad, noiseFloor, rollingMedian } from '../../stats/robust.js';
import { defineCheck } from '../check.js';
import { indexAtStep, levelShifts } from '../level-shift.js';
import { finitePoints } from '../series-tools.js';

export const gradSpikes = defineCheck({
  code: 'reachability.grad-spikes',
  layer: 'reachability',
  description: 'gradient-norm spikes (robust z-scores of log grad-norm) and non-finite gradient norms (fp16 overflow)',
  thresholds: {
    spikeZ: {
      value: 6,
      why:
        'a robust z of 6 has a one-sided normal tail of 1e-9 per point, so even 100k logged steps give no false spike ' +
        'from Gaussian noise; log grad-norms are heavier-tailed than normal, which is why not the usual 3.5 (Iglewicz & Hoaglin)',
    },
    minSpikeRatio: {
      value: 2,
      why: 'a spike must at least double the running level of the norm, or it cannot matter to the update however smooth the series',
    },
    window: {
      value: 21,
      why: 'a 21-point running median ignores up to 10 consecutive spikes yet follows the slow drift of the norm through training',
    },
    minSpikesForWarning: {
      value: 3,
      why: 'one or two isolated spikes that leave the loss unharmed are common in long runs (bad batches) and worth a note only',
    },
    warningRatio: {
      value: 10,
      why:
        'only spikes of an order of magnitude over the running level count towards a warning: under SGD that is an ' +
        'update ten times its tuned size; under Adam (β1 0.9, β2 0.999) a 10× gradient raises √v by only 5 % ' +
        '(0.001 × 100 = 0.1 of its level), so its excess passes through the first moment: about eight learning rates ' +
        'of movement along that one batch’s gradient over the next ~20 steps (0.85, 0.76, 0.68, … per step), where a ' +
        'typical step moves at most one. ' +
        '2–5× spikes are everyday batch variation in fine-tuning',
    },
    frequentOverflowFraction: {
      value: 0.05,
      why: 'a dynamic loss scaler skips a step and halves the scale on overflow; more than 5% skipped steps is lost training, not the scaler calibrating',
    },
    damageNoiseMultiple: {
      value: 10,
      why: 'loss damage = the median of the loss after a spike exceeds the median before by 10 noise-floor SDs (> 12 SEs of the difference)',
    },
    damageRangeFraction: {
      value: 0.1,
      why: '…and by at least 10% of the loss curve\'s smoothed range: the spike undid a visible part of the learning',
    },
    minPoints: { value: 20, why: 'a running median and a MAD need at least 20 points to be stable' },
  },
  evaluate(evidence, t) {
    const gradNorm = evidence.gradNorm;
    if (!gradNorm) return { status: 'unknown', missing: 'a gradient-norm series' };
    const { steps: allSteps, values: allValues } = gradNorm.series;
    const total = allValues.length;
    if (total < t.minPoints) return { status: 'unknown', missing: `at least ${t.minPoints} gradient-norm points` };

    let nonFinite = 0;
    let firstNonFinite = -1;
    for (let i = 0; i < total; i++) {
      if (!Number.isFinite(allValues[i]!)) {
        nonFinite++;
        if (firstNonFinite < 0) firstNonFinite = i;
      }
    }
    let trailing = 0;
    while (trailing < total && !Number.isFinite(allValues[total - 1 - trailing]!)) trailing++;
    // Non-finite to the end (at least 3 points, so one unlucky last step is not "the weights are gone").
    const endsNonFinite = trailing >= 3;
    const isolated = endsNonFinite ? nonFinite - trailing : nonFinite;

    // Spikes on the log scale of the finite, positive norms.
    const steps: number[] = [];
    const logs: number[] = [];
    for (let i = 0; i < total; i++) {
      const v = allValues[i]!;
      if (Number.isFinite(v) && v > 0) {
        steps.push(allSteps[i]!);
        logs.push(Math.log(v));
      }
    }
    const spikes: { step: number; ratio: number; z: number }[] = [];
    const window = Math.max(3, Math.round(t.window) | 1);
    const half = (window - 1) / 2;
    if (logs.length >= Math.max(t.minPoints, window + 2)) {
      const level = rollingMedian(logs, window);
      const residuals = logs.map((v, i) => v - level[i]!);
      const scale = mad(residuals.slice(half, logs.length - half));
      // Only full windows: the norm often falls fast over the first steps, and a one-sided
      // window at the start would call those first, larger norms spikes.
      for (let i = half; i < logs.length - half; i++) {
        const z = scale > 0 ? residuals[i]! / scale : residuals[i]! > 0 ? Number.POSITIVE_INFINITY : 0;
        const ratio = Math.exp(residuals[i]!);
        if (z > t.spikeZ && ratio >= t.minSpikeRatio) spikes.push({ step: steps[i]!, ratio, z });
      }
    }
    if (spikes.length === 0 && nonFinite === 0) return { status: 'clear' };

    const damage = lossDamage(evidence, spikes.map((s) => s.step), t.damageNoiseMultiple, t.damageRangeFraction);
    const overflowFraction = isolated / total;
    const severity =
      endsNonFinite || damage
        ? 'error'
        : spikes.filter((spike) => spike.ratio >= t.warningRatio).length >= t.minSpikesForWarning || overflowFraction > t.frequentOverflowFraction
          ? 'warning'
          : 'info';
    const worst = spikes.reduce<{ step: number; ratio: number; z: number } | undefined>((a, s) => (!a || s.ratio > a.ratio ? s : a), undefined);
    const finding = {
      code: 'reachability.grad-spikes',
      layer: 'reachability' as const,
      severity: severity as 'error' | 'warning' | 'info',
      runs: [evidence.run.id],
      evidence: {
        series: gradNorm.name,
        points: total,
        spikes: spikes.length,
        spikeSteps: spikes.slice(0, 20).map((s) => s.step),
        largestRatio: worst ? worst.ratio : null,
        largestZ: worst ? (Number.isFinite(worst.z) ? worst.z : null) : null,
        largestStep: worst ? worst.step : null,
        largeSpikes: spikes.filter((spike) => spike.ratio >= t.warningRatio).length,
        warningRatio: t.warningRatio,
        spikeZ: t.spikeZ,
        nonFinite,
        firstNonFiniteStep: firstNonFinite >= 0 ? allSteps[firstNonFinite]! : null,
        overflowSteps: isolated,
        overflowFraction,
        endsNonFinite,
        ...(damage ? { damageStep: damage.step, lossBefore: damage.before, lossAfter: damage.after, lossSeries: damage.series } : {}),
      },
      marks: [
        ...spikes.slice(0, 20).map((s) => ({ series: gradNorm.name, step: s.step, label: `grad-norm spike ×${s.ratio.toFixed(1)}` })),
        ...(firstNonFinite >= 0 ? [{ series: gradNorm.name, step: allSteps[firstNonFinite]!, label: 'first non-finite grad norm' }] : []),
      ],
    };
    return severity === 'info' ? { status: 'clear', findings: [finding] } : { status: 'problem', findings: [finding] };
  },
});

/** The first spike after which the training loss settles at a clearly higher level. */
function lossDamage(
  evidence: Parameters<(typeof gradSpikes)['evaluate']>[0],
  spikeSteps: number[],
  noiseMultiple: number,
  rangeFraction: number,
): { step: number; before: number; after: number; series: string } | undefined {
  const train = evidence.trainLoss;
  if (!train || spikeSteps.length === 0) return undefined;
  const { steps, values } = finitePoints(train.series);
  if (values.length < 20) return undefined;
  const window = Math.min(21, Math.max(5, 2 * Math.round(0.025 * values.length) + 1));
  const shifts = levelShifts(values, window);
  const noise = noiseFloor(values);
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (const v of shifts.smooth) {
    low = Math.min(low, v);
    high = Math.max(high, v);
  }
  for (const step of spikeSteps) {
    const k = indexAtStep(steps, step);
    // The loss point at the spike itself is skipped: its own spike is not lasting damage.
    const before = shifts.before[k]!;
    const after = shifts.after[Math.min(k + 1, values.length - 1)]!;
    if (!Number.isFinite(before) || !Number.isFinite(after)) continue;
    const rise = after - before;
    if (rise > noiseMultiple * noise && rise > rangeFraction * (high - low)) return { step, before, after, series: train.name };
  }
  return undefined;
}
