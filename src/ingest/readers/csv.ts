/**
 * Generic CSV / TSV: a header row, then one row per logged step (a scalar log) or per example
 * (per-example results), decided by the header as formats/records.ts describes.
 *
 *   step,epoch,loss,val_loss          → series epoch, loss, val_loss by step
 *   id,label,pred,correct,prob_0,prob_1 → ExampleSet (probabilities spread over columns, or
 *                                        one `probs` column holding "[0.1, 0.9]")
 *
 * Claimed last, so it only takes what no specific reader recognized: files named `*.csv` or
 * `*.tsv` whose first line is a header of at least two fields, one of them not a number.
 * The delimiter is the most frequent of comma, tab and semicolon in that line. Empty cells
 * are no point; "nan", "inf" and friends are non-finite values; rows with a different
 * number of fields than the header are read as far as they go and counted. A TensorBoard
 * "Wall time,Step,Value" export names its one series after the file.
 */
import type { CsvError } from 'csv-parse';
import { streamCsv } from '../formats/csv-stream.js';
import { parse as parseCsvSync } from 'csv-parse/sync';
import type { Run } from '../../model/run.js';
import { toNumber } from '../formats/json.js';
import {
  ExampleColumns,
  findStepKey,
  findWallTimeKey,
  folderRuns,
  recordKind,
  ScalarLog,
  stem,
  type FileRecords,
} from '../formats/records.js';
import type { Claim, FileEntry, FilePool, ReadContext, Reader } from '../reader.js';

const CSV_NAME = /\.(csv|tsv)$/i;
const DELIMITERS = [',', '\t', ';'] as const;

/** The delimiter that splits the header line most often (outside quotes); tabs win ties in .tsv files. */
export function detectDelimiter(headerLine: string, fileName = ''): string {
  const counts = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const char of headerLine) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && counts.has(char)) counts.set(char, counts.get(char)! + 1);
  }
  const order = /\.tsv$/i.test(fileName) ? ['\t', ',', ';'] : [',', '\t', ';'];
  let best = order[0]!;
  for (const d of order) if (counts.get(d)! > counts.get(best)!) best = d;
  return best;
}

function firstLine(head: Buffer): string {
  const text = head.toString('utf8').replace(/^\uFEFF/, '');
  const end = text.search(/\r?\n/);
  return end < 0 ? text : text.slice(0, end);
}

/** The header's fields, when the line looks like a header (≥ 2 fields, not all numbers). */
export function headerFields(line: string, delimiter: string): string[] | undefined {
  let fields: string[];
  try {
    fields = (parseCsvSync(line, { delimiter, relax_quotes: true, relax_column_count: true }) as string[][])[0] ?? [];
  } catch {
    return undefined;
  }
  if (fields.length < 2) return undefined;
  const named = fields.some((field) => field.trim() !== '' && toNumber(field) === undefined);
  return named ? fields : undefined;
}

/** Trimmed, unique column names: pandas' spelling for blanks and repeats (`Unnamed: 3`, `loss.1`). */
function columnNames(header: string[]): string[] {
  const seen = new Map<string, number>();
  return header.map((raw, i) => {
    const name = raw.trim() === '' ? `Unnamed: ${i}` : raw.trim();
    const times = seen.get(name) ?? 0;
    seen.set(name, times + 1);
    return times === 0 ? name : `${name}.${times}`;
  });
}

async function readFile(file: FileEntry, delimiter: string, context: ReadContext): Promise<FileRecords | undefined> {
  const { issue } = context;
  let columns: string[] | undefined;
  let result: FileRecords | undefined;
  let rows = 0;
  let ragged: { count: number; line: number } | undefined;

  let stepColumn = -1;
  let wallTimeColumn = -1;

  const onHeader = (header: string[]) => {
    columns = columnNames(header);
    if (recordKind(columns) === 'examples') {
      result = { file, kind: 'examples', columns: new ExampleColumns() };
      return;
    }
    const stepKey = findStepKey(columns);
    const wallTimeKey = findWallTimeKey(columns);
    stepColumn = stepKey === undefined ? -1 : columns.indexOf(stepKey);
    wallTimeColumn = wallTimeKey === undefined ? -1 : columns.indexOf(wallTimeKey);
    const metrics = columns.filter((name) => name !== stepKey && name !== wallTimeKey);
    if (metrics.length === 1 && metrics[0]!.toLowerCase() === 'value') {
      columns = columns.map((name) => (name === metrics[0] ? stem(file.name) : name));
    }
    if (stepKey === undefined) issue('csv.no-step-column', file.rel);
    result = { file, kind: 'scalars', log: new ScalarLog(stepKey, wallTimeKey) };
  };

  const onRow = (cells: string[], line: number) => {
    const names = columns!;
    if (cells.length !== names.length) {
      if (ragged) ragged.count++;
      else ragged = { count: 1, line };
    }
    if (result!.kind === 'scalars') {
      result!.log.addCells(names, cells, stepColumn, wallTimeColumn, line);
    } else {
      const record: Record<string, string> = {};
      const width = Math.min(cells.length, names.length);
      for (let i = 0; i < width; i++) record[names[i]!] = cells[i]!;
      result!.columns.add(record, line);
    }
    rows++;
  };

  const { error } = await streamCsv(
    file,
    context,
    { delimiter, bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true },
    (record, parser) => {
      if (columns === undefined) onHeader(record);
      else onRow(record, parser.info.lines);
    },
  );
  if (error) {
    const line = (error as CsvError & { lines?: number }).lines ?? rows + 1;
    if (columns === undefined) issue('csv.invalid', file.rel, `line ${line}`, { reason: error.message });
    else issue('csv.stopped', file.rel, `line ${line}`, { line, reason: error.message, kept: rows });
  }

  if (ragged) issue('csv.ragged-row', file.rel, `line ${ragged.line}`, { count: ragged.count, line: ragged.line });
  return result;
}

export const csvReader: Reader = {
  format: 'csv',
  description: 'CSV / TSV with a header row: scalar logs by a step column, or per-example results (id, label, pred, correct, probs)',

  async claim(pool: FilePool): Promise<Claim[]> {
    const byDir = new Map<string, FileEntry[]>();
    const delimiters: Record<string, string> = {};
    for (const file of pool.files()) {
      if (file.size === 0 || !CSV_NAME.test(file.name)) continue;
      const line = firstLine(await pool.head(file, 65536));
      const delimiter = detectDelimiter(line, file.name);
      if (!headerFields(line, delimiter)) continue;
      delimiters[file.path] = delimiter;
      const list = byDir.get(file.dir);
      if (list) list.push(file);
      else byDir.set(file.dir, [file]);
    }
    return [...byDir].map(([dir, files]) => ({
      format: 'csv',
      dir,
      files,
      detail: { delimiters: Object.fromEntries(files.map((f) => [f.path, delimiters[f.path]!])) },
    }));
  },

  async read(claim: Claim, context: ReadContext): Promise<Run[]> {
    const delimiters = (claim.detail?.['delimiters'] ?? {}) as Record<string, string>;
    const results: FileRecords[] = [];
    for (const file of claim.files) {
      const result = await readFile(file, delimiters[file.path] ?? ',', context);
      if (result) results.push(result);
    }
    return folderRuns('csv', claim.dir, results, context);
  },
};
