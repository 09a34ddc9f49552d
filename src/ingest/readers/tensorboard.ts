/**
 * TensorBoard event files (`events.out.tfevents.<time>.<host>.<pid>.<n>`), as written by
 * TensorFlow, torch.utils.tensorboard, tensorboardX, Lightning's TensorBoardLogger and the
 * Hugging Face Trainer's TensorBoardCallback.
 *
 * One run per folder, as TensorBoard itself shows them: every event file in a folder belongs
 * to that run, read in the order of the creation time in their names (a resumed run goes on
 * in a second file; the central series checks report the restart). A Lightning
 * `hparams.yaml` beside them gives the hyperparameters. Files not named like event files
 * are claimed when their first record is a CRC-valid TFRecord holding an Event with a
 * `brain.Event` file version.
 *
 * Where things go:
 *   - `simple_value`s and rank-0 numeric tensors (TF 2's `tf.summary.scalar`, plugin
 *     "scalars") → run.series[tag]; every point is kept in file order;
 *   - the plugin of a tag is named only on its first value, so it is remembered per run;
 *   - hparams plugin `session_start_info` → run.hparams. With a `hparams.yaml` too, the
 *     YAML wins: it keeps nesting and types that Lightning flattens ("optimizer/lr") and
 *     stringifies for TensorBoard; event hparams that the YAML lacks (neither as a key nor
 *     as a "/"-separated path into it) are added;
 *   - histograms, images, audio, text and other tensors → run.nonScalar[tag] = {kind,
 *     count}, with one `tensorboard.non-scalar` issue per tag;
 *   - the file version ("brain.Event:2") → run.tags["tensorboard.file_version"].
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { emptyRun, SeriesBuilder, type HValue, type Run } from '../../model/run.js';
import type { Claim, FileEntry, FilePool, ReadContext, Reader } from '../reader.js';
import { readTfRecords, startsWithTfRecord } from '../formats/tfrecord.js';
import { decodeHParamsSessionStart, EventDecoder, type SummaryValueView } from '../formats/tf-event.js';
import { parseYamlSafe } from '../formats/yaml.js';
import { errorReason } from '../walk.js';

const EVENT_FILE_NAME = /(^|\.)tfevents\./;
const HPARAMS_YAML = 'hparams.yaml';
/** Lightning's CSVLogger shares `hparams.yaml` when it logs into the same folder. */
const CSV_METRICS = 'metrics.csv';
/** Extensions whose files are never event files: not worth a read to sniff. */
const NOT_EVENT_EXTENSIONS = new Set([
  '.json', '.jsonl', '.csv', '.tsv', '.yaml', '.yml', '.txt', '.md', '.log', '.py', '.ipynb', '.npy', '.npz',
  '.png', '.jpg', '.jpeg', '.gif', '.svg', '.pt', '.pth', '.bin', '.ckpt', '.safetensors', '.h5', '.onnx',
  '.pkl', '.wandb', '.html', '.sh', '.toml', '.cfg', '.ini', '.gz', '.zip', '.tar',
]);
const SCALAR_DATA_CLASS = 1;

const PLUGIN_KINDS: Record<string, string> = {
  histograms: 'histogram',
  distributions: 'histogram',
  images: 'image',
  audio: 'audio',
  text: 'text',
  pr_curves: 'pr_curve',
  mesh: 'mesh',
  custom_scalars: 'layout',
  graph: 'graph',
};

interface TensorboardDetail {
  /** hparams.yaml read but left unclaimed because a CSV logger shares the folder. */
  sharedHparamsYaml?: string;
  /**
   * Sub-folders written by the same process as this folder's event files (torch's
   * `add_hparams` and `add_scalars` write there). Read with the run: a sub-folder holding
   * the hparams plugin is folded into it; any other stays a run of its own, as TensorBoard
   * shows it.
   */
  children?: string[];
}

/** `<host>.<pid>` from `events.out.tfevents.<time>.<host>.<pid>.<n>`: which process wrote the file. */
function writerOf(file: FileEntry): string | undefined {
  return /^events\.out\.tfevents\.\d+\.(.+\.\d+)\.\d+$/.exec(file.name)?.[1];
}

function isEventFileName(name: string): boolean {
  return EVENT_FILE_NAME.test(name);
}

async function sniffsAsEventFile(pool: FilePool, file: FileEntry): Promise<boolean> {
  if (file.size < 16 || NOT_EVENT_EXTENSIONS.has(path.extname(file.name).toLowerCase())) return false;
  const head = await pool.head(file);
  if (!startsWithTfRecord(head)) return false;
  const length = head.readUInt32LE(0);
  try {
    return new EventDecoder().decodeEvent(head, 12, 12 + length).fileVersion?.startsWith('brain.Event') ?? false;
  } catch {
    return false;
  }
}

/** Creation time in the name first (events.out.tfevents.<unix time>.…), then the name. */
function byCreation(a: FileEntry, b: FileEntry): number {
  const time = (file: FileEntry) => Number(/tfevents\.(\d+)/.exec(file.name)?.[1] ?? Number.POSITIVE_INFINITY);
  return time(a) - time(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

async function claim(pool: FilePool): Promise<Claim[]> {
  const byDir = new Map<string, FileEntry[]>();
  for (const file of pool.files()) {
    if (isEventFileName(file.name) || (await sniffsAsEventFile(pool, file))) {
      const list = byDir.get(file.dir);
      if (list) list.push(file);
      else byDir.set(file.dir, [file]);
    }
  }
  // Fold same-process sub-folders into their parent's claim (see TensorboardDetail.children).
  const childrenOf = new Map<string, string[]>();
  for (const [dir, events] of byDir) {
    const parentEvents = byDir.get(path.dirname(dir));
    if (!parentEvents) continue;
    const writers = new Set(parentEvents.map(writerOf).filter(Boolean));
    if (!events.some((file) => writers.has(writerOf(file)))) continue;
    const list = childrenOf.get(path.dirname(dir));
    if (list) list.push(dir);
    else childrenOf.set(path.dirname(dir), [dir]);
  }
  const folded = new Set([...childrenOf.values()].flat());
  const claims: Claim[] = [];
  for (const [dir, events] of byDir) {
    if (folded.has(dir)) continue;
    const files = [...events].sort(byCreation);
    const detail: TensorboardDetail = {};
    const neighbours = pool.inDir(dir);
    const yaml = neighbours.find((file) => file.name === HPARAMS_YAML);
    if (yaml) {
      if (neighbours.some((file) => file.name === CSV_METRICS)) detail.sharedHparamsYaml = yaml.path;
      else files.push(yaml);
    }
    const children = childrenOf.get(dir);
    if (children) {
      detail.children = children;
      for (const child of children) files.push(...[...byDir.get(child)!].sort(byCreation));
    }
    claims.push({ format: 'tensorboard', dir, files, detail: detail as Record<string, unknown> });
  }
  return claims;
}

interface NonScalarTally {
  kind: string;
  count: number;
  file: string;
}

/** What a run knows about one tag; kept in an array by the decoder's tag id. */
interface TagState {
  tag: string;
  /** The plugin named by the tag's metadata, which usually comes with its first value only. */
  plugin: string;
  series: SeriesBuilder | undefined;
  nonScalar: NonScalarTally | undefined;
  unsupportedReported: boolean;
}

/** Everything gathered for one run across its event files. */
class RunAccumulator {
  readonly tags: (TagState | undefined)[] = [];
  eventHparams: Record<string, HValue> | undefined;
  fileVersion: string | undefined;
  validRecords = 0;

  // Decodes into views it reuses: the hot loop allocates nothing per event.
  private readonly decoder = new EventDecoder();
  private buffer: Buffer = Buffer.alloc(0);
  private file = '';

  constructor(private readonly context: ReadContext) {}

  readonly visitValue = (value: SummaryValueView): void => this.addValue(value);

  addRecord(buffer: Buffer, start: number, end: number, index: number, file: string): void {
    this.validRecords++;
    this.buffer = buffer;
    this.file = file;
    try {
      const event = this.decoder.decodeEvent(buffer, start, end);
      if (event.fileVersion !== undefined) this.fileVersion ??= event.fileVersion;
      this.decoder.forEachSummaryValue(this.visitValue);
    } catch (error) {
      this.context.issue('tensorboard.bad-event', file, `record ${index}`, {
        record: index,
        reason: (error as Error).message,
      });
    }
  }

  private stateOf(value: SummaryValueView): TagState {
    let state = this.tags[value.tagId];
    if (state === undefined) {
      state = { tag: value.tag, plugin: '', series: undefined, nonScalar: undefined, unsupportedReported: false };
      this.tags[value.tagId] = state;
    }
    return state;
  }

  private addValue(value: SummaryValueView): void {
    const state = this.stateOf(value);
    if (value.hasMetadata) {
      state.plugin = value.pluginName || (value.dataClass === SCALAR_DATA_CLASS ? 'scalars' : '');
    }
    if (state.plugin === 'hparams') {
      if (value.contentStart >= 0) this.addHparams(value);
      return;
    }
    switch (value.kind) {
      case 'simple':
        this.push(state, value.simpleValue);
        return;
      case 'tensor':
        this.addTensor(state);
        return;
      case 'histogram':
      case 'image':
      case 'audio':
        this.countNonScalar(state, value.kind);
        return;
      case 'none':
        return;
    }
  }

  private addTensor(state: TagState): void {
    const plugin = state.plugin;
    if (plugin !== 'scalars' && plugin !== '') {
      this.countNonScalar(state, PLUGIN_KINDS[plugin] ?? plugin);
      return;
    }
    const tensor = this.decoder.decodeTensor();
    if (tensor.numeric && tensor.elements === 1) {
      this.push(state, tensor.value);
      return;
    }
    if (!state.unsupportedReported) {
      state.unsupportedReported = true;
      this.context.issue('tensorboard.unsupported-tensor', this.file, state.tag, {
        tag: state.tag,
        dtype: tensor.dtype,
        shape: tensor.rank < 0 ? 'unknown rank' : `rank ${tensor.rank}, ${tensor.elements} element(s)`,
      });
    }
    this.countNonScalar(state, 'tensor');
  }

  private push(state: TagState, value: number): void {
    state.series ??= new SeriesBuilder();
    const event = this.decoder.event;
    state.series.push(event.step, value, event.wallTime);
  }

  private countNonScalar(state: TagState, kind: string): void {
    if (state.nonScalar) state.nonScalar.count++;
    else state.nonScalar = { kind, count: 1, file: this.file };
  }

  private addHparams(value: SummaryValueView): void {
    const hparams = decodeHParamsSessionStart(this.buffer, value.contentStart, value.contentEnd);
    if (hparams) this.eventHparams = { ...this.eventHparams, ...hparams };
  }
}

async function readEventFile(file: FileEntry, accumulator: RunAccumulator, context: ReadContext): Promise<void> {
  if (file.size === 0) {
    context.issue('file.empty', file.rel);
    return;
  }
  // Issues are held back until the end: a file with no valid record at all is reported once
  // as not a TFRecord, not as one long corrupt region.
  const pending: (() => void)[] = [];
  let summary;
  try {
    summary = await readTfRecords(file.path, {
      record: (buffer, start, end, _offset, index) => accumulator.addRecord(buffer, start, end, index, file.rel),
      corrupt: (offset, skipped, reason) =>
        pending.push(() =>
          context.issue('tfrecord.corrupt-record', file.rel, `byte ${offset}`, { offset, skipped, reason }),
        ),
      truncatedTail: (offset, bytes) =>
        pending.push(() => context.issue('tfrecord.truncated-tail', file.rel, `byte ${offset}`, { offset, bytes })),
      progress: context.progress ? (done, total) => context.progress!(file.rel, done, total) : undefined,
    });
  } catch (error) {
    context.issue('file.unreadable', file.rel, undefined, { reason: errorReason(error) });
    return;
  }
  // A file whose only record is still being written has a valid first length (else a corrupt
  // region would have been found): that is a run just starting, not garbage.
  const justStarted = summary.corruptRegions === 0 && summary.truncatedTailBytes > 0 && file.size >= 12;
  if (summary.records === 0 && !justStarted) {
    context.issue('tfrecord.not-tfrecord', file.rel);
    return;
  }
  for (const report of pending) report();
}

async function readHparamsYaml(
  filePath: string,
  rel: string,
  context: ReadContext,
): Promise<Record<string, HValue> | undefined> {
  let text: string;
  try {
    text = await fs.readFile(filePath, 'utf8');
  } catch (error) {
    context.issue('file.unreadable', rel, undefined, { reason: errorReason(error) });
    return undefined;
  }
  if (text.trim() === '') return undefined;
  const yaml = parseYamlSafe(text);
  if (yaml.error) {
    context.issue('yaml.invalid', rel, yaml.error.line ? `line ${yaml.error.line}` : undefined, {
      reason: yaml.error.reason,
    });
    return undefined;
  }
  if (yaml.opaqueCount > 0) {
    context.issue('yaml.python-tag', rel, undefined, { count: yaml.opaqueCount, tag: yaml.opaqueTags[0] });
  }
  const value = yaml.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value) || '$opaque' in value) return undefined;
  return value as Record<string, HValue>;
}

/** Whether a flattened key ("optimizer/lr") names a value inside the nested YAML. */
function hasPath(tree: Record<string, HValue>, flatKey: string): boolean {
  let node: HValue | undefined = tree;
  for (const part of flatKey.split('/')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || '$opaque' in node) return false;
    node = (node as Record<string, HValue>)[part];
    if (node === undefined) return false;
  }
  return true;
}

function mergeHparams(
  yaml: Record<string, HValue> | undefined,
  events: Record<string, HValue> | undefined,
): Record<string, HValue> {
  if (!yaml) return events ?? {};
  const merged: Record<string, HValue> = { ...yaml };
  for (const [key, value] of Object.entries(events ?? {})) {
    if (!(key in merged) && !hasPath(yaml, key)) merged[key] = value;
  }
  return merged;
}

async function read(claim: Claim, context: ReadContext): Promise<Run[]> {
  const accumulator = new RunAccumulator(context);
  let yamlHparams: Record<string, HValue> | undefined;
  const detail = (claim.detail ?? {}) as TensorboardDetail;
  const children = new Map((detail.children ?? []).map((dir) => [dir, new RunAccumulator(context)]));
  const childFiles = new Map<string, FileEntry[]>();
  for (const file of claim.files) {
    const child = children.get(file.dir);
    if (child) {
      await readEventFile(file, child, context);
      childFiles.set(file.dir, [...(childFiles.get(file.dir) ?? []), file]);
    } else if (file.name === HPARAMS_YAML) yamlHparams = await readHparamsYaml(file.path, file.rel, context);
    else await readEventFile(file, accumulator, context);
  }
  if (detail.sharedHparamsYaml) {
    const rel = path.relative(context.root, detail.sharedHparamsYaml).split(path.sep).join('/');
    yamlHparams = await readHparamsYaml(detail.sharedHparamsYaml, rel, context);
  }
  if (accumulator.validRecords === 0 && !yamlHparams) return [];

  const ownFiles = claim.files.filter((file) => !children.has(file.dir));
  const run = runFrom(context.runId(claim.dir), ownFiles, accumulator, context);
  const runs = [run];
  // torch's add_hparams writes the hyperparameters and final metrics of the run into one
  // sub-folder, and none into the run's own files: fold that one in. Several such folders,
  // or a run with hyperparameters of its own, are separate sessions: keep them apart.
  const withHparams = [...children.values()].filter((child) => child.eventHparams);
  const foldHparams = withHparams.length === 1 && !accumulator.eventHparams && !yamlHparams;
  for (const [dir, child] of children) {
    const files = childFiles.get(dir) ?? [];
    if (child.eventHparams && foldHparams) {
      const folded = runFrom(run.id, files, child, context);
      for (const [tag, series] of Object.entries(folded.series)) {
        run.series[tag in run.series ? `${path.basename(dir)}/${tag}` : tag] = series;
      }
      Object.assign(run.nonScalar, folded.nonScalar);
      accumulator.eventHparams = { ...accumulator.eventHparams, ...child.eventHparams };
      run.paths.push(...folded.paths);
    } else if (child.validRecords > 0) {
      runs.push(runFrom(context.runId(dir), files, child, context));
    }
  }
  run.hparams = mergeHparams(yamlHparams, accumulator.eventHparams);
  return runs;
}

function runFrom(id: string, files: FileEntry[], accumulator: RunAccumulator, context: ReadContext): Run {
  const run = emptyRun(id, 'tensorboard', files.map((file) => file.rel));
  for (const state of accumulator.tags) {
    if (state?.series) run.series[state.tag] = state.series.build();
  }
  for (const state of accumulator.tags) {
    const tally = state?.nonScalar;
    if (!state || !tally) continue;
    run.nonScalar[state.tag] = { kind: tally.kind, count: tally.count };
    context.issue('tensorboard.non-scalar', tally.file, state.tag, { tag: state.tag, kind: tally.kind, count: tally.count });
  }
  run.hparams = accumulator.eventHparams ?? {};
  if (accumulator.fileVersion !== undefined) run.tags['tensorboard.file_version'] = accumulator.fileVersion;
  return run;
}

export const tensorboardReader = {
  format: 'tensorboard',
  description: 'TensorBoard event files (events.out.tfevents.*), one run per folder, with Lightning hparams.yaml',
  claim,
  read,
} satisfies Reader;
