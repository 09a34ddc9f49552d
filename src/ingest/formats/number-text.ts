/**
 * Configuration values stored as text (MLflow params): numbers only where the text is plainly
 * one. Logged metric values go through `toNumber` (formats/json.ts) instead.
 */
import { toNumber } from './json.js';

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;
/** A leading zero before another digit marks an identifier ("007"), not a number. */
const LEADING_ZERO = /^[+-]?0\d/;

/**
 * A configuration value stored as a string (MLflow params): a number when the whole string is
 * a plain decimal or a non-finite spelling, the string itself otherwise. Hex, underscores and
 * zero-padded identifiers stay strings, since a hyperparameter comparison must not see
 * "007" and "7" as equal.
 */
export function numberOrString(text: string): number | string {
  const s = text.trim();
  if (DECIMAL.test(s) && !LEADING_ZERO.test(s)) return Number(s);
  if (NON_FINITE.test(s)) return toNumber(s)!;
  return text;
}
