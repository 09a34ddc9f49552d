/**
 * CSV exported from a W&B chart (panel menu → Export → CSV, saved as
 * `wandb_export_<time>.csv`): the first column is the chart's x-axis (`Step`, a custom
 * x-axis such as `epoch`, `Wall Time`, `Relative Time (Process)`…), then for each run (or
 * group) and metric plotted a column `<run name> - <metric>`, usually followed by
 * `<run name> - <metric>__MIN` and `__MAX` (the envelope of the points W&B merged into one
 * when it sampled the line, or of the runs in a group). Rows are x values; a run with no
 * point at that x has empty cells.
 *
 * Each run name becomes a run (id `<file>#<run name>`) with a series per metric, and the
 * envelopes as series `<metric>__min` / `<metric>__max`. Run names may contain " - "
 * (metric keys practically never do), so a column is split at its last " - ". On a
 * time x-axis, steps are row numbers and the time goes to wall times (`Wall Time`) or to a
 * `_runtime` series (`Relative Time …`, as the `.wandb` reader names it).
 *
 * Claimed by header content: columns of that shape with __MIN/__MAX companions, or a file
 * named `wandb_export_*.csv`. Read by the 'wandb' reader in `wandb.ts`.
 */
import { streamCsv } from '../formats/csv-stream.js';
import { parse as parseSync } from 'csv-parse/sync';
import { emptyRun, SeriesBuilder, type Run } from '../../model/run.js';
import type { Claim, FileEntry, FilePool, ReadContext, Reader } from '../reader.js';
import { toNumber } from '../formats/json.js';
import { assignRoles } from '../roles.js';

export const WANDB_CSV_LAYOUT = 'wandb-chart-csv';

const RUN_COLUMN = /^(.+) - (.+?)(__MIN|__MAX)?$/s;
const ENVELOPE = /__(min|max)$/;
const EXPORT_NAME = /^wandb_export_.*\.csv$/i;
const WALL_TIME_AXIS = /^wall ?time$/i;
const RELATIVE_TIME_AXIS = /^relative time( \(.*\))?$/i;

interface ColumnTarget {
  run: string;
  series: string;
}

interface Layout {
  axis: string;
  /** Target per column index; undefined for the axis, blank and unpaired columns. */
  targets: (ColumnTarget | undefined)[];
  unpaired: string[];
}

/** Splits a header into runs and series, or undefined when it is not a W&B chart export. */
export function wandbCsvLayout(header: string[], fileName: string): Layout | undefined {
  if (header.length < 2) return undefined;
  const targets: (ColumnTarget | undefined)[] = [undefined];
  const unpaired: string[] = [];
  let runColumns = 0;
  let envelopes = 0;
  for (let i = 1; i < header.length; i++) {
    const name = header[i]!.trim();
    const match = name === '' ? null : RUN_COLUMN.exec(name);
    if (!match) {
      targets.push(undefined);
      if (name !== '') unpaired.push(name);
      continue;
    }
    // The greedy first group keeps any " - " inside the run name.
    const [, run, metric, envelope] = match;
    runColumns++;
    if (envelope) envelopes++;
    targets.push({ run: run!, series: envelope ? `${metric}${envelope.toLowerCase()}` : metric! });
  }
  if (runColumns === 0 || unpaired.length > runColumns) return undefined;
  if (envelopes === 0 && !EXPORT_NAME.test(fileName)) return undefined;
  return { axis: header[0]!.trim(), targets, unpaired };
}

function headerOf(head: Buffer): string[] | undefined {
  let text = head.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const newline = text.search(/\r?\n/);
  let line = newline >= 0 ? text.slice(0, newline) : text;
  if (newline < 0) {
    // A header longer than the head: keep the fields that are complete.
    const lastSeparator = line.lastIndexOf('","');
    if (lastSeparator > 0) line = line.slice(0, lastSeparator + 1);
  }
  try {
    const rows = parseSync(line, { relax_quotes: true, relax_column_count: true }) as string[][];
    return rows[0];
  } catch {
    return undefined;
  }
}

export async function claimWandbCsv(pool: FilePool, taken: ReadonlySet<string> = new Set()): Promise<Claim[]> {
  const claims: Claim[] = [];
  for (const file of pool.files()) {
    if (!file.name.toLowerCase().endsWith('.csv') || taken.has(file.path)) continue;
    const header = headerOf(await pool.head(file, 65536));
    if (!header || !wandbCsvLayout(header, file.name)) continue;
    claims.push({ format: 'wandb', dir: file.dir, files: [file], detail: { layout: WANDB_CSV_LAYOUT } });
  }
  return claims;
}

interface RunSeries {
  builders: Map<string, SeriesBuilder>;
  runtime?: SeriesBuilder;
}

interface NonNumeric {
  count: number;
  example: string;
  line: number;
}

export async function readWandbCsv(claim: Claim, context: ReadContext): Promise<Run[]> {
  const file: FileEntry = claim.files[0]!;
  const runs = new Map<string, RunSeries>();
  const nonNumeric = new Map<string, NonNumeric>();
  let layout: Layout | undefined;
  let headerWidth = 0;
  let raggedRows = 0;
  let firstRaggedLine = 0;
  let missingSteps = 0;
  let rowIndex = 0;
  let line = 1;

  let rows = 0;
  let rejected = false;
  /** One parsed record; rows are handled as the parser produces them, so a later syntax error keeps them. */
  const onRecord = (record: string[]): void => {
    if (rejected) return;
    if (!layout) {
      layout = wandbCsvLayout(record, file.name);
      if (!layout) {
        context.issue('csv.invalid', file.rel, 'line 1', { reason: 'header has no "<run> - <metric>" columns' });
        rejected = true;
        return;
      }
      headerWidth = record.length;
      if (layout.unpaired.length > 0) {
        context.issue('wandb.csv-unpaired-column', file.rel, 'line 1', {
          count: layout.unpaired.length,
          example: layout.unpaired[0],
        });
      }
      return;
    }
    rows++;
    if (record.length !== headerWidth) {
      if (raggedRows === 0) firstRaggedLine = line;
      raggedRows++;
    }
    const axisText = record[0] ?? '';
    const axisValue = axisText.trim() === '' ? undefined : toNumber(axisText);
    let step = rowIndex;
    let wall = Number.NaN;
    let runtime = Number.NaN;
    if (WALL_TIME_AXIS.test(layout.axis)) {
      // The UI's wall times are epoch milliseconds; accept seconds too.
      if (axisValue !== undefined) wall = axisValue > 1e11 ? axisValue / 1000 : axisValue;
    } else if (RELATIVE_TIME_AXIS.test(layout.axis)) {
      if (axisValue !== undefined) runtime = axisValue;
    } else if (axisValue !== undefined && Number.isFinite(axisValue)) {
      step = axisValue;
    } else {
      missingSteps++;
    }
    rowIndex++;
    const limit = Math.min(record.length, layout.targets.length);
    for (let i = 1; i < limit; i++) {
      const target = layout.targets[i];
      const cell = record[i]!;
      if (!target || cell.trim() === '') continue;
      const value = toNumber(cell);
      if (value === undefined) {
        const key = `${target.run}\u0000${target.series}`;
        const seen = nonNumeric.get(key);
        if (seen) seen.count++;
        else nonNumeric.set(key, { count: 1, example: cell.length > 30 ? `${cell.slice(0, 30)}…` : cell, line });
        continue;
      }
      let run = runs.get(target.run);
      if (!run) {
        run = { builders: new Map() };
        runs.set(target.run, run);
      }
      let builder = run.builders.get(target.series);
      if (!builder) {
        builder = new SeriesBuilder();
        run.builders.set(target.series, builder);
      }
      builder.push(step, value, wall);
      if (!Number.isNaN(runtime) && run.runtime?.lastStep !== step) {
        run.runtime ??= new SeriesBuilder();
        run.runtime.push(step, runtime, wall);
      }
    }
  };

  const { error } = await streamCsv(file, context, { bom: true, relax_column_count: true, skip_empty_lines: true }, (record, parser) => {
    line = parser.info.lines;
    onRecord(record);
  });
  if (error) {
    const reason = error.message.split('\n')[0]!;
    context.issue('csv.stopped', file.rel, `line ${line + 1}`, { line: line + 1, reason, kept: rows });
  }
  if (rejected) return [];

  if (raggedRows > 0) context.issue('csv.ragged-row', file.rel, `line ${firstRaggedLine}`, { count: raggedRows, line: firstRaggedLine });
  if (layout && (WALL_TIME_AXIS.test(layout.axis) || RELATIVE_TIME_AXIS.test(layout.axis))) {
    context.issue('csv.no-step-column', file.rel);
  } else if (missingSteps > 0) {
    context.issue('series.missing-step', file.rel, layout?.axis, { count: missingSteps, series: layout?.axis ?? 'x-axis' });
  }
  for (const [key, { count, example, line: at }] of nonNumeric) {
    const [run, series] = key.split('\u0000') as [string, string];
    context.issue('series.non-numeric', file.rel, `line ${at}`, { series, count, example, at: `line ${at}`, run });
  }

  const out: Run[] = [];
  for (const [name, collected] of runs) {
    const run = emptyRun(context.runId(file.path, name), 'wandb', [file.rel]);
    run.tags.name = name;
    run.tags.source = 'W&B chart CSV export';
    if (layout) run.tags.x_axis = layout.axis;
    for (const [series, builder] of collected.builders) run.series[series] = builder.build();
    if (collected.runtime && !('_runtime' in run.series)) run.series._runtime = collected.runtime.build();
    // The envelopes bound a metric; they are not metrics of their own for role conventions.
    const metricsOnly = { ...run, series: Object.fromEntries(Object.entries(run.series).filter(([name]) => !ENVELOPE.test(name))) };
    run.roles = assignRoles(metricsOnly);
    out.push(run);
  }
  return out;
}

/** The chart-export half of the 'wandb' format, usable on its own (tests, tools). */
export const wandbCsvReader: Reader = {
  format: 'wandb',
  description: 'CSV exported from a W&B chart: "<x-axis>", "<run> - <metric>", "<run> - <metric>__MIN/__MAX" columns',
  claim: (pool) => claimWandbCsv(pool),
  read: readWandbCsv,
};
