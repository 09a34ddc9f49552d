/**
 * Metric roles by convention across formats (DESIGN section 4): which series is the
 * training loss, the validation loss, the learning rate, the gradient norm, the epoch, and
 * which are validation metrics. Each writer spells them differently (HF `loss` /
 * `eval_loss`, Lightning `train_loss_epoch` / `val_loss`, TensorBoard `train/loss`,
 * MLflow `validation_loss`, W&B `train/global_step`…). The first matching pattern in each
 * list wins; `ladder.yaml` overrides any role.
 */
import type { Roles, Run } from '../model/run.js';

/** Lower-cased, with `/`, `.`, `-` and spaces unified to `_`. */
export function canonicalName(name: string): string {
  return name.toLowerCase().replace(/[/.\- ]+/g, '_');
}

const TRAIN_LOSS = [
  /^(train_)?loss$/,
  /^train(ing)?_loss(_step)?$/,
  /^train(ing)?_loss_epoch$/,
  /^train(ing)?_(total_|avg_|mean_)?loss$/,
  /^loss_step$/,
  /^loss_epoch$/,
  /^train_.*_loss$/,
  /^train_.*loss$/,
];
const VAL_LOSS = [
  /^eval_loss$/,
  /^val(id|idation)?_loss(_epoch)?$/,
  /^eval_.*_loss$/,
  /^val(id|idation)?_.*loss$/,
  /^test_loss$/,
];
const LR = [/^(train_)?learning_rate$/, /^(train_)?lr$/, /^lr_[a-z0-9_]+$/, /^learning_rate_.*$/, /^train_lr$/, /^optim_lr$/];
const GRAD_NORM = [
  /^(train_)?grad(ient)?_norm$/,
  /^grad_norm.*$/,
  /^train_.*grad_norm$/,
  // Lightning's grad_norm(): "grad_2.0_norm_total" (canonical "grad_2_0_norm_total")
  /^(train_)?grad_\d+(_\d+)?_norm_total$/,
];
const EPOCH = [/^(train_)?epoch$/, /^epochs?$/];

/** Validation metrics: evaluation-side series that are neither a loss nor bookkeeping. */
const VAL_PREFIX = /^(eval|val|valid|validation|test)_/;
const BOOKKEEPING = /^(runtime|epoch|step|global_step|timestamp|num_tokens)$|_per_second$|runtime$|_time$|_mem(ory)?(_mb|_gb)?$/;

function firstMatch(names: string[], patterns: RegExp[], exclude: Set<string>): string | undefined {
  const canon = names.map((name) => [name, canonicalName(name)] as const);
  for (const pattern of patterns) {
    // Among several matches for one pattern, prefer the series with the most points
    // (Lightning logs both `train_loss_step` and `train_loss_epoch`).
    const hit = canon.find(([name, c]) => pattern.test(c) && !exclude.has(name));
    if (hit) return hit[0];
  }
  return undefined;
}

/** Roles for a run: `overrides` (ladder.yaml) first, then what the reader set, then convention. */
export function assignRoles(run: Run, configured: Partial<Roles> = {}): Roles {
  const { valMetrics: readerMetrics, ...readerRoles } = run.roles;
  const overrides: Partial<Roles> = { ...readerRoles, ...configured };
  if (configured.valMetrics === undefined && readerMetrics.length > 0) overrides.valMetrics = readerMetrics;
  const names = Object.keys(run.series);
  const taken = new Set<string>();
  const pick = (patterns: RegExp[]) => {
    const found = firstMatch(names, patterns, taken);
    if (found) taken.add(found);
    return found;
  };
  const roles: Roles = { valMetrics: [] };
  const valLoss = overrides.valLoss ?? pick(VAL_LOSS);
  if (valLoss) taken.add(valLoss);
  const trainLoss = overrides.trainLoss ?? pick(TRAIN_LOSS);
  const lr = overrides.lr ?? pick(LR);
  const gradNorm = overrides.gradNorm ?? pick(GRAD_NORM);
  const epoch = overrides.epoch ?? pick(EPOCH);
  if (trainLoss) roles.trainLoss = trainLoss;
  if (valLoss) roles.valLoss = valLoss;
  if (lr) roles.lr = lr;
  if (gradNorm) roles.gradNorm = gradNorm;
  if (epoch) roles.epoch = epoch;
  roles.valMetrics =
    overrides.valMetrics ??
    names.filter((name) => {
      const c = canonicalName(name);
      const metric = c.replace(VAL_PREFIX, '').replace(/_(epoch|step)$/, '');
      return VAL_PREFIX.test(c) && !metric.endsWith('loss') && !BOOKKEEPING.test(metric) && name !== valLoss;
    });
  return roles;
}
