/**
 * Ingest: paths in, normalized runs and issues out.
 *
 *   walk(paths) → pool of files
 *     → each reader in registry order claims what it recognizes
 *     → each claim is read into runs (bad input becomes issues, never exceptions)
 *     → every series is checked once for restarts, duplicate steps and non-finite values
 *     → roles are assigned (ladder.yaml, then the reader's, then convention)
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { HValue, Run, Series, Roles } from '../model/run.js';
import { makeIssue, type IngestIssue, type IssueSink } from './issues.js';
import type { Claim, FileEntry, FilePool, ReadContext, Reader } from './reader.js';
import { READERS } from './registry.js';
import { errorReason, relativeTo, walk } from './walk.js';
import { CONFIG_FILE, configuredRoles, parseConfig, type LadderConfig } from './config.js';
import { parseYamlSafe } from './formats/yaml.js';
import { readJsonFile, reportJsonDamage } from './formats/json-file.js';
import { readYamlFile } from './formats/yaml-file.js';
import { assignRoles } from './roles.js';

export interface IngestOptions {
  /** Readers to use, in claiming order (default: all of them). */
  readers?: readonly Reader[];
  progress?: ReadContext['progress'];
}

export interface IngestResult {
  root: string;
  runs: Run[];
  issues: IngestIssue[];
  /** The ladder.yaml that applies to each run (nearest folder up), by run id. */
  configs: Record<string, LadderConfig>;
}

/** The deepest folder containing every path (the root ids and issue paths are relative to). */
export function commonRoot(paths: string[]): string {
  const absolute = paths.map((p) => path.resolve(p));
  if (absolute.length === 0) return process.cwd();
  const parts = absolute.map((p) => p.split(path.sep));
  const first = parts[0]!;
  let length = first.length;
  for (const other of parts.slice(1)) {
    let i = 0;
    while (i < length && i < other.length && other[i] === first[i]) i++;
    length = i;
  }
  const common = first.slice(0, length).join(path.sep) || path.sep;
  return common;
}

class Pool implements FilePool {
  private unclaimed: FileEntry[];
  private readonly heads = new Map<string, Buffer>();
  private byDir: Map<string, FileEntry[]> | undefined;
  private readonly unreadable = new Set<string>();

  constructor(
    files: FileEntry[],
    private readonly issue: IssueSink,
  ) {
    this.unclaimed = files;
  }

  files(): readonly FileEntry[] {
    return this.unclaimed;
  }

  inDir(dir: string): readonly FileEntry[] {
    if (!this.byDir) {
      this.byDir = new Map();
      for (const file of this.unclaimed) {
        const list = this.byDir.get(file.dir);
        if (list) list.push(file);
        else this.byDir.set(file.dir, [file]);
      }
    }
    return this.byDir.get(dir) ?? [];
  }

  async head(file: FileEntry, bytes = 4096): Promise<Buffer> {
    const cached = this.heads.get(file.path);
    if (cached && (cached.length >= bytes || cached.length >= file.size)) return cached.subarray(0, bytes);
    let handle;
    try {
      handle = await fs.open(file.path, 'r');
      const buffer = Buffer.alloc(Math.min(bytes, file.size));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      const head = buffer.subarray(0, bytesRead);
      this.heads.set(file.path, head);
      return head;
    } catch (error) {
      // Reported once; the file leaves the pool so no reader claims what cannot be read.
      if (!this.unreadable.has(file.path)) {
        this.unreadable.add(file.path);
        this.issue('file.unreadable', file.rel, undefined, { reason: errorReason(error) });
        this.remove(this.unreadable);
      }
      return Buffer.alloc(0);
    } finally {
      await handle?.close();
    }
  }

  remove(claimed: Set<string>): void {
    this.unclaimed = this.unclaimed.filter((file) => !claimed.has(file.path));
    this.byDir = undefined;
  }
}

function checkSeries(run: Run, issue: IssueSink): void {
  const file = run.paths[0] ?? run.id;
  for (const [name, series] of Object.entries(run.series)) {
    checkOne(name, series, run, file, issue);
  }
}

function checkOne(name: string, series: Series, run: Run, file: string, issue: IssueSink): void {
  const { steps, values } = series;
  const restarts: number[] = [];
  // Two points at one step with different values are a conflict worth a warning; the same
  // value logged twice (a final evaluation repeating the last periodic one, an epoch counter
  // written on both the train and the eval row) is only noted.
  let duplicates = 0;
  let firstDuplicate = Number.NaN;
  let repeats = 0;
  let firstRepeat = Number.NaN;
  let nonFinite = 0;
  let firstNonFinite = Number.NaN;
  for (let i = 0; i < steps.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      if (nonFinite === 0) firstNonFinite = steps[i]!;
      nonFinite++;
    }
    if (i === 0) continue;
    const previous = steps[i - 1]!;
    const step = steps[i]!;
    if (step < previous) {
      restarts.push(i);
      issue('series.restart', file, `${name} @ point ${i}`, { series: name, from: previous, to: step, run: run.id });
    } else if (step === previous) {
      if (Object.is(values[i], values[i - 1])) {
        if (repeats === 0) firstRepeat = step;
        repeats++;
      } else {
        if (duplicates === 0) firstDuplicate = step;
        duplicates++;
      }
    }
  }
  if (restarts.length > 0) run.segments[name] = { restarts };
  if (duplicates > 0) {
    issue('series.duplicate-step', file, name, { series: name, count: duplicates, step: firstDuplicate, run: run.id });
  }
  if (repeats > 0) {
    issue('series.repeated-point', file, name, { series: name, count: repeats, step: firstRepeat, run: run.id });
  }
  if (nonFinite > 0) {
    issue('series.non-finite', file, name, { series: name, count: nonFinite, step: firstNonFinite, run: run.id });
  }
}

interface ConfigAt {
  dir: string;
  config: LadderConfig;
}

async function loadConfigs(files: FileEntry[], issue: IssueSink): Promise<ConfigAt[]> {
  const found: ConfigAt[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await fs.readFile(file.path, 'utf8');
    } catch (error) {
      issue('file.unreadable', file.rel, undefined, { reason: (error as Error).message });
      continue;
    }
    const yaml = parseYamlSafe(text);
    if (yaml.error) {
      issue('config.invalid', file.rel, yaml.error.line ? `line ${yaml.error.line}` : undefined, { reason: yaml.error.reason });
      continue;
    }
    const parsed = parseConfig(yaml.value);
    if (parsed.error) issue('config.invalid', file.rel, undefined, { reason: parsed.error });
    else found.push({ dir: file.dir, config: parsed.config! });
  }
  // Deepest folder first: the nearest ladder.yaml wins.
  return found.sort((a, b) => b.dir.length - a.dir.length);
}

function configFor(dir: string, configs: ConfigAt[]): LadderConfig | undefined {
  return configs.find((c) => dir === c.dir || dir.startsWith(c.dir + path.sep))?.config;
}

export async function ingest(paths: string[], options: IngestOptions = {}): Promise<IngestResult> {
  const root = await rootOf(paths);
  const issues: IngestIssue[] = [];
  const issue: IssueSink = (code, file, location, data) => issues.push(makeIssue(code, file, location, data));

  const { files } = await walk(paths, root, issue);
  const configFiles = files.filter((file) => file.name === CONFIG_FILE);
  // A run given as a file still gets the ladder.yaml beside it.
  for (const start of paths) {
    const candidate = path.join(path.dirname(path.resolve(start)), CONFIG_FILE);
    if (configFiles.some((file) => file.path === candidate)) continue;
    try {
      const stat = await fs.stat(candidate);
      if (stat.isFile() && !(await fs.stat(path.resolve(start))).isDirectory()) {
        configFiles.push({ path: candidate, rel: relativeTo(root, candidate), name: CONFIG_FILE, dir: path.dirname(candidate), size: stat.size });
      }
    } catch {
      // no ladder.yaml there
    }
  }
  const configs = await loadConfigs(configFiles, issue);
  const pool = new Pool(
    files.filter((file) => file.name !== CONFIG_FILE),
    issue,
  );

  const readers = options.readers ?? (READERS as readonly Reader[]);
  const claims: Claim[] = [];
  for (const reader of readers) {
    const taken = await reader.claim(pool);
    const claimed = new Set<string>();
    for (const claim of taken) for (const file of claim.files) claimed.add(file.path);
    pool.remove(claimed);
    claims.push(...taken);
  }
  // Hyperparameter files no reader took (config.json beside a metrics.jsonl, args.yaml beside
  // a TensorBoard folder) belong to the run read from the same folder.
  const claimedDirs = new Set(claims.map((claim) => claim.dir));
  const sidecars = new Map<string, FileEntry[]>();
  for (const file of pool.files()) {
    if (!SIDECAR.test(file.name) || !claimedDirs.has(file.dir) || file.size === 0) continue;
    const list = sidecars.get(file.dir);
    if (list) list.push(file);
    else sidecars.set(file.dir, [file]);
  }
  pool.remove(new Set([...sidecars.values()].flat().map((file) => file.path)));
  reportUnclaimed(pool.files(), issue);

  const usedIds = new Set<string>();
  const context: ReadContext = {
    root,
    issue,
    runId(dir, suffix) {
      const base = dir === root ? path.basename(root) : relativeTo(root, dir);
      const wanted = suffix ? `${base}#${suffix}` : base;
      let id = wanted;
      for (let k = 2; usedIds.has(id); k++) id = `${wanted}~${k}`;
      usedIds.add(id);
      return id;
    },
  };
  if (options.progress) context.progress = options.progress;

  const byFormat = new Map(readers.map((reader) => [reader.format, reader]));
  const runs: Run[] = [];
  const runConfigs: Record<string, LadderConfig> = {};
  for (const claim of claims) {
    const reader = byFormat.get(claim.format)!;
    let read: Run[];
    try {
      read = await reader.read(claim, context);
    } catch (error) {
      // An I/O failure or a reader bug must not lose the other runs: report it and go on.
      const file = claim.files[0]?.rel ?? relativeTo(root, claim.dir);
      const reason = (error as NodeJS.ErrnoException).code ? errorReason(error) : `internal reader error: ${(error as Error).message}`;
      issue('file.unreadable', file, undefined, { reason });
      continue;
    }
    const config = configFor(claim.dir, configs);
    const sidecarValues = await readSidecars(sidecars.get(claim.dir) ?? [], issue);
    for (const run of read) {
      for (const { file, values } of sidecarValues) {
        // What the run's own logs say wins over a side file.
        run.hparams = { ...values, ...run.hparams };
        run.paths.push(file.rel);
      }
      if (config) runConfigs[run.id] = config;
      checkSeries(run, issue);
      run.roles = assignRoles(run, configuredRoles(config));
      reportUnknownRoleSeries(run, configuredRoles(config), issue);
      runs.push(run);
    }
  }
  return { root, runs, issues, configs: runConfigs };
}

/** Side files holding a run's hyperparameters, by the names training scripts commonly use. */
const SIDECAR = /^(config|hparams|hyperparameters|params|args|training_args|run_config)\.(json|ya?ml)$/i;

async function readSidecars(files: FileEntry[], issue: IssueSink): Promise<{ file: FileEntry; values: Record<string, HValue> }[]> {
  const read: { file: FileEntry; values: Record<string, HValue> }[] = [];
  for (const file of files) {
    let value: unknown;
    if (/\.json$/i.test(file.name)) {
      const parsed = await readJsonFile(file, issue);
      if (!parsed) continue;
      // A damaged side file is reported and left out whole: half a configuration misleads.
      if (parsed.damage) {
        reportJsonDamage(parsed, 0, file, issue);
        continue;
      }
      value = parsed.value;
    } else {
      const parsed = await readYamlFile(file, { issue });
      if (!parsed.ok) continue;
      value = parsed.value;
    }
    if (value && typeof value === 'object' && !Array.isArray(value)) read.push({ file, values: value as Record<string, HValue> });
    else issue('file.unrecognized', file.rel, undefined, { count: 1, example: file.name });
  }
  return read;
}

async function rootOf(paths: string[]): Promise<string> {
  const root = commonRoot(paths);
  try {
    const stat = await fs.stat(root);
    return stat.isDirectory() ? root : path.dirname(root);
  } catch {
    return path.dirname(root);
  }
}

function reportUnclaimed(files: readonly FileEntry[], issue: IssueSink): void {
  const byDir = new Map<string, FileEntry[]>();
  for (const file of files) {
    if (file.size === 0) {
      issue('file.empty', file.rel);
      continue;
    }
    const list = byDir.get(file.dir);
    if (list) list.push(file);
    else byDir.set(file.dir, [file]);
  }
  for (const list of byDir.values()) {
    const first = list[0]!;
    const folder = first.rel.includes('/') ? first.rel.slice(0, first.rel.lastIndexOf('/')) : '.';
    issue('file.unrecognized', folder, undefined, { count: list.length, example: first.name });
  }
}

function reportUnknownRoleSeries(run: Run, configured: Partial<Roles>, issue: IssueSink): void {
  for (const [role, value] of Object.entries(configured)) {
    const names = Array.isArray(value) ? value : [value];
    for (const series of names) {
      if (typeof series === 'string' && !(series in run.series)) {
        issue('config.unknown-series', run.paths[0] ?? run.id, undefined, { role, series, run: run.id });
      }
    }
  }
}
