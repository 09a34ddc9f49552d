/**
 * MLflow's file store: `<store>/<experiment_id>/<run_id>/` holding `meta.yaml`, `metrics/`,
 * `params/` and `tags/`, one file per key (a key with slashes is a nested path), beside the
 * experiment's own `meta.yaml` (its `name`) and optional experiment `tags/`.
 *
 * A run folder is recognized by layout, whatever the store folder is called: a `meta.yaml`
 * naming a run (`run_uuid`/`run_id` and `experiment_id`), or — when meta.yaml is missing —
 * metrics/params/tags folders under a folder whose parent is an experiment, whose name is a
 * 32-hex run id, or whose metric files hold `timestamp value step` lines. Artifacts and
 * dataset inputs are not MLflow's bookkeeping of the run and are left to the other readers.
 *
 * Decisions:
 * - run ids are the run folder's path (stable when a run is renamed); the run name is the
 *   `mlflow.runName` tag (from meta.yaml's `run_name` when the tag file is missing);
 * - params that are plain decimals (or nan/inf) become numbers so that hyperparameters
 *   compare numerically; anything else stays the exact string MLflow stored;
 * - a metric line without a step (MLflow before 1.0) is numbered by its position in the
 *   file, not MLflow's 0, so that the order survives (`series.missing-step`);
 * - deleted runs (lifecycle_stage `deleted`, or an experiment moved to `.trash`) are read
 *   and tagged `mlflow.lifecycleStage: deleted`: deleting hides a run, it does not make
 *   its numbers wrong, and dropping them silently would surprise;
 * - a run's paths are its folder plus its experiment's meta.yaml (and tags/), which it was
 *   read with; an experiment without runs is not claimed and shows as unrecognized;
 * - runs are claimed per store so that `mlflow.parentRunId` resolves to `run.parent` for
 *   every parent that was read; an absent parent stays as the raw id in the tag.
 */
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { emptyRun, SeriesBuilder, type HValue, type Run } from '../../model/run.js';
import { toNumber } from '../formats/json.js';
import { numberOrString } from '../formats/number-text.js';
import { asMapping, readYamlFile } from '../formats/yaml-file.js';
import type { Claim, FileEntry, FilePool, ReadContext, Reader } from '../reader.js';
import { relativeTo } from '../walk.js';
import { errorReason } from '../walk.js';

const META = 'meta.yaml';
const KINDS = ['metrics', 'params', 'tags'] as const;
type Kind = (typeof KINDS)[number];
const RUN_FOLDER_NAME = /^[0-9a-f]{32}$/;
const METRIC_LINE = /^\s*-?\d+ \S+( -?\d+)?/;
const TRASH = '.trash';
/** MLflow's RunStatus enum as stored in meta.yaml. */
const STATUS: Record<number, string> = { 1: 'RUNNING', 2: 'SCHEDULED', 3: 'FINISHED', 4: 'FAILED', 5: 'KILLED' };
/** Files read at once per run (params and tags are one tiny file per key). */
const CONCURRENCY = 32;

type MetaKind = 'run' | 'experiment' | 'other';

function metaKind(head: Buffer): MetaKind {
  const text = head.toString('utf8');
  if (!/^experiment_id:/m.test(text)) return 'other';
  if (/^(run_uuid|run_id):/m.test(text)) return 'run';
  return /^name:/m.test(text) ? 'experiment' : 'other';
}

/**
 * The folder right above `dir/<kind>/…` for each metrics/params/tags segment of a file path,
 * nearest first, looking no higher than the ingest root (a `metrics` folder above it says
 * nothing about this file).
 */
function kindAncestors(file: FileEntry): { dir: string; kind: Kind }[] {
  const found: { dir: string; kind: Kind }[] = [];
  let dir = file.dir;
  for (let levels = file.rel.split('/').length - 1; levels > 0; levels--) {
    const parent = path.dirname(dir);
    const name = path.basename(dir);
    if ((KINDS as readonly string[]).includes(name)) found.push({ dir: parent, kind: name as Kind });
    dir = parent;
  }
  return found;
}

function isInside(file: string, dir: string): boolean {
  return file.startsWith(dir + path.sep);
}

async function claim(pool: FilePool): Promise<Claim[]> {
  const metaByDir = new Map<string, { file: FileEntry; kind: MetaKind }>();
  for (const file of pool.files()) {
    if (file.name === META) metaByDir.set(file.dir, { file, kind: metaKind(await pool.head(file)) });
  }

  // Candidate run folders and what each holds.
  const candidates = new Map<string, { kinds: Set<Kind>; metricFiles: FileEntry[] }>();
  for (const [dir, meta] of metaByDir) if (meta.kind === 'run') candidates.set(dir, { kinds: new Set(), metricFiles: [] });
  for (const file of pool.files()) {
    for (const { dir, kind } of kindAncestors(file)) {
      let entry = candidates.get(dir);
      if (!entry) candidates.set(dir, (entry = { kinds: new Set(), metricFiles: [] }));
      entry.kinds.add(kind);
      if (kind === 'metrics' && entry.metricFiles.length < 3) entry.metricFiles.push(file);
    }
  }
  const runDirs: string[] = [];
  for (const [dir, entry] of candidates) {
    const meta = metaByDir.get(dir);
    if (meta) {
      if (meta.kind === 'run') runDirs.push(dir);
      continue;
    }
    if (entry.kinds.size === 0) continue;
    let isRun = metaByDir.get(path.dirname(dir))?.kind === 'experiment' || RUN_FOLDER_NAME.test(path.basename(dir));
    for (const file of entry.metricFiles) {
      if (isRun) break;
      isRun = METRIC_LINE.test((await pool.head(file, 256)).toString('latin1'));
    }
    if (isRun) runDirs.push(dir);
  }
  // A params/metrics key folder inside a run is never a run of its own.
  const runs = runDirs.filter((dir) => !runDirs.some((other) => other !== dir && isInside(dir, other))).sort();
  if (runs.length === 0) return [];
  const runSet = new Set(runs);

  const filesByRun = new Map<string, FileEntry[]>(runs.map((dir) => [dir, []]));
  const experimentFiles = new Map<string, FileEntry[]>();
  for (const run of runs) {
    const experiment = path.dirname(run);
    const meta = metaByDir.get(experiment);
    if (meta?.kind === 'experiment' && !experimentFiles.has(experiment)) experimentFiles.set(experiment, [meta.file]);
  }
  for (const file of pool.files()) {
    if (file.name === META && runSet.has(file.dir)) {
      filesByRun.get(file.dir)!.push(file);
      continue;
    }
    for (const { dir, kind } of kindAncestors(file)) {
      if (runSet.has(dir)) {
        filesByRun.get(dir)!.push(file);
        break;
      }
      if (kind === 'tags' && experimentFiles.has(dir)) {
        experimentFiles.get(dir)!.push(file);
        break;
      }
    }
  }

  const byStore = new Map<string, Claim>();
  for (const run of runs) {
    const experiment = path.dirname(run);
    const store = path.dirname(experiment);
    let claimed = byStore.get(store);
    if (!claimed) {
      claimed = { format: 'mlflow', dir: store, files: [], detail: { runs: [] as string[], experiments: [] as string[] } };
      byStore.set(store, claimed);
    }
    (claimed.detail!.runs as string[]).push(run);
    claimed.files.push(...filesByRun.get(run)!);
    const experimentClaim = experimentFiles.get(experiment);
    if (experimentClaim && !(claimed.detail!.experiments as string[]).includes(experiment)) {
      (claimed.detail!.experiments as string[]).push(experiment);
      claimed.files.push(...experimentClaim);
    }
  }
  return [...byStore.values()];
}

interface Experiment {
  /** The experiment's files that every run of it was read with (meta.yaml, tags/). */
  paths: string[];
  name?: string;
  id?: string;
  deleted: boolean;
  tags: Record<string, string>;
}

async function readText(file: FileEntry, ctx: ReadContext): Promise<string | undefined> {
  try {
    return await fs.readFile(file.path, 'utf8');
  } catch (error) {
    ctx.issue('file.unreadable', file.rel, undefined, { reason: errorReason(error) });
    return undefined;
  }
}

async function readMeta(file: FileEntry, ctx: ReadContext): Promise<Record<string, HValue> | undefined> {
  const yaml = await readYamlFile(file, ctx);
  return yaml.ok ? (asMapping(yaml.value) ?? {}) : undefined;
}

function asString(value: HValue | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : typeof value === 'object' ? undefined : String(value);
}

/** `<dir>/<kind>/a/b c` → "a/b c". */
function keyOf(file: FileEntry, dir: string, kind: Kind): string {
  return path.relative(path.join(dir, kind), file.path).split(path.sep).join('/');
}

async function inBatches<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += CONCURRENCY) await Promise.all(items.slice(i, i + CONCURRENCY).map(work));
}

async function readExperiment(dir: string, files: FileEntry[], ctx: ReadContext): Promise<Experiment> {
  const experiment: Experiment = { paths: [], deleted: path.basename(path.dirname(dir)) === TRASH, tags: {} };
  const metaFile = files.find((f) => f.dir === dir && f.name === META);
  const meta = metaFile ? await readMeta(metaFile, ctx) : undefined;
  if (meta) {
    const name = asString(meta.name);
    if (name !== undefined) experiment.name = name;
    const id = asString(meta.experiment_id);
    if (id !== undefined) experiment.id = id;
    if (meta.lifecycle_stage === 'deleted') experiment.deleted = true;
  }
  if (metaFile) experiment.paths.push(metaFile.rel);
  const tagFiles = files.filter((f) => isInside(f.path, path.join(dir, 'tags')));
  if (tagFiles.length > 0) experiment.paths.push(relativeTo(ctx.root, path.join(dir, 'tags')));
  await inBatches(tagFiles, async (file) => {
    const text = await readText(file, ctx);
    if (text !== undefined) experiment.tags[keyOf(file, dir, 'tags')] = text;
  });
  return experiment;
}

interface MetricFileResult {
  builder: SeriesBuilder;
  lines: number;
}

/**
 * Streams one metric file (`timestamp value [step]` per line, timestamp in milliseconds).
 * Metric files can hold millions of lines, so they are cut into lines by hand over Latin-1
 * chunks (MLflow writes ASCII) with no per-line object besides the field strings.
 */
async function readMetricFile(file: FileEntry, key: string, ctx: ReadContext): Promise<MetricFileResult | undefined> {
  const builder = new SeriesBuilder();
  let lineNumber = 0;
  let bad = 0;
  let firstBadLine = 0;
  let withoutStep = 0;

  let previousHadStep = false;
  const take = (line: string, terminated: boolean) => {
    lineNumber++;
    const text = line.trim();
    if (text.length === 0) return;
    const first = text.indexOf(' ');
    const second = first < 0 ? -1 : text.indexOf(' ', first + 1);
    const third = second < 0 ? -1 : text.indexOf(' ', second + 1);
    const timestamp = first < 0 ? undefined : toNumber(text.slice(0, first));
    const value = first < 0 ? undefined : toNumber(text.slice(first + 1, second < 0 ? text.length : second));
    // Fields after the step (none in any MLflow release so far) are ignored rather than
    // costing the point.
    const stepText = second < 0 ? undefined : text.slice(second + 1, third < 0 ? text.length : third);
    const step = stepText === undefined ? builder.length : toNumber(stepText);
    // MLflow writes each line with its line break in one append: a last line without one,
    // lacking the step its predecessors had, was cut while being written.
    const cut = !terminated && stepText === undefined && previousHadStep;
    if (cut || timestamp === undefined || !Number.isFinite(timestamp) || value === undefined || step === undefined || !Number.isFinite(step)) {
      if (bad === 0) firstBadLine = lineNumber;
      bad++;
      return;
    }
    previousHadStep = stepText !== undefined;
    if (stepText === undefined) withoutStep++;
    builder.push(step, value, timestamp / 1000);
  };

  let carry = '';
  try {
    for await (const chunk of createReadStream(file.path, { encoding: 'latin1', highWaterMark: 1 << 20 })) {
      const text = carry + (chunk as string);
      let start = 0;
      for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', start)) {
        take(text.slice(start, newline), true);
        start = newline + 1;
      }
      carry = text.slice(start);
    }
  } catch (error) {
    ctx.issue('file.unreadable', file.rel, undefined, { reason: errorReason(error) });
    return undefined;
  }
  if (carry.length > 0) take(carry, false);

  if (bad > 0) ctx.issue('mlflow.bad-line', file.rel, `line ${firstBadLine}`, { count: bad, line: firstBadLine, series: key });
  if (withoutStep > 0) ctx.issue('series.missing-step', file.rel, key, { series: key, count: withoutStep });
  if (lineNumber === 0) ctx.issue('file.empty', file.rel);
  return { builder, lines: lineNumber };
}

async function readRun(dir: string, files: FileEntry[], experiment: Experiment | undefined, ctx: ReadContext): Promise<{ run: Run; mlflowId: string }> {
  const rel = relativeTo(ctx.root, dir);
  const run = emptyRun(ctx.runId(dir), 'mlflow', [rel, ...(experiment?.paths ?? [])]);

  const metaFile = files.find((f) => f.dir === dir && f.name === META);
  let meta: Record<string, HValue> | undefined;
  if (metaFile) meta = await readMeta(metaFile, ctx);
  else ctx.issue('mlflow.no-meta', rel);

  const byKind = (kind: Kind) => files.filter((f) => isInside(f.path, path.join(dir, kind)));
  await inBatches(byKind('tags'), async (file) => {
    const text = await readText(file, ctx);
    if (text !== undefined) run.tags[keyOf(file, dir, 'tags')] = text;
  });
  const params: [string, HValue][] = [];
  await inBatches(byKind('params'), async (file) => {
    const text = await readText(file, ctx);
    if (text !== undefined) params.push([keyOf(file, dir, 'params'), numberOrString(text)]);
  });
  // Keys in a stable order whatever order the reads finished in.
  params.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  run.hparams = Object.fromEntries(params);

  const metricFiles = byKind('metrics').sort((a, b) => (a.path < b.path ? -1 : 1));
  for (const file of metricFiles) {
    const key = keyOf(file, dir, 'metrics');
    const result = await readMetricFile(file, key, ctx);
    if (result && result.builder.length > 0) run.series[key] = result.builder.build();
  }

  const mlflowId = asString(meta?.run_id) ?? asString(meta?.run_uuid) ?? path.basename(dir);
  run.tags['mlflow.runId'] = mlflowId;
  if (meta) {
    for (const [field, value] of Object.entries(meta)) {
      if (field === 'tags') continue;
      run.summary[field] = field === 'status' && typeof value === 'number' ? (STATUS[value] ?? value) : value;
    }
    const runName = asString(meta.run_name) || asString(meta.name);
    if (runName && run.tags['mlflow.runName'] === undefined) run.tags['mlflow.runName'] = runName;
    const status = run.summary.status;
    if (typeof status === 'string') run.tags['mlflow.status'] = status;
  }
  const experimentId = asString(meta?.experiment_id) ?? experiment?.id;
  if (experimentId !== undefined) run.tags['mlflow.experimentId'] = experimentId;
  if (experiment?.name !== undefined) run.tags['mlflow.experimentName'] = experiment.name;
  for (const [key, value] of Object.entries(experiment?.tags ?? {})) run.tags[`experiment.${key}`] = value;
  const deleted = meta?.lifecycle_stage === 'deleted' || experiment?.deleted === true;
  run.tags['mlflow.lifecycleStage'] = deleted ? 'deleted' : (asString(meta?.lifecycle_stage) ?? 'active');
  return { run, mlflowId };
}

async function read(claim: Claim, ctx: ReadContext): Promise<Run[]> {
  const runDirs = (claim.detail?.runs as string[] | undefined) ?? [claim.dir];
  const experimentDirs = (claim.detail?.experiments as string[] | undefined) ?? [];
  const experiments = new Map<string, Experiment>();
  for (const dir of experimentDirs) {
    const files = claim.files.filter((f) => f.dir === dir || isInside(f.path, path.join(dir, 'tags')));
    experiments.set(dir, await readExperiment(dir, files, ctx));
  }

  const read: { run: Run; mlflowId: string }[] = [];
  for (const dir of runDirs) {
    const files = claim.files.filter((f) => isInside(f.path, dir));
    const experimentDir = path.dirname(dir);
    let experiment = experiments.get(experimentDir);
    if (!experiment && path.basename(path.dirname(experimentDir)) === TRASH) experiment = { paths: [], deleted: true, tags: {} };
    read.push(await readRun(dir, files, experiment, ctx));
  }

  const byMlflowId = new Map(read.map(({ run, mlflowId }) => [mlflowId, run.id]));
  for (const { run } of read) {
    const parent = run.tags['mlflow.parentRunId'];
    const parentId = parent === undefined ? undefined : byMlflowId.get(parent.trim());
    if (parentId !== undefined && parentId !== run.id) run.parent = parentId;
  }
  return read.map(({ run }) => run);
}

export const mlflowReader: Reader = {
  format: 'mlflow',
  description: 'MLflow file store run folders (mlruns/<experiment>/<run>/ with meta.yaml, metrics, params, tags)',
  claim,
  read,
};
