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
