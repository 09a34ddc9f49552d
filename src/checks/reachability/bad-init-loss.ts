/**
 * reachability.bad-init-loss — the loss at initialization is far from ln K, the cross-entropy
 * of a uniform guess over K classes, which is what a sensibly initialized classifier starts
 * at (Karpathy, "A Recipe for Training Neural Networks": "verify loss @ init"). Far above:
 * over-confident random logits (an output layer initialized too large), a summed rather than
 * averaged loss, or label smoothing/weights mis-set; the first stretch of training is then
 * spent undoing the initialization. Far below: the logged loss is probably not the K-way
 * cross-entropy the class count suggests (multi-label BCE, an auxiliary loss), or the first
 * logged point already contains much learning.
 *
 * Only a point logged early counts: a loss logged after many steps already includes
 * learning. A validation loss at step 0 (evaluation before training) is the cleanest
 * measurement and is preferred when the run has one.
 */
import type { Run } from '../../model/run.js';
import { defineCheck } from '../check.js';
import { hparamString } from '../hparams.js';
import { finitePoints } from '../series-tools.js';

export const badInitLoss = defineCheck({
  code: 'reachability.bad-init-loss',
  layer: 'reachability',
  description: 'loss at initialization far from ln K (the loss of a uniform guess over K classes)',
  thresholds: {
    highFactor: {
      value: 1.5,
      why:
        'random logits with a standard output initialization give a loss within a few percent of ln K; 1.5× ln K ' +
        'needs logits several times too large (or a loss summed instead of averaged), and early averaging only lowers it',
    },
    lowFactor: {
      value: 0.5,
      why:
        'below half of ln K the model would already be confidently right on most examples, which an untrained ' +
        'K-way classifier cannot be (even a bias set to a skewed label prior rarely halves ln K)',
    },
    maxStepFraction: {
      value: 0.01,
      why: 'a point logged within the first 1% of the run includes little learning; a later one is not an initialization measurement',
    },
  },
  evaluate(evidence, t) {
    const K = evidence.classes;
    if (K === undefined) return { status: 'unknown', missing: 'the number of classes (num_labels, num_classes, id2label…)' };
    const problemType = hparamString(evidence.run, ['problem_type'])?.value;
    if (problemType && problemType !== 'single_label_classification') {
      return { status: 'unknown', missing: `a single-label K-way cross-entropy (problem_type is "${problemType}")` };
    }
    const other = otherLoss(evidence.run);
    if (other) return { status: 'unknown', missing: `a plain K-way cross-entropy (the run's ${other.key} is ${other.name})` };
    const train = evidence.trainLoss ? finitePoints(evidence.trainLoss.series) : undefined;
    const val = evidence.valLoss ? finitePoints(evidence.valLoss.series) : undefined;
    const lastStep = Math.max(train?.steps.at(-1) ?? 0, val?.steps.at(-1) ?? 0);
    if (!(lastStep > 0)) return { status: 'unknown', missing: 'a training-loss series spanning more than one step' };
    const maxStep = t.maxStepFraction * lastStep;
    // Evaluation before any update is the exact initialization loss; else the first early training point.
    const source =
      val && val.steps.length > 0 && val.steps[0]! <= 0
        ? { name: evidence.valLoss!.name, step: val.steps[0]!, loss: val.values[0]! }
        : train && train.steps.length > 0 && train.steps[0]! <= maxStep
          ? { name: evidence.trainLoss!.name, step: train.steps[0]!, loss: train.values[0]! }
          : undefined;
    if (!source) {
      return { status: 'unknown', missing: `a loss logged at initialization (the first training loss is after ${Math.round(100 * t.maxStepFraction)}% of the run)` };
    }
    const chance = Math.log(K);
    const ratio = source.loss / chance;
    if (ratio <= t.highFactor && ratio >= t.lowFactor) return { status: 'clear' };
    return {
      status: 'problem',
      findings: [
        {
          code: 'reachability.bad-init-loss',
          layer: 'reachability',
          severity: 'warning',
          runs: [evidence.run.id],
          evidence: {
            series: source.name,
            step: source.step,
            initialLoss: source.loss,
            classes: K,
            chanceLoss: chance,
            ratio,
            direction: ratio > t.highFactor ? 'high' : 'low',
            highFactor: t.highFactor,
            lowFactor: t.lowFactor,
          },
          marks: [{ series: source.name, step: source.step, label: `initial loss ${source.loss.toPrecision(3)} vs ln K = ${chance.toPrecision(3)}` }],
        },
      ],
    };
  },
});

/**
 * Losses whose value at initialization is not ln K: margin softmaxes (ArcFace, CosFace:
 * the scaled margin alone adds tens of nats), metric-learning, binary, focal, regression
 * and sequence losses. Named by a hyperparameter such as `loss`, `loss_fn`, `criterion`.
 */
const NOT_PLAIN_CROSS_ENTROPY = /arc_?face|cos_?face|sphere_?face|additive_margin|am_?softmax|triplet|contrastive|info_?nce|supcon|focal|bce|binary|sigmoid|mse|l1|huber|ctc|hinge|kl_?div/i;

function otherLoss(run: Run): { key: string; name: string } | undefined {
  for (const [key, value] of Object.entries(run.hparams)) {
    if (!/(^|[._])(loss|loss_fn|loss_func|loss_function|loss_type|loss_name|criterion)$/i.test(key)) continue;
    const name = typeof value === 'string' ? value : value && typeof value === 'object' && '$opaque' in value ? String(value.$opaque) : undefined;
    if (name && NOT_PLAIN_CROSS_ENTROPY.test(name)) return { key, name };
  }
  return undefined;
}
