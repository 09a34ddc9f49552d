/**
 * PyTorch Lightning's CSVLogger: `<save_dir>/<name>/<version>/metrics.csv` with `hparams.yaml`
 * beside it, one version folder per run.
 *
 * The CSV is sparse: the header is the union of every key ever logged plus `step`, and each
 * `log_metrics` call writes one row holding only its own keys (train rows, validation rows,
 * the LearningRateMonitor's rows all share one file). So a column is a series, an empty cell
 * is "not logged in this call", and `step` is the x axis of every cell in its row. `epoch` is
 * a column like the others and becomes a series too, with one exception: Lightning adds the
 * current epoch to every row it writes, so the train row and the validation row of one step
 * both carry it. An `epoch` cell that repeats the previous epoch point exactly (same step,
 * same value) is the same fact written twice and is not a new point; without this every
 * Lightning run would raise a `series.duplicate-step` warning about bookkeeping.
 *
 * Decisions, for input Lightning itself never writes:
 * - a row whose step cell is empty (or not a number) takes the step of the row before it
 *   (the rows of one logging call are written together), or its data-row index when no row
 *   before it had a step; reported as `series.missing-step` per series;
 * - a last row that ends without a line break (the file was cut while being written) keeps
 *   the cells that a comma closed and drops the last one, which may be cut mid-number
 *   (`csv.truncated-row`); a last row that is complete but lacks the final line break is
 *   read whole;
 * - cells beyond the header's width are dropped and counted in `csv.ragged-row`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { streamCsv } from '../formats/csv-stream.js';
import { parse as parseCsvSync } from 'csv-parse/sync';
import { emptyRun, SeriesBuilder, type HValue, type Run } from '../../model/run.js';
import { toNumber } from '../formats/json.js';
import { asMapping, readYamlFile } from '../formats/yaml-file.js';
import type { IssueData } from '../issues.js';
import type { Claim, FileEntry, FilePool, ReadContext, Reader } from '../reader.js';
import { errorReason } from '../walk.js';

const METRICS_FILE = 'metrics.csv';
const HPARAMS_FILE = 'hparams.yaml';
const STEP_COLUMN = 'step';
const EPOCH_COLUMN = 'epoch';
/** Enough for a header of a few thousand logged keys. */
const HEADER_BYTES = 256 * 1024;

/** Column names of the first CSV line of `head`, or undefined when it is not CSV. */
function csvHeader(head: Buffer): string[] | undefined {
  let text = head.toString('utf8');
  const end = text.search(/\r?\n/);
  if (end >= 0) text = text.slice(0, end);
  try {
    const rows = parseCsvSync(text, { bom: true, relax_column_count: true, relax_quotes: true, to_line: 1 }) as string[][];
    return rows[0]?.map((name) => name.trim());
  } catch {
    return undefined;
  }
}

async function claim(pool: FilePool): Promise<Claim[]> {
  const claims: Claim[] = [];
  for (const file of pool.files()) {
    if (file.name !== METRICS_FILE) continue;
    // An empty metrics.csv is still Lightning's (nothing else writes that name next to an
    // hparams.yaml); claiming it keeps the hyperparameters and reports the empty file once.
    const isLightning =
      file.size === 0 ? pool.inDir(file.dir).some((f) => f.name === HPARAMS_FILE) : csvHeader(await pool.head(file, HEADER_BYTES))?.includes(STEP_COLUMN);
    if (!isLightning) continue;
    const files: FileEntry[] = [file];
    const hparams = pool.inDir(file.dir).find((f) => f.name === HPARAMS_FILE);
    if (hparams) files.push(hparams);
    claims.push({ format: 'lightning-csv', dir: file.dir, files });
  }
  return claims;
}

async function read(claim: Claim, ctx: ReadContext): Promise<Run[]> {
  const metrics = claim.files.find((f) => f.name === METRICS_FILE);
  const hparamsFile = claim.files.find((f) => f.name === HPARAMS_FILE);
  const run = emptyRun(ctx.runId(claim.dir), 'lightning-csv', claim.files.map((f) => f.rel));
  run.tags['lightning.version'] = path.basename(claim.dir);
  run.tags['lightning.name'] = path.basename(path.dirname(claim.dir));

  if (hparamsFile) run.hparams = await readHparams(hparamsFile, ctx);
  const hasPoints = metrics ? await readMetrics(metrics, run, ctx) : false;
  if (!hasPoints && !hparamsFile) return [];
  return [run];
}

async function readHparams(file: FileEntry, ctx: ReadContext): Promise<Record<string, HValue>> {
  const yaml = await readYamlFile(file, ctx);
  if (!yaml.ok || yaml.value === null) return {};
  // save_hyperparameters always writes a mapping; anything else is kept whole under one key.
  return asMapping(yaml.value) ?? { hparams: yaml.value };
}

interface ColumnState {
  name: string;
  builder: SeriesBuilder | undefined;
  lastValue: number;
  nonNumeric: number;
  firstNonNumeric?: { text: string; line: number };
  missingStep: number;
}

function columnNames(header: string[]): string[] {
  const seen = new Set<string>();
  return header.map((raw, index) => {
    let name = raw.trim() || `column_${index + 1}`;
    // A repeated header name would interleave two columns in one series; keep them apart.
    if (seen.has(name)) name = `${name}#${index + 1}`;
    seen.add(name);
    return name;
  });
}

async function endsWithLineBreak(file: FileEntry): Promise<boolean> {
  let handle;
  try {
    handle = await fs.open(file.path, 'r');
    const { size } = await handle.stat();
    if (size === 0) return true;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] === 0x0a || last[0] === 0x0d;
  } catch {
    return true;
  } finally {
    await handle?.close();
  }
}

/** Streams metrics.csv into the run's series; true when at least one data row was read. */
async function readMetrics(file: FileEntry, run: Run, ctx: ReadContext): Promise<boolean> {
  if (file.size === 0) {
    ctx.issue('file.empty', file.rel);
    return false;
  }
  const complete = await endsWithLineBreak(file);

  let columns: ColumnState[] | undefined;
  let stepIndex = -1;
  let epochIndex = -1;
  let dataRows = 0;
  let previousStep = Number.NaN;
  let ragged = 0;
  let firstRaggedLine = 0;
  let badRecords = 0;
  let firstBad: { line: number; reason: string } | undefined;
  let pending: { record: string[]; line: number } | undefined;

  const takeRow = (record: string[], line: number, isLast: boolean) => {
    if (!columns) {
      columns = columnNames(record).map((name) => ({ name, builder: undefined, lastValue: Number.NaN, nonNumeric: 0, missingStep: 0 }));
      stepIndex = columns.findIndex((c) => c.name === STEP_COLUMN);
      epochIndex = columns.findIndex((c) => c.name === EPOCH_COLUMN);
      return;
    }
    let width = record.length;
    if (isLast && !complete && width < columns.length) {
      ctx.issue('csv.truncated-row', file.rel, `line ${line}`, { fields: width, expected: columns.length });
      width--;
    } else if (width !== columns.length) {
      if (ragged === 0) firstRaggedLine = line;
      ragged++;
      width = Math.min(width, columns.length);
    }
    const stepText = stepIndex >= 0 && stepIndex < width ? record[stepIndex]! : '';
    const parsedStep = stepText === '' ? undefined : toNumber(stepText);
    let step: number;
    let stepKnown = true;
    if (parsedStep !== undefined && Number.isFinite(parsedStep)) {
      step = parsedStep;
      previousStep = step;
    } else {
      stepKnown = false;
      step = Number.isNaN(previousStep) ? dataRows : previousStep;
    }
    for (let i = 0; i < width; i++) {
      if (i === stepIndex) continue;
      const text = record[i]!;
      if (text.length === 0) continue;
      const column = columns[i]!;
      const value = toNumber(text);
      if (value === undefined) {
        if (column.nonNumeric === 0) column.firstNonNumeric = { text, line };
        column.nonNumeric++;
        continue;
      }
      if (!column.builder) column.builder = new SeriesBuilder();
      else if (i === epochIndex && column.builder.lastStep === step && column.lastValue === value) continue;
      column.builder.push(step, value);
      column.lastValue = value;
      if (!stepKnown) column.missingStep++;
    }
    dataRows++;
  };

  let nextLine = 1;
  const options = {
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_records_with_error: true,
    on_skip: (error: { lines?: number; message?: string } | undefined) => {
      if (badRecords === 0) {
        const line = typeof error?.lines === 'number' ? error.lines : 0;
        firstBad = { line, reason: error?.message ?? 'unparsable record' };
      }
      badRecords++;
      return undefined;
    },
  };
  // Line numbers are counted here (blank lines come through as [''] and quoted line breaks
  // are counted), so that the last row can be told apart when it was cut mid-write.
  const { error } = await streamCsv(file, ctx, options, (record: string[]) => {
    const line = nextLine;
    nextLine++;
    for (const field of record) {
      for (let at = field.indexOf('\n'); at >= 0; at = field.indexOf('\n', at + 1)) nextLine++;
    }
    if (record.length === 1 && record[0] === '') return;
    if (pending) takeRow(pending.record, pending.line, false);
    pending = { record, line };
  });
  // Records with errors are skipped (on_skip); anything else that stops csv-parse means the
  // file could not be read as CSV at all.
  if (error) ctx.issue('file.unreadable', file.rel, undefined, { reason: errorReason(error) });
  if (pending) takeRow(pending.record, pending.line, true);

  if (badRecords > 0 && firstBad) {
    ctx.issue('csv.bad-record', file.rel, `line ${firstBad.line}`, { count: badRecords, line: firstBad.line, reason: firstBad.reason });
  }
  if (ragged > 0) ctx.issue('csv.ragged-row', file.rel, `line ${firstRaggedLine}`, { count: ragged, line: firstRaggedLine });
  if (!columns) {
    ctx.issue('file.empty', file.rel);
    return false;
  }
  if (dataRows === 0) {
    ctx.issue('file.empty', file.rel, 'line 1', { headerOnly: true });
    return false;
  }
  if (stepIndex < 0) ctx.issue('csv.no-step-column', file.rel);
  for (const column of columns) {
    if (column.builder) run.series[column.name] = column.builder.build();
    if (column.nonNumeric > 0) {
      const first = column.firstNonNumeric!;
      const data: IssueData = { series: column.name, count: column.nonNumeric, example: JSON.stringify(first.text), at: `line ${first.line}` };
      ctx.issue('series.non-numeric', file.rel, `line ${first.line}`, data);
    }
    if (column.missingStep > 0 && stepIndex >= 0) {
      ctx.issue('series.missing-step', file.rel, column.name, {
        series: column.name,
        count: column.missingStep,
        assumed: "given the step of the row before (or the row's index)",
      });
    }
  }
  return true;
}

export const lightningCsvReader: Reader = {
  format: 'lightning-csv',
  description: 'PyTorch Lightning CSVLogger folders: metrics.csv (with a step column) and hparams.yaml',
  claim,
  read,
};
