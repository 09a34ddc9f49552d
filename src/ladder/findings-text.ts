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

export const FINDINGS: Record<string, FindingText> = {
  'observation.eval-frozen': {
    summary: (e) => `"${e.series}" is ${num(e.value)} at all ${num(e.evaluations)} evaluations while the training loss moved`,
    next: () => 'check that evaluation runs on the current weights (not a stale copy or cached predictions) before trusting any score',
  },
  'reachability.divergence': {
    summary: (e) =>
      Number(e.nonFiniteCount) > 0
        ? `training loss became non-finite at step ${num(e.step)} (${num(e.nonFiniteCount)} of ${num(e.points)} points)`
        : `training loss exploded to ${num(e.peakLoss)} at step ${num(e.step)}, ${num(Number(e.peakLoss) / Number(e.initialLoss))}× its initial ${num(e.initialLoss)}`,
    next: () => 'lower the learning rate (try ÷3 and ÷10), add warmup and gradient clipping; check for bad batches near that step',
  },
  'reachability.stall': {
    summary: (e) =>
      `training loss went from ${num(e.initialLoss)} to ${num(e.finalLoss)} (${pct(e.relativeDrop)} lower)` +
      (e.chanceLoss !== undefined ? `; chance loss is ${num(e.chanceLoss)}` : ''),
    next: () => 'raise the learning rate (sweep it over 2–3 orders of magnitude upward) and check that gradients reach every layer',
  },
};

export function wordingOf(code: string): FindingText {
  const text = FINDINGS[code];
  if (!text) throw new Error(`no wording for finding ${code} (add it to src/ladder/findings-text.ts)`);
  return text;
}
