/**
 * Reading training settings from a run's hyperparameters, whatever the writer called them.
 * Nested configs arrive flattened with dots (`trainer.gradient_clip_val`, `optimizer.name`),
 * so a key matches on its last component, case-insensitively; the run's summary is the
 * fallback (some writers put settings there).
 */
import type { HValue, Run } from '../model/run.js';

function leafKey(key: string): string {
  const dot = key.lastIndexOf('.');
  return (dot >= 0 ? key.slice(dot + 1) : key).toLowerCase();
}

/** The first value whose key (or its last dotted component) is one of `names`, in `names` order. */
export function hparamValue(run: Run, names: readonly string[]): { key: string; value: HValue } | undefined {
  for (const source of [run.hparams, run.summary]) {
    const keys = Object.keys(source);
    for (const name of names) {
      const key = keys.find((k) => k.toLowerCase() === name) ?? keys.find((k) => leafKey(k) === name);
      if (key !== undefined && source[key] !== null && source[key] !== undefined) return { key, value: source[key]! };
    }
  }
  return undefined;
}

/** A finite number (numeric strings included) under one of `names`. */
export function hparamNumber(run: Run, names: readonly string[]): { key: string; value: number } | undefined {
  const found = hparamValue(run, names);
  if (!found) return undefined;
  const n = typeof found.value === 'string' && found.value.trim() !== '' ? Number(found.value) : found.value;
  return typeof n === 'number' && Number.isFinite(n) ? { key: found.key, value: n } : undefined;
}

/** A non-empty string under one of `names`. */
export function hparamString(run: Run, names: readonly string[]): { key: string; value: string } | undefined {
  const found = hparamValue(run, names);
  return found && typeof found.value === 'string' && found.value.trim() !== '' ? { key: found.key, value: found.value.trim() } : undefined;
}

/** Where writers put the optimizer's name (HF `optim`, Lightning/hydra `optimizer`, …). */
export const OPTIMIZER_KEYS = ['optim', 'optimizer', 'optimizer_name', 'optimizer_type', 'opt', 'name_optimizer'] as const;

/**
 * Optimizers whose update is (nearly) invariant to a common rescaling of the gradient:
 * Adam-family divide by a running RMS of the gradient, sign methods ignore magnitude. For
 * them, clipping the global norm every step mostly cancels out; for SGD it sets the step size.
 */
export function isScaleInvariantOptimizer(name: string): boolean {
  return /adam|adafactor|lion|lamb|lars|rmsprop|adagrad|adadelta|sophia|shampoo|muon|schedule_free/i.test(name) && !/^sgd/i.test(name);
}
