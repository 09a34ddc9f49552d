/**
 * Reading one JSON file for a reader: the text, leniently parsed (formats/json.ts), with the
 * problems every JSON reader reports the same way — unreadable, empty, NaN/Infinity literals,
 * and damage with the number of entries that survived it.
 */
import { promises as fs } from 'node:fs';
import type { ReadContext, FileEntry } from '../reader.js';
import type { IssueSink } from '../issues.js';
import { errorReason } from '../walk.js';
import { parseJsonLenient, type LenientJson } from './json.js';

/** Undefined when the file cannot be read or is empty (both reported). */
export async function readJsonFile(file: FileEntry, issue: IssueSink, progress?: ReadContext['progress']): Promise<LenientJson | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file.path, 'utf8');
  } catch (error) {
    issue('file.unreadable', file.rel, undefined, { reason: errorReason(error) });
    return undefined;
  }
  progress?.(file.rel, file.size, file.size);
  if (text.trim() === '') {
    issue('file.empty', file.rel);
    return undefined;
  }
  const parsed = parseJsonLenient(text);
  if (parsed.nonStandardNumbers > 0) issue('json.non-standard-number', file.rel, undefined, { count: parsed.nonStandardNumbers });
  return parsed;
}

/** Reports a damaged document; `kept` counts what survived (entries, keys, tasks). */
export function reportJsonDamage(parsed: LenientJson, kept: number, file: FileEntry, issue: IssueSink): void {
  if (!parsed.damage) return;
  const { kind, offset, reason } = parsed.damage;
  if (kind === 'truncated') issue('json.truncated', file.rel, `byte ${offset}`, { offset, kept });
  else issue('json.invalid', file.rel, `byte ${offset}`, { offset, kept, reason, recovered: kept > 0 });
}
