/**
 * Generic JSON Lines: one JSON object per line, in `*.jsonl` / `*.ndjson` files (and `*.json`
 * files that hold one object per line rather than one document). Each file is either a
 * scalar log or a per-example set, decided by its first object (see formats/records.ts):
 *
 *   {"step": 10, "loss": 2.31, "val": {"acc": 0.5}}        → series loss, val/acc
 *   {"id": 7, "label": 3, "pred": 5, "correct": false, "probs": [0.1, …]}  → ExampleSet
 *
 * Lines are streamed; Python's `json.dumps` literals NaN / Infinity / -Infinity and the
 * strings "NaN" / "Infinity" are read as non-finite numbers. Lines that are not JSON objects
 * are skipped and counted (`jsonl.bad-line`); a last line cut off without its newline is a
 * truncated file (`json.truncated`). Runs are grouped per folder as records.ts describes.
 */
import { createReadStream } from 'node:fs';
import { parseJsonLenient } from '../formats/json.js';
import {
  ExampleColumns,
  findStepKey,
  findWallTimeKey,
  folderRuns,
  recordKind,
  ScalarLog,
  type FileRecords,
} from '../formats/records.js';
import type { Run } from '../../model/run.js';
import type { Claim, FileEntry, FilePool, ReadContext, Reader } from '../reader.js';
import { errorReason } from '../walk.js';

const JSONL_NAME = /\.(jsonl|ndjson)$/i;

/** Calls `onLine` for every line with its 1-based number and byte offset; `last` marks a final line without a newline. */
async function forEachLine(
  file: FileEntry,
  context: ReadContext,
  onLine: (line: string, lineNumber: number, offset: number, last: boolean) => void,
): Promise<void> {
  // Pieces of a line longer than a chunk wait here and are joined once, when its newline comes
  // (joining at every chunk would copy a 100 MB line a hundred times).
  const pending: Buffer[] = [];
  let lineNumber = 0;
  let offset = 0;
  let bytesDone = 0;
  for await (const chunk of createReadStream(file.path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    bytesDone += chunk.length;
    let start = 0;
    let newline = chunk.indexOf(10);
    if (newline >= 0 && pending.length > 0) {
      pending.push(chunk.subarray(0, newline));
      const line = Buffer.concat(pending);
      pending.length = 0;
      const end = line.length > 0 && line[line.length - 1] === 13 ? line.length - 1 : line.length;
      onLine(line.toString('utf8', 0, end), ++lineNumber, offset, false);
      offset += line.length + 1;
      start = newline + 1;
      newline = chunk.indexOf(10, start);
    }
    for (; newline >= 0; newline = chunk.indexOf(10, start)) {
      const end = newline > start && chunk[newline - 1] === 13 ? newline - 1 : newline;
      onLine(chunk.toString('utf8', start, end), ++lineNumber, offset, false);
      offset += newline + 1 - start;
      start = newline + 1;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
    context.progress?.(file.rel, bytesDone, file.size);
  }
  if (pending.length > 0) onLine(Buffer.concat(pending).toString('utf8'), ++lineNumber, offset, true);
}

interface LineErrors {
  count: number;
  firstLine: number;
}

async function readFile(file: FileEntry, context: ReadContext): Promise<FileRecords | undefined> {
  const { issue } = context;
  let result: FileRecords | undefined;
  let records = 0;
  let nonStandard = 0;
  let bad: LineErrors | undefined;
  let truncatedAt: number | undefined;
  try {
    await forEachLine(file, context, (line, lineNumber, offset, last) => {
      if (line.trim() === '') return;
      const parsed = parseJsonLenient(line);
      const value = parsed.value;
      if (parsed.damage || typeof value !== 'object' || value === null || Array.isArray(value)) {
        if (last && parsed.damage?.kind === 'truncated') truncatedAt = offset;
        else if (bad) bad.count++;
        else bad = { count: 1, firstLine: lineNumber };
        return;
      }
      nonStandard += parsed.nonStandardNumbers;
      const record = value as Record<string, unknown>;
      if (!result) {
        const keys = Object.keys(record);
        if (recordKind(keys) === 'examples') {
          result = { file, kind: 'examples', columns: new ExampleColumns() };
        } else {
          const stepKey = findStepKey(keys);
          if (stepKey === undefined) issue('jsonl.no-step-key', file.rel);
          result = { file, kind: 'scalars', log: new ScalarLog(stepKey, findWallTimeKey(keys)) };
        }
      }
      if (result.kind === 'examples') result.columns.add(record, lineNumber);
      else result.log.add(record, lineNumber);
      records++;
    });
  } catch (error) {
    issue('file.unreadable', file.rel, undefined, { reason: errorReason(error) });
  }
  if (bad) issue('jsonl.bad-line', file.rel, `line ${bad.firstLine}`, { count: bad.count, line: bad.firstLine });
  if (truncatedAt !== undefined) issue('json.truncated', file.rel, `byte ${truncatedAt}`, { offset: truncatedAt, kept: records });
  if (nonStandard > 0) issue('json.non-standard-number', file.rel, undefined, { count: nonStandard });
  return result;
}

/** A `.json` file is JSON Lines when its first line is a whole object and another object line follows. */
function looksLikeJsonLines(head: Buffer): boolean {
  const text = head.toString('utf8').replace(/^\uFEFF/, '');
  const lines = text.split('\n');
  if (lines.length < 2) return false;
  const first = lines[0]!.trim();
  if (!first.startsWith('{')) return false;
  const parsed = parseJsonLenient(first);
  if (parsed.damage || typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) return false;
  return lines.slice(1).some((line) => line.trim() !== '') && lines[1]!.trim().startsWith('{');
}

export const jsonlReader: Reader = {
  format: 'jsonl',
  description: 'JSON Lines of scalar logs ({"step": …, "loss": …}) or per-example results ({"id","label","pred","correct","probs"})',

  async claim(pool: FilePool): Promise<Claim[]> {
    const byDir = new Map<string, FileEntry[]>();
    for (const file of pool.files()) {
      if (file.size === 0) continue;
      if (!JSONL_NAME.test(file.name)) {
        if (!/\.json$/i.test(file.name) || !looksLikeJsonLines(await pool.head(file, 65536))) continue;
      }
      const list = byDir.get(file.dir);
      if (list) list.push(file);
      else byDir.set(file.dir, [file]);
    }
    return [...byDir].map(([dir, files]) => ({ format: 'jsonl', dir, files }));
  },

  async read(claim: Claim, context: ReadContext): Promise<Run[]> {
    const results: FileRecords[] = [];
    for (const file of claim.files) {
      const result = await readFile(file, context);
      if (result) results.push(result);
    }
    return folderRuns('jsonl', claim.dir, results, context);
  },
};
