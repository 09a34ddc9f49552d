/**
 * The runner (DESIGN section 6): plan → trials in the store → executor → ingest → diagnosis.
 *
 *   loadPlan → expandPlan → store (study + pending trials)
 *     → recover (reattach submitted/running trials; requeue cancelled ones)
 *     → rounds: pending → submitted (written BEFORE the executor is called) → executor events
 *       → running/done/failed/cancelled (written as they arrive); failed → pending while the
 *       plan's retries last
 *     → ingest every done trial's folder → assembleStudy → diagnoseStudy → findings, verdict
 *
 * Crash safety: the store is the truth. Every transition is a transaction; a trial is marked
 * submitted before it is handed to the executor, and its completion survives the runner in
 * the trial folder (DONE_MARKER, written by the trial's supervisor). A runner killed at any
 * instant resumes from the store: done trials are never run again, trials that finished while
 * it was down are finalized from their marker, live ones are waited for, and trials that
 * never started are requeued — so no trial is lost and none is run twice to completion.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ingest } from '../ingest/ingest.js';
import type { IngestIssue } from '../ingest/issues.js';
import { diagnoseRun, type Diagnosis } from '../ladder/diagnose.js';
import { diagnosisToJson } from '../ladder/to-json.js';
import type { HValue, Run } from '../model/run.js';
import { diagnoseStudy } from '../studies/diagnose-study.js';
import { assembleStudy, type StudyConfig } from '../studies/study.js';
import type { Executor, SubmitContext, TrialEvent, TrialSpec, TrialState } from './executor.js';
import { expandPlan, loadPlan, PlanError, planHash, studyFolder, type LoadedPlan, type Plan } from './plan.js';
import { IllegalTransition, TERMINAL, type Store, type TrialRow } from './store.js';

export interface Progress {
  counts: Record<TrialState, number>;
  total: number;
  /** Seconds until every trial is done at the rate of this session, when it can be estimated. */
  etaSeconds?: number;
}

export interface RunStudyOptions {
  planFile: string;
  /** `--out`: the study folder (default from the plan). */
  out?: string;
  store: Store;
  executor: Executor;
  /** `--resume`: the study must exist already. */
  resume?: boolean;
  signal?: AbortSignal;
  onProgress?(progress: Progress): void;
  /** Things the user should know that are not errors (illegal executor events, requeues). */
  onNote?(note: string): void;
  /** Skip ingest and diagnosis (the benchmark measures the executor alone). */
  trialsOnly?: boolean;
}

export interface StudyOutcome {
  studyId: string;
  name: string;
  dir: string;
  resumed: boolean;
  cancelled: boolean;
  counts: Record<TrialState, number>;
  /** The diagnosis of the study's runs, when it was diagnosed. */
  diagnosis?: Diagnosis;
  /** The ladder.diagnosis/v1 document of `diagnosis`. */
  diagnosisJson?: unknown;
  /** Why the runs were not diagnosed as a study (or at all). */
  notDiagnosed?: string;
  runs: number;
  issues: IngestIssue[];
}

export function studyIdFor(name: string, dir: string): string {
  return `${name}-${createHash('sha256').update(dir).digest('hex').slice(0, 8)}`;
}

function specOf(row: TrialRow, plan: Plan): TrialSpec {
  return { id: row.id, argv: JSON.parse(row.argv_json) as string[], dir: row.dir, timeoutSeconds: plan.timeout, env: JSON.parse(row.env_json) as Record<string, string> };
}

/** Opens or creates the study of a plan in the store; refuses a study started from another plan. */
export async function prepareStudy(options: Pick<RunStudyOptions, 'planFile' | 'out' | 'store' | 'resume' | 'executor'>): Promise<{ loaded: LoadedPlan; studyId: string; dir: string; resumed: boolean }> {
  const loaded = await loadPlan(options.planFile);
  const dir = studyFolder(loaded, options.out);
  const trials = expandPlan(loaded, dir);
  const hash = planHash(loaded.plan);
  const existing = options.store.studyByDir(dir);
  if (existing) {
    if (existing.plan_hash !== hash) {
      throw new PlanError(options.planFile, '', `the study in ${dir} was started from a different plan (${existing.plan_file}); run it with --out NEW_FOLDER, or resume it with its own plan`);
    }
    mkdirSync(path.join(dir, 'trials'), { recursive: true });
    return { loaded, studyId: existing.id, dir, resumed: true };
  }
  if (options.resume) throw new PlanError(options.planFile, '', `--resume: no study in ${options.store.file} for ${dir}; run it without --resume to start it`);
  const studyId = studyIdFor(loaded.plan.name, dir);
  mkdirSync(path.join(dir, 'trials'), { recursive: true });
  options.store.createStudy(
    { id: studyId, name: loaded.plan.name, dir, planFile: loaded.file, plan: loaded.plan, planHash: hash, executor: options.executor.name },
    trials.map((t) => ({ id: t.id, index: t.index, params: t.params, argv: t.argv, env: t.env, dir: t.dir })),
  );
  return { loaded, studyId, dir, resumed: false };
}

export async function runStudy(options: RunStudyOptions): Promise<StudyOutcome> {
  const { store, executor } = options;
  const signal = options.signal ?? new AbortController().signal;
  const note = options.onNote ?? (() => {});
  const { loaded, studyId, dir, resumed } = await prepareStudy(options);
  const plan = loaded.plan;
  store.setStudyState(studyId, 'running', executor.name);
  const total = store.trials(studyId).length;
  const started = Date.now();
  let finishedThisSession = 0;

  const progress = () => {
    if (!options.onProgress) return;
    const counts = store.counts(studyId);
    const remaining = counts.pending + counts.submitted + counts.running;
    const elapsed = (Date.now() - started) / 1000;
    const report: Progress = { counts, total };
    if (finishedThisSession > 0 && remaining > 0) report.etaSeconds = (elapsed / finishedThisSession) * remaining;
    options.onProgress(report);
  };

  /** Applies an executor event to the store; events the state machine refuses are noted, not fatal. */
  const onEvent = (event: TrialEvent) => {
    const row = store.trial(studyId, event.trialId);
    if (!row) return note(`executor reported an unknown trial ${event.trialId}`);
    try {
      if (event.state === row.state) {
        if (event.handle !== undefined) store.setHandle(studyId, row.id, event.handle);
        return;
      }
      if (event.reason === 'not-started' && row.state === 'submitted') {
        // Handed to the executor but never started before a crash: back in the queue, not a retry.
        store.transition(studyId, row.id, 'pending');
      } else {
        const details: { handle?: string; exitCode?: number | null; reason?: string | null } = {};
        if (event.handle !== undefined) details.handle = event.handle;
        if (event.exitCode !== undefined) details.exitCode = event.exitCode;
        if (event.reason !== undefined) details.reason = event.reason;
        if (event.requeued) details.reason = event.reason ?? 'requeued';
        store.transition(studyId, row.id, event.state, details);
        if (TERMINAL.includes(event.state)) finishedThisSession++;
      }
    } catch (error) {
      if (error instanceof IllegalTransition) return note(`${error.message} (executor ${executor.name} event ignored)`);
      throw error;
    }
    progress();
  };
  const context: SubmitContext = { study: { id: studyId, name: plan.name }, dir, onEvent, signal };

  // Recovery: what a previous runner left submitted or running, and what a Ctrl-C cancelled.
  const inFlight = store.trials(studyId).filter((t) => t.state === 'submitted' || t.state === 'running');
  if (inFlight.length > 0) {
    if (executor.reattach) await executor.reattach(inFlight.map((row) => ({ spec: specOf(row, plan), handle: row.handle ?? '' })), context);
    else for (const row of inFlight) onEvent({ trialId: row.id, state: 'failed', reason: 'lost' });
  }
  if (!signal.aborted) for (const row of store.trials(studyId)) if (row.state === 'cancelled') store.transition(studyId, row.id, 'pending');
  progress();

  while (!signal.aborted) {
    for (const row of store.trials(studyId)) {
      if (row.state === 'failed' && row.retries < plan.retries && row.reason !== 'submit-error') store.transition(studyId, row.id, 'pending', {}, plan.retries);
    }
    const pending = store.trials(studyId).filter((t) => t.state === 'pending');
    if (pending.length === 0) break;
    store.db.transaction(() => {
      for (const row of pending) store.transition(studyId, row.id, 'submitted');
    })();
    progress();
    await executor.run(
      pending.map((row) => specOf(row, plan)),
      context,
    );
  }

  if (signal.aborted) {
    store.db.transaction(() => {
      for (const row of store.trials(studyId)) if (row.state === 'pending' || row.state === 'submitted') store.transition(studyId, row.id, 'cancelled', { reason: 'cancelled' });
    })();
    store.setStudyState(studyId, 'cancelled');
    return { studyId, name: plan.name, dir, resumed, cancelled: true, counts: store.counts(studyId), runs: 0, issues: [] };
  }
  const counts = store.counts(studyId);
  if (options.trialsOnly) {
    store.setStudyState(studyId, 'finished');
    return { studyId, name: plan.name, dir, resumed, cancelled: false, counts, runs: 0, issues: [] };
  }
  const outcome = await diagnoseTrials(store, studyId, plan);
  store.setStudyState(studyId, 'finished');
  return { studyId, name: plan.name, dir, resumed, cancelled: false, counts, ...outcome };
}

/** The study config the plan implies: its objective and its scientific / nuisance keys. */
export function studyConfigOf(plan: Plan): StudyConfig {
  const config: StudyConfig = {};
  if (plan.objective) config.objective = { metric: plan.objective.metric, direction: plan.objective.direction === 'maximize' ? 'higher' : 'lower' };
  if (plan.scientific) config.scientific = plan.scientific;
  if (plan.nuisance) config.nuisance = plan.nuisance;
  return config;
}

/**
 * Ingests every done trial's folder, gives each run the trial's parameters as hyperparameters
 * (keys the run did not log itself), and diagnoses the runs as one study.
 */
export async function diagnoseTrials(store: Store, studyId: string, plan: Plan): Promise<Pick<StudyOutcome, 'diagnosis' | 'diagnosisJson' | 'notDiagnosed' | 'runs' | 'issues'>> {
  const done = store.trials(studyId).filter((t) => t.state === 'done');
  const runs: Run[] = [];
  const stored: { trialId: string; runId: string; format: string; path: string }[] = [];
  const issues: IngestIssue[] = [];
  for (const trial of done) {
    const result = await ingest([trial.dir]);
    issues.push(...result.issues);
    const params = JSON.parse(trial.params_json) as Record<string, HValue>;
    for (const run of result.runs) {
      for (const [key, value] of Object.entries(params)) if (!(key in run.hparams)) run.hparams[key] = value;
      run.id = result.runs.length === 1 ? trial.id : `${trial.id}/${run.id}`;
      runs.push(run);
      stored.push({ trialId: trial.id, runId: run.id, format: run.format, path: run.paths[0] ? path.resolve(trial.dir, run.paths[0]) : trial.dir });
    }
  }
  let diagnosis: Diagnosis | undefined;
  let notDiagnosed: string | undefined;
  if (runs.length === 0) notDiagnosed = done.length === 0 ? 'no trial finished' : 'the finished trials wrote no logs ladder can read';
  else if (runs.length === 1) diagnosis = diagnoseRun(runs[0]!);
  else {
    const assembled = assembleStudy(runs, studyConfigOf(plan));
    if ('study' in assembled) diagnosis = diagnoseStudy(assembled.study, plan.name);
    else notDiagnosed = `the runs are not a study: ${assembled.notStudy}`;
  }
  const json = diagnosis ? diagnosisToJson(diagnosis, issues, plan.name) : undefined;
  store.saveResults(
    studyId,
    stored,
    (diagnosis?.findings ?? []).map((f) => ({ code: f.code, layer: f.layer, severity: f.severity, summary: f.summary, json: JSON.stringify(f) })),
    diagnosis?.verdict.layer ?? null,
    json ? JSON.stringify(json) : null,
  );
  const outcome: Pick<StudyOutcome, 'diagnosis' | 'diagnosisJson' | 'notDiagnosed' | 'runs' | 'issues'> = { runs: runs.length, issues };
  if (diagnosis) outcome.diagnosis = diagnosis;
  if (json) outcome.diagnosisJson = json;
  if (notDiagnosed !== undefined) outcome.notDiagnosed = notDiagnosed;
  return outcome;
}
