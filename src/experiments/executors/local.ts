/**
 * The local executor: a process pool on this machine (DESIGN section 6).
 *
 * Each trial runs in its own process group (so a timeout or a Ctrl-C reaches everything the
 * command started), with its folder as working directory and its stdout and stderr in
 * `stdout.log` / `stderr.log` there. The argv is executed as given: no value is ever parsed by
 * a shell.
 *
 * Why a supervisor: completion must survive a crash of the runner (a SIGKILL, a closed
 * laptop lid), and a process can only learn the exit status of its own children. So every
 * trial runs under a tiny supervisor that outlives the runner: it records its pid in
 * `.ladder-started`, runs the command, and writes the exit code to DONE_MARKER. The
 * supervisor is `/bin/sh` running the FIXED script below with the trial's argv as its
 * positional parameters, executed as `"$@"` — the values are data to it, never code, and the
 * program is an absolute path (resolved here from PATH), so no builtin or function can be
 * named by a value. A Node supervisor would cost a Node start-up (~40 ms) per trial; sh costs
 * about a millisecond.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, closeSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DONE_MARKER, type Executor, type SubmitContext, type TrialEvent, type TrialSpec } from '../executor.js';

/** Written by the supervisor before the command starts: its pid. */
export const STARTED_MARKER = '.ladder-started';
export const STDOUT_FILE = 'stdout.log';
export const STDERR_FILE = 'stderr.log';

const SUPERVISOR_SCRIPT = [
  `printf '%s\\n' "$$" > ${STARTED_MARKER}`,
  '"$@"',
  'c=$?',
  `printf '{"exitCode":%d}\\n' "$c" > ${DONE_MARKER}`,
  'exit "$c"',
].join('\n');
const SUPERVISOR_NAME = 'ladder-trial';
const SHELL = '/bin/sh';

export interface LocalExecutorOptions {
  /** Trials run at once (default: the number of cores). */
  parallel?: number;
  /** Milliseconds between SIGTERM and SIGKILL when a trial is stopped (default 5,000). */
  killGraceMs?: number;
  /** Milliseconds between checks of reattached trials (default 200). */
  pollMs?: number;
}

export interface CompletionMarker {
  exitCode: number | null;
  signal?: string;
  reason?: string;
}

/** The completion marker of a trial folder, or undefined when absent or not yet fully written. */
export function readMarker(dir: string): CompletionMarker | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(dir, DONE_MARKER), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value = JSON.parse(text) as CompletionMarker;
    return typeof value === 'object' && value !== null && (typeof value.exitCode === 'number' || value.exitCode === null) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Removes what a previous attempt left behind that would be mistaken for this attempt's. */
export function clearMarkers(dir: string): void {
  rmSync(path.join(dir, DONE_MARKER), { force: true });
  rmSync(path.join(dir, STARTED_MARKER), { force: true });
}

/** The absolute path of a program, looked up in PATH like execvp; undefined when not found. */
export function resolveProgram(program: string, cwd: string, envPath = process.env.PATH ?? ''): string | undefined {
  const executable = (file: string) => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  };
  if (program.includes('/')) {
    const full = path.resolve(cwd, program);
    return executable(full) ? full : undefined;
  }
  for (const dir of envPath.split(path.delimiter)) {
    if (dir === '') continue;
    const full = path.join(dir, program);
    if (executable(full)) return full;
  }
  return undefined;
}

/** Alive and not a zombie (an orphan whose reaper has not collected it has exited). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** Is `pid` the supervisor of the trial in `dir` (not a recycled pid)? Its working folder says. */
function supervisesTrial(pid: number, dir: string): boolean {
  if (!alive(pid)) return false;
  try {
    return readlinkSync(`/proc/${pid}/cwd`) === dir;
  } catch {
    return process.platform !== 'linux';
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}

/** Sends SIGKILL to a process group and waits (up to `limitMs`) until no live member is left. */
async function emptyGroup(pgid: number, limitMs: number): Promise<void> {
  const until = Date.now() + limitMs;
  for (;;) {
    killGroup(pgid, 'SIGKILL');
    if (!groupHasLiveMember(pgid) || Date.now() > until) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function groupHasLiveMember(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  if (process.platform !== 'linux') return true;
  // Zombies answer kill(0) until their reaper collects them: only live members count.
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') return true;
    } catch {
      // The process exited while we looked.
    }
  }
  return false;
}

function pidFromStarted(dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dir, STARTED_MARKER), 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function markerEvent(trialId: string, marker: CompletionMarker, handle: string | undefined): TrialEvent {
  const base: TrialEvent = { trialId, state: marker.exitCode === 0 ? 'done' : 'failed' };
  if (handle) base.handle = handle;
  if (marker.exitCode !== null) base.exitCode = marker.exitCode;
  if (marker.exitCode !== 0) base.reason = marker.reason ?? (marker.exitCode === null ? 'signal' : 'exit');
  return base;
}

export function localExecutor(options: LocalExecutorOptions = {}): Executor {
  const parallel = Math.max(1, options.parallel ?? os.availableParallelism());
  const grace = options.killGraceMs ?? 5_000;
  const pollMs = options.pollMs ?? 200;
  if (process.platform === 'win32') throw new Error('the local executor needs a POSIX system (process groups and /bin/sh)');

  return {
    name: 'local',

    run(trials: TrialSpec[], context: SubmitContext): Promise<void> {
      return new Promise((resolve) => {
        const queue = [...trials];
        let active = 0;
        const stops = new Map<string, () => void>();
        const programs = new Map<string, string | undefined>();

        const finish = () => {
          if (queue.length === 0 && active === 0) {
            context.signal.removeEventListener('abort', onAbort);
            resolve();
          }
        };
        const onAbort = () => {
          for (const spec of queue.splice(0)) context.onEvent({ trialId: spec.id, state: 'cancelled', reason: 'cancelled' });
          for (const stop of stops.values()) stop();
          finish();
        };

        const launch = (spec: TrialSpec) => {
          const program = programs.has(spec.argv[0]!) ? programs.get(spec.argv[0]!) : resolveProgram(spec.argv[0]!, spec.dir);
          programs.set(spec.argv[0]!, program);
          let out: number | undefined;
          let err: number | undefined;
          try {
            mkdirSync(spec.dir, { recursive: true });
            clearMarkers(spec.dir);
            if (program === undefined) {
              writeFileSync(path.join(spec.dir, STDERR_FILE), `ladder: command not found: ${spec.argv[0]} (PATH=${process.env.PATH ?? ''})\n`, { flag: 'a' });
              context.onEvent({ trialId: spec.id, state: 'failed', reason: 'submit-error', exitCode: 127 });
              return;
            }
            out = openSync(path.join(spec.dir, STDOUT_FILE), 'a');
            err = openSync(path.join(spec.dir, STDERR_FILE), 'a');
          } catch (error) {
            if (out !== undefined) closeSync(out);
            context.onEvent({ trialId: spec.id, state: 'failed', reason: 'submit-error' });
            void error;
            return;
          }
          const child = spawn(SHELL, ['-c', SUPERVISOR_SCRIPT, SUPERVISOR_NAME, program, ...spec.argv.slice(1)], {
            cwd: spec.dir,
            detached: true,
            stdio: ['ignore', out, err],
            env: { ...process.env, ...spec.env, LADDER_TRIAL_ID: spec.id, LADDER_TRIAL_DIR: spec.dir },
          });
          closeSync(out);
          closeSync(err);
          active++;
          const pid = child.pid;
          let stopping: 'timeout' | 'cancelled' | undefined;
          let killTimer: NodeJS.Timeout | undefined;
          const stop = (why: 'timeout' | 'cancelled') => {
            if (stopping || pid === undefined) return;
            stopping = why;
            killGroup(pid, 'SIGTERM');
            killTimer = setTimeout(() => killGroup(pid, 'SIGKILL'), grace);
            killTimer.unref();
          };
          const timer = setTimeout(() => stop('timeout'), Math.min(spec.timeoutSeconds * 1000, 2 ** 31 - 1));
          if (pid !== undefined) {
            stops.set(spec.id, () => stop('cancelled'));
            context.onEvent({ trialId: spec.id, state: 'running', handle: String(pid) });
          }
          let settled = false;
          const settle = async (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => {
            if (settled) return;
            settled = true;
            // A stopped trial is over when its whole group is: whatever the command started
            // (data loader workers, a server) is killed before the trial is reported.
            if (stopping && pid !== undefined) await emptyGroup(pid, grace + 1_000);
            clearTimeout(timer);
            if (killTimer) clearTimeout(killTimer);
            stops.delete(spec.id);
            active--;
            if (spawnError) {
              context.onEvent({ trialId: spec.id, state: 'failed', reason: 'submit-error' });
            } else if (stopping === 'timeout') {
              writeFileSync(path.join(spec.dir, DONE_MARKER), `${JSON.stringify({ exitCode: null, signal: signal ?? 'SIGTERM', reason: 'timeout' })}\n`);
              context.onEvent({ trialId: spec.id, state: 'failed', reason: 'timeout' });
            } else if (stopping === 'cancelled') {
              context.onEvent({ trialId: spec.id, state: 'cancelled', reason: 'cancelled' });
            } else if (code === 0) {
              context.onEvent({ trialId: spec.id, state: 'done', exitCode: 0 });
            } else if (code !== null) {
              context.onEvent({ trialId: spec.id, state: 'failed', reason: 'exit', exitCode: code });
            } else {
              writeFileSync(path.join(spec.dir, DONE_MARKER), `${JSON.stringify({ exitCode: null, signal, reason: 'signal' })}\n`);
              context.onEvent({ trialId: spec.id, state: 'failed', reason: 'signal' });
            }
            pump();
          };
          child.once('error', (error) => void settle(null, null, error));
          child.once('exit', (code, signal) => void settle(code, signal));
        };

        const pump = () => {
          while (!context.signal.aborted && active < parallel && queue.length > 0) launch(queue.shift()!);
          finish();
        };

        if (context.signal.aborted) onAbort();
        else {
          context.signal.addEventListener('abort', onAbort, { once: true });
          pump();
        }
      });
    },

    reattach(trials: { spec: TrialSpec; handle: string }[], context: SubmitContext): Promise<void> {
      return new Promise((resolve) => {
        type Watched = { spec: TrialSpec; pid: number; deadline: number; stopping?: 'timeout' | 'cancelled'; killAt?: number };
        const watched: Watched[] = [];
        const unstarted: TrialSpec[] = [];
        const settleFromFolder = (spec: TrialSpec, pid: number | undefined, fallbackReason: string): void => {
          const marker = readMarker(spec.dir);
          if (marker) context.onEvent(markerEvent(spec.id, marker, pid === undefined ? undefined : String(pid)));
          else context.onEvent({ trialId: spec.id, state: 'failed', reason: fallbackReason });
        };
        const consider = (spec: TrialSpec, handle: string): 'settled' | 'watching' | 'unstarted' => {
          const marker = readMarker(spec.dir);
          if (marker) {
            context.onEvent(markerEvent(spec.id, marker, handle || undefined));
            return 'settled';
          }
          const fromHandle = Number(handle);
          const candidates = [Number.isSafeInteger(fromHandle) && fromHandle > 0 ? fromHandle : undefined, pidFromStarted(spec.dir)];
          const pid = candidates.find((p): p is number => p !== undefined && supervisesTrial(p, spec.dir));
          if (pid !== undefined) {
            let startedMs = Date.now();
            try {
              startedMs = statSync(path.join(spec.dir, STARTED_MARKER)).mtimeMs;
            } catch {
              // No start time on record: the timeout counts from now.
            }
            watched.push({ spec, pid, deadline: startedMs + spec.timeoutSeconds * 1000 });
            context.onEvent({ trialId: spec.id, state: 'running', handle: String(pid) });
            return 'watching';
          }
          if (pidFromStarted(spec.dir) !== undefined) {
            // It started and its supervisor is gone without a marker: lost (e.g. the machine rebooted).
            settleFromFolder(spec, undefined, 'lost');
            return 'settled';
          }
          return 'unstarted';
        };
        for (const { spec, handle } of trials) if (consider(spec, handle) === 'unstarted') unstarted.push(spec);

        const tick = () => {
          const now = Date.now();
          for (let i = watched.length - 1; i >= 0; i--) {
            const w = watched[i]!;
            if (!alive(w.pid)) {
              watched.splice(i, 1);
              if (w.stopping === 'cancelled') context.onEvent({ trialId: w.spec.id, state: 'cancelled', reason: 'cancelled' });
              else if (w.stopping === 'timeout') {
                writeFileSync(path.join(w.spec.dir, DONE_MARKER), `${JSON.stringify({ exitCode: null, reason: 'timeout' })}\n`);
                context.onEvent({ trialId: w.spec.id, state: 'failed', reason: 'timeout' });
              } else settleFromFolder(w.spec, w.pid, 'lost');
              continue;
            }
            const stopFor = context.signal.aborted ? 'cancelled' : now > w.deadline ? 'timeout' : undefined;
            if (stopFor && !w.stopping) {
              w.stopping = stopFor;
              w.killAt = now + grace;
              killGroup(w.pid, 'SIGTERM');
            } else if (w.killAt !== undefined && now > w.killAt) {
              killGroup(w.pid, 'SIGKILL');
            }
          }
          if (watched.length === 0 && unstarted.length === 0) {
            clearInterval(interval);
            resolve();
          }
        };
        // A supervisor spawned just before the crash may not have written its pid yet: look again
        // after a moment before calling a trial never started.
        const graceCheck = setTimeout(() => {
          for (const spec of unstarted.splice(0)) {
            const state = consider(spec, '');
            if (state === 'unstarted') context.onEvent({ trialId: spec.id, state: 'failed', reason: 'not-started' });
          }
          tick();
        }, unstarted.length > 0 ? 500 : 0);
        void graceCheck;
        const interval = setInterval(tick, pollMs);
      });
    },
  };
}
