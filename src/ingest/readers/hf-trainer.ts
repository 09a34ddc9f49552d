/**
 * Hugging Face Trainer output folders.
 *
 * The Trainer writes `trainer_state.json` (`json.dumps(asdict(state), indent=2,
 * sort_keys=True)`) into the output folder at the end of training and into every
 * `checkpoint-<step>/` on save. Its `log_history` is a list of dicts, one per `Trainer.log`
 * call, each carrying the `step` it was logged at: training entries (loss, learning_rate,
 * grad_norm…), evaluation entries (eval_*), and one closing entry with train_runtime,
 * train_loss, total_flos… Beside it the user's script usually leaves `all_results.json` and
 * `{train,eval,test,predict}_results.json` (`Trainer.save_metrics`), the model's
 * `config.json`, sometimes the TrainingArguments dumped as JSON, a PEFT `adapter_config.json`
 * and a `generation_config.json`.
 *
 * Claiming is by content: a JSON object with a `log_history` key near its start, whatever
 * its name (files get renamed when copied around). A file named exactly `trainer_state.json`
 * is claimed even when it is empty or broken, so that the damage is reported, not hidden.
 *
 * The state is streamed (formats/json-array-stream.ts): log_history entries are turned into
 * points one at a time, so a multi-hundred-MB state never sits in memory as one object tree.
 *
 * One run per output folder. A checkpoint's log_history is a prefix of the final one, so
 * when the folder has a final state the checkpoint states are claimed but not read
 * (`hf.checkpoint-superseded`); with only checkpoints, the highest step is read.
 *
 * Where things go:
 *   - every numeric log_history key → a series at the entry's `step`; `epoch` and
 *     `num_input_tokens_seen` too, once per step (the Trainer repeats them on the evaluation
 *     entry of the same step);
 *   - the closing train_runtime entry and top-level state fields → run.summary;
 *   - `trial_params` (hyperparameter search) and the TrainingArguments → run.hparams as is;
 *   - model config → hparams `model.<key>` (nested objects flattened with dots, except
 *     the label maps), PEFT config → `adapter.<key>`, generation config → `generation.<key>`;
 *     flat keys let a Study see which one varies between runs;
 *   - *_results.json → run.summary, keys kept when they already carry their split prefix
 *     (`eval_accuracy`), else prefixed with the file kind (`train_epoch`, `all_epoch`).
 */
import path from 'node:path';
import { emptyRun, SeriesBuilder, type HValue, type Run } from '../../model/run.js';
import { scanJsonArrayField } from '../formats/json-array-stream.js';
import { readJsonFile, reportJsonDamage } from '../formats/json-file.js';
import { looksLikeJsonObject, toNumber } from '../formats/json.js';
import type { Claim, FileEntry, FilePool, ReadContext, Reader } from '../reader.js';
import { errorReason } from '../walk.js';

const STATE_NAME = 'trainer_state.json';
const CHECKPOINT_DIR = /^checkpoint-(\d+)$/;
/** `log_history` sits after a handful of short keys when sorted, but unsorted dumps may put it late. */
const SNIFF_BYTES = 64 * 1024;
const RESULT_FILES: Record<string, string> = {
  'train_results.json': 'train',
  'eval_results.json': 'eval',
  'test_results.json': 'test',
  'predict_results.json': 'predict',
  'all_results.json': 'all',
};
const SPLIT_PREFIX = /^(train|eval|test|predict)_/;
const TRAINING_ARGS_NAMES = new Set(['training_args.json', 'training_arguments.json', 'train_args.json', 'args.json']);
const LABEL_MAPS = new Set(['id2label', 'label2id']);

type CompanionKind = 'results' | 'model-config' | 'training-args' | 'adapter-config' | 'generation-config';

interface HfDetail {
  main: string;
  superseded: string[];
  companions: { path: string; kind: CompanionKind }[];
}

async function isTrainerState(pool: FilePool, file: FileEntry): Promise<boolean> {
  if (file.name === STATE_NAME) return true;
  if (!file.name.endsWith('.json') || file.size === 0) return false;
  const head = await pool.head(file);
  if (!looksLikeJsonObject(head)) return false;
  if (head.includes('"log_history"')) return true;
  if (file.size <= head.length) return false;
  return (await pool.head(file, SNIFF_BYTES)).includes('"log_history"');
}

async function companionKind(pool: FilePool, file: FileEntry): Promise<CompanionKind | undefined> {
  if (!file.name.endsWith('.json') || file.size === 0) return undefined;
  if (file.name in RESULT_FILES) return 'results';
  if (file.name === 'adapter_config.json') return 'adapter-config';
  if (file.name === 'generation_config.json') return 'generation-config';
  const head = await pool.head(file);
  if (!looksLikeJsonObject(head)) return undefined;
  const text = head.toString('utf8');
  if (/"output_dir"\s*:/.test(text) && /"(per_device_train_batch_size|learning_rate)"\s*:/.test(text)) {
    return 'training-args';
  }
  if (TRAINING_ARGS_NAMES.has(file.name) && /"learning_rate"\s*:/.test(text)) return 'training-args';
  if (file.name === 'config.json' && /"(model_type|architectures)"\s*:/.test(text)) return 'model-config';
  return undefined;
}

function checkpointStep(file: FileEntry): number | undefined {
  const match = CHECKPOINT_DIR.exec(path.basename(file.dir));
  return match ? Number(match[1]) : undefined;
}

async function claim(pool: FilePool): Promise<Claim[]> {
  const states: FileEntry[] = [];
  for (const file of pool.files()) if (await isTrainerState(pool, file)) states.push(file);

  // Group by output folder: a checkpoint's run folder is the one above `checkpoint-<step>/`.
  const byRunDir = new Map<string, { finals: FileEntry[]; checkpoints: { file: FileEntry; step: number }[] }>();
  for (const file of states) {
    const step = checkpointStep(file);
    const runDir = step === undefined ? file.dir : path.dirname(file.dir);
    let group = byRunDir.get(runDir);
    if (!group) byRunDir.set(runDir, (group = { finals: [], checkpoints: [] }));
    if (step === undefined) group.finals.push(file);
    else group.checkpoints.push({ file, step });
  }

  const claims: Claim[] = [];
  const taken = new Set<string>(states.map((file) => file.path));
  for (const [runDir, group] of byRunDir) {
    group.checkpoints.sort((a, b) => a.step - b.step || (a.file.path < b.file.path ? -1 : 1));
    const mains = group.finals.length > 0 ? group.finals : [group.checkpoints[group.checkpoints.length - 1]!.file];
    const superseded = group.checkpoints.map((c) => c.file).filter((file) => !mains.includes(file));
    for (const [index, main] of mains.entries()) {
      const files = [main];
      const detail: HfDetail = { main: main.path, superseded: [], companions: [] };
      // Checkpoint states (and their folders' companions) go with the first final state.
      const folders = new Set([runDir, main.dir]);
      if (index === 0) {
        for (const file of superseded) {
          files.push(file);
          detail.superseded.push(file.path);
        }
      }
      for (const folder of folders) {
        for (const file of pool.inDir(folder)) {
          if (taken.has(file.path)) continue;
          const kind = await companionKind(pool, file);
          if (!kind) continue;
          taken.add(file.path);
          files.push(file);
          detail.companions.push({ path: file.path, kind });
        }
      }
      if (index === 0) {
        for (const checkpoint of superseded) {
          for (const file of pool.inDir(checkpoint.dir)) {
            if (taken.has(file.path)) continue;
            if (!(await companionKind(pool, file))) continue;
            taken.add(file.path);
            files.push(file);
          }
        }
      }
      claims.push({ format: 'hf-trainer', dir: runDir, files, detail: detail as unknown as Record<string, unknown> });
    }
  }
  return claims;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface SeriesAccumulator {
  builder: SeriesBuilder;
  nonNumeric: number;
  example?: string;
  at?: string;
}

/**
 * The closing entry Trainer.train() logs once: runtime and throughput, not a curve. With
 * include_num_input_tokens_seen, transformers 5 also stamps train_runtime (elapsed so far) and
 * train_tokens_per_second on every training entry; those carry a `loss` and stay points.
 */
function isTrainSummaryEntry(entry: Record<string, unknown>): boolean {
  return 'train_runtime' in entry && !('loss' in entry);
}

/**
 * Keys Trainer.log stamps on every entry, so a training and an evaluation entry of one step
 * repeat the same value: one point, not a duplicate step.
 */
const STAMPED_KEYS = new Set(['epoch', 'num_input_tokens_seen']);

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** Turns log_history entries, one at a time, into series and summary facts. */
class LogHistory {
  private readonly series = new Map<string, SeriesAccumulator>();
  private badEntries = 0;
  private firstBad = -1;
  // Entries without a step (custom callbacks logging straight into log_history) are kept
  // at the step of the entry before them: they were logged right after it.
  private lastStep = 0;
  private readonly stampedAt = new Map<string, { step: number; value: number }>();

  constructor(private readonly run: Run) {}

  add(entry: unknown, index: number): void {
    if (!isObject(entry)) {
      if (this.badEntries++ === 0) this.firstBad = index;
      return;
    }
    const stepValue = entry.step;
    let step: number;
    if (typeof stepValue === 'number' && Number.isFinite(stepValue)) {
      step = stepValue;
      this.lastStep = step;
    } else {
      if (this.badEntries++ === 0) this.firstBad = index;
      step = this.lastStep;
    }
    if (isTrainSummaryEntry(entry)) {
      for (const [key, value] of Object.entries(entry)) {
        if (key !== 'step' && key !== 'epoch') this.run.summary[key] = value as HValue;
      }
      return;
    }
    for (const key in entry) {
      if (key === 'step') continue;
      const raw = entry[key];
      let acc = this.series.get(key);
      if (!acc) this.series.set(key, (acc = { builder: new SeriesBuilder(), nonNumeric: 0 }));
      const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? toNumber(raw) : undefined;
      if (value === undefined) {
        if (acc.nonNumeric++ === 0) {
          acc.example = describe(raw);
          acc.at = `log_history[${index}]`;
        }
        continue;
      }
      if (STAMPED_KEYS.has(key)) {
        const last = this.stampedAt.get(key);
        if (last?.step === step && last.value === value && acc.builder.lastStep === step) continue;
        this.stampedAt.set(key, { step, value });
      }
      acc.builder.push(step, value);
    }
  }

  finish(file: FileEntry, context: ReadContext): void {
    if (this.badEntries > 0) {
      context.issue('hf.bad-log-entry', file.rel, `log_history[${this.firstBad}]`, { count: this.badEntries, index: this.firstBad });
    }
    for (const [name, acc] of this.series) {
      if (acc.builder.length > 0) this.run.series[name] = acc.builder.build();
      if (acc.nonNumeric > 0) {
        context.issue('series.non-numeric', file.rel, name, { series: name, count: acc.nonNumeric, example: acc.example, at: acc.at });
      }
    }
  }
}

/** Streams the state file: log_history entry by entry, the other top-level fields into the summary. */
async function readState(file: FileEntry, run: Run, context: ReadContext): Promise<void> {
  const history = new LogHistory(run);
  let scan;
  try {
    scan = await scanJsonArrayField(
      file.path,
      'log_history',
      (entry, index) => history.add(entry, index),
      { onProgress: (bytes) => context.progress?.(file.rel, bytes, file.size) },
    );
  } catch (error) {
    context.issue('file.unreadable', file.rel, undefined, { reason: errorReason(error) });
    return;
  }
  history.finish(file, context);
  if (scan.nonStandardNumbers > 0) {
    context.issue('json.non-standard-number', file.rel, undefined, { count: scan.nonStandardNumbers });
  }
  if (scan.damage) {
    const { kind, offset, reason } = scan.damage;
    const kept = scan.elements;
    if (kind === 'truncated') context.issue('json.truncated', file.rel, `byte ${offset}`, { offset, kept });
    else context.issue('json.invalid', file.rel, `byte ${offset}`, { offset, kept, reason, recovered: kept > 0 || isObject(scan.rest) });
  } else if (scan.rest === undefined) {
    context.issue('file.empty', file.rel);
    return;
  }
  const state = scan.rest;
  if (!isObject(state)) {
    if (!scan.damage) context.issue('hf.not-trainer-state', file.rel, undefined, { reason: 'the document is not an object' });
    return;
  }
  for (const [key, field] of Object.entries(state)) {
    if (key !== 'log_history') run.summary[key] = field as HValue;
  }
  if (!scan.found && !scan.damage) {
    const reason = state.log_history === undefined ? 'no log_history key' : 'log_history is not a list';
    context.issue('hf.not-trainer-state', file.rel, undefined, { reason });
  }
}

/** Flattens nested objects into dotted keys; label maps stay whole (a key per class helps no one). */
function flattenInto(target: Record<string, HValue>, prefix: string, value: Record<string, unknown>): void {
  for (const [key, field] of Object.entries(value)) {
    const name = `${prefix}.${key}`;
    if (isObject(field) && !LABEL_MAPS.has(key) && Object.keys(field).length > 0) flattenInto(target, name, field);
    else target[name] = field as HValue;
  }
}

async function readCompanion(file: FileEntry, kind: CompanionKind, run: Run, context: ReadContext): Promise<void> {
  const parsed = await readJsonFile(file, context.issue, context.progress);
  if (!parsed) return;
  reportJsonDamage(parsed, isObject(parsed.value) ? Object.keys(parsed.value).length : 0, file, context.issue);
  if (!isObject(parsed.value)) return;
  const value = parsed.value;
  switch (kind) {
    case 'results': {
      const prefix = RESULT_FILES[file.name]!;
      for (const [key, field] of Object.entries(value)) {
        run.summary[SPLIT_PREFIX.test(key) ? key : `${prefix}_${key}`] = field as HValue;
      }
      break;
    }
    case 'training-args':
      for (const [key, field] of Object.entries(value)) run.hparams[key] = field as HValue;
      break;
    case 'model-config':
      flattenInto(run.hparams, 'model', value);
      break;
    case 'adapter-config':
      flattenInto(run.hparams, 'adapter', value);
      break;
    case 'generation-config':
      flattenInto(run.hparams, 'generation', value);
      break;
  }
}

async function read(claim: Claim, context: ReadContext): Promise<Run[]> {
  const detail = claim.detail as unknown as HfDetail;
  const byPath = new Map(claim.files.map((file) => [file.path, file]));
  const main = byPath.get(detail.main)!;
  for (const supersededPath of detail.superseded) {
    const file = byPath.get(supersededPath)!;
    context.issue('hf.checkpoint-superseded', file.rel, undefined, { final: main.rel });
  }

  const run = emptyRun(context.runId(claim.dir), 'hf-trainer', [main.rel]);
  if (main.size === 0) context.issue('file.empty', main.rel);
  else await readState(main, run, context);

  for (const companion of detail.companions) {
    const file = byPath.get(companion.path)!;
    run.paths.push(file.rel);
    await readCompanion(file, companion.kind, run, context);
  }

  // A search trial's own values override the arguments it was launched with.
  const trialParams = run.summary.trial_params;
  if (isObject(trialParams)) Object.assign(run.hparams, trialParams);

  const has = (name: string) => name in run.series;
  if (has('loss')) run.roles.trainLoss = 'loss';
  if (has('eval_loss')) run.roles.valLoss = 'eval_loss';
  if (has('learning_rate')) run.roles.lr = 'learning_rate';
  if (has('grad_norm')) run.roles.gradNorm = 'grad_norm';
  if (has('epoch')) run.roles.epoch = 'epoch';

  const empty =
    Object.keys(run.series).length === 0 && Object.keys(run.summary).length === 0 && Object.keys(run.hparams).length === 0;
  return empty ? [] : [run];
}

export const hfTrainerReader: Reader = {
  format: 'hf-trainer',
  description: 'Hugging Face Trainer output: trainer_state.json log_history, *_results.json, config and training arguments',
  claim,
  read,
};
