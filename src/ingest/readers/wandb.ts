/**
 * Weights & Biases runs, as the SDK leaves them on disk: a run folder
 * `wandb/(offline-)run-<YYYYMMDD_HHMMSS>-<id>/` holding the transaction log `run-<id>.wandb`
 * (every record the run produced: run info, config, history rows, summary, system stats,
 * exit) and `files/` (config.yaml, wandb-summary.json, wandb-metadata.json, output.log,
 * media). One run per folder. CSV exported from the W&B UI is read by `wandb-csv.ts`; this
 * reader claims both so that a single registry entry serves the 'wandb' format.
 *
 * Mapping:
 *   history item (key, or nested_key joined by '/'; nested dict values flattened the same
 *     way) → series; step = the row's `_step` (else HistoryRecord.step), wall time =
 *     `_timestamp`. `_step` and `_timestamp` are those axes, not series; `_runtime`
 *     (seconds since start) is kept as a series. Values `{"_type": …}` (histograms, images,
 *     tables), lists and text → run.nonScalar by kind; NaN/Infinity (bare or as strings)
 *     are kept as non-finite points.
 *   stats records (system metrics) → series `system/<key>`, step = sample index.
 *   config (run record, config records; config.yaml for keys the log lacks, `{value, desc}`
 *     unwrapped; the SDK's own `_wandb` entry left out) → hparams.
 *   summary records, then files/wandb-summary.json (the final state) → run.summary.
 *   run record, exit record, telemetry and environment records, wandb-metadata.json → tags.
 *   wandb 0.30 writes no files/ for offline runs: everything is in the log.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { emptyRun, SeriesBuilder, type HValue, type Run } from '../../model/run.js';
import type { Claim, FileEntry, FilePool, ReadContext, Reader } from '../reader.js';
import { parseJsonLenient, toNumber } from '../formats/json.js';
import { parseYamlSafe } from '../formats/yaml.js';
import { scanLevelDbLog } from '../formats/leveldb-log.js';
import { ProtobufError } from '../formats/protobuf.js';
import {
  readEnvelope,
  readEnvironment,
  readExit,
  readHistory,
  readItemUpdate,
  readRun,
  readStats,
  readTelemetry,
  RECORD_CONFIG,
  RECORD_ENVIRONMENT,
  RECORD_EXIT,
  RECORD_HISTORY,
  RECORD_RUN,
  RECORD_STATS,
  RECORD_SUMMARY,
  RECORD_TELEMETRY,
  type Environment,
  type Item,
  type ItemUpdate,
  type RunInfo,
  type Telemetry,
} from '../formats/wandb-records.js';
import { claimWandbCsv, readWandbCsv, WANDB_CSV_LAYOUT } from './wandb-csv.js';
import { errorReason } from '../walk.js';

const HEADER_IDENT = ':W&B';
const HEADER_MAGIC = 0xbee1;
const HEADER_VERSION = 0;
const HEADER_LENGTH = 7;

/** `run-20240501_120000-abc123` (synced or online) and `offline-run-…` folders. */
const RUN_FOLDER = /^(offline-)?run-\d{8}_\d{6}-[A-Za-z0-9]+$/;
const WANDB_LOG_NAME = /^run-.+\.wandb$/;
const LEGACY_JSONL = /^wandb-(history|events)\.jsonl$/;

function hasWandbHeader(head: Buffer): boolean {
  return head.length >= 4 && head.toString('latin1', 0, 4) === HEADER_IDENT;
}

async function claimRunFolders(pool: FilePool): Promise<Claim[]> {
  const logsByFolder = new Map<string, FileEntry[]>();
  for (const file of pool.files()) {
    if (!file.name.endsWith('.wandb')) continue;
    // A `run-*.wandb` name is the SDK's own: claim it even when damaged so that the damage
    // is reported as such; other `.wandb` names only with the W&B header.
    if (!WANDB_LOG_NAME.test(file.name) && !hasWandbHeader(await pool.head(file, HEADER_LENGTH))) continue;
    const list = logsByFolder.get(file.dir);
    if (list) list.push(file);
    else logsByFolder.set(file.dir, [file]);
  }
  // Run folders whose transaction log is gone still hold config and summary.
  for (const file of pool.files()) {
    if (file.name !== 'wandb-summary.json' && file.name !== 'config.yaml') continue;
    const runDir = path.dirname(file.dir);
    if (path.basename(file.dir) === 'files' && RUN_FOLDER.test(path.basename(runDir)) && !logsByFolder.has(runDir)) {
      logsByFolder.set(runDir, []);
    }
  }

  const claims: Claim[] = [];
  const runFolders = new Map<string, Claim>();
  for (const [dir, logs] of logsByFolder) {
    const isRunFolder = RUN_FOLDER.test(path.basename(dir));
    if (logs.length <= 1) {
      const claim: Claim = { format: 'wandb', dir, files: [...logs], detail: { log: logs[0]?.path } };
      claims.push(claim);
      if (isRunFolder) runFolders.set(dir, claim);
      continue;
    }
    // Several logs in one folder (copied together): one run each, told apart by file name.
    logs.forEach((log, index) => {
      const claim: Claim = { format: 'wandb', dir, files: [log], detail: { log: log.path, suffix: log.name } };
      claims.push(claim);
      if (index === 0 && isRunFolder) runFolders.set(dir, claim);
    });
  }
  if (runFolders.size > 0) {
    // Everything else in a run folder (files/, logs/, media) is the SDK's and belongs to the run.
    for (const file of pool.files()) {
      // Old SDKs' history/system-metric JSONL is not decoded here: left to the JSONL reader
      // rather than taken and ignored.
      if (file.name.endsWith('.wandb') || LEGACY_JSONL.test(file.name)) continue;
      for (let dir = file.dir; ; ) {
        const claim = runFolders.get(dir);
        if (claim) {
          claim.files.push(file);
          break;
        }
        const parent = path.dirname(dir);
        if (parent === dir) break;
        dir = parent;
      }
    }
  }
  return claims;
}

/** Where each history key's points go, and what could not be a point. */
class HistoryCollector {
  readonly series = new Map<string, SeriesBuilder>();
  readonly nonScalar = new Map<string, { kind: string; count: number }>();
  private nextStep = 0;
  missingSteps = 0;
  badValues = 0;
  firstBadValue = '';

  row(items: Item[], recordStep: number | undefined): void {
    let step = Number.NaN;
    let wall = Number.NaN;
    // wandb-core writes a logged histogram, image or table as one item per field
    // (["weights", "_type"], ["weights", "values"], …), not as one JSON object.
    let typed: Item[] | undefined;
    for (const item of items) {
      if (item.name === '_step') step = toNumber(this.parse(item.valueJson)) ?? Number.NaN;
      else if (item.name === '_timestamp') wall = toNumber(this.parse(item.valueJson)) ?? Number.NaN;
      else if (item.path.length > 1 && item.path[item.path.length - 1] === '_type') (typed ??= []).push(item);
    }
    if (Number.isNaN(step) && recordStep !== undefined) step = recordStep;
    if (Number.isNaN(step)) {
      this.missingSteps++;
      step = this.nextStep;
    }
    this.nextStep = step + 1;
    for (const item of items) {
      if (item.name === '_step' || item.name === '_timestamp') continue;
      if (typed && typed.some((typeItem) => isInside(item.path, typeItem.path))) continue;
      const value = this.parse(item.valueJson);
      if (value === undefined) continue;
      this.add(item.name, value, step, wall);
    }
    if (typed) {
      for (const typeItem of typed) {
        const kind = this.parse(typeItem.valueJson);
        this.countNonScalar(typeItem.path.slice(0, -1).join('/'), typeof kind === 'string' ? kind : String(kind));
      }
    }
  }

  /** A value_json; undefined (counted) when it is not JSON at all. */
  parse(json: string): unknown {
    // Most values are plain numbers: Number() reads those (and "-Infinity") without JSON.parse.
    const first = json.charCodeAt(0);
    if ((first >= 48 && first <= 57) || first === 45) {
      const number = Number(json);
      if (!Number.isNaN(number)) return number;
    }
    try {
      return JSON.parse(json);
    } catch {
      const lenient = parseJsonLenient(json);
      if (!lenient.damage) return lenient.value;
      if (this.badValues === 0) this.firstBadValue = json.length > 40 ? `${json.slice(0, 40)}…` : json;
      this.badValues++;
      return undefined;
    }
  }

  add(key: string, value: unknown, step: number, wall: number): void {
    if (typeof value === 'number') {
      this.builder(key).push(step, value, wall);
      return;
    }
    if (value === null) return;
    if (typeof value === 'object') {
      if (Array.isArray(value)) return this.countNonScalar(key, 'list');
      const object = value as Record<string, unknown>;
      if ('_type' in object) return this.countNonScalar(key, String(object._type));
      for (const [sub, inner] of Object.entries(object)) this.add(`${key}/${sub}`, inner, step, wall);
      return;
    }
    const number = toNumber(value);
    if (number === undefined) return this.countNonScalar(key, typeof value === 'string' ? 'text' : typeof value);
    this.builder(key).push(step, number, wall);
  }

  private builder(key: string): SeriesBuilder {
    let builder = this.series.get(key);
    if (!builder) {
      builder = new SeriesBuilder();
      this.series.set(key, builder);
    }
    return builder;
  }

  private countNonScalar(key: string, kind: string): void {
    const entry = this.nonScalar.get(key);
    if (entry) entry.count++;
    else this.nonScalar.set(key, { kind, count: 1 });
  }
}

/** Whether `path` lies in the object whose `_type` item has path `typePath`. */
function isInside(path: string[], typePath: string[]): boolean {
  const depth = typePath.length - 1;
  if (path.length <= depth) return false;
  for (let i = 0; i < depth; i++) if (path[i] !== typePath[i]) return false;
  return true;
}

/** Sets `value` at `keys` inside a nested object, creating levels as needed. */
function setPath(target: Record<string, HValue>, keys: string[], value: HValue): void {
  let level = target;
  for (let i = 0; i < keys.length - 1; i++) {
    const next = level[keys[i]!];
    if (typeof next !== 'object' || next === null || Array.isArray(next) || '$opaque' in next) {
      const created: Record<string, HValue> = {};
      level[keys[i]!] = created;
      level = created;
    } else {
      level = next as Record<string, HValue>;
    }
  }
  level[keys[keys.length - 1]!] = value;
}

function removePath(target: Record<string, HValue>, keys: string[]): void {
  let level: HValue = target;
  for (let i = 0; i < keys.length - 1; i++) {
    if (typeof level !== 'object' || level === null || Array.isArray(level)) return;
    level = (level as Record<string, HValue>)[keys[i]!]!;
  }
  if (typeof level === 'object' && level !== null && !Array.isArray(level)) delete (level as Record<string, HValue>)[keys[keys.length - 1]!];
}

/** W&B config entries are `{value, desc}` in config.yaml (and in some SDK versions' records). */
function unwrapConfigValue(value: HValue): HValue {
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'value' in value) {
    const keys = Object.keys(value);
    if (keys.every((k) => k === 'value' || k === 'desc')) return (value as Record<string, HValue>).value ?? null;
  }
  return value;
}

function parseItemValue(json: string): HValue {
  try {
    return JSON.parse(json) as HValue;
  } catch {
    const lenient = parseJsonLenient(json);
    return lenient.damage ? json : (lenient.value as HValue);
  }
}

interface FolderState {
  run: Run;
  history: HistoryCollector;
  stats: Map<string, SeriesBuilder>;
  statsSamples: number;
  config: Record<string, HValue>;
  summary: Record<string, HValue>;
  badRecords: number;
  firstBadRecord?: { offset: number; reason: string };
}

function applyConfig(state: FolderState, update: ItemUpdate): void {
  for (const item of update.update) {
    const value = unwrapConfigValue(parseItemValue(item.valueJson));
    if (item.path[0] === '_wandb') {
      noteSdkInfo(state.run, value);
      continue;
    }
    setPath(state.config, item.path, value);
  }
  for (const item of update.remove) removePath(state.config, item.path);
}

function applySummary(state: FolderState, update: ItemUpdate): void {
  for (const item of update.update) {
    // wandb-core keeps its own bookkeeping (`_wandb.runtime`) in the summary too.
    if (item.path[0] === '_wandb') continue;
    setPath(state.summary, item.path, parseItemValue(item.valueJson));
  }
  for (const item of update.remove) removePath(state.summary, item.path);
}

/** `_wandb` holds the SDK's bookkeeping (versions, telemetry); only the versions are worth a tag. */
function noteSdkInfo(run: Run, value: HValue): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  const info = value as Record<string, HValue>;
  if (typeof info.cli_version === 'string') run.tags.cli_version ??= info.cli_version;
  if (typeof info.python_version === 'string') run.tags.python_version ??= info.python_version;
}

function applyRunInfo(state: FolderState, info: RunInfo): void {
  const tags = state.run.tags;
  const set = (name: string, value: string | undefined) => {
    if (value !== undefined && value !== '') tags[name] = value;
  };
  set('run_id', info.runId);
  set('project', info.project);
  set('entity', info.entity);
  set('name', info.displayName);
  set('group', info.group);
  set('job_type', info.jobType);
  set('notes', info.notes);
  set('sweep_id', info.sweepId);
  set('host', info.host);
  if (info.tags.length > 0) tags.tags = info.tags.join(',');
  if (info.startTime !== undefined && info.startTime > 0) tags.start_time = new Date(info.startTime * 1000).toISOString();
  if (info.resumed) tags.resumed = 'true';
  if (info.startingStep !== undefined && info.startingStep > 0) tags.starting_step = String(info.startingStep);
  if (info.config) applyConfig(state, info.config);
  if (info.summary) applySummary(state, info.summary);
  if (info.telemetry) applyTelemetry(state.run, info.telemetry);
}

/** Newer SDKs leave `_wandb` in the config empty; their versions are in telemetry records. */
function applyTelemetry(run: Run, telemetry: Telemetry): void {
  if (telemetry.cliVersion) run.tags.cli_version ??= telemetry.cliVersion;
  if (telemetry.pythonVersion) run.tags.python_version ??= telemetry.pythonVersion;
}

/** wandb-core writes what older SDKs put in files/wandb-metadata.json as a record instead. */
function applyEnvironment(run: Run, environment: Environment): void {
  const tags = run.tags;
  if (environment.program) tags.program ??= environment.program;
  if (environment.host) tags.host ??= environment.host;
  if (environment.python) tags.python ??= environment.python;
  if (environment.os) tags.os ??= environment.os;
  if (environment.startedAt !== undefined && environment.startedAt > 0) {
    tags.start_time ??= new Date(environment.startedAt * 1000).toISOString();
  }
}

function onRecord(state: FolderState, payload: Buffer, offset: number): void {
  try {
    const envelope = readEnvelope(payload);
    if (!envelope) return;
    const { type, start, end } = envelope;
    switch (type) {
      case RECORD_HISTORY: {
        const row = readHistory(payload, start, end);
        state.history.row(row.items, row.step);
        return;
      }
      case RECORD_CONFIG:
        applyConfig(state, readItemUpdate(payload, start, end));
        return;
      case RECORD_SUMMARY:
        applySummary(state, readItemUpdate(payload, start, end));
        return;
      case RECORD_RUN:
        applyRunInfo(state, readRun(payload, start, end));
        return;
      case RECORD_EXIT: {
        const exit = readExit(payload, start, end);
        state.run.tags.exit_code = String(exit.exitCode);
        if (exit.runtime !== undefined) state.run.tags.runtime = String(exit.runtime);
        return;
      }
      case RECORD_TELEMETRY:
        applyTelemetry(state.run, readTelemetry(payload, start, end));
        return;
      case RECORD_ENVIRONMENT:
        applyEnvironment(state.run, readEnvironment(payload, start, end));
        return;
      case RECORD_STATS: {
        const sample = readStats(payload, start, end);
        for (const { key, valueJson } of sample.items) {
          const value = toNumber(state.history.parse(valueJson));
          if (value === undefined) continue;
          const name = `system/${key}`;
          let builder = state.stats.get(name);
          if (!builder) {
            builder = new SeriesBuilder();
            state.stats.set(name, builder);
          }
          builder.push(state.statsSamples, value, sample.time);
        }
        state.statsSamples++;
        return;
      }
      default:
        // Output lines, files, artifacts, metric definitions: not run data.
        return;
    }
  } catch (error) {
    if (!(error instanceof ProtobufError)) throw error;
    if (state.badRecords === 0) state.firstBadRecord = { offset, reason: error.message };
    state.badRecords++;
  }
}

async function readText(file: FileEntry, context: ReadContext): Promise<string | undefined> {
  try {
    return await fs.readFile(file.path, 'utf8');
  } catch (error) {
    context.issue('file.unreadable', file.rel, undefined, { reason: errorReason(error) });
    return undefined;
  }
}

/** Checks the 7-byte W&B header; returns the reason it is wrong, or undefined. */
async function headerProblem(file: FileEntry): Promise<string | undefined> {
  const handle = await fs.open(file.path, 'r');
  try {
    const head = Buffer.alloc(HEADER_LENGTH);
    const { bytesRead } = await handle.read(head, 0, HEADER_LENGTH, 0);
    if (bytesRead < HEADER_LENGTH) return `only ${bytesRead} bytes, shorter than the 7-byte header`;
    const ident = head.toString('latin1', 0, 4);
    if (ident !== HEADER_IDENT) return `starts with ${JSON.stringify(ident)} instead of ":W&B"`;
    const magic = head.readUInt16LE(4);
    if (magic !== HEADER_MAGIC) return `magic 0x${magic.toString(16)} instead of 0xbee1`;
    const version = head[6]!;
    if (version !== HEADER_VERSION) return `format version ${version} is not supported (only ${HEADER_VERSION})`;
    return undefined;
  } finally {
    await handle.close();
  }
}

async function readLog(log: FileEntry, state: FolderState, context: ReadContext): Promise<void> {
  if (log.size === 0) {
    context.issue('file.empty', log.rel);
    return;
  }
  const problem = await headerProblem(log);
  if (problem) {
    context.issue('wandb.bad-header', log.rel, 'byte 0', { reason: problem });
    return;
  }
  const options: Parameters<typeof scanLevelDbLog>[1] = { checksum: 'crc32-ieee', headerBytes: HEADER_LENGTH };
  const progress = context.progress;
  if (progress) options.onProgress = (done, total) => progress(log.rel, done, total);
  await scanLevelDbLog(
    log.path,
    options,
    (payload, offset) => onRecord(state, payload, offset),
    (damage) => {
      if (damage.kind === 'truncated') {
        context.issue('wandb.truncated-tail', log.rel, `byte ${damage.offset}`, { offset: damage.offset, bytes: damage.bytes });
      } else {
        context.issue('wandb.corrupt-block', log.rel, `byte ${damage.offset}`, {
          offset: damage.offset,
          reason: damage.reason,
          skipped: damage.skipped,
        });
      }
    },
  );
}

async function readFolderFiles(claim: Claim, state: FolderState, context: ReadContext): Promise<void> {
  const filesDir = path.join(claim.dir, 'files');
  const inFiles = (name: string) => claim.files.find((file) => file.dir === filesDir && file.name === name);

  const configFile = inFiles('config.yaml');
  if (configFile) {
    const text = await readText(configFile, context);
    if (text !== undefined) {
      const yaml = parseYamlSafe(text);
      if (yaml.error) {
        context.issue('yaml.invalid', configFile.rel, yaml.error.line ? `line ${yaml.error.line}` : undefined, { reason: yaml.error.reason });
      } else {
        if (yaml.opaqueCount > 0) {
          context.issue('yaml.python-tag', configFile.rel, undefined, { count: yaml.opaqueCount, tag: yaml.opaqueTags[0] });
        }
        if (typeof yaml.value === 'object' && yaml.value !== null && !Array.isArray(yaml.value)) {
          for (const [key, raw] of Object.entries(yaml.value as Record<string, HValue>)) {
            if (key === 'wandb_version') continue;
            const value = unwrapConfigValue(raw);
            if (key === '_wandb') noteSdkInfo(state.run, value);
            else if (!(key in state.config)) state.config[key] = value;
          }
        }
        state.run.paths.push(configFile.rel);
      }
    }
  }

  const summaryFile = inFiles('wandb-summary.json');
  if (summaryFile) {
    const text = await readText(summaryFile, context);
    if (text !== undefined) {
      const parsed = parseJsonLenient(text);
      if (parsed.damage) {
        context.issue('json.invalid', summaryFile.rel, `byte ${parsed.damage.offset}`, {
          reason: parsed.damage.reason,
          recovered: parsed.value !== undefined,
        });
      }
      if (typeof parsed.value === 'object' && parsed.value !== null && !Array.isArray(parsed.value)) {
        // The file is the summary's final state, written at the end of the run.
        for (const [key, value] of Object.entries(parsed.value as Record<string, HValue>)) {
          if (key !== '_wandb') state.summary[key] = value;
        }
        state.run.paths.push(summaryFile.rel);
      }
    }
  }

  const metadataFile = inFiles('wandb-metadata.json');
  if (metadataFile) {
    const text = await readText(metadataFile, context);
    const parsed = text === undefined ? undefined : parseJsonLenient(text);
    if (parsed && typeof parsed.value === 'object' && parsed.value !== null && !Array.isArray(parsed.value)) {
      const meta = parsed.value as Record<string, unknown>;
      const tags = state.run.tags;
      for (const [from, to] of [
        ['program', 'program'],
        ['host', 'host'],
        ['python', 'python'],
        ['os', 'os'],
        ['gpu', 'gpu'],
        ['startedAt', 'start_time'],
      ] as const) {
        const value = meta[from];
        if (typeof value === 'string' && value !== '' && tags[to] === undefined) tags[to] = value;
      }
      if (Array.isArray(meta.args)) tags.args ??= meta.args.map(String).join(' ');
      state.run.paths.push(metadataFile.rel);
    }
  }
}

async function readRunFolder(claim: Claim, context: ReadContext): Promise<Run[]> {
  const logPath = claim.detail?.log as string | undefined;
  const log = claim.files.find((file) => file.path === logPath);
  const suffix = claim.detail?.suffix as string | undefined;
  const id = context.runId(claim.dir, suffix);
  const folderRel = path.relative(context.root, claim.dir).split(path.sep).join('/') || '.';
  const run = emptyRun(id, 'wandb', log ? [log.rel] : [folderRel]);
  const state: FolderState = {
    run,
    history: new HistoryCollector(),
    stats: new Map(),
    statsSamples: 0,
    config: {},
    summary: {},
    badRecords: 0,
  };
  if (log) await readLog(log, state, context);
  const issueFile = log?.rel ?? folderRel;
  if (state.badRecords > 0) {
    context.issue('wandb.bad-record', issueFile, `byte ${state.firstBadRecord!.offset}`, {
      count: state.badRecords,
      reason: state.firstBadRecord!.reason,
    });
  }
  const history = state.history;
  if (history.badValues > 0) {
    context.issue('wandb.bad-record', issueFile, undefined, {
      count: history.badValues,
      reason: `history value is not JSON, e.g. ${history.firstBadValue}`,
    });
  }
  if (history.missingSteps > 0) {
    context.issue('series.missing-step', issueFile, undefined, { count: history.missingSteps, series: 'history rows' });
  }
  if (suffix === undefined) await readFolderFiles(claim, state, context);

  for (const [name, builder] of history.series) run.series[name] = builder.build();
  for (const [name, builder] of state.stats) if (!(name in run.series)) run.series[name] = builder.build();
  for (const [key, { kind, count }] of history.nonScalar) {
    run.nonScalar[key] = { kind, count };
    context.issue('wandb.non-scalar', issueFile, key, { key, kind, count });
  }
  run.hparams = state.config;
  run.summary = { ...run.summary, ...state.summary };
  return [run];
}

export const wandbReader: Reader = {
  format: 'wandb',
  description:
    'Weights & Biases: run folders ((offline-)run-<date>-<id>/ with run-<id>.wandb, files/config.yaml, ' +
    'files/wandb-summary.json) and CSV exported from W&B charts ("<run> - <metric>" columns)',
  async claim(pool) {
    const folders = await claimRunFolders(pool);
    const taken = new Set(folders.flatMap((claim) => claim.files.map((file) => file.path)));
    const csv = await claimWandbCsv(pool, taken);
    return [...folders, ...csv];
  },
  async read(claim, context) {
    if (claim.detail?.layout === WANDB_CSV_LAYOUT) return readWandbCsv(claim, context);
    return readRunFolder(claim, context);
  },
};
