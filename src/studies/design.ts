/**
 * The shape of a study's design: a factorial ablation (every combination of two-level
 * components present), and which of a component's two levels counts as "on".
 */
import type { HValue } from '../model/run.js';
import { valueKey, type Study } from './study.js';

const OFF = new Set(['false', '0', 'off', 'no', 'none', 'disabled', 'without']);

/** The two levels of a component, "off" first when the values say which is which. */
export function orderedLevels(values: HValue[]): [HValue, HValue] {
  const [a, b] = values as [HValue, HValue];
  return OFF.has(valueKey(b).toLowerCase()) && !OFF.has(valueKey(a).toLowerCase()) ? [b, a] : [a, b];
}

export interface Factorial {
  factors: { key: string; levels: [HValue, HValue] }[];
}

/** A full 2^k factorial over k ≥ 2 scientific keys of two levels each (the concept key aside). */
export function factorialDesign(study: Study): Factorial | undefined {
  const keys = study.scientific.filter((key) => key !== study.concept);
  if (keys.length < 2 || keys.length !== study.scientific.length) return undefined;
  const factors = keys.map((key) => ({ key, levels: orderedLevels(study.varying.find((v) => v.key === key)!.values) }));
  if (study.varying.some((v) => keys.includes(v.key) && v.values.length !== 2)) return undefined;
  if (study.arms.length !== 2 ** keys.length) return undefined;
  return { factors };
}

const SIZE = /^(d_model|dim|hidden|hidden_size|hidden_dim|width|n_embd|embed_dim|n_layer|n_layers|num_layers|layers|depth|params|num_parameters|n_params|parameters|model_size|channels|base_channels|num_hidden_layers|intermediate_size)$/;

/** The scientific key, when it is the only one and names a model size with numeric values. */
export function sizeKey(study: Study): string | undefined {
  if (study.scientific.length !== 1) return undefined;
  const key = study.scientific[0]!;
  const leaf = key.slice(Math.max(key.lastIndexOf('.'), key.lastIndexOf('/')) + 1).toLowerCase();
  const values = study.varying.find((v) => v.key === key)!.values;
  return SIZE.test(leaf) && values.every((v) => typeof v === 'number' && v > 0) ? key : undefined;
}

/**
 * What a study's arms are: a factorial ablation, model sizes, concept families, or plain arms
 * (architectures, variants). Each kind has its own instantiation or perception check; the
 * best-vs-runner-up comparison (observation.seed-noise, instantiation.tuned-comparison) is
 * the question only for plain arms.
 */
export function studyKind(study: Study): 'factorial' | 'capacity' | 'concept' | 'arms' {
  if (factorialDesign(study)) return 'factorial';
  if (sizeKey(study) !== undefined) return 'capacity';
  if (study.concept !== undefined) return 'concept';
  return 'arms';
}
