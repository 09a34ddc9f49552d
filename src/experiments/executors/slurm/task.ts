/**
 * What one Slurm array task runs: `node task.js <tasks.json> <array index>`. The batch script
 * holds only paths the executor chose (never a value from the plan); this program reads the
 * trial's argv from the manifest and spawns it directly — no shell — with the trial folder as
 * working directory, stdout and stderr captured to files there, and a per-trial timeout
 * measured in seconds (Slurm's own `--time` has minute granularity and is only a backstop).
 *
 * When the command exits on its own (or is killed by the timeout), the completion marker
 * (DONE_MARKER) is written atomically, then this process exits with the command's code so
 * Slurm records it too. When Slurm stops the task (scancel, node failure, time limit) the
 * signal is forwarded to the command's process group and no marker is written: the trial did
 * not complete, and the executor reads what happened from Slurm.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { DONE_MARKER } from '../../executor.js';
import { parseManifest, readMarker, type CompletionMarker } from './files.js';

/** Seconds between SIGTERM and SIGKILL when a trial times out or the task is stopped. */
const KILL_GRACE_SECONDS = 5;

function fail(message: string): never {
  process.stderr.write(`ladder slurm task: ${message}\n`);
  process.exit(70);
}

function writeMarker(dir: string, marker: CompletionMarker): void {
  const target = path.join(dir, DONE_MARKER);
  const temporary = `${target}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(marker)}\n`);
  renameSync(temporary, target);
}

function main(): void {
  const [manifestPath, indexText] = process.argv.slice(2);
  if (!manifestPath || indexText === undefined) fail('usage: task.js <tasks.json> <array index>');
  let manifest;
  try {
    manifest = parseManifest(JSON.parse(readFileSync(manifestPath, 'utf8')));
  } catch (error) {
    fail(`cannot read ${manifestPath}: ${(error as Error).message}`);
  }
  const index = Number(indexText);
  const trial = Number.isInteger(index) ? manifest.trials[index] : undefined;
  if (!trial) fail(`array index ${indexText} is not a trial of ${manifestPath} (${manifest.trials.length} trials)`);

  mkdirSync(trial.dir, { recursive: true });
  // Slurm may requeue a task that had already completed (its node failed just after):
  // a trial never runs twice to completion, so the recorded result stands.
  const earlier = readMarker(trial.dir);
  if (earlier) process.exit(earlier.exitCode);

  const stdout = openSync(path.join(trial.dir, 'stdout.log'), 'w');
  const stderr = openSync(path.join(trial.dir, 'stderr.log'), 'w');
  const started = Date.now();
  const [command, ...args] = trial.argv as [string, ...string[]];
  const child = spawn(command, args, {
    cwd: trial.dir,
    env: { ...process.env, ...trial.env, LADDER_TRIAL_ID: trial.id, LADDER_TRIAL_DIR: trial.dir },
    stdio: ['ignore', stdout, stderr],
    // Its own process group, so a timeout or a cancel reaches everything the command started.
    detached: true,
  });
  closeSync(stdout);
  closeSync(stderr);

  let timedOut = false;
  let stoppedBy: NodeJS.Signals | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const stopGroup = () => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return; // already gone
    }
    killTimer ??= setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, KILL_GRACE_SECONDS * 1000);
  };
  const timeout =
    Number.isFinite(trial.timeoutSeconds) && trial.timeoutSeconds > 0
      ? setTimeout(() => {
          timedOut = true;
          stopGroup();
        }, trial.timeoutSeconds * 1000)
      : undefined;
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1'] as const) {
    process.on(signal, () => {
      stoppedBy = signal;
      stopGroup();
    });
  }

  child.on('error', (error: NodeJS.ErrnoException) => {
    // The command could not be started (not found, not executable): a completed, failed trial.
    clearTimeout(timeout);
    writeFileSync(path.join(trial.dir, 'stderr.log'), `ladder: cannot run ${command}: ${error.message}\n`, { flag: 'a' });
    const exitCode = error.code === 'ENOENT' ? 127 : 126;
    writeMarker(trial.dir, { exitCode, signal: null, reason: 'exit', seconds: (Date.now() - started) / 1000, finishedAt: new Date().toISOString() });
    process.exit(exitCode);
  });
  child.on('exit', (code, signal) => {
    clearTimeout(timeout);
    clearTimeout(killTimer);
    const exitCode = code ?? 128 + signalNumber(signal);
    if (stoppedBy) {
      // Slurm stopped the task: not a completion. Exit as killed so Slurm's record says so.
      process.exit(128 + signalNumber(stoppedBy));
    }
    const reason = timedOut ? 'timeout' : signal ? 'signal' : 'exit';
    writeMarker(trial.dir, { exitCode, signal: signal ?? null, reason, seconds: (Date.now() - started) / 1000, finishedAt: new Date().toISOString() });
    process.exit(exitCode);
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return (signal && constants.signals[signal]) || 1;
}

main();
