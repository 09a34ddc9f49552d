/**
 * Threshold overrides, from ladder.yaml (`thresholds: {code: {name: value}}`) or the command
 * line (`--threshold code.name=value`), checked against the registered checks so that a typo
 * fails loudly with the list of what exists instead of being silently ignored.
 */
import type { AnyCheck } from '../checks/check.js';
import { CHECKS } from '../checks/registry.js';
import { STUDY_CHECKS } from '../studies/registry.js';

/** Run checks and study checks: every code a threshold can name. */
const ALL_CHECKS: readonly Pick<AnyCheck, 'code' | 'thresholds'>[] = [...CHECKS, ...STUDY_CHECKS];

export type ThresholdOverrides = Record<string, Record<string, number>>;

export function checkOverrides(overrides: ThresholdOverrides, checks: readonly Pick<AnyCheck, 'code' | 'thresholds'>[] = ALL_CHECKS): string | undefined {
  for (const [code, values] of Object.entries(overrides)) {
    const check = checks.find((c) => c.code === code);
    if (!check) return `unknown check ${code} (known: ${checks.map((c) => c.code).join(', ')})`;
    for (const [name, value] of Object.entries(values)) {
      if (!(name in check.thresholds)) return `unknown threshold ${code}.${name} (known: ${Object.keys(check.thresholds).join(', ')})`;
      if (!Number.isFinite(value)) return `threshold ${code}.${name} must be a finite number (got ${value})`;
    }
  }
  return undefined;
}

/** Parses `code.name=value` (the check code itself holds one dot: `layer.check.name=value`). */
export function parseOverride(text: string): { code: string; name: string; value: number } | string {
  const match = /^([a-z]+\.[a-z0-9-]+)\.([A-Za-z0-9]+)=(.+)$/.exec(text.trim());
  if (!match) return `--threshold takes layer.check.name=value, e.g. reachability.stall.minRelativeDrop=0.1 (got ${text})`;
  const value = Number(match[3]);
  if (!Number.isFinite(value)) return `--threshold ${match[1]}.${match[2]} needs a number (got ${match[3]})`;
  return { code: match[1]!, name: match[2]!, value };
}

export function mergeOverrides(...layers: (ThresholdOverrides | undefined)[]): ThresholdOverrides {
  const merged: ThresholdOverrides = {};
  for (const layer of layers) {
    for (const [code, values] of Object.entries(layer ?? {})) merged[code] = { ...merged[code], ...values };
  }
  return merged;
}
