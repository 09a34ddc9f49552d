/**
 * The wording of every finding, in one place (as src/ingest/issues.ts is for ingest issues):
 * checks emit codes and evidence; the engine turns them into a summary and a next action
 * here. Tests assert codes and evidence numbers, never these sentences.
 */
import type { EvidenceValue } from './finding.js';

type Evidence = Record<string, EvidenceValue>;

interface FindingText {
  summary: (e: Evidence) => string;
  next: (e: Evidence) => string;
}

/** Numbers for prose: 4 significant digits, steps as integers with separators. */
export function num(value: EvidenceValue | undefined): string {
  if (typeof value !== 'number') return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return Number(value.toPrecision(4)).toString();
}
const pct = (value: EvidenceValue | undefined) => (typeof value === 'number' ? `${(100 * value).toFixed(1)}%` : String(value));
/** A tuned comparison's gap beyond seed noise but within its practical margin (info). */
const small = (e: Evidence) => typeof e.relativeGap === 'number' && typeof e.minRelativeGap === 'number' && e.relativeGap <= e.minRelativeGap;

export const FINDINGS: Record<string, FindingText> = {
  'observation.eval-frozen': {
    summary: (e) => `"${e.series}" is ${num(e.value)} at all ${num(e.evaluations)} evaluations while the training loss moved`,
    next: () => 'check that evaluation runs on the current weights (not a stale copy or cached predictions) before trusting any score',
  },
  'observation.below-chance': {
    summary: (e) =>
      e.approximate
        ? `"${e.series}" ends at ${num(e.accuracy)}, below half of chance (1/${num(e.classes)} = ${num(e.chance)}); the eval size is not logged, but on any eval set of ${num(e.significantFromN)} items or more this is significantly below chance (approximate test)`
        : `"${e.series}" ends at ${num(e.accuracy)} (${num(e.correct)} of ${num(e.evalSize)}), significantly below chance 1/${num(e.classes)} = ${num(e.chance)} (exact binomial p = ${num(e.pValue)}, α = ${num(e.alpha)} over ${num(e.tested)} accuracies)`,
    next: () =>
      'check the label mapping between training and evaluation (id2label/label2id, class order of the eval set, argmax axis); a constant prediction of a rare class also scores below 1/K, so look at the confusion matrix',
  },
  'observation.loss-metric-disagree': {
    summary: (e) =>
      `across ${num(e.evaluations)} evaluations "${e.lossSeries}" and "${e.metricSeries}" (${e.metricDirection}) move in contradicting directions: Kendall τ = ${num(e.tau)}, one-sided p = ${num(e.pValue)}` +
      `; loss ${num(e.firstLoss)} → ${num(e.lastLoss)}, metric ${num(e.firstMetric)} → ${num(e.lastMetric)}` +
      (e.bestLossStep !== e.bestMetricStep ? ` (best loss at step ${num(e.bestLossStep)}, best metric at step ${num(e.bestMetricStep)})` : ''),
    next: () =>
      'check that the loss and the metric are computed on the same labels and predictions; if they are, the model is growing overconfident (loss up while the metric improves): recalibrate (temperature scaling, label smoothing) or select checkpoints on the metric, not the loss',
  },
  'observation.val-better-than-train': {
    summary: (e) =>
      `"${e.valSeries}" is below "${e.trainSeries}" × ${num(1 - Number(e.margin))} at ${num(e.below)} of ${num(e.evaluations)} evaluations from step ${num(e.fromStep)} on (median ratio val/train ${num(e.medianRatio)}; at step ${num(e.lastStep)}: ${num(e.lastValLoss)} vs ${num(e.lastTrainLoss)})`,
    next: () =>
      'check for overlap or duplicates between the training and validation splits; evaluate the model in eval mode on a subset of the training set to separate dropout and augmentation from leakage; very heavy train-time augmentation or noise also explains it',
  },
  'observation.reevaluation-gap': {
    summary: (e) =>
      `the run's evaluation reports a loss of ${num(e.reportedLoss)}; the same final weights re-evaluated independently on a larger held-out sample score ${num(e.reevaluatedLoss)}: ` +
      `the reported number is ${e.direction === 'worse' ? 'worse' : 'better'} by ${num(Math.abs(Number(e.gap)))} [${num(e.low)}, ${num(e.high)}], ${pct(Math.abs(Number(e.relativeGap)))} of the re-evaluated loss (counts above ${pct(e.minRelativeGap)}), ` +
      'where two samples of one distribution agree within noise',
    next: (e) =>
      e.direction === 'worse'
        ? "fix the evaluation before the model: check that targets line up with the predictions (an off-by-one shift, a label map that differs from training's id2label, a permuted class order, the wrong axis or reduction); the model scores well when scored independently"
        : 'fix the evaluation before trusting the number: look for evaluation items that were seen in training (exact and near duplicates, `ladder overlap`) and for an evaluation set easier than the distribution it stands for; report the independent re-evaluation',
  },
  'observation.small-eval': {
    summary: (e) =>
      `"${e.series}" = ${num(e.accuracy)} on ${num(e.evalSize)} items` +
      (e.available !== undefined ? ` (of ${num(e.available)} available)` : '') +
      `: ${Math.round(100 * Number(e.confidence))}% interval [${num(e.low)}, ${num(e.high)}] (±${num(100 * Number(e.halfWidth))} points)` +
      (Number(e.accuracies) > 1 ? `; ${num(e.wide)} of ${num(e.accuracies)} accuracies are wider than ±${num(100 * Number(e.maxHalfWidth))} points` : ''),
    next: (e) =>
      Number(e.wideEnlargeable) > 0
        ? `do not compare runs on this number at a finer scale than ±${num(100 * Number(e.halfWidth))} points; evaluate on more items (about ${num(e.itemsForTarget)} give ±${num(100 * Number(e.targetHalfWidth))} point)`
        : `differences smaller than about ${num(100 * Number(e.halfWidth))} points are within eval sampling noise (seed noise comes on top); ${num(e.itemsForTarget)} items would give ±${num(100 * Number(e.targetHalfWidth))} point`,
  },
  'observation.eval-interval': {
    summary: (e) => {
      const ci = `${Math.round(100 * Number(e.confidence))}% CI [${num(e.low)}, ${num(e.high)}]`;
      const head = `${e.metric} = ${num(e.value)} on ${num(e.n)} items (${ci}, ${e.method}${e.clusters !== undefined ? ` over ${num(e.clusters)} clusters` : ''})`;
      if (e.baseline === 'none') return `${head}: ±${num(100 * Number(e.halfWidth))} points`;
      if (e.baseline === 'value') {
        return `${head} ${e.distinguishable ? 'is' : 'cannot be told'} ${e.distinguishable ? (Number(e.difference) > 0 ? 'above' : 'below') : 'from'} the baseline ${num(e.baselineValue)}${e.distinguishable ? '' : ` (gap ${num(e.difference)}, inside the interval)`}`;
      }
      return (
        `${head}; against ${e.baselineSource} (${num(e.baselineValue)}) on ${num(e.paired)} paired items: difference ${num(e.difference)} [${num(e.differenceLow)}, ${num(e.differenceHigh)}], p = ${num(e.pValue)} (${e.test}), ` +
        (e.distinguishable ? 'significant' : `not significant; the smallest difference this eval can detect is ${num(e.mde)}`)
      );
    },
    next: (e) => {
      if (e.baseline === 'none') {
        return Number(e.halfWidth) > Number(e.maxHalfWidth)
          ? `do not compare runs on this number at a finer scale than ±${num(100 * Number(e.halfWidth))} points; evaluate on more items`
          : `differences smaller than about ${num(100 * Number(e.halfWidth))} points are within eval sampling noise (seed noise comes on top); pass --baseline to test a claimed gap`;
      }
      if (e.distinguishable) return 'the gap to the baseline is larger than eval sampling noise; check seed noise (several seeds) before attributing it to the change';
      if (e.itemsNeeded === undefined) return 'do not claim a difference from the baseline on this eval';
      return e.baseline === 'items'
        ? `do not claim a difference from the baseline on this eval; a gap of this size needs about ${num(e.itemsNeeded)} paired items to detect (power 0.8), or a larger effect`
        : `do not claim a difference from the baseline on this eval; at a gap of this size the interval excludes the baseline from about ${num(e.itemsNeeded)} items, or compare per item with --baseline PATH (a paired test needs fewer)`;
    },
  },
  'observation.label-errors': {
    summary: (e) =>
      `confident learning flags ${num(e.flagged)} of ${num(e.checked)} eval labels as probably wrong (${pct(e.rate)}; the paper's estimate ${num(e.paperEstimate)})` +
      (e.baseline === 'none'
        ? ''
        : `; the gap to ${e.baselineSource} is ${num(e.gap)} (${num(e.gapItems)} items), ${e.withinLabelErrors ? 'no more than the flagged labels could account for' : 'more than the flagged labels can account for'}` +
          (e.cleanedGap !== undefined ? ` (on the ${num(e.cleanedItems)} unflagged items: ${num(e.cleanedGap)}, p = ${num(e.cleanedPValue)})` : '')),
    next: (e) =>
      e.withinLabelErrors === true
        ? 'review the flagged items (`ladder label-issues`) and re-score both systems on the corrected labels before claiming the gap'
        : Number(e.rate) > Number(e.maxErrorRate)
          ? 'review the flagged items (`ladder label-issues`, ranked most suspicious first) and correct the eval labels; until then the score is capped near 1 − the error rate'
          : 'the flagged items are listed in the evidence (all of them: `ladder label-issues`); correct them when a result hinges on a few points',
  },
  'observation.seed-noise': {
    summary: (e) =>
      `${e.better} (${num(e.betterValue)} at ${e.betterSetting}) vs ${e.worse} (${num(e.worseValue)} at ${e.worseSetting}) on ${e.objective}: gap ${num(e.gap)}, ${Math.round(100 * Number(e.confidence))}% CI [${num(e.low)}, ${num(e.high)}] against a seed SD of ${num(e.seedSd)} (p = ${num(e.pValue)})` +
      (e.pAB !== undefined ? `; P(A > B) = ${num(e.pAB)} [${num(e.pABLow)}, ${num(e.pABHigh)}]` : '') +
      (e.distinguishable ? '' : ' — inside seed noise'),
    next: (e) =>
      e.distinguishable
        ? 'the best arm is ahead beyond seed noise'
        : `do not conclude which arm is better: rerun each arm's best setting with more seeds (${typeof e.seedsNeeded === 'number' ? `the gap needs ${num(e.seedsNeeded)} seeds per arm to show at power 0.8` : 'a zero gap shows at no number of seeds'}), or accept that the arms are equivalent here`,
  },
  'reachability.untuned-comparison': {
    summary: (e) =>
      `the arms (${e.scientific}) are compared at untuned learning rates: ${(e.untunedArms as string[]).join(', ')} ran at a single ${e.learningRateKey}; a difference between them is a statement about that learning rate, not about the architectures`,
    next: (e) => {
      const plan = e.plan as { vary: Record<string, number[]>; seeds: number; runs: number };
      const [key, values] = Object.entries(plan.vary)[0]!;
      return `tune each arm separately: ${key} ∈ {${values.map(num).join(', ')}} × ${num(plan.seeds)} seeds per arm (${num(plan.runs)} runs), then compare the arms at their own best`;
    },
  },
  'reachability.sweep-edge': {
    summary: (e) =>
      e.flat === true
        ? `${e.arm}: the best ${e.key} is ${num(e.best)}, the ${e.side === 'low' ? 'lowest' : 'highest'} value searched (${(e.values as number[]).map(num).join(', ')}), but it beats the best inside by ${num(e.margin)}, within seed noise (${num(e.tie)}): the ${e.objective} is flat there`
        : `${e.arm}: the best ${e.key} is ${num(e.best)}, the ${e.side === 'low' ? 'lowest' : 'highest'} value searched (${(e.values as number[]).map(num).join(', ')}); its tuned ${e.objective} is a lower bound`,
    next: (e) =>
      e.flat === true
        ? `nothing to extend: the ${e.key} range of ${e.arm} ends on a plateau of its ${e.objective}`
        : `extend the ${e.key} sweep of ${e.arm} to ${num(e.extendTo)} (and beyond while it keeps improving) before comparing this arm`,
  },
  'instantiation.tuned-comparison': {
    summary: (e) =>
      `at their tuned bests, ${e.worse} (${num(e.worseValue)} at ${e.worseSetting}) is worse than ${e.better} (${num(e.betterValue)} at ${e.betterSetting}) on ${e.objective} by ${num(e.gap)}, ${Math.round(100 * Number(e.confidence))}% CI [${num(e.low)}, ${num(e.high)}] (p = ${num(e.pValue)})` +
      (e.relativeGap !== undefined ? `, ${pct(e.relativeGap)} of ${e.better}'s value${small(e) ? ` (a gap counts above ${pct(e.minRelativeGap)}: beyond seed noise, but too small to explain the loss)` : ''}` : '') +
      (Number(e.matchedSettings) > 0 ? `; ${e.better} also wins at ${num(e.betterWinsAt)} of the ${num(e.matchedSettings)} settings both ran` : ''),
    next: (e) =>
      small(e)
        ? `the architectures differ by less than what matters here: choose between ${e.better} and ${e.worse} on cost, and look elsewhere for the loss`
        : `training is settled for both arms, so the gap is the architecture's: prefer ${e.better}, or change what ${e.worse} lacks (capacity, components) and compare again, tuned`,
  },
  'reachability.sweep-importance': {
    summary: (e) =>
      (e.arms as { arm: string; settingsDistinguishable: boolean; pValue: number; importance: Record<string, number> }[])
        .map((a) => {
          const top = Object.entries(a.importance).sort((x, y) => y[1] - x[1])[0];
          return `${a.arm}: settings ${a.settingsDistinguishable ? 'differ beyond' : 'do not differ beyond'} seed noise (F test p = ${num(a.pValue)})${top ? `, ${top[0]} explains ${pct(top[1])} of the variance` : ''}`;
        })
        .join('; '),
    next: (e) =>
      (e.arms as { settingsDistinguishable: boolean }[]).some((a) => !a.settingsDistinguishable)
        ? 'where settings do not differ beyond seeds, widen the sweep or add seeds before trusting which setting is best'
        : 'spend the next tuning budget on the most important key',
  },
  'instantiation.capacity': {
    summary: (e) =>
      `${e.objective} against ${e.key} (${(e.sizes as number[]).map(num).join(', ')}): from the second-largest to the largest size the tuned best moves by ${num(e.gainFromLast)} [${num(e.low)}, ${num(e.high)}]` +
      (e.stillImproving
        ? ', still improving'
        : e.beyondNoise === true
          ? `, ${pct(e.relativeGain)}: beyond seed noise, but under the ${pct(e.minRelativeGain)} a larger model must gain`
          : ', no gain beyond seed noise') +
      (e.predictedAtDouble !== undefined ? `; a power law with offset predicts ${num(e.predictedAtDouble)} at ${num(2 * Number(e.largest))}` : ''),
    next: (e) =>
      e.stillImproving
        ? `the model is too small for the task: try ${e.key} = ${num(2 * Number(e.largest))} (tuned) before changing the architecture`
        : 'more size does not help at this data and training budget; look at data, training length or the architecture itself',
  },
  'instantiation.ablation': {
    summary: (e) => {
      const parts = (e.components as { component: string; estimate: number; low: number; high: number; matters: boolean; beyondNoise?: boolean }[]).map(
        (c) =>
          `${c.component} ${c.matters ? 'matters' : c.beyondNoise === true ? 'is negligible' : 'is replaceable'} (${num(c.estimate)} [${num(c.low)}, ${num(c.high)}]` +
          (!c.matters && c.beyondNoise === true ? `: beyond seed noise, under ${pct(e.minRelativeEffect)} of the mean ${num(e.meanValue)}` : '') +
          ')',
      );
      return `factorial ablation on ${e.objective}, each cell tuned: ${parts.join('; ')}`;
    },
    next: (e) =>
      (e.replaceable as string[]).length > 0
        ? `${(e.replaceable as string[]).join(', ')} can be removed or replaced at no measurable cost; keep ${(e.matters as string[]).join(', ') || 'nothing'}`
        : `every component matters; keep ${(e.matters as string[]).join(', ')}`,
  },
  'perception.family-floor': {
    summary: (e) => {
      const floors = (e.floors as { family: string; floor: number; low: number; high: number }[]).map((f) => `${e.concept}=${f.family} levels off at ${num(f.floor)} [${num(f.low)}, ${num(f.high)}]`);
      const limited = e.limited as { family: string; against: string }[];
      return `${e.objective} against ${e.sizeKey}: ${floors.join('; ')}` + (limited.length > 0 ? ` — ${limited.map((l) => `${l.family} cannot reach ${l.against} by scaling`).join('; ')}` : '');
    },
    next: (e) =>
      (e.limited as { family: string }[]).length > 0
        ? `stop scaling ${[...new Set((e.limited as { family: string }[]).map((l) => l.family))].join(', ')}: its floor is the concept's; change the concept`
        : 'the families level off at compatible floors: the concept does not limit either at these sizes',
  },
  'perception.concept-probe': {
    summary: (e) => {
      const f = (e.failures as { probe: string; family: string; against: string; sizes: number; familyBest: number; otherWorst: number }[])[0]!;
      return `${e.concept}=${f.family} fails ${f.probe} at every size (${num(f.sizes)}) and learning rate tried: its best ${num(f.familyBest)} vs ${num(f.otherWorst)} for ${e.concept}=${f.against} at its worst size`;
    },
    next: (e) =>
      `the concept, not its instantiation, limits ${e.concept}=${e.failing}: no size or learning rate closed the gap on the probe; change the concept (e.g. the positional scheme) rather than scaling this one`,
  },
  'reachability.divergence': {
    summary: (e) =>
      Number(e.nonFiniteCount) > 0
        ? `training loss became non-finite at step ${num(e.step)} (${num(e.nonFiniteCount)} of ${num(e.points)} points)`
        : `training loss exploded to ${num(e.peakLoss)} at step ${num(e.step)}, ${num(Number(e.peakLoss) / Number(e.initialLoss))}× its initial ${num(e.initialLoss)}`,
    next: () => 'lower the learning rate (try ÷3 and ÷10), add warmup and gradient clipping; check for bad batches near that step',
  },
  'reachability.tuned-gap': {
    summary: (e) =>
      `at ${e.setting} the run reaches ${num(e.value)} on the held-out evaluation; the learning-rate sweep around it reaches ${num(e.bestValue)} at ${e.bestSetting} ` +
      `(${num(e.settings)} settings): a gap of ${num(e.gap)} [${num(e.low)}, ${num(e.high)}], ${pct(e.relativeGap)} of the run's value (a gap counts above ${pct(e.minRelativeGap)})`,
    next: (e) => `train at ${e.bestSetting} (and check the sweep's best is inside its range) before judging the architecture`,
  },
  'reachability.train-data-noise': {
    summary: (e) =>
      `scored in evaluation mode, the final model${typeof e.model === 'string' ? ` of ${e.model}` : ''}'s loss on a sample of its own training data is ${num(e.trainingLoss)} and on held-out data ${num(e.heldoutLoss)}: ` +
      `the training data is harder than the data it is judged on by ${num(e.gap)} [${num(e.low)}, ${num(e.high)}], ${pct(e.relativeGap)} of the held-out loss (counts above ${pct(e.minRelativeGap)}), ` +
      'where a model trained on it can only do as well or better',
    next: () =>
      'look at the training data before the model: corrupted or mislabelled examples (`ladder label-issues` on out-of-fold predictions), a preprocessing or tokenization difference between the training and evaluation pipelines, or a shift between the splits; clean or filter the training set, then retrain',
  },
  'reachability.stall': {
    summary: (e) =>
      `training loss started at ${num(e.initialLoss)}, its best level was ${num(e.bestLoss)} (${pct(e.relativeDrop)} lower) and it ended at ${num(e.finalLoss)}` +
      (e.chanceLoss !== undefined ? `; chance loss is ${num(e.chanceLoss)}` : ''),
    next: () => 'raise the learning rate (sweep it over 2–3 orders of magnitude upward) and check that gradients reach every layer',
  },
  'reachability.collapse': {
    summary: (e) =>
      `"${e.series}" is exactly ${num(e.accuracy)} at each of the last ${num(e.evaluations)} evaluations (from step ${num(e.fromStep)}) while "${e.lossSeries}" still moves (${num(e.lossLow)} to ${num(e.lossHigh)}): the predictions no longer change, as when a model answers one class whatever the input`,
    next: () =>
      'lower the learning rate (÷3 to ÷30) and add warmup; check the class balance and loss weighting; compare the accuracy with the share of the most frequent class',
  },
  'reachability.frozen-after-blowup': {
    summary: (e) =>
      `training loss jumped from ${num(e.levelBefore)} to ${num(e.levelAfter)} at step ${num(e.step)} (${num(e.jumpInNoiseFloors)} noise floors) and stayed flat for the remaining ${num(e.stepsAfter)} steps (95% interval of the change after it: ${num(e.changeAfterLow)} to ${num(e.changeAfterHigh)}; ends at ${num(e.finalLevel)})`,
    next: (e) =>
      `look at what happened at step ${num(e.step)} (learning-rate schedule, a bad batch, an overflow): the weights were destroyed (dead ReLUs, saturated units) and every step after it is wasted; restart from a checkpoint before it with a lower or warmed-up learning rate and gradient clipping`,
  },
  'reachability.grad-spikes': {
    summary: (e) =>
      [
        Number(e.spikes) > 0
          ? `${num(e.spikes)} gradient-norm spike${Number(e.spikes) === 1 ? '' : 's'} (robust z > ${num(e.spikeZ)} on log "${e.series}"; largest ×${num(e.largestRatio)} the running level at step ${num(e.largestStep)})`
          : '',
        e.endsNonFinite
          ? `gradient norm non-finite from step ${num(e.firstNonFiniteStep)} to the end of the run (${num(e.nonFinite)} of ${num(e.points)} points): the weights are NaN/Inf`
          : Number(e.nonFinite) > 0
            ? `${num(e.overflowSteps)} non-finite gradient norm${Number(e.overflowSteps) === 1 ? '' : 's'} (${pct(e.overflowFraction)} of logged steps, first at step ${num(e.firstNonFiniteStep)}): fp16/bf16 overflow, skipped steps under a loss scaler`
            : '',
        e.damageStep !== undefined ? `the training loss rose from ${num(e.lossBefore)} to ${num(e.lossAfter)} after the spike at step ${num(e.damageStep)} and stayed there` : '',
      ]
        .filter(Boolean)
        .join('; '),
    next: (e) =>
      e.endsNonFinite
        ? 'the run diverged: lower the learning rate, add warmup and gradient clipping, and find the first non-finite step (bf16 instead of fp16 avoids overflow)'
        : Number(e.spikes) === 0
          ? 'frequent overflow: use bf16, or check the loss scaler (initial scale, growth interval) and any op that overflows in half precision'
          : 'look at the batches at the spike steps (unnormalised or corrupt inputs, extreme labels); clip the gradient norm near its typical level, lower the learning rate or add warmup if spikes cluster early',
  },
  'reachability.instability': {
    summary: (e) =>
      (Number(e.spikes) === 0
        ? `training loss is unstable over its ${num(e.points)} points`
        : `training loss is unstable: ${num(e.spikes)} spike${Number(e.spikes) === 1 ? '' : 's'} more than ${num(e.spikeMultiple)} local noise floors above its running median in ${num(e.points)} points`) +
      (e.largestSpikeStep !== null ? `, largest +${num(e.largestSpike)} at step ${num(e.largestSpikeStep)}` : '') +
      (typeof e.largestOverRange === 'number' ? ` (${pct(e.largestOverRange)} of the loss's range)` : '') +
      (e.oscillating ? `; it oscillates (lag-1 autocorrelation of its residuals ${num(e.lag1Autocorrelation)})` : '') +
      (e.warmup === false ? '; the learning rate starts at its peak (no warmup)' : e.warmup === true ? '; the learning rate has a warmup' : ''),
    next: (e) =>
      e.warmup === false
        ? `no warmup at a high rate: add a warmup (a few hundred steps or ~2–5% of the run) and lower the peak learning rate (try ÷3)${typeof e.peakLr === 'number' ? ` from ${num(e.peakLr)}` : ''}`
        : 'lower the learning rate (try ÷3 and ÷10) or lengthen the warmup; add gradient clipping; if spikes are at specific steps, inspect those batches',
  },
  'reachability.bad-init-loss': {
    summary: (e) =>
      `${e.step === 0 ? 'loss at initialization' : `first logged loss (step ${num(e.step)})`} is ${num(e.initialLoss)}, ${num(e.ratio)}× the uniform-guess loss ln ${num(e.classes)} = ${num(e.chanceLoss)} (expected ${num(e.lowFactor)}–${num(e.highFactor)}×)`,
    next: (e) =>
      e.direction === 'high'
        ? 'check the output layer initialization (logits should start near zero: small final-layer weights, zero bias), the loss reduction (mean, not sum) and any label smoothing or class weights'
        : 'check that the logged loss is the K-way cross-entropy (not multi-label BCE or an auxiliary loss) and that the number of classes is right; a first point logged after many steps already includes learning',
  },
  'reachability.clipping-always': {
    summary: (e) =>
      `"${e.series}" is above the clipping limit ${e.limitKey} = ${num(e.maxGradNorm)} on ${num(e.clippedPoints)} of ${num(e.points)} logged steps (${pct(e.clippedFraction)}; median norm ${num(e.medianNormOverLimit)}× the limit)` +
      (e.scaleInvariantOptimizer ? `; with ${e.optimizer} (scale-invariant updates) this mostly cancels out` : e.optimizer ? `; optimizer ${e.optimizer}` : ''),
    next: (e) =>
      e.scaleInvariantOptimizer
        ? 'no action needed for the optimizer; if loss spikes or instability are also reported, look at them, not at the limit'
        : `clipping sets every step's size: raise ${e.limitKey} to about the typical gradient norm (≈ ${num(Number(e.medianNormOverLimit) * Number(e.maxGradNorm))}) so it only catches outliers, then retune the learning rate`,
  },
  'reachability.schedule-never-decays': {
    summary: (e) =>
      e.kind === 'stopped-before-floor'
        ? `the ${e.scheduler} learning-rate schedule ended at ${pct(e.finalOverPeak)} of its peak ${num(e.peakLr)} (step ${num(e.finalStep)}): the run stopped before its annealing phase`
        : e.kind === 'configured-decay-not-applied'
          ? `a decaying schedule (${e.scheduler}) was configured, but "${e.series}" ended at ${pct(e.finalOverPeak)} of its peak ${num(e.peakLr)}: it never decayed`
          : `"${e.series}" never decays (final ${num(e.finalLr)} = ${pct(e.finalOverPeak)} of its peak)` +
            (e.kind === 'constant-at-plateau'
              ? ` while the loss's last quarter is flat (slope 95% interval [${num(e.tailSlopeLow)}, ${num(e.tailSlopeHigh)}] per step) and noisy (noise floor ${num(e.tailNoise)} = ${pct(e.noiseOverDrop)} of its total drop)`
              : e.stillFalling === true
                ? '; the loss is still falling, so a constant rate is not yet costing anything'
                : ''),
    next: (e) =>
      e.kind === 'stopped-before-floor'
        ? 'the last checkpoint is not annealed: finish the schedule (or shorten its horizon to the steps you can afford) before comparing it'
        : e.kind === 'configured-decay-not-applied'
          ? "check that the scheduler is stepped (scheduler.step() per step/epoch as configured) and that its horizon (max_steps, epochs) matches the run's length"
          : e.kind === 'constant-at-plateau'
            ? 'decay the learning rate (cosine or linear to ~0, or a final decay phase over the last 10–20% of steps): the plateau is the noise band of a constant rate'
            : 'fine for now; decay the rate at the end of training (cosine/linear, or a final decay phase) to get the annealing gain',
  },
  'reachability.not-converged': {
    summary: (e) =>
      `the ${e.seriesRole} "${e.series}" is still falling at step ${num(e.lastStep)} (Theil–Sen slope ${num(e.slope)} per step, ` +
      `95% interval [${num(e.slopeLow)}, ${num(e.slopeHigh)}], Mann–Kendall p = ${num(e.trendPValue)}); ${e.model === 'exponential' ? 'an' : 'a'} ${e.model} fit to the tail predicts ` +
      `${num(e.predictedAt2x)} [${num(e.predictedAt2xLow)}, ${num(e.predictedAt2xHigh)}] at 2× the steps and ` +
      `${num(e.predictedAt4x)} [${num(e.predictedAt4xLow)}, ${num(e.predictedAt4xHigh)}] at 4×, from ${num(e.fittedAtLastStep)} now ` +
      `(expected gain at 2×: ${pct(e.relativeGainAt2x)}` +
      (Number(e.fittedFloor) < 0 || e.fittedFloor === null ? '; no floor in sight yet' : `; fitted floor ${num(e.fittedFloor)}`) +
      ')' +
      (e.annealed === true ? `; the learning rate had decayed to ${pct(e.finalLearningRateShare)} of its peak, so part of the late drop is annealing` : ''),
    next: (e) =>
      e.annealed === true
        ? 'train longer with the schedule stretched to the new length (not more steps at the final rate), then judge the architecture on the converged run'
        : 'train longer (2× the steps, or until the validation loss flattens) before drawing any conclusion about the architecture; decay the learning rate at the end',
  },
  'reachability.overfitting': {
    summary: (e) =>
      `"${e.series}" reached its minimum ${num(e.bestValue)} at step ${num(e.bestStep)}, then rose to ${num(e.lastValue)} at step ${num(e.lastStep)} ` +
      `(+${pct(e.relativeRise)}, ${num(e.riseInNoiseFloors)} noise floors)` +
      (e.trainAtEnd !== undefined ? ` while the training loss fell from ${num(e.trainAtBest)} to ${num(e.trainAtEnd)}` : '') +
      (e.gapAtEnd !== undefined ? `; the train–validation gap grew from ${num(e.gapAtBest)} to ${num(e.gapAtEnd)}` : '') +
      (e.bestModelCheckpoint !== undefined ? `; best checkpoint recorded: ${e.bestModelCheckpoint}` : ''),
    next: (e) =>
      (e.loadBestModelAtEnd === true
        ? 'the best checkpoint was loaded at the end, so the delivered model is the early-stopped one; '
        : `stop early at step ${num(e.bestStep)} (keep the best checkpoint, e.g. load_best_model_at_end / EarlyStopping); `) +
      'to go further, add data or regularization (weight decay, dropout, augmentation) — not a new architecture',
  },
  'reachability.noisy-labels': {
    summary: (e) =>
      `"${e.series}" peaked early at ${num(e.peakValue)} (step ${num(e.peakStep)}, ${pct(e.peakFraction)} into the run) and fell to ${num(e.finalLevel)}, ` +
      `losing ${pct(e.lostShare)} of what it had gained, while the training ${e.finalTrainAccuracy !== undefined ? `accuracy reached ${num(e.finalTrainAccuracy)}` : `loss fell to ${num(e.finalTrainLoss)}`}: ` +
      'the two-phase curve of memorising noisy training labels (or a training set small enough to memorise)',
    next: () =>
      'check the training labels: confident learning on out-of-fold predicted probabilities (cleanlab) to find likely label errors, then clean or relabel them; ' +
      'meanwhile stop early at the accuracy peak or use a noise-robust loss (generalized cross-entropy, label smoothing)',
  },
};

export function wordingOf(code: string): FindingText {
  const text = FINDINGS[code];
  if (!text) throw new Error(`no wording for finding ${code} (add it to src/ladder/findings-text.ts)`);
  return text;
}
