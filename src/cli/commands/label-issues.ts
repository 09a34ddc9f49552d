import path from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseCsv } from 'csv-parse/sync';
import { parseNpy } from '../../ingest/formats/npy.js';
import { findLabelIssues, LABEL_FILTERS, labelCounts, paperLabelIssues, type LabelFilter, type LabelIssues } from '../../stats/confident-learning.js';
import { UsageError } from '../errors.js';
import { describeShape, readArgumentBytes, readNpyArgument } from '../npy-argument.js';
import { table, type Terminal } from '../terminal.js';

export const labelIssuesHelp = `Usage: ladder label-issues --probs FILE --labels FILE [--method cleanlab|paper] [--json]

Finds examples whose given label is probably wrong by confident learning (Northcutt et al.
2021), from out-of-sample predicted probabilities (cross-validated, or from a model that
never trained on these examples).

Options:
  --probs FILE       .npy float array of shape (examples, classes): predicted probabilities
  --labels FILE      the given labels: .npy 1-D integer array, or CSV / JSONL with a label column
  --label-column C   column (CSV) or key (JSONL) holding the label (default: label)
  --method M         cleanlab (default): the cleanlab library's default filter, calibrated
                     confident joint, issues ranked by self-confidence;
                     paper: the "Pervasive Label Errors" method, floor((1 − trace(C)/sum(C))·n)
                     examples with the lowest normalized margin, C the uncalibrated joint
  --filter F         with --method cleanlab: prune_by_noise_rate (default), prune_by_class, both
  --show N           how many indices the summary lists (default 20; --json lists all)
  --json             print {"schema":"ladder.label-issues/v1","method",…,"count","indices"}
  -h, --help         show this help

Exit status: 0 on success (whether or not issues were found), 2 for usage errors.
`;

/** How far outside [0, 1] a stored probability may fall from float32 rounding. */
const PROBABILITY_SLACK = 1e-4;

async function readProbs(file: string): Promise<{ data: Float64Array; rows: number; classes: number }> {
  const array = await readNpyArgument('--probs', file, 'the probabilities');
  if (array.shape.length !== 2) {
    throw new UsageError(`--probs ${file}: shape ${describeShape(array)} is not 2-D; expected (examples, classes), one row of class probabilities per example`);
  }
  const [rows, classes] = array.shape as [number, number];
  if (classes < 2) throw new UsageError(`--probs ${file}: ${classes} class column(s); need at least 2 (one column per class)`);
  if (rows === 0) throw new UsageError(`--probs ${file}: no examples (shape ${describeShape(array)})`);
  if (array.kind !== 'f') throw new UsageError(`--probs ${file}: dtype ${array.descr} is not floating point; pass predicted probabilities (e.g. softmax outputs)`);
  const data = array.data;
  for (let i = 0; i < data.length; i++) {
    const p = data[i]!;
    // float32 softmax outputs stored as float64 overshoot 1 by a few ulps (the IMDB release has 1.0000012).
    if (!(p >= -PROBABILITY_SLACK && p <= 1 + PROBABILITY_SLACK)) {
      const where = `example ${Math.floor(i / classes)}, class ${i % classes}`;
      throw new UsageError(`--probs ${file}: value ${p} at ${where} is not a probability in [0, 1]; pass softmax outputs, not logits`);
    }
  }
  return { data, rows, classes };
}

function labelFromText(value: unknown, file: string, where: string, column: string): number {
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (!Number.isInteger(number)) {
    throw new UsageError(`--labels ${file}: ${where} has ${column} = ${JSON.stringify(value)}, not an integer class index; map class names to 0…K−1 first`);
  }
  return number;
}

async function readLabels(file: string, column: string): Promise<number[]> {
  const bytes = await readArgumentBytes('--labels', file);
  const ext = path.extname(file).toLowerCase();
  if (ext === '.npy') {
    const parsed = parseNpy(bytes);
    if (!parsed.array) throw new UsageError(`--labels ${file}: not a readable .npy file (${parsed.error.reason}); save the labels with numpy.save`);
    const array = parsed.array;
    const flat = array.shape.length === 1 || (array.shape.length === 2 && array.shape[1] === 1);
    if (!flat) throw new UsageError(`--labels ${file}: shape ${describeShape(array)} is not 1-D; expected (examples,), one class index per example`);
    if (array.kind !== 'i' && array.kind !== 'u') {
      throw new UsageError(`--labels ${file}: dtype ${array.descr} is not an integer type; save the labels as integers (e.g. labels.astype(numpy.int64))`);
    }
    return Array.from(array.data);
  }
  const text = bytes.toString('utf8');
  if (ext === '.jsonl' || ext === '.ndjson') {
    const labels: number[] = [];
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === '') continue;
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        throw new UsageError(`--labels ${file}: line ${i + 1} is not valid JSON; one JSON object per line`);
      }
      if (typeof record !== 'object' || record === null || !(column in record)) {
        throw new UsageError(`--labels ${file}: line ${i + 1} has no "${column}" key; name the key with --label-column`);
      }
      labels.push(labelFromText((record as Record<string, unknown>)[column], file, `line ${i + 1}`, column));
    }
    return labels;
  }
  if (ext === '.csv' || ext === '.tsv') {
    let rows: Record<string, string>[];
    try {
      rows = parseCsv(text, { columns: true, skip_empty_lines: true, delimiter: ext === '.tsv' ? '\t' : ',', bom: true });
    } catch (error) {
      throw new UsageError(`--labels ${file}: not readable as CSV (${(error as Error).message.split('\n')[0]})`);
    }
    if (rows.length > 0 && !(column in rows[0]!)) {
      throw new UsageError(`--labels ${file}: no "${column}" column (columns: ${Object.keys(rows[0]!).join(', ')}); name it with --label-column`);
    }
    return rows.map((row, i) => labelFromText(row[column], file, `row ${i + 1}`, column));
  }
  throw new UsageError(`--labels ${file}: unknown file type '${ext || '(none)'}'; use .npy (1-D integers), .csv/.tsv or .jsonl with a ${column} column`);
}

export interface LabelIssuesReport {
  schema: 'ladder.label-issues/v1';
  method: 'cleanlab' | 'paper';
  /** The cleanlab filter, or null for the paper method. */
  filter: LabelFilter | null;
  count: number;
  indices: number[];
  examples: number;
  classes: number;
  /** Per given class, the estimated fraction of its examples that belong to another class. */
  noiseRates: number[];
}

function report(result: LabelIssues, filter: LabelFilter | null, examples: number, classes: number): LabelIssuesReport {
  return {
    schema: 'ladder.label-issues/v1',
    method: result.method,
    filter,
    count: result.indices.length,
    indices: result.indices,
    examples,
    classes,
    noiseRates: result.noiseRates,
  };
}

function percent(x: number): string {
  return `${(100 * x).toFixed(x > 0 && x < 0.001 ? 3 : 2)} %`;
}

export function formatLabelIssues(r: LabelIssuesReport, counts: number[], show: number): string {
  const how =
    r.method === 'paper'
      ? 'paper method: floor((1 − trace/sum)·n) of the uncalibrated confident joint, lowest normalized margin first'
      : `cleanlab defaults: ${r.filter} on the calibrated confident joint, lowest self-confidence first`;
  let text = `${r.count.toLocaleString('en-US')} of ${r.examples.toLocaleString('en-US')} examples (${percent(r.count / r.examples)}) probably mislabelled\n`;
  text += `(${how})\n\nEstimated noise rate per given class:\n`;
  text += table(
    ['class', 'examples', 'noise rate'],
    r.noiseRates.map((rate, k) => [String(k), counts[k]!.toLocaleString('en-US'), percent(rate)]),
  );
  if (r.count > 0) {
    const listed = r.indices.slice(0, show);
    text += `\nMost likely mislabelled (example indices, 0-based): ${listed.join(', ')}`;
    text += r.count > listed.length ? `, … (${r.count - listed.length} more; --json lists all)\n` : '\n';
  }
  return text;
}

export async function labelIssuesCommand(args: string[], term: Terminal): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      probs: { type: 'string' },
      labels: { type: 'string' },
      'label-column': { type: 'string', default: 'label' },
      method: { type: 'string', default: 'cleanlab' },
      filter: { type: 'string' },
      show: { type: 'string', default: '20' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    term.out(labelIssuesHelp);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`label-issues takes no positional arguments (got ${positionals[0]}); use --probs FILE --labels FILE`);
  if (!values.probs || !values.labels) throw new UsageError('label-issues needs --probs FILE and --labels FILE, e.g. `ladder label-issues --probs pyx.npy --labels labels.npy`');
  const method = values.method!;
  if (method !== 'cleanlab' && method !== 'paper') throw new UsageError(`--method takes cleanlab or paper (got ${method})`);
  if (values.filter !== undefined && method !== 'cleanlab') throw new UsageError('--filter applies to --method cleanlab only');
  const filter = (values.filter ?? 'prune_by_noise_rate') as LabelFilter;
  if (!LABEL_FILTERS.includes(filter)) throw new UsageError(`--filter takes one of ${LABEL_FILTERS.join(', ')} (got ${values.filter})`);
  const show = Number(values.show);
  if (!Number.isInteger(show) || show < 0) throw new UsageError(`--show takes a non-negative integer (got ${values.show})`);

  const probs = await readProbs(values.probs);
  const labels = await readLabels(values.labels, values['label-column']!);
  if (labels.length !== probs.rows) {
    throw new UsageError(
      `--labels ${values.labels} has ${labels.length.toLocaleString('en-US')} labels but --probs ${values.probs} has ${probs.rows.toLocaleString('en-US')} rows; both must list the same examples in the same order`,
    );
  }
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (!(label >= 0 && label < probs.classes)) {
      throw new UsageError(`--labels ${values.labels}: label ${label} of example ${i} is not a class of --probs (0…${probs.classes - 1}); labels must index its columns`);
    }
  }

  const problem = { probs: probs.data, labels, classes: probs.classes };
  const result = method === 'paper' ? paperLabelIssues(problem) : findLabelIssues(problem, { filterBy: filter });
  const doc = report(result, method === 'paper' ? null : filter, probs.rows, probs.classes);
  if (values.json) term.out(`${JSON.stringify(doc)}\n`);
  else term.out(formatLabelIssues(doc, labelCounts(labels, probs.classes), show));
  return 0;
}
