/**
 * reachability.clipping-always — gradient clipping is active on (nearly) every step: the
 * logged gradient norm (before clipping, as the Hugging Face Trainer and Lightning's
 * grad-norm logging report it) exceeds the configured limit almost always. Clipping is then
 * not a guard against rare bad batches but the step-size rule itself: with SGD every update
 * has length lr·max_norm, whatever the gradient says, and learning crawls when the limit is
 * far below the typical norm. Adam-family optimizers divide by a running RMS of the gradient,
 * so a common rescaling of every step mostly cancels out: there it is context (info), not a
 * problem.
 */
import { median } from '../../stats/robust.js';
import { defineCheck } from '../check.js';
import { hparamNumber, hparamString, isScaleInvariantOptimizer, OPTIMIZER_KEYS } from '../hparams.js';
import { finitePoints } from '../series-tools.js';

/** Names writers give the norm-clipping limit (HF, Lightning, plain scripts, hydra configs). */
const CLIP_KEYS = [
  'max_grad_norm',
  'gradient_clip_val',
  'clip_grad_norm',
  'grad_clip_norm',
  'grad_clip',
  'clip_grad',
  'gradient_clipping',
  'clip_norm',
  'max_norm',
  'clip',
] as const;

export const clippingAlways = defineCheck({
  code: 'reachability.clipping-always',
  layer: 'reachability',
  description: 'gradient norm above the clipping limit on nearly every logged step',
  thresholds: {
    clippedFraction: {
      value: 0.95,
      why:
        'clipping is meant to catch rare outlier steps; when 95% or more of the logged steps exceed the limit, ' +
        'the limit sets the step size on essentially every update (Pascanu et al. 2013 propose clipping for ' +
        'occasional exploding gradients, not as a step-size rule)',
    },
    minPoints: {
      value: 20,
      why: 'with fewer than 20 logged norms a fraction of 95% cannot be told from 80% (binomial noise)',
    },
  },
  evaluate(evidence, t) {
    const gradNorm = evidence.gradNorm;
    if (!gradNorm) return { status: 'unknown', missing: 'a gradient-norm series' };
    const limit = hparamNumber(evidence.run, CLIP_KEYS);
    if (!limit) return { status: 'unknown', missing: 'the clipping limit in the hyperparameters (max_grad_norm, gradient_clip_val, …)' };
    const algorithm = hparamString(evidence.run, ['gradient_clip_algorithm']);
    if (algorithm && algorithm.value.toLowerCase() === 'value') {
      return { status: 'unknown', missing: 'norm clipping (gradient_clip_algorithm is "value": element-wise clipping is not compared with the norm)' };
    }
    // A limit of 0 (Lightning) or none at all means clipping is off; a huge one means measure-only.
    if (!(limit.value > 0)) return { status: 'clear' };
    const { steps, values } = finitePoints(gradNorm.series);
    if (values.length < t.minPoints) return { status: 'unknown', missing: `at least ${t.minPoints} finite gradient-norm points` };
    let clipped = 0;
    for (const norm of values) if (norm > limit.value) clipped++;
    const fraction = clipped / values.length;
    if (fraction < t.clippedFraction) return { status: 'clear' };
    const optimizer = hparamString(evidence.run, OPTIMIZER_KEYS)?.value ?? null;
    const scaleInvariant = optimizer !== null && isScaleInvariantOptimizer(optimizer);
    const finding = {
      code: 'reachability.clipping-always',
      layer: 'reachability' as const,
      severity: scaleInvariant ? ('info' as const) : ('warning' as const),
      runs: [evidence.run.id],
      evidence: {
        series: gradNorm.name,
        maxGradNorm: limit.value,
        limitKey: limit.key,
        clippedPoints: clipped,
        points: values.length,
        clippedFraction: fraction,
        threshold: t.clippedFraction,
        medianNormOverLimit: median(values) / limit.value,
        optimizer,
        scaleInvariantOptimizer: scaleInvariant,
      },
      marks: [{ series: gradNorm.name, step: steps[0]!, label: `above the clipping limit ${limit.value} on ${(100 * fraction).toFixed(0)}% of steps` }],
    };
    return scaleInvariant ? { status: 'clear', findings: [finding] } : { status: 'problem', findings: [finding] };
  },
});
