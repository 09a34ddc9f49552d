/**
 * Numbers written as text by Python tools: `str(float)` gives `nan`, `inf`, `-inf`; Java and
 * MLflow's REST layer give `NaN`, `Infinity`, `-Infinity`. All of them are numbers here, so
 * that non-finite values are kept instead of being mistaken for text.
 */
import { toNumber } from './json.js';

/**
 * A number read from text, or undefined when the text is not one. Number() is tried first
 * because it settles the common case (a non-zero decimal) without a regular expression; zero,
 * blanks and the non-finite spellings go through the slower lenient path.
 */
export function numberFromText(text: string): number | undefined {
  const x = Number(text);
  if (x === x && x !== 0) return x;
  return toNumber(text);
}

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
