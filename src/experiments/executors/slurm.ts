/**
 * The `slurm` executor: one sbatch job array per submission, array task i = trial i.
 *
 *   <study>/.executor/slurm/<submission>/tasks.json   every trial's argv, folder, timeout, env
 *                                       /job.sh       exec node task.js tasks.json $SLURM_ARRAY_TASK_ID
 *                                       /jobs         the job ids submitted from it (one a line)
 *                                       /slurm-<job>_<index>.out   the task wrapper's own output
 *
 * No value from a plan reaches a shell: the batch script holds only validated, quoted paths
 * the executor chose, and task.js spawns the trial's argv directly (see slurm/task.ts). State
 * comes from `squeue -t all` while Slurm remembers the job, then from the completion marker the
 * task wrote in the trial folder, with the record from sacct / the job completion log /
 * `scontrol show job` (slurm/commands.ts) for tasks that ended without one.
 *
 * Node failure: tasks are submitted with `--requeue`, so Slurm puts a task whose node failed
 * back in the queue by itself (its restart count goes up); a task that still ends NODE_FAIL
 * (a site that forbids requeue) is resubmitted as a new array of just those indices. Either
 * way the trial is reported `submitted` with `requeued: true` and runs again. A requeued task
 * that Slurm later records FAILED by a signal with no completion marker was interrupted, not
 * finished, and is resubmitted too (at most twice; see INTERRUPTED_GRACE_MS).
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compiledSibling } from '../../compiled.js';
import { DONE_MARKER, type Executor, type SubmitContext, type TrialEvent, type TrialSpec } from '../executor.js';
import { DEFAULT_COMMANDS, FinishedRecords, queueRows, run, SlurmCommandError, type FinishedRecord, type QueueRow, type SlurmCommands } from './slurm/commands.js';
import { checkedPath, isInside, parseManifest, readMarker, shellQuote, slug, type Manifest } from './slurm/files.js';

export interface SlurmExecutorOptions {
  /** At most this many tasks of an array run at once (`--array=…%N`); default: as many as Slurm allows. */
  parallel?: number;
  /** `--partition`; default: the cluster's default partition. */
  partition?: string;
  /** More sbatch flags for the site (account, QOS, memory), as argv elements. */
  sbatchArgs?: string[];
  /** How often squeue is asked, in milliseconds (default 2000). */
  pollIntervalMs?: number;
  /** Give up when Slurm has not answered for this long, in milliseconds (default 10 minutes). */
  unreachableAfterMs?: number;
  /** Paths or names of the Slurm commands (default: found on PATH). */
  commands?: Partial<SlurmCommands>;
  /** The Node.js binary the compute nodes run the task program with (default: this one). */
  node?: string;
  /** The compiled task program (default: the one shipped next to this file). */
  taskScript?: string;
}

/** Slurm job states in which a task waits to run. Unknown states are treated the same way. */
const RUNNING_STATES = new Set(['RUNNING', 'COMPLETING', 'STAGE_OUT', 'SIGNALING', 'RESIZING']);
const FINISHED_STATES = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE', 'OUT_OF_MEMORY', 'REVOKED']);
/** How long a task may be missing from both squeue and the finished records before it counts as lost. */
const MISSING_GRACE_MS = 30_000;
/**
 * A trial requeued after a node failure can later be recorded FAILED by SIGTERM (exit 143)
 * with no completion marker: the terminate sent for the failed node reaches the relaunched
 * task (seen once in CI under load; Slurm's job_complete comments on this race with DOWN
 * nodes and requeue). task.js writes a marker whenever the command ends on its own, so such
 * an ending is an interruption, not the trial's result: after this grace for a late marker,
 * the task is resubmitted, at most MAX_INTERRUPTED_RESUBMITS times.
 */
const INTERRUPTED_GRACE_MS = 3_000;
const MAX_INTERRUPTED_RESUBMITS = 2;
/** Seconds the task program waits between SIGTERM and SIGKILL, plus start-up slack: added to `--time`. */
const TIME_LIMIT_SLACK_SECONDS = 65;

/** The task program shipped with ladder: next to this file when compiled, in dist/ when running from sources. */
function defaultTaskScript(): string {
  return compiledSibling(import.meta.url, path.join('slurm', 'task.js'));
}

interface Submission {
  folder: string;
  script: string;
}

interface Tracked {
  spec: TrialSpec;
  index: number;
  jobId: string;
  submission: Submission | undefined;
  phase: 'queued' | 'running' | 'finished';
  restarts: number;
  missingSince?: number;
  /** Times this trial was put back in the queue after a node failure (by Slurm or by us). */
  requeues: number;
  /** When a requeued task was first seen ended by a signal with no completion marker. */
  interruptedSince?: number;
}

const handleOf = (tracked: Tracked) => `${tracked.jobId}_${tracked.index}`;

/** Waits `ms`, or less if `signal` aborts meanwhile. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export class SlurmExecutor implements Executor {
  readonly name = 'slurm' as const;
  private readonly commands: SlurmCommands;
  private readonly pollIntervalMs: number;
  private readonly unreachableAfterMs: number;
  private submissionCount = 0;

  constructor(private readonly options: SlurmExecutorOptions = {}) {
    this.commands = { ...DEFAULT_COMMANDS, ...options.commands };
    this.pollIntervalMs = options.pollIntervalMs ?? 2000;
    this.unreachableAfterMs = options.unreachableAfterMs ?? 10 * 60 * 1000;
    if (options.parallel !== undefined && !(Number.isInteger(options.parallel) && options.parallel >= 1)) {
      throw new Error(`slurm executor: parallel must be a whole number ≥ 1 (got ${options.parallel})`);
    }
  }

  async run(trials: TrialSpec[], context: SubmitContext): Promise<void> {
    if (trials.length === 0) return;
    if (context.signal.aborted) {
      for (const spec of trials) context.onEvent({ trialId: spec.id, state: 'cancelled', reason: 'cancelled' });
      return;
    }
    const studyDir = checkedPath('study folder', context.dir);
    for (const spec of trials) this.checkTrial(studyDir, spec);

    const records = new FinishedRecords(this.commands);
    // Only completion-log lines written after this submission can be about it.
    records.startLogAt(FinishedRecords.logSize((await records.source()).jobCompLog));
    // A marker left by an earlier attempt of a trial would read as this attempt's result.
    for (const spec of trials) rmSync(path.join(spec.dir, DONE_MARKER), { force: true });
    const submission = this.writeSubmission(studyDir, trials, context);
    const jobId = await this.submit(submission, context, trials, `0-${trials.length - 1}`);
    const tracked: Tracked[] = trials.map((spec, index) => ({ spec, index, jobId, submission, phase: 'queued', restarts: 0, requeues: 0 }));
    for (const item of tracked) context.onEvent({ trialId: item.spec.id, state: 'submitted', handle: handleOf(item) });
    await this.track(tracked, context, records);
  }

  async reattach(trials: { spec: TrialSpec; handle: string }[], context: SubmitContext): Promise<void> {
    const studyDir = checkedPath('study folder', context.dir);
    const submissions = readSubmissions(studyDir);
    const tracked: Tracked[] = [];
    for (const { spec, handle } of trials) {
      const match = /^(\d+)_(\d+)$/.exec(handle);
      if (match) {
        const jobId = match[1]!;
        tracked.push({ spec, index: Number(match[2]), jobId, submission: submissions.byJob.get(jobId), phase: 'queued', restarts: 0, requeues: 0 });
        continue;
      }
      // No handle recorded (the runner stopped between sbatch and the event): the submission
      // folder knows which job holds the trial; with no job at all it was never submitted.
      const known = submissions.byTrial.get(spec.id);
      if (known) tracked.push({ spec, index: known.index, jobId: known.jobId, submission: known.submission, phase: 'queued', restarts: 0, requeues: 0 });
      else context.onEvent({ trialId: spec.id, state: 'failed', reason: 'not-started' });
    }
    if (tracked.length === 0) return;
    // The completion log is read from its start: the runner does not know where it stood.
    await this.track(tracked, context, new FinishedRecords(this.commands, 0));
  }

  private checkTrial(studyDir: string, spec: TrialSpec): void {
    const dir = checkedPath(`trial ${spec.id} folder`, spec.dir);
    if (!isInside(studyDir, dir) || dir === studyDir) throw new Error(`trial ${spec.id}: its folder ${dir} is not inside the study folder ${studyDir}`);
    if (spec.argv.length === 0 || spec.argv.some((arg) => typeof arg !== 'string' || arg.includes('\0'))) {
      throw new Error(`trial ${spec.id}: argv must be a non-empty list of strings without NUL characters`);
    }
  }

  private writeSubmission(studyDir: string, trials: TrialSpec[], context: SubmitContext): Submission {
    const stamp = new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14);
    const folder = path.join(studyDir, '.executor', 'slurm', `${stamp}-${process.pid}-${++this.submissionCount}`);
    mkdirSync(folder, { recursive: true });
    const manifest: Manifest = {
      version: 1,
      study: context.study,
      trials: trials.map((spec) => ({ id: spec.id, argv: spec.argv, dir: path.normalize(spec.dir), timeoutSeconds: spec.timeoutSeconds, env: spec.env ?? {} })),
    };
    const manifestPath = checkedPath('manifest', path.join(folder, 'tasks.json'));
    writeFileSync(manifestPath, `${JSON.stringify(manifest)}\n`, { mode: 0o600 });
    const node = checkedPath('node binary', this.options.node ?? process.execPath);
    const task = checkedPath('task program', this.options.taskScript ?? defaultTaskScript());
    if (!existsSync(task)) throw new Error(`slurm executor: the task program ${task} is missing; build ladder first (npm run build)`);
    const script = checkedPath('batch script', path.join(folder, 'job.sh'));
    writeFileSync(
      script,
      [
        '#!/bin/sh',
        '# Written by ladder: array task N runs trial N of tasks.json (argv spawned without a shell).',
        `exec ${shellQuote(node)} ${shellQuote(task)} ${shellQuote(manifestPath)} "$SLURM_ARRAY_TASK_ID"`,
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    return { folder, script };
  }

  /** sbatch for `indices` (`0-9` or `3,7`) of a submission; returns the array job id. */
  private async submit(submission: Submission, context: SubmitContext, trials: TrialSpec[], indices: string): Promise<string> {
    const longest = Math.max(...trials.map((spec) => spec.timeoutSeconds));
    const minutes = Number.isFinite(longest) && longest > 0 ? Math.ceil((longest + TIME_LIMIT_SLACK_SECONDS) / 60) : undefined;
    const args = [
      '--parsable',
      `--array=${indices}${this.options.parallel ? `%${this.options.parallel}` : ''}`,
      `--job-name=ladder-${slug(context.study.name)}`,
      `--comment=ladder:${slug(context.study.id, 128)}`,
      `--chdir=${submission.folder}`,
      '--output=slurm-%A_%a.out',
      '--requeue',
      ...(minutes ? [`--time=${minutes}`] : []),
      ...(this.options.partition ? [`--partition=${this.options.partition}`] : []),
      ...(this.options.sbatchArgs ?? []),
      submission.script,
    ];
    let output: string;
    try {
      output = await run(this.commands.sbatch, args);
    } catch (error) {
      throw new Error(`slurm executor: ${(error as Error).message} (submitting ${submission.script})`);
    }
    const jobId = /^(\d+)/.exec(output.trim())?.[1];
    if (!jobId) throw new Error(`slurm executor: sbatch --parsable printed no job id: ${JSON.stringify(output.trim())}`);
    appendFileSync(path.join(submission.folder, 'jobs'), `${jobId} ${indices}\n`);
    return jobId;
  }

  /** Polls until every tracked task finished, reporting each change. */
  private async track(tracked: Tracked[], context: SubmitContext, records: FinishedRecords): Promise<void> {
    const emit = (event: TrialEvent) => context.onEvent(event);
    let cancelSent = false;
    let unansweredSince: number | undefined;
    let lastError: Error | undefined;

    const ensureRunning = (item: Tracked) => {
      if (item.phase === 'queued') emit({ trialId: item.spec.id, state: 'running', handle: handleOf(item) });
      item.phase = 'running';
    };
    const finish = (item: Tracked, event: Omit<TrialEvent, 'trialId' | 'handle'>) => {
      if (event.state === 'done' || event.state === 'failed') ensureRunning(item);
      item.phase = 'finished';
      emit({ trialId: item.spec.id, handle: handleOf(item), ...event });
    };

    while (tracked.some((item) => item.phase !== 'finished')) {
      const open = tracked.filter((item) => item.phase !== 'finished');
      const jobIds = [...new Set(open.map((item) => item.jobId))];
      try {
        if (context.signal.aborted && !cancelSent) {
          await run(this.commands.scancel, jobIds);
          cancelSent = true;
        }
        const rows = new Map<string, QueueRow>();
        for (const row of await queueRows(this.commands, jobIds)) rows.set(`${row.jobId}_${row.taskIndex}`, row);
        const needsRecord = open.some((item) => {
          const row = rows.get(handleOf(item));
          return !row || (FINISHED_STATES.has(row.state) && !readMarker(item.spec.dir));
        });
        const finished = needsRecord ? await records.read(jobIds) : new Map<string, FinishedRecord>();
        unansweredSince = undefined;

        const toResubmit: Tracked[] = [];
        for (const item of open) {
          const row = rows.get(handleOf(item));
          if (row && row.restarts > item.restarts) {
            // Slurm requeued it (node failure): it is waiting to run again.
            item.restarts = row.restarts;
            item.requeues += 1;
            item.phase = 'queued';
            emit({ trialId: item.spec.id, state: 'submitted', handle: handleOf(item), requeued: true, reason: 'node-failure' });
          }
          if (row && RUNNING_STATES.has(row.state)) {
            ensureRunning(item);
            continue;
          }
          const state = row && FINISHED_STATES.has(row.state) ? row.state : row ? undefined : finished.get(handleOf(item))?.state;
          if (row && !state) continue; // queued
          const marker = readMarker(item.spec.dir);
          if (!state && !marker) {
            item.missingSince ??= Date.now();
            if (cancelSent) finish(item, { state: 'cancelled', reason: 'cancelled' });
            else if (Date.now() - item.missingSince > MISSING_GRACE_MS) finish(item, { state: 'failed', reason: 'lost' });
            continue;
          }
          if (marker) {
            finish(item, marker.exitCode === 0 ? { state: 'done', exitCode: 0 } : { state: 'failed', exitCode: marker.exitCode, reason: marker.reason });
          } else if (state === 'NODE_FAIL' && !cancelSent) {
            toResubmit.push(item);
          } else if (state === 'CANCELLED' || state === 'NODE_FAIL' || cancelSent) {
            finish(item, { state: 'cancelled', reason: 'cancelled' });
          } else {
            const record = finished.get(handleOf(item));
            const exitCode = record ? (record.signal ? 128 + record.signal : record.exitCode) : undefined;
            const killed = record !== undefined && (record.signal !== 0 || record.exitCode > 128);
            if (state === 'FAILED' && killed && item.requeues > 0 && item.requeues <= MAX_INTERRUPTED_RESUBMITS) {
              item.interruptedSince ??= Date.now();
              if (Date.now() - item.interruptedSince > INTERRUPTED_GRACE_MS) {
                item.interruptedSince = undefined;
                toResubmit.push(item);
              }
              continue;
            }
            if (state === 'COMPLETED' && (exitCode ?? 0) === 0) finish(item, { state: 'done', exitCode: 0 });
            else finish(item, { state: 'failed', ...(exitCode !== undefined ? { exitCode } : {}), reason: state === 'TIMEOUT' || state === 'DEADLINE' ? 'timeout' : record?.signal ? 'signal' : 'exit' });
          }
        }
        if (toResubmit.length > 0) await this.resubmit(toResubmit, context, emit);
      } catch (error) {
        if (error instanceof SlurmCommandError) {
          lastError = error;
          unansweredSince ??= Date.now();
          if (Date.now() - unansweredSince > this.unreachableAfterMs) {
            throw new Error(`slurm executor: Slurm has not answered for ${Math.round((Date.now() - unansweredSince) / 1000)} s (${lastError.message}); the jobs may still run — resume later to pick them up`);
          }
        } else {
          throw error;
        }
      }
      if (tracked.some((item) => item.phase !== 'finished')) await sleep(this.pollIntervalMs, cancelSent ? undefined : context.signal);
    }
  }

  /** Tasks that ended NODE_FAIL without being requeued by Slurm: a new array of just their indices. */
  private async resubmit(items: Tracked[], context: SubmitContext, emit: (event: TrialEvent) => void): Promise<void> {
    const bySubmission = new Map<Submission | undefined, Tracked[]>();
    for (const item of items) bySubmission.set(item.submission, [...(bySubmission.get(item.submission) ?? []), item]);
    for (const [submission, group] of bySubmission) {
      if (!submission) {
        for (const item of group) {
          item.phase = 'finished';
          emit({ trialId: item.spec.id, state: 'failed', handle: handleOf(item), reason: 'node-failure' });
        }
        continue;
      }
      const jobId = await this.submit(submission, context, group.map((item) => item.spec), group.map((item) => item.index).join(','));
      for (const item of group) {
        item.jobId = jobId;
        item.restarts = 0;
        item.requeues += 1;
        item.phase = 'queued';
        item.missingSince = undefined;
        emit({ trialId: item.spec.id, state: 'submitted', handle: handleOf(item), requeued: true, reason: 'node-failure' });
      }
    }
  }
}

/** `0-49`, `3,7` or `0-9%2` → the array indices it names. */
function arrayIndices(spec: string): Set<number> {
  const indices = new Set<number>();
  for (const part of spec.split('%')[0]!.split(',')) {
    const [from, to] = part.split('-').map(Number);
    if (from === undefined || !Number.isInteger(from)) continue;
    for (let i = from; i <= (to ?? from); i++) indices.add(i);
  }
  return indices;
}

/**
 * A study's earlier submissions (for reattach): job id → submission, and trial id → the
 * latest job that ran it, from each submission's `tasks.json` and `jobs` (`<job id> <indices>`).
 */
function readSubmissions(studyDir: string): {
  byJob: Map<string, Submission>;
  byTrial: Map<string, { submission: Submission; index: number; jobId: string }>;
} {
  const root = path.join(studyDir, '.executor', 'slurm');
  const byJob = new Map<string, Submission>();
  const byTrial = new Map<string, { submission: Submission; index: number; jobId: string }>();
  if (!existsSync(root)) return { byJob, byTrial };
  for (const name of readdirSync(root).sort()) {
    const folder = path.join(root, name);
    const jobsFile = path.join(folder, 'jobs');
    if (!existsSync(jobsFile)) continue;
    const submission = { folder, script: path.join(folder, 'job.sh') };
    let trialIds: string[] = [];
    try {
      trialIds = parseManifest(JSON.parse(readFileSync(path.join(folder, 'tasks.json'), 'utf8'))).trials.map((trial) => trial.id);
    } catch {
      // Without its manifest the submission still maps job ids, not trials.
    }
    for (const line of readFileSync(jobsFile, 'utf8').split('\n')) {
      const match = /^(\d+)(?: (\S+))?$/.exec(line.trim());
      if (!match) continue;
      const jobId = match[1]!;
      byJob.set(jobId, submission);
      const indices = match[2] ? arrayIndices(match[2]) : new Set(trialIds.keys());
      for (const index of indices) if (trialIds[index] !== undefined) byTrial.set(trialIds[index], { submission, index, jobId });
    }
  }
  return { byJob, byTrial };
}

/** The Slurm executor with `options`. */
export function slurmExecutor(options: SlurmExecutorOptions = {}): SlurmExecutor {
  return new SlurmExecutor(options);
}
