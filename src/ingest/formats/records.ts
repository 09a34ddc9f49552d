/**
 * Records (a CSV row, a JSONL object) → scalar series or per-example sets. The CSV and JSONL
 * readers share these conventions so that the same log reads the same whichever way it
 * was written:
 *
 * - A file is a **scalar log** when its first record has a step key (`step`, `global_step`,
 *   `iteration`, `iter`, `_step`, then `epoch` as a fallback; case-insensitive). Every other
 *   field is a series; nested objects are flattened with `/`; a wall-time field (`_timestamp`,
 *   `timestamp`, `wall_time`, `walltime`, `Wall time`, in seconds or milliseconds since the
 *   epoch) becomes the points' wall times. Empty values and nulls are no point; numeric
 *   strings and "NaN"/"inf" spellings are numbers; other values are counted as non-numeric,
 *   and a field that never holds a number is reported once as text, not as a series. A
 *   record without a step takes the previous record's step.
 * - A file is a **per-example** set when its first record has no step key (epoch aside) but
 *   has a label, prediction, correctness or probabilities field (see EXAMPLE_ALIASES).
 *   Other fields whose values are all numbers become per-example metrics.
 * - A file with neither is a scalar log numbered by record position.
 */
import { emptyRun, SeriesBuilder, type ExampleSet, type Format, type Run } from '../../model/run.js';
import { parseJsonLenient, toNumber } from './json.js';
import type { IssueSink } from '../issues.js';
import type { FileEntry, ReadContext } from '../reader.js';

const STEP_KEYS = ['step', 'global_step', 'iteration', 'iter', '_step'];
const STEP_FALLBACK = 'epoch';
const WALL_TIME_KEYS = ['_timestamp', 'timestamp', 'wall_time', 'walltime', 'wall time'];

/** The key used as step among a record's keys, by priority (exact name first, then case-insensitive). */
export function findStepKey(keys: readonly string[]): string | undefined {
  for (const wanted of [...STEP_KEYS, STEP_FALLBACK]) {
    const exact = keys.find((key) => key === wanted);
    if (exact !== undefined) return exact;
    const loose = keys.find((key) => key.toLowerCase() === wanted);
    if (loose !== undefined) return loose;
  }
  return undefined;
}

export function findWallTimeKey(keys: readonly string[]): string | undefined {
  for (const wanted of WALL_TIME_KEYS) {
    const found = keys.find((key) => key.toLowerCase() === wanted);
    if (found !== undefined) return found;
  }
  return undefined;
}

type ExampleRole = 'id' | 'label' | 'pred' | 'correct' | 'probs' | 'cluster';

/** Field names (lower-cased) that say what a per-example field holds. */
export const EXAMPLE_ALIASES: Record<ExampleRole, readonly string[]> = {
  id: ['id', 'idx', 'index', 'example_id', 'sample_id', 'doc_id', 'uid'],
  label: ['label', 'labels', 'target', 'targets', 'gold', 'y_true', 'true_label', 'given_label', 'ground_truth'],
  pred: ['pred', 'preds', 'prediction', 'predicted', 'predicted_label', 'y_pred'],
  correct: ['correct', 'is_correct'],
  probs: ['probs', 'probabilities', 'proba', 'pyx', 'y_prob', 'y_proba'],
  cluster: ['cluster', 'group', 'cluster_id', 'group_id'],
};

/** CSV columns holding one class probability each: `probs_0`, `prob1`, `probs[2]`… */
const PROB_COLUMN = /^(?:probs?|probabilities|proba|pyx)[_[]?(\d+)\]?$/i;

export function exampleRoleOf(key: string): ExampleRole | undefined {
  const lower = key.toLowerCase();
  for (const [role, names] of Object.entries(EXAMPLE_ALIASES) as [ExampleRole, readonly string[]][]) {
    if (names.includes(lower)) return role;
  }
  return undefined;
}

/** The class index of a one-probability-per-column CSV header, if it is one. */
export function probColumnIndex(key: string): number | undefined {
  const match = PROB_COLUMN.exec(key);
  return match ? Number(match[1]) : undefined;
}

export type RecordKind = 'scalars' | 'examples';

/** Decides a file's kind from the keys of its first record (see the module comment). */
export function recordKind(keys: readonly string[]): RecordKind {
  const hasStep = keys.some((key) => STEP_KEYS.includes(key.toLowerCase()));
  if (hasStep) return 'scalars';
  const evidence = keys.some((key) => {
    const role = exampleRoleOf(key);
    return role === 'label' || role === 'pred' || role === 'correct' || role === 'probs' || probColumnIndex(key) !== undefined;
  });
  return evidence ? 'examples' : 'scalars';
}

interface NonNumeric {
  count: number;
  example: string;
  line: number;
}

const shortText = (value: unknown) => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
};

/**
 * Accumulates a scalar log record by record. Points are pushed in file order (the central
 * checks report restarts and duplicates); a record without a step takes the previous
 * record's step, or its position when the log has no step key at all.
 */
export class ScalarLog {
  readonly series = new Map<string, SeriesBuilder>();
  readonly nonScalar = new Map<string, { kind: string; count: number }>();
  private readonly nonNumeric = new Map<string, NonNumeric>();
  private readonly missingStep = new Map<string, number>();
  private wallTimeScale: number | undefined;
  private lastStep = 0;
  records = 0;

  constructor(
    readonly stepKey: string | undefined,
    readonly wallTimeKey: string | undefined,
  ) {}

  /** One JSON record; nested objects become `parent/child` series. */
  add(record: Record<string, unknown>, line: number): void {
    const { step, stepMissing } = this.stepOf(this.stepKey === undefined ? undefined : record[this.stepKey]);
    const wallTime = this.wallTimeKey === undefined ? Number.NaN : this.wallTimeOf(record[this.wallTimeKey]);
    for (const key in record) {
      if (key === this.stepKey || key === this.wallTimeKey) continue;
      this.addValue(key, record[key], step, wallTime, stepMissing, line);
    }
  }

  /**
   * One CSV row: `cells[i]` belongs to `columns[i]`. `stepColumn` / `wallTimeColumn` are
   * indices (-1 when absent); cells past the header are ignored (counted by the reader).
   */
  addCells(columns: readonly string[], cells: readonly string[], stepColumn: number, wallTimeColumn: number, line: number): void {
    const { step, stepMissing } = this.stepOf(stepColumn < 0 ? undefined : cells[stepColumn]);
    const wallTime = wallTimeColumn < 0 ? Number.NaN : this.wallTimeOf(cells[wallTimeColumn]);
    const width = Math.min(cells.length, columns.length);
    for (let i = 0; i < width; i++) {
      if (i === stepColumn || i === wallTimeColumn) continue;
      const cell = cells[i]!;
      if (cell === '') continue;
      this.addValue(columns[i]!, cell, step, wallTime, stepMissing, line);
    }
  }

  private stepOf(raw: unknown): { step: number; stepMissing: boolean } {
    const index = this.records++;
    if (this.stepKey === undefined) return { step: index, stepMissing: false };
    const parsed = raw === '' || raw === null ? undefined : toNumber(raw);
    if (parsed === undefined || Number.isNaN(parsed)) return { step: this.lastStep, stepMissing: true };
    this.lastStep = parsed;
    return { step: parsed, stepMissing: false };
  }

  private wallTimeOf(raw: unknown): number {
    const value = raw === '' || raw === null ? undefined : toNumber(raw);
    if (value === undefined || !Number.isFinite(value)) return Number.NaN;
    // Seconds since 1970 are ~1.7e9 today; milliseconds are ~1.7e12.
    this.wallTimeScale ??= value > 1e11 ? 1e-3 : 1;
    return value * this.wallTimeScale;
  }

  private addValue(key: string, raw: unknown, step: number, wallTime: number, stepMissing: boolean, line: number): void {
    if (raw === null || raw === undefined || raw === '') return;
    if (typeof raw === 'object' && !Array.isArray(raw)) {
      const typed = (raw as Record<string, unknown>)['_type'];
      if (typeof typed === 'string') {
        // W&B media and histograms ({"_type": "histogram", ...}): not scalars, counted by kind.
        const entry = this.nonScalar.get(key) ?? { kind: typed, count: 0 };
        entry.count++;
        this.nonScalar.set(key, entry);
        return;
      }
      for (const [inner, value] of Object.entries(raw)) this.addValue(`${key}/${inner}`, value, step, wallTime, stepMissing, line);
      return;
    }
    const value = toNumber(raw);
    if (value === undefined) {
      const seen = this.nonNumeric.get(key);
      if (seen) seen.count++;
      else this.nonNumeric.set(key, { count: 1, example: shortText(raw), line });
      return;
    }
    let builder = this.series.get(key);
    if (!builder) {
      builder = new SeriesBuilder();
      this.series.set(key, builder);
    }
    builder.push(step, value, wallTime);
    if (stepMissing) this.missingStep.set(key, (this.missingStep.get(key) ?? 0) + 1);
  }

  /** Moves the series into the run and reports what could not be read as points. */
  finishInto(run: Run, file: string, issue: IssueSink): void {
    for (const [name, builder] of this.series) run.series[name] = builder.build();
    for (const [name, entry] of this.nonScalar) run.nonScalar[name] = entry;
    const textOnly: string[] = [];
    for (const [name, { count, example, line }] of this.nonNumeric) {
      const at = `line ${line}`;
      if (this.series.has(name)) issue('series.non-numeric', file, at, { series: name, count, example, at });
      else textOnly.push(name);
    }
    if (textOnly.length > 0) {
      issue('series.text-only', file, undefined, { count: textOnly.length, fields: textOnly.slice(0, 5).join(', ') });
    }
    for (const [name, count] of this.missingStep) {
      issue('series.missing-step', file, name, { series: name, count, assumed: "given the previous record's step" });
    }
  }
}

/**
 * Accumulates per-example records column-wise. Columns that first appear at a later record
 * are back-filled (unknown: NaN or null), so every column has one entry per record.
 */
export class ExampleColumns {
  private count = 0;
  private ids: (string | number)[] = [];
  private hasIds = false;
  private labels: (number | string | null)[] = [];
  private hasLabels = false;
  private preds: (number | string | null)[] = [];
  private hasPreds = false;
  private correct: number[] = [];
  private hasCorrect = false;
  private clusters: (string | null)[] = [];
  private hasClusters = false;
  private probsRows: (number[] | undefined)[] = [];
  private badProbs: { count: number; at: string; got: number } | undefined;
  private classes: number | undefined;
  private readonly metrics = new Map<string, number[]>();
  private readonly ignored = new Map<string, string>();

  /** Adds one record; `probColumns` (CSV) are spread probability columns by class index. */
  add(record: Record<string, unknown>, line: number): void {
    const i = this.count++;
    let probs: number[] | undefined;
    const spread: number[] = [];
    for (const [key, raw] of Object.entries(record)) {
      const role = exampleRoleOf(key);
      switch (role) {
        case 'id': {
          const id = typeof raw === 'number' || typeof raw === 'string' ? raw : undefined;
          if (id !== undefined && id !== '') {
            this.ids[i] = typeof id === 'string' && /^-?\d+$/.test(id.trim()) ? Number(id) : id;
            this.hasIds = true;
          }
          continue;
        }
        case 'label':
          this.labels[i] = categorical(raw);
          this.hasLabels ||= this.labels[i] !== null;
          continue;
        case 'pred':
          this.preds[i] = categorical(raw);
          this.hasPreds ||= this.preds[i] !== null;
          continue;
        case 'correct':
          this.correct[i] = truth(raw);
          this.hasCorrect = true;
          continue;
        case 'cluster':
          this.clusters[i] = raw === null || raw === undefined || raw === '' ? null : String(raw);
          this.hasClusters ||= this.clusters[i] !== null;
          continue;
        case 'probs':
          probs = probabilities(raw);
          continue;
        case undefined:
          break;
      }
      const column = probColumnIndex(key);
      if (column !== undefined) {
        spread[column] = toNumber(raw) ?? Number.NaN;
        continue;
      }
      this.addOther(key, raw, i);
    }
    if (spread.length > 0 && probs === undefined) probs = Array.from(spread, (p) => p ?? Number.NaN);
    if (probs !== undefined) {
      this.classes ??= probs.length;
      if (probs.length !== this.classes) {
        if (this.badProbs) this.badProbs.count++;
        else this.badProbs = { count: 1, at: `line ${line}`, got: probs.length };
      }
      this.probsRows[i] = probs;
    }
  }

  private addOther(key: string, raw: unknown, i: number): void {
    if (raw === null || raw === undefined || raw === '') return;
    if (typeof raw === 'object' && !Array.isArray(raw)) {
      for (const [inner, value] of Object.entries(raw)) this.addOther(`${key}/${inner}`, value, i);
      return;
    }
    if (this.ignored.has(key)) return;
    const value = Array.isArray(raw) ? undefined : toNumber(raw);
    if (value === undefined) {
      this.ignored.set(key, key);
      this.metrics.delete(key);
      return;
    }
    let values = this.metrics.get(key);
    if (!values) {
      values = [];
      this.metrics.set(key, values);
    }
    values[i] = value;
  }

  get size(): number {
    return this.count;
  }

  /** The set, with issues for probability rows of unequal length and fields not kept. */
  build(name: string, file: string, issue: IssueSink): ExampleSet {
    const n = this.count;
    const set: ExampleSet = { name, count: n };
    if (this.hasIds) set.ids = Array.from({ length: n }, (_, i) => this.ids[i] ?? i);
    if (this.hasLabels) set.labels = Array.from({ length: n }, (_, i) => this.labels[i] ?? null);
    if (this.hasPreds) set.preds = Array.from({ length: n }, (_, i) => this.preds[i] ?? null);
    if (this.hasCorrect) set.correct = Float64Array.from({ length: n }, (_, i) => this.correct[i] ?? Number.NaN);
    if (this.hasClusters) set.clusters = Array.from({ length: n }, (_, i) => this.clusters[i] ?? null);
    if (this.badProbs) {
      issue('examples.mismatch', file, this.badProbs.at, {
        what: `probabilities per item (${this.badProbs.count} row(s) differ from the first)`,
        got: this.badProbs.got,
        expected: this.classes,
        rows: this.badProbs.count,
      });
    } else if (this.classes !== undefined) {
      const k = this.classes;
      const data = new Float64Array(n * k).fill(Number.NaN);
      for (let i = 0; i < n; i++) {
        const row = this.probsRows[i];
        if (row) for (let j = 0; j < k; j++) data[i * k + j] = row[j]!;
      }
      set.probs = { classes: k, data };
    }
    if (this.metrics.size > 0) {
      set.metrics = {};
      for (const [key, values] of this.metrics) {
        set.metrics[key] = Float64Array.from({ length: n }, (_, i) => values[i] ?? Number.NaN);
      }
    }
    if (this.ignored.size > 0) {
      const names = [...this.ignored.keys()];
      issue('examples.ignored-fields', file, undefined, { set: name, count: names.length, fields: names.slice(0, 5).join(', ') });
    }
    return set;
  }
}

function categorical(raw: unknown): number | string | null {
  if (raw === null || raw === undefined || raw === '') return null;
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  if (typeof raw === 'string') {
    const trimmed = raw.trim();
    return /^[+-]?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : raw;
  }
  // A list or object label (multi-label, structured answers) is kept as its JSON text.
  return JSON.stringify(raw);
}

/** 1 / 0 for correct / wrong, NaN when unknown. */
function truth(raw: unknown): number {
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  if (typeof raw === 'string') {
    const lower = raw.trim().toLowerCase();
    if (lower === 'true') return 1;
    if (lower === 'false') return 0;
  }
  const value = toNumber(raw);
  return value === undefined ? Number.NaN : value;
}

/** A probability row: a list of numbers, or (CSV) the text of one, e.g. "[0.1, 0.9]". */
function probabilities(raw: unknown): number[] | undefined {
  let list = raw;
  if (typeof raw === 'string') {
    const parsed = parseJsonLenient(raw.trim());
    if (parsed.damage) return undefined;
    list = parsed.value;
  }
  if (!Array.isArray(list)) return undefined;
  return list.map((p) => toNumber(p) ?? Number.NaN);
}

/** What one CSV or JSONL file turned out to hold. */
export type FileRecords =
  | { file: FileEntry; kind: 'scalars'; log: ScalarLog }
  | { file: FileEntry; kind: 'examples'; columns: ExampleColumns };

/**
 * Runs of one folder: the folder is one run holding its scalar log's series and every
 * per-example file as an ExampleSet (named after the file). A folder with several scalar
 * logs holds several runs: each log is a run of its own (id suffixed with the file name)
 * and the per-example files, if any, form the folder's run.
 */
export function folderRuns(format: Format, dir: string, results: FileRecords[], context: ReadContext): Run[] {
  const logs = results.filter((r) => r.kind === 'scalars');
  const examples = results.filter((r) => r.kind === 'examples');
  const runs: Run[] = [];
  const shared = logs.length <= 1 && results.length > 0;
  for (const result of logs) {
    const id = shared ? context.runId(dir) : context.runId(dir, stem(result.file.name));
    const paths = shared ? results.map((r) => r.file.rel) : [result.file.rel];
    const run = emptyRun(id, format, paths);
    result.log.finishInto(run, result.file.rel, context.issue);
    runs.push(run);
  }
  if (examples.length > 0) {
    let run = shared ? runs[0] : undefined;
    if (!run) {
      run = emptyRun(context.runId(dir), format, examples.map((r) => r.file.rel));
      runs.push(run);
    }
    const names = new Set<string>();
    for (const result of examples) {
      let name = stem(result.file.name);
      for (let k = 2; names.has(name); k++) name = `${stem(result.file.name)}~${k}`;
      names.add(name);
      run.examples.push(result.columns.build(name, result.file.rel, context.issue));
    }
  }
  return runs;
}

export function stem(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot > 0 ? fileName.slice(0, dot) : fileName;
}
