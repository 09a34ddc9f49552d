/**
 * What the dashboard shows, as API responses (api.ts): the studies, trials, runs and findings of
 * the experiment store, plus the runs found under `--dir`. A run is diagnosed the first time it
 * is asked for (read again from its path with section 4's readers) and the result is cached;
 * runs under `--dir` are diagnosed in the background so the list fills in its verdicts.
 *
 * Plots are drawn here, on the server, by the report's own code (src/report: figures → SVG with
 * the text escaped by the DOM serializer), so the browser never turns data into markup.
 */
import { createHash } from 'node:crypto';
import type { StudyRow, Store } from '../experiments/store.js';
import { ingest } from '../ingest/ingest.js';
import type { IngestIssue } from '../ingest/issues.js';
import { diagnoseRun, type Diagnosis } from '../ladder/diagnose.js';
import type { Finding } from '../ladder/finding.js';
import { diagnosisToJson } from '../ladder/to-json.js';
import type { HValue, Run } from '../model/run.js';
import { curveLine, figuresOfDiagnosis, waterfallFigure, type CurvesFigure, type Figure } from '../report/figures.js';
import { renderFigure } from '../report/plots.js';
import { serverDocument } from '../report/server-document.js';
import {
  API_SCHEMA,
  type CompareResponse,
  type FindingSummary,
  type LayerRow,
  type Plot,
  type RunResponse,
  type RunSummary,
  type RunsResponse,
  type StudiesResponse,
  type StudyResponse,
  type StudySummary,
  type TrialSummary,
  type VerdictLayer,
} from './api.js';

/** Runs read from `--dir` at start-up. */
export interface DirRuns {
  root: string;
  runs: Run[];
  issues: IngestIssue[];
}

interface Diagnosed {
  run: Run;
  diagnosis: Diagnosis;
  json: ReturnType<typeof diagnosisToJson>;
}

interface RunEntry {
  summary: Omit<RunSummary, 'verdict' | 'error'>;
  load(): Promise<{ run: Run; issues: IngestIssue[] }>;
}

/** A run's id in URLs: a hash of where it comes from, so no name from a log ever reaches a path. */
export function runIdOf(...parts: string[]): string {
  return `r${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16)}`;
}

/** A hyperparameter or tag as text (the browser shows it with textContent). */
export function valueText(value: HValue | undefined): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value ?? null);
}

function finite(x: number | undefined): number | null {
  return x !== undefined && Number.isFinite(x) ? x : null;
}

function lastFinite(values: Float64Array): number | null {
  for (let i = values.length - 1; i >= 0; i--) if (Number.isFinite(values[i]!)) return values[i]!;
  return null;
}

function plotOf(figure: Figure): Plot {
  return { title: figure.title, svg: renderFigure(figure, serverDocument()) };
}

function findingSummary(f: Pick<Finding, 'code' | 'layer' | 'severity' | 'summary'> & Partial<Pick<Finding, 'next' | 'runs'>>): FindingSummary {
  const out: FindingSummary = { code: f.code, layer: f.layer, severity: f.severity, summary: f.summary };
  if (f.next !== undefined) out.next = f.next;
  if (f.runs !== undefined) out.runs = f.runs;
  return out;
}

function layerRows(layers: { layer: string; status: string; findings: string[]; experiment?: { description: string } }[]): LayerRow[] {
  return layers.map((l) => {
    const row: LayerRow = { layer: l.layer as LayerRow['layer'], status: l.status as LayerRow['status'], findings: l.findings };
    if (l.experiment) row.experiment = l.experiment.description;
    return row;
  });
}

export class Catalog {
  private readonly diagnosed = new Map<string, Diagnosed | { error: string }>();
  private readonly pending = new Map<string, Promise<Diagnosed | { error: string }>>();
  private entries = new Map<string, RunEntry>();
  private entriesKey = '';
  private backgroundStarted = false;

  constructor(
    readonly store: Store | undefined,
    readonly dir: DirRuns | undefined,
  ) {}

  close(): void {
    this.store?.close();
  }

  // Studies

  private studySummary(row: StudyRow): StudySummary {
    const counts = this.store!.counts(row.id);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    return {
      id: row.id,
      name: row.name,
      dir: row.dir,
      state: row.state,
      executor: row.executor,
      trials: { total, ...counts },
      verdict: (row.verdict as VerdictLayer | null) ?? null,
      updatedAt: row.updated_at,
    };
  }

  studies(): StudiesResponse {
    return { schema: API_SCHEMA, studies: this.store ? this.store.studies().map((row) => this.studySummary(row)) : [] };
  }

  study(id: string): StudyResponse | undefined {
    const row = this.store?.study(id);
    if (!row) return undefined;
    const trials: TrialSummary[] = this.store!.trials(id).map((t) => ({
      id: t.id,
      index: t.idx,
      state: t.state,
      params: Object.fromEntries(Object.entries(JSON.parse(t.params_json) as Record<string, HValue>).map(([k, v]) => [k, valueText(v)])),
      attempts: t.attempts,
      exitCode: t.exit_code,
      reason: t.reason,
    }));
    const doc = row.diagnosis_json ? (JSON.parse(row.diagnosis_json) as ReturnType<typeof diagnosisToJson>) : undefined;
    const findings = doc ? doc.findings.map((f) => findingSummary(f as unknown as Finding)) : this.store!.findings(id).map((f) => findingSummary(f as Finding));
    this.refreshEntries();
    const runs = [...this.entries.values()].filter((e) => e.summary.source.kind === 'study' && e.summary.source.study === id).map((e) => this.runSummary(e));
    return {
      schema: API_SCHEMA,
      study: this.studySummary(row),
      verdict: doc ? doc.verdict : null,
      layers: doc ? layerRows(doc.layers) : [],
      findings,
      trials,
      runs,
      plots: doc ? [plotOf(waterfallFigure(doc.budget))] : [],
    };
  }

  // Runs

  /** Rebuilds the run index when the store's runs changed (a study was diagnosed). */
  private refreshEntries(): void {
    const stored = this.store
      ? this.store.studies().flatMap((study) => this.store!.runs(study.id).map((row) => ({ study, row })))
      : [];
    const key = stored.map(({ study, row }) => `${study.id}\u0000${row.run_id}\u0000${row.path}`).join('\u0001');
    if (key === this.entriesKey && this.entries.size > 0) return;
    this.entriesKey = key;
    const entries = new Map<string, RunEntry>();
    for (const { study, row } of stored) {
      const id = runIdOf('study', study.id, row.run_id, row.path);
      entries.set(id, {
        summary: { id, name: row.run_id, source: { kind: 'study', study: study.id, trial: row.trial_id }, format: row.format },
        load: () => this.loadStoredRun(study.id, row),
      });
    }
    for (const run of this.dir?.runs ?? []) {
      const id = runIdOf('dir', this.dir!.root, run.id);
      entries.set(id, {
        summary: { id, name: run.id, source: { kind: 'dir', root: this.dir!.root }, format: run.format },
        load: async () => ({ run, issues: this.dir!.issues }),
      });
    }
    this.entries = entries;
  }

  /** A run of a study, read again from its path, with the trial's parameters as hyperparameters (as the runner did). */
  private async loadStoredRun(studyId: string, row: { trial_id: string; run_id: string; path: string }): Promise<{ run: Run; issues: IngestIssue[] }> {
    const result = await ingest([row.path]);
    const suffix = row.run_id.startsWith(`${row.trial_id}/`) ? row.run_id.slice(row.trial_id.length + 1) : undefined;
    const run = result.runs.length === 1 ? result.runs[0] : result.runs.find((r) => r.id === suffix) ?? result.runs[0];
    if (!run) {
      const first = result.issues.find((issue) => issue.severity === 'error');
      throw new Error(`no run could be read from ${row.path}${first ? ` (${first.message})` : ''}`);
    }
    const trial = this.store!.trial(studyId, row.trial_id);
    const params = trial ? (JSON.parse(trial.params_json) as Record<string, HValue>) : {};
    for (const [key, value] of Object.entries(params)) if (!(key in run.hparams)) run.hparams[key] = value;
    run.id = row.run_id;
    return { run, issues: result.issues };
  }

  private runSummary(entry: RunEntry): RunSummary {
    const cached = this.diagnosed.get(entry.summary.id);
    const summary: RunSummary = { ...entry.summary, verdict: cached && 'diagnosis' in cached ? cached.diagnosis.verdict.layer : null };
    if (cached && 'error' in cached) summary.error = cached.error;
    return summary;
  }

  runs(): RunsResponse {
    this.refreshEntries();
    return { schema: API_SCHEMA, runs: [...this.entries.values()].map((entry) => this.runSummary(entry)) };
  }

  /** Diagnoses a run once; later calls (and concurrent ones) share the result. */
  private diagnose(id: string): Promise<Diagnosed | { error: string }> | undefined {
    this.refreshEntries();
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    const cached = this.diagnosed.get(id);
    if (cached) return Promise.resolve(cached);
    let running = this.pending.get(id);
    if (!running) {
      running = (async () => {
        try {
          const { run, issues } = await entry.load();
          const diagnosis = diagnoseRun(run);
          return { run, diagnosis, json: diagnosisToJson(diagnosis, issues) };
        } catch (error) {
          return { error: (error as Error).message };
        }
      })().then((result) => {
        this.diagnosed.set(id, result);
        this.pending.delete(id);
        return result;
      });
      this.pending.set(id, running);
    }
    return running;
  }

  /** Diagnoses the `--dir` runs one by one, yielding between runs so requests are served meanwhile. */
  startBackgroundDiagnosis(): void {
    if (this.backgroundStarted || !this.dir) return;
    this.backgroundStarted = true;
    this.refreshEntries();
    const ids = [...this.entries.values()].filter((e) => e.summary.source.kind === 'dir').map((e) => e.summary.id);
    const next = async (): Promise<void> => {
      const id = ids.shift();
      if (id === undefined) return;
      await this.diagnose(id);
      setImmediate(() => void next());
    };
    setImmediate(() => void next());
  }

  async run(id: string): Promise<RunResponse | { error: string } | undefined> {
    const result = await this.diagnose(id);
    if (!result) return undefined;
    if ('error' in result) return { error: result.error };
    const entry = this.entries.get(id)!;
    const { run, diagnosis, json } = result;
    return {
      schema: API_SCHEMA,
      run: this.runSummary(entry),
      paths: run.paths,
      hparams: Object.fromEntries(Object.entries(run.hparams).map(([k, v]) => [k, valueText(v)])),
      tags: { ...run.tags },
      series: Object.entries(run.series).map(([name, s]) => ({ name, points: s.values.length, last: lastFinite(s.values) })),
      verdict: diagnosis.verdict,
      layers: layerRows(diagnosis.layers),
      findings: diagnosis.findings.map(findingSummary),
      plots: figuresOfDiagnosis(diagnosis, json.budget).map(plotOf),
      diagnosis: json,
    };
  }

  async compare(a: string, b: string): Promise<CompareResponse | { error: string; which: 'a' | 'b' } | undefined> {
    const [left, right] = await Promise.all([this.diagnose(a), this.diagnose(b)]);
    if (!left || !right) return undefined;
    if ('error' in left) return { error: left.error, which: 'a' };
    if ('error' in right) return { error: right.error, which: 'b' };
    const side = (id: string, d: Diagnosed) => ({
      run: this.runSummary(this.entries.get(id)!),
      verdict: { layer: d.diagnosis.verdict.layer, summary: d.diagnosis.verdict.summary },
      layers: layerRows(d.diagnosis.layers),
    });
    const keys = [...new Set([...Object.keys(left.run.hparams), ...Object.keys(right.run.hparams)])].sort();
    const differing: CompareResponse['differing'] = [];
    let same = 0;
    for (const key of keys) {
      const va = key in left.run.hparams ? valueText(left.run.hparams[key]) : null;
      const vb = key in right.run.hparams ? valueText(right.run.hparams[key]) : null;
      if (va === vb) same++;
      else differing.push({ key, a: va, b: vb });
    }
    const shared = Object.keys(left.run.series).filter((name) => name in right.run.series);
    const rank = (name: string) => {
      const roles = [left.run.roles, right.run.roles];
      if (roles.some((r) => r.trainLoss === name || r.valLoss === name)) return 0;
      if (roles.some((r) => r.valMetrics.includes(name))) return 1;
      return 2;
    };
    const ordered = [...shared].sort((x, y) => rank(x) - rank(y) || x.localeCompare(y));
    const plots = ordered.slice(0, 4).map((name) => {
      const figure: CurvesFigure = {
        kind: 'curves',
        title: `${name}: A and B`,
        yLabel: name,
        logY: false,
        lines: [curveLine(`A: ${name}`, left.run.series[name]!), curveLine(`B: ${name}`, right.run.series[name]!)],
        marks: [],
        nonFinite: [],
      };
      return plotOf(figure);
    });
    return {
      schema: API_SCHEMA,
      a: side(a, left),
      b: side(b, right),
      differing,
      same,
      series: ordered.map((name) => ({ name, a: finite(lastFinite(left.run.series[name]!.values) ?? undefined), b: finite(lastFinite(right.run.series[name]!.values) ?? undefined) })),
      plots,
    };
  }
}

