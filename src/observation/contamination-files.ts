/**
 * The file side of contamination detection: reads the eval set (small, whole), then streams
 * each training file through a ContaminationScanner in 1 MiB chunks, so that only the eval
 * set's hashes and one chunk (one record for JSONL) are in memory at any time.
 *
 * Formats: JSONL with a string `text` field per record (an eval record may carry an `id`),
 * or plain text, one record per line. In plain text the n-gram window runs on across line
 * breaks within a file (text wrapped over lines still matches); in JSONL it restarts at each
 * record; it always restarts at a new file.
 */
import { open } from 'node:fs/promises';
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { ContaminationScanner, type ContaminationOptions, type ContaminationReport, type EvalItem } from './contamination.js';

/** A problem with the inputs that the user can fix (missing file, malformed eval record). */
export class ContaminationInputError extends Error {}

export type TextFormat = 'jsonl' | 'text';

export interface TrainingFileSummary {
  file: string;
  format: TextFormat;
  bytes: number;
  records: number;
  /** JSONL records that are not JSON objects with a string `text` (never silently dropped). */
  skipped: number;
  firstSkippedLine: number | null;
}

export interface ContaminationResult {
  report: ContaminationReport;
  evalFile: string;
  evalFormat: TextFormat;
  training: TrainingFileSummary[];
}

export interface DetectOptions extends ContaminationOptions {
  onProgress?: (file: string, bytesDone: number, bytesTotal: number) => void;
}

const CHUNK = 1 << 20;

function describeError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a folder';
  return (error as Error).message;
}

function looksLikeJsonl(firstLine: string): boolean {
  if (!firstLine.trimStart().startsWith('{')) return false;
  try {
    const value = JSON.parse(firstLine) as unknown;
    return typeof value === 'object' && value !== null && typeof (value as { text?: unknown }).text === 'string';
  } catch {
    return false;
  }
}

/** Reads the eval items: JSONL records with `text` (and optional `id`), or one item per non-blank line. */
export function readEvalItems(file: string): { items: EvalItem[]; format: TextFormat } {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ContaminationInputError(`cannot read eval file '${file}': ${describeError(error)}`);
  }
  const lines = content.split('\n');
  const first = lines.find((line) => line.trim() !== '');
  if (first === undefined) throw new ContaminationInputError(`eval file '${file}' has no items`);
  const format: TextFormat = looksLikeJsonl(first) || /\.(jsonl|ndjson)$/i.test(file) ? 'jsonl' : 'text';
  const items: EvalItem[] = [];
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (line.trim() === '') continue;
    const lineNumber = index + 1;
    if (format === 'text') {
      items.push({ id: String(lineNumber), text: line });
      continue;
    }
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      throw new ContaminationInputError(`eval file '${file}' line ${lineNumber}: not valid JSON; every line must be a JSON object with a "text" string`);
    }
    const { text, id } = (typeof record === 'object' && record !== null ? record : {}) as { text?: unknown; id?: unknown };
    if (typeof text !== 'string') {
      throw new ContaminationInputError(`eval file '${file}' line ${lineNumber}: no "text" string in this record`);
    }
    items.push({ id: typeof id === 'string' || typeof id === 'number' ? String(id) : String(lineNumber), text });
  }
  return { items, format };
}

/** Every file under the given paths (folders recursively, sorted), each checked to be readable. */
export function trainingFiles(paths: string[]): string[] {
  const files: string[] = [];
  const visit = (target: string, given: boolean): void => {
    let stats;
    try {
      stats = statSync(target);
    } catch (error) {
      if (given) throw new ContaminationInputError(`cannot read training path '${target}': ${describeError(error)}`);
      return;
    }
    if (stats.isDirectory()) {
      for (const name of readdirSync(target).sort()) visit(path.join(target, name), false);
    } else if (stats.isFile()) {
      files.push(target);
    }
  };
  for (const target of paths) visit(target, true);
  for (const file of files) {
    try {
      closeSync(openSync(file, 'r'));
    } catch (error) {
      throw new ContaminationInputError(`cannot read training file '${file}': ${describeError(error)}`);
    }
  }
  return files;
}

function detectFormat(file: string): TextFormat {
  if (/\.(jsonl|ndjson)$/i.test(file)) return 'jsonl';
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(64 * 1024);
    const length = readSync(fd, head, 0, head.length, 0);
    const text = head.subarray(0, length).toString('utf8');
    const first = text.split('\n').find((line) => line.trim() !== '');
    return first !== undefined && looksLikeJsonl(first) ? 'jsonl' : 'text';
  } finally {
    closeSync(fd);
  }
}

/** The end of the last complete UTF-8 character in bytes[start, end). */
function characterBoundary(bytes: Uint8Array, start: number, end: number): number {
  if (end === start || bytes[end - 1]! < 0x80) return end;
  let lead = end - 1;
  while (lead > start && lead > end - 4 && (bytes[lead]! & 0xc0) === 0x80) lead--;
  const byte = bytes[lead]!;
  const size = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
  return lead + size <= end ? end : lead;
}

/** Streams one training file through the scanner. */
export async function scanTrainingFile(
  file: string,
  scanner: ContaminationScanner,
  { onProgress, chunkBytes = CHUNK }: { onProgress?: DetectOptions['onProgress']; chunkBytes?: number } = {},
): Promise<TrainingFileSummary> {
  const format = detectFormat(file);
  const bytes = statSync(file).size;
  const summary: TrainingFileSummary = { file, format, bytes, records: 0, skipped: 0, firstSkippedLine: null };
  let line = 1;
  let done = 0;
  scanner.startDocument();

  const jsonRecord = (content: Buffer): void => {
    const text = content.toString('utf8');
    if (text.trim() === '') return;
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch {
      record = undefined;
    }
    const value = typeof record === 'object' && record !== null ? (record as { text?: unknown }).text : undefined;
    if (typeof value !== 'string') {
      summary.skipped++;
      summary.firstSkippedLine ??= line;
      return;
    }
    scanner.startDocument();
    scanner.feed(Buffer.from(value, 'utf8'));
    scanner.endRecord({ file, line });
    summary.records++;
  };

  // One buffer, reused for every read: memory does not depend on the file size, and no
  // garbage per chunk (a read stream allocates a fresh buffer per chunk).
  const buffer = Buffer.allocUnsafe(Math.max(chunkBytes, 8));
  const pieces: Buffer[] = [];
  let carried = 0;
  let openRecord = false;
  const handle = await open(file, 'r');
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, carried, buffer.length - carried, null);
      if (bytesRead === 0) break;
      done += bytesRead;
      const end = carried + bytesRead;
      carried = 0;
      let start = 0;
      for (;;) {
        const newline = buffer.indexOf(10, start);
        if (newline < 0 || newline >= end) break;
        if (format === 'text') {
          scanner.feed(buffer, start, newline);
          scanner.endRecord({ file, line });
          summary.records++;
        } else {
          pieces.push(Buffer.from(buffer.subarray(start, newline)));
          jsonRecord(pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces));
          pieces.length = 0;
        }
        openRecord = false;
        line++;
        start = newline + 1;
      }
      if (start < end) {
        openRecord = true;
        if (format === 'text') {
          // a character cut by the chunk end waits for the next read
          const cut = characterBoundary(buffer, start, end);
          scanner.feed(buffer, start, cut);
          buffer.copyWithin(0, cut, end);
          carried = end - cut;
        } else {
          pieces.push(Buffer.from(buffer.subarray(start, end)));
        }
      }
      onProgress?.(file, done, bytes);
    }
  } finally {
    await handle.close();
  }
  if (openRecord) {
    if (format === 'text') {
      if (carried > 0) scanner.feed(buffer, 0, carried);
      scanner.endRecord({ file, line });
      summary.records++;
    } else {
      jsonRecord(Buffer.concat(pieces));
    }
  }
  return summary;
}

/** Reads the eval set, streams every training file, and returns the per-item report. */
export async function detectContamination(train: string[], evalFile: string, options: DetectOptions = {}): Promise<ContaminationResult> {
  const { onProgress, ...scannerOptions } = options;
  const { items, format } = readEvalItems(evalFile);
  const files = trainingFiles(train);
  if (files.length === 0) throw new ContaminationInputError(`no training files under ${train.join(', ')}`);
  const scanner = new ContaminationScanner(items, scannerOptions);
  const training: TrainingFileSummary[] = [];
  for (const file of files) training.push(await scanTrainingFile(file, scanner, onProgress ? { onProgress } : {}));
  return { report: scanner.report(), evalFile, evalFormat: format, training };
}
