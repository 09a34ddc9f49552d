/**
 * lm-evaluation-harness results and per-item samples.
 *
 * A results JSON holds `results: {task: {metric: value}}` and, around it, `versions`,
 * `config` (model, model_args, batch size…) and, from v0.4 on, `configs`, `n-shot`,
 * `higher_is_better`, `n-samples`, `groups`, `date`… Version 0.3 names metrics plainly
 * (`acc`, `acc_stderr`); 0.4 appends the filter (`acc,none`, `exact_match,strict-match`).
 * With `--log_samples`, each task also gets `samples_<task>_<timestamp>.jsonl`, one line per
 * (document, filter), next to `results_<timestamp>.json`.
 *
 * Claimed by content: a JSON object whose `results` maps task names to objects. Samples
 * files are claimed by name in the folder of results files, or on their own when their
 * first line is an lm-eval sample (a `doc_id`).
 *
 * Runs. The harness evaluates one model per invocation, but people split one evaluation
 * into several invocations (one file per task suite) or evaluate a model at many training
 * checkpoints (Pythia's `160m_step1000.json`…). In one folder, results files of the same
 * model (config.model + model_args without the revision) are grouped:
 *   - files that carry a training step (in the file name, `..._step1000.json`, or in a
 *     `revision=step1000` model argument) form one run whose series are metric vs step;
 *   - files without a step form one run as long as their task sets do not overlap (one
 *     suite split per file); a file repeating a task already in the run starts another run,
 *     since it is a repeated evaluation, not more of the same one. Their points sit at
 *     step 0.
 * Series are `<task>/<metric>`, with the filter kept after a comma unless it is `none`
 * (`gsm8k/exact_match,strict-match`); standard errors are companion series
 * `<task>/<metric>_stderr`. Wall time is the results file's `date` when it has one.
 * Samples become one ExampleSet per task and filter, attached to the run of the results
 * file with the same timestamp.
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { emptyRun, SeriesBuilder, type ExampleSet, type HValue, type Run } from '../../model/run.js';
import { looksLikeJsonObject, parseJsonLenient, toNumber } from '../formats/json.js';
import { readJsonFile, reportJsonDamage } from '../formats/json-file.js';
import type { Claim, FileEntry, FilePool, ReadContext, Reader } from '../reader.js';
import { errorReason } from '../walk.js';

const RESULTS_START = /^\s*\{\s*"results"\s*:\s*\{\s*("(?:[^"\\]|\\.)*"\s*:\s*\{|\})/;
/** Keys only the harness writes, to recognize results whose `results` key is not first. */
const HARNESS_KEYS = /"(n-shot|higher_is_better|lm_eval_version|group_subtasks|n-samples)"\s*:/;
const SNIFF_BYTES = 64 * 1024;
const TIMESTAMP = /(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?)/;
const SAMPLES_NAME = /^samples_(.+)_(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?)\.jsonl$/;
const STEP_IN_NAME = /(?:^|[_\-.])step[_-]?(\d+)(?=[^\d]*\.json$)/i;
/** Per-item fields that are bookkeeping, not metrics. */
const SAMPLE_FIELDS = new Set(['doc_id', 'doc', 'target', 'arguments', 'resps', 'filtered_resps', 'filter', 'metrics', 'doc_hash', 'prompt_hash', 'target_hash']);
/** Per-item metrics that say whether the item was answered right, in order of preference. */
const CORRECT_METRICS = ['acc', 'exact_match', 'em', 'acc_norm'];

interface Detail {
  results: string[];
  samples: string[];
}

async function isResults(pool: FilePool, file: FileEntry): Promise<boolean> {
  if (!file.name.endsWith('.json') || file.size === 0) return false;
  const head = await pool.head(file);
  if (!looksLikeJsonObject(head)) return false;
  const text = head.toString('utf8');
  if (RESULTS_START.test(text)) return true;
  if (!text.includes('"results"')) return false;
  const more = file.size > head.length ? (await pool.head(file, SNIFF_BYTES)).toString('utf8') : text;
  return /"results"\s*:\s*\{/.test(more) && HARNESS_KEYS.test(more);
}

async function isSample(pool: FilePool, file: FileEntry): Promise<boolean> {
  if (!SAMPLES_NAME.test(file.name)) return false;
  const head = await pool.head(file);
  return looksLikeJsonObject(head) && head.includes('"doc_id"');
}

async function claim(pool: FilePool): Promise<Claim[]> {
  const byDir = new Map<string, Detail & { files: FileEntry[] }>();
  const add = (file: FileEntry, kind: keyof Detail) => {
    let group = byDir.get(file.dir);
    if (!group) byDir.set(file.dir, (group = { results: [], samples: [], files: [] }));
    group[kind].push(file.path);
    group.files.push(file);
  };
  for (const file of pool.files()) {
    if (await isResults(pool, file)) add(file, 'results');
    else if (await isSample(pool, file)) add(file, 'samples');
  }
  // Samples named by the harness but empty or damaged still belong to their results.
  for (const [dir, group] of byDir) {
    if (group.results.length === 0) continue;
    for (const file of pool.inDir(dir)) {
      if (SAMPLES_NAME.test(file.name) && !group.files.includes(file)) add(file, 'samples');
    }
  }
  return [...byDir].map(([dir, group]) => ({
    format: 'lm-eval' as const,
    dir,
    files: group.files,
    detail: { results: group.results, samples: group.samples } satisfies Detail as unknown as Record<string, unknown>,
  }));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface ResultsFile {
  file: FileEntry;
  doc: Record<string, unknown>;
  model: string;
  step: number | undefined;
  tasks: Set<string>;
  timestamp: string | undefined;
}

/**
 * Which weights were evaluated: the model type and the checkpoint argument, not loading
 * options (`use_accelerate`, `dtype`, `parallelize` change between invocations of one study).
 */
function modelIdentity(config: Record<string, unknown>): { model: string; step: number | undefined } {
  const model = typeof config.model === 'string' ? config.model : '';
  const args = typeof config.model_args === 'string' ? config.model_args : '';
  const parsed = parseModelArgs(args);
  const revision = parsed.revision ? /step[_-]?(\d+)/.exec(parsed.revision) : null;
  const weights = parsed.pretrained ?? parsed.model ?? parsed.path ?? parsed.engine;
  const rest = args.replace(/(^|,)\s*revision\s*=[^,]*/, '').replace(/^,/, '');
  return { model: `${model}|${weights ?? rest}`, step: revision ? Number(revision[1]) : undefined };
}

/** Task → metrics, from `results` plus any `groups` row the results do not repeat (v0.4.0–0.4.1). */
function taskTable(doc: Record<string, unknown>): [string, Record<string, unknown>][] {
  const rows: [string, Record<string, unknown>][] = [];
  const seen = new Set<string>();
  for (const source of [doc.results, doc.groups]) {
    if (!isObject(source)) continue;
    for (const [task, metrics] of Object.entries(source)) {
      if (seen.has(task) || !isObject(metrics)) continue;
      seen.add(task);
      rows.push([task, metrics]);
    }
  }
  return rows;
}

/** `acc,none` → `acc`; `exact_match,strict-match` → `exact_match,strict-match`. */
export function seriesName(task: string, key: string): string {
  const comma = key.indexOf(',');
  if (comma < 0) return `${task}/${key}`;
  const metric = key.slice(0, comma);
  const filter = key.slice(comma + 1);
  return filter === 'none' ? `${task}/${metric}` : `${task}/${metric},${filter}`;
}

function isStderr(key: string): boolean {
  const comma = key.indexOf(',');
  return (comma < 0 ? key : key.slice(0, comma)).endsWith('_stderr');
}

async function readResults(file: FileEntry, context: ReadContext): Promise<ResultsFile | undefined> {
  const parsed = await readJsonFile(file, context.issue, context.progress);
  if (!parsed) return undefined;
  const doc = parsed.value;
  reportJsonDamage(parsed, isObject(doc) && isObject(doc.results) ? Object.keys(doc.results).length : 0, file, context.issue);
  if (!isObject(doc) || !isObject(doc.results)) return undefined;
  if (!parsed.damage && !isObject(doc.versions) && !isObject(doc.config)) {
    context.issue('lm-eval.unknown-layout', file.rel, undefined, { reason: 'no "versions" or "config" beside "results"' });
  }
  const identity = modelIdentity(isObject(doc.config) ? doc.config : {});
  const nameStep = STEP_IN_NAME.exec(file.name);
  return {
    file,
    doc,
    model: identity.model,
    step: nameStep ? Number(nameStep[1]) : identity.step,
    tasks: new Set(taskTable(doc).map(([task]) => task)),
    timestamp: TIMESTAMP.exec(file.name)?.[1],
  };
}

/** Groups one folder's results files into runs (see the header). */
function groupRuns(files: ResultsFile[]): ResultsFile[][] {
  const groups: { stepped: boolean; model: string; files: ResultsFile[]; tasks: Set<string> }[] = [];
  for (const result of files) {
    const stepped = result.step !== undefined;
    const group = groups.find(
      (g) => g.model === result.model && g.stepped === stepped && (stepped || [...result.tasks].every((t) => !g.tasks.has(t))),
    );
    if (group) {
      group.files.push(result);
      for (const task of result.tasks) group.tasks.add(task);
    } else groups.push({ stepped, model: result.model, files: [result], tasks: new Set(result.tasks) });
  }
  for (const group of groups) if (group.stepped) group.files.sort((a, b) => a.step! - b.step!);
  return groups.map((group) => group.files);
}

interface SeriesAccumulator {
  builder: SeriesBuilder;
  nonNumeric: number;
  example?: string;
  at?: string;
  file?: string;
}

function mergeMap(summary: Record<string, HValue>, key: string, value: unknown): void {
  if (!isObject(value)) return;
  const existing = summary[key];
  summary[key] = { ...(isObject(existing) ? existing : {}), ...(value as Record<string, HValue>) };
}

function parseModelArgs(args: string): Record<string, string> {
  const parsed: Record<string, string> = {};
  for (const part of args.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) parsed[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return parsed;
}

function buildRun(files: ResultsFile[], id: string, context: ReadContext): Run {
  const run = emptyRun(id, 'lm-eval', files.map((f) => f.file.rel));
  const series = new Map<string, SeriesAccumulator>();
  for (const result of files) {
    const { doc } = result;
    const step = result.step ?? 0;
    const wallTime = typeof doc.date === 'number' ? doc.date : Number.NaN;
    for (const [task, metrics] of taskTable(doc)) {
      for (const [key, raw] of Object.entries(metrics)) {
        // `alias` names the row; group rows of v0.4 carry a blank " " spacer key.
        if (key === 'alias' || key.trim() === '') continue;
        const name = seriesName(task, key);
        let acc = series.get(name);
        if (!acc) series.set(name, (acc = { builder: new SeriesBuilder(4), nonNumeric: 0 }));
        // "N/A" is how the harness writes a standard error it did not compute.
        if (raw === 'N/A') continue;
        const value = typeof raw === 'string' ? toNumber(raw) : typeof raw === 'number' ? raw : undefined;
        if (value === undefined) {
          if (acc.nonNumeric++ === 0) {
            acc.example = JSON.stringify(raw)?.slice(0, 40) ?? String(raw);
            acc.at = `results.${task}.${key}`;
            acc.file = result.file.rel;
          }
          continue;
        }
        acc.builder.push(step, value, wallTime);
      }
    }

    const config = isObject(doc.config) ? doc.config : {};
    for (const [key, value] of Object.entries(config)) {
      // batch_sizes are what "auto" found on this machine: a measurement, not a setting.
      if (key === 'batch_sizes') continue;
      if (key === 'model_args' && typeof value === 'string') {
        const args = parseModelArgs(value);
        if (result.step !== undefined) delete args.revision;
        run.hparams.model_args = Object.entries(args).map(([k, v]) => `${k}=${v}`).join(',');
        for (const [arg, argValue] of Object.entries(args)) run.hparams[`model_args.${arg}`] = argValue;
        continue;
      }
      if (key === 'model_revision' && result.step !== undefined) continue;
      run.hparams[key] = value as HValue;
    }
    for (const key of ['versions', 'n-shot', 'n-samples', 'higher_is_better', 'group_subtasks']) {
      mergeMap(run.summary, key, doc[key]);
    }
    for (const key of ['date', 'git_hash', 'lm_eval_version', 'transformers_version', 'model_name', 'model_source', 'total_evaluation_time_seconds']) {
      if (key in doc) run.summary[key] = doc[key] as HValue;
    }
  }
  const nShot = run.summary['n-shot'];
  if (isObject(nShot) && run.hparams.num_fewshot === undefined) {
    const shots = new Set(Object.values(nShot));
    if (shots.size === 1) run.hparams.num_fewshot = [...shots][0] as HValue;
  }
  if (files.length > 1) run.summary.results_files = files.length;

  for (const [name, acc] of series) {
    if (acc.builder.length > 0) {
      run.series[name] = acc.builder.build();
      if (!isStderr(name.slice(name.indexOf('/') + 1))) run.roles.valMetrics.push(name);
    }
    if (acc.nonNumeric > 0) {
      context.issue('series.non-numeric', acc.file!, name, { series: name, count: acc.nonNumeric, example: acc.example, at: acc.at });
    }
  }
  return run;
}

/** One task's per-item records, column by column. */
class ExampleColumns {
  ids: (string | number)[] = [];
  labels: (number | string | null)[] = [];
  preds: (number | string | null)[] = [];
  correct: number[] = [];
  metrics = new Map<string, number[]>();
  logLikelihoods: number[][] = [];
  choicesConsistent = true;

  constructor(readonly name: string) {}

  add(record: Record<string, unknown>): void {
    const index = this.ids.length;
    const id = record.doc_id;
    this.ids.push(typeof id === 'number' || typeof id === 'string' ? id : index);
    this.labels.push(simple(record.target));
    const choices = choiceLogLikelihoods(record.filtered_resps ?? record.resps);
    if (choices) {
      let best = 0;
      for (let k = 1; k < choices.length; k++) if (choices[k]! > choices[best]!) best = k;
      this.preds.push(best);
      if (this.logLikelihoods.length > 0 && this.logLikelihoods[0]!.length !== choices.length) this.choicesConsistent = false;
      this.logLikelihoods.push(choices);
    } else {
      this.choicesConsistent = false;
      this.preds.push(firstSimple(record.filtered_resps));
    }
    let correct = Number.NaN;
    for (const metric of CORRECT_METRICS) {
      const value = toNumber(record[metric]);
      if (value === 0 || value === 1) {
        correct = value;
        break;
      }
    }
    this.correct.push(correct);
    for (const [key, raw] of Object.entries(record)) {
      if (SAMPLE_FIELDS.has(key)) continue;
      const value = typeof raw === 'number' || typeof raw === 'boolean' ? toNumber(raw)! : undefined;
      if (value === undefined) continue;
      let column = this.metrics.get(key);
      if (!column) this.metrics.set(key, (column = new Array<number>(index).fill(Number.NaN)));
      column.push(value);
    }
    for (const column of this.metrics.values()) if (column.length === index) column.push(Number.NaN);
  }

  build(): ExampleSet {
    const count = this.ids.length;
    const set: ExampleSet = { name: this.name, count, ids: this.ids, labels: this.labels, preds: this.preds };
    set.correct = Float64Array.from(this.correct);
    if (this.metrics.size > 0) {
      set.metrics = Object.fromEntries([...this.metrics].map(([key, column]) => [key, Float64Array.from(column)]));
    }
    // Multiple-choice items: the softmax of the choices' log-likelihoods, when every item has as many choices.
    if (this.choicesConsistent && count > 0) {
      const classes = this.logLikelihoods[0]!.length;
      const data = new Float64Array(count * classes);
      this.logLikelihoods.forEach((choices, row) => {
        const max = Math.max(...choices);
        let total = 0;
        for (let k = 0; k < classes; k++) total += Math.exp(choices[k]! - max);
        for (let k = 0; k < classes; k++) data[row * classes + k] = Math.exp(choices[k]! - max) / total;
      });
      set.probs = { classes, data };
    }
    return set;
  }
}

function simple(value: unknown): number | string | null {
  return typeof value === 'number' || typeof value === 'string' ? value : null;
}

function firstSimple(value: unknown): number | string | null {
  if (Array.isArray(value) && value.length === 1) return Array.isArray(value[0]) ? firstSimple(value[0]) : simple(value[0]);
  return simple(value);
}

/**
 * Loglikelihood requests answer `[log-likelihood, is-greedy]` per choice (as numbers, or as
 * strings in recent versions); undefined for anything else (generated text).
 */
function choiceLogLikelihoods(value: unknown): number[] | undefined {
  if (!Array.isArray(value) || value.length < 2) return undefined;
  const out: number[] = [];
  for (const choice of value) {
    const pair = Array.isArray(choice) && Array.isArray(choice[0]) ? choice[0] : choice;
    if (!Array.isArray(pair) || pair.length !== 2) return undefined;
    const ll = toNumber(pair[0]);
    if (ll === undefined || typeof pair[0] === 'boolean') return undefined;
    out.push(ll);
  }
  return out;
}

async function readSamples(file: FileEntry, task: string, context: ReadContext): Promise<ExampleSet[]> {
  const byFilter = new Map<string, ExampleColumns>();
  let badLines = 0;
  let firstBad = 0;
  let lineNumber = 0;
  let bytes = 0;
  const stream = createReadStream(file.path, { encoding: 'utf8' });
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      lineNumber++;
      bytes += line.length + 1;
      if (lineNumber % 1000 === 0) context.progress?.(file.rel, bytes, file.size);
      if (line.trim() === '') continue;
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        const lenient = parseJsonLenient(line);
        record = lenient.damage ? undefined : lenient.value;
      }
      if (!isObject(record)) {
        if (badLines++ === 0) firstBad = lineNumber;
        continue;
      }
      const filter = typeof record.filter === 'string' ? record.filter : 'none';
      let columns = byFilter.get(filter);
      if (!columns) byFilter.set(filter, (columns = new ExampleColumns(filter === 'none' ? task : `${task},${filter}`)));
      columns.add(record);
    }
  } catch (error) {
    context.issue('file.unreadable', file.rel, `line ${lineNumber}`, { reason: errorReason(error) });
  }
  if (badLines > 0) context.issue('jsonl.bad-line', file.rel, `line ${firstBad}`, { count: badLines, line: firstBad });
  if (lineNumber === 0) context.issue('file.empty', file.rel);
  return [...byFilter.values()].map((columns) => columns.build());
}

function attachExamples(run: Run, sets: ExampleSet[], timestamp: string): void {
  const names = new Set(run.examples.map((set) => set.name));
  for (const set of sets) {
    // The same task from two results files of one run (two checkpoints): tell them apart.
    if (names.has(set.name)) set.name = `${set.name}@${timestamp}`;
    names.add(set.name);
    run.examples.push(set);
  }
}

async function read(claim: Claim, context: ReadContext): Promise<Run[]> {
  const detail = claim.detail as unknown as Detail;
  const byPath = new Map(claim.files.map((file) => [file.path, file]));
  const results: ResultsFile[] = [];
  for (const resultsPath of detail.results) {
    const read = await readResults(byPath.get(resultsPath)!, context);
    if (read) results.push(read);
  }
  const groups = groupRuns(results);
  const runs: Run[] = [];
  const runOfTimestamp = new Map<string, Run>();
  for (const group of groups) {
    const suffix = groups.length === 1 ? undefined : path.basename(group[0]!.file.name, '.json');
    const run = buildRun(group, context.runId(claim.dir, suffix), context);
    for (const result of group) if (result.timestamp) runOfTimestamp.set(result.timestamp, run);
    runs.push(run);
  }

  for (const samplesPath of detail.samples) {
    const file = byPath.get(samplesPath)!;
    const [, task, timestamp] = SAMPLES_NAME.exec(file.name)!;
    let run = runOfTimestamp.get(timestamp!);
    if (!run) {
      // Samples whose results file is missing still hold the per-item evidence.
      run = emptyRun(context.runId(claim.dir, timestamp), 'lm-eval', []);
      runOfTimestamp.set(timestamp!, run);
      runs.push(run);
    }
    run.paths.push(file.rel);
    attachExamples(run, await readSamples(file, task!, context), timestamp!);
  }
  return runs;
}

export const lmEvalReader: Reader = {
  format: 'lm-eval',
  description: 'lm-evaluation-harness results JSON (v0.3 and v0.4) and samples_*.jsonl per-item records',
  claim,
  read,
};
