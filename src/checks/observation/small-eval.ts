/**
 * observation.small-eval — how precisely the final accuracy is known from the size of the
 * evaluation set alone: its Wilson (1927) 95 % interval when the number of items is known
 * (Newcombe 1998: close to nominal coverage at every n and p, unlike p ± 1.96·√(p(1−p)/n)).
 * A half-width above the threshold makes any comparison at the scale of usual improvements a
 * coin flip (warning) when the eval set could be larger: a split the researcher chose, or a
 * benchmark scored on a subset (lm-eval `--limit`). A benchmark scored in full, and any tight
 * interval, is reported as context (info). One finding per run: the widest interval leads,
 * every accuracy's interval is in the evidence. Without the evaluation size the check cannot
 * assess the number and says which size would give ±1 point.
 * This is sampling noise of the eval items only; seed noise comes on top.
 */
import type { FindingDraft } from '../../ladder/finding.js';
import { normalQuantile } from '../../stats/distributions.js';
import { wilsonInterval } from '../../stats/intervals.js';
import { defineCheck } from '../check.js';
import { isItemAccuracy } from '../metric-kinds.js';
import { finitePoints } from '../series-tools.js';

/**
 * Items needed for a 95 % interval of half-width `halfWidth` around a rate p: the normal
 * approximation z²·p(1−p)/h², and at least what the Wilson interval needs at p = 0 or 1,
 * z²/(2h) − z² (its half-width there is z²/(2(n + z²))).
 */
export function itemsForHalfWidth(rate: number, halfWidth: number, confidence = 0.95): number {
  const z = normalQuantile(1 - (1 - confidence) / 2);
  return Math.ceil(Math.max((z * z * rate * (1 - rate)) / (halfWidth * halfWidth), (z * z) / (2 * halfWidth) - z * z));
}

export const smallEval = defineCheck({
  code: 'observation.small-eval',
  layer: 'observation',
  description: 'confidence interval of the final accuracy from the evaluation size',
  thresholds: {
    maxHalfWidth: {
      value: 0.05,
      why: 'an improvement from a change of recipe is often a few points; with a 95% half-width above 5 points, differences of that size cannot be told from eval sampling noise',
    },
    confidence: { value: 0.95, why: 'the conventional two-sided 95% interval, as in Miller 2024 "Adding Error Bars to Evals"' },
    targetHalfWidth: { value: 0.01, why: '±1 accuracy point: the resolution at which results are usually reported' },
  },
  evaluate(evidence, t) {
    // Per-example results give the exact interval (observation.eval-interval); this estimate
    // from the logged accuracy and the eval size would repeat it. lm-eval runs keep this check:
    // it reads each task's size and what --limit left out, where eval-interval pools the items.
    if (evidence.items && !evidence.evalSizes) return { status: 'clear' };
    const accuracies = evidence.valMetrics.flatMap(({ name, series }) => {
      if (!isItemAccuracy(name)) return [];
      const { steps, values } = finitePoints(series);
      if (values.length === 0 || values.some((v) => v < 0 || v > 1)) return [];
      return [{ name, step: steps.at(-1)!, accuracy: values.at(-1)!, n: evidence.evalSizes?.[name] ?? evidence.evalSize }];
    });
    if (accuracies.length === 0) return { status: 'unknown', missing: 'a validation accuracy in [0, 1]' };
    const sized = accuracies.filter((a) => a.n !== undefined);
    if (sized.length === 0) {
      const { name, accuracy } = accuracies[0]!;
      const needed = itemsForHalfWidth(accuracy, t.targetHalfWidth, t.confidence);
      return {
        status: 'unknown',
        missing: `the evaluation size (at "${name}" = ${Number(accuracy.toPrecision(3))}, about ${needed.toLocaleString('en-US')} items would give ±${100 * t.targetHalfWidth} point)`,
      };
    }
    const intervals = sized.map(({ name, step, accuracy, n }) => {
      const interval = wilsonInterval(Math.round(accuracy * n!), n!, t.confidence);
      const available = evidence.evalSizesAvailable?.[name];
      return {
        series: name,
        step,
        accuracy,
        evalSize: n!,
        low: interval.low,
        high: interval.high,
        halfWidth: (interval.high - interval.low) / 2,
        // A benchmark scored in full cannot be made larger: its interval is context, not a fault.
        enlargeable: available === undefined || available > n!,
        ...(available !== undefined && available > n! ? { available } : {}),
      };
    });
    const wide = intervals.filter((i) => i.halfWidth > t.maxHalfWidth);
    const fixable = wide.filter((i) => i.enlargeable);
    const byWidth = (a: { halfWidth: number }, b: { halfWidth: number }) => b.halfWidth - a.halfWidth;
    const headline = [...(fixable.length > 0 ? fixable : intervals)].sort(byWidth)[0]!;
    const finding: FindingDraft = {
      code: 'observation.small-eval',
      layer: 'observation',
      severity: fixable.length > 0 ? 'warning' : 'info',
      runs: [evidence.run.id],
      evidence: {
        ...headline,
        confidence: t.confidence,
        maxHalfWidth: t.maxHalfWidth,
        itemsForTarget: itemsForHalfWidth(headline.accuracy, t.targetHalfWidth, t.confidence),
        targetHalfWidth: t.targetHalfWidth,
        accuracies: intervals.length,
        wide: wide.length,
        wideEnlargeable: fixable.length,
        ...(intervals.length > 1 ? { intervals: intervals.map(({ series, accuracy, evalSize, low, high }) => ({ series, accuracy, evalSize, low, high })) } : {}),
      },
    };
    return finding.severity === 'warning' ? { status: 'problem', findings: [finding] } : { status: 'clear', findings: [finding] };
  },
});
