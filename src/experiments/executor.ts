/**
 * The executor interface (DESIGN section 6): what the runner hands an executor and what it
 * gets back. Executors run trials — an argv, a working folder, a timeout — and report state
 * changes; they never interpret the command, never build a shell string, and never decide
 * what a trial means. `local` (src/experiments/executors/local.ts) runs a process pool;
 * `slurm` (src/experiments/executors/slurm.ts) submits sbatch job arrays.
 */

/** Trial lifecycle in the store: pending → submitted → running → done | failed | cancelled. */
export type TrialState = 'pending' | 'submitted' | 'running' | 'done' | 'failed' | 'cancelled';

/** One trial as an executor sees it: everything needed to run it, nothing to interpret. */
export interface TrialSpec {
  /** Stable id, unique within the study (e.g. `t0007-lr0.01-s1`); safe as a file name. */
  id: string;
  /** The command with every placeholder substituted: argv elements, never a shell string. */
  argv: string[];
  /** The trial's folder (absolute), inside the study folder; its logs go here. */
  dir: string;
  /** Seconds before the trial is killed (and marked failed with reason `timeout`). */
  timeoutSeconds: number;
  /** Extra environment for the trial (LADDER_TRIAL_ID, LADDER_TRIAL_DIR are always set). */
  env?: Record<string, string>;
}

/** A state change an executor reports for one trial. */
export interface TrialEvent {
  trialId: string;
  state: Exclude<TrialState, 'pending'>;
  /** Executor-side handle (pid, `jobid_taskid`), recorded in the store for resume and cancel. */
  handle?: string;
  exitCode?: number;
  /** Why a trial failed or was cancelled: `exit`, `timeout`, `signal`, `node-failure`, `cancelled`, `submit-error`. */
  reason?: string;
  /** The executor put the trial back in the queue (e.g. its node failed); it will run again. */
  requeued?: boolean;
}

export interface SubmitContext {
  /** Study name and id, for job names and comments that identify it. */
  study: { id: string; name: string };
  /** The study folder (absolute): the executor may write its own files under `<dir>/.executor/`. */
  dir: string;
  /** Called for every state change, in order per trial. */
  onEvent(event: TrialEvent): void;
  /** Aborted when the user cancels the whole study (Ctrl-C, `ladder cancel`). */
  signal: AbortSignal;
}

export interface Executor {
  readonly name: 'local' | 'slurm';
  /**
   * Runs the trials; resolves when every one of them reached done, failed or cancelled
   * (reported through `onEvent`). On abort it cancels what is queued or running, reports them
   * `cancelled`, and resolves.
   */
  run(trials: TrialSpec[], context: SubmitContext): Promise<void>;
  /**
   * After a crash of the runner: the current state of trials it had submitted, from their
   * recorded handles (a live pid, a job still in the queue). Trials whose handle is gone and
   * that left no completion marker are reported `failed` with reason `lost` so the runner can
   * retry them.
   */
  reattach?(trials: { spec: TrialSpec; handle: string }[], context: SubmitContext): Promise<void>;
}

/** Every trial writes this file in its folder when its command exits (exit code and time), so completion survives a runner crash. */
export const DONE_MARKER = '.ladder-exit';
