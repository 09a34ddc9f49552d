/**
 * The files the Slurm executor writes under `<study>/.executor/slurm/<submission>/` and the
 * completion marker each task leaves in its trial folder: their shapes, how they are checked,
 * and the one place a path is put into a shell script (quoted, after validation).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DONE_MARKER } from '../../executor.js';

/** One trial as the task program reads it: argv elements, never a command line. */
export interface ManifestTrial {
  id: string;
  argv: string[];
  dir: string;
  timeoutSeconds: number;
  env: Record<string, string>;
}

/** `tasks.json`: array index i runs `trials[i]`. */
export interface Manifest {
  version: 1;
  study: { id: string; name: string };
  trials: ManifestTrial[];
}

/** What DONE_MARKER holds (JSON): how the command ended, written when it exits on its own. */
export interface CompletionMarker {
  exitCode: number;
  signal: string | null;
  /** `exit` (it returned), `timeout` (killed by the per-trial timeout), `signal` (killed by something else). */
  reason: 'exit' | 'timeout' | 'signal';
  seconds: number;
  finishedAt: string;
}

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

/** Checks a parsed tasks.json; throws with what is wrong. */
export function parseManifest(value: unknown): Manifest {
  const manifest = value as Manifest;
  if (!manifest || manifest.version !== 1 || !Array.isArray(manifest.trials)) throw new Error('not a ladder Slurm manifest (version 1)');
  manifest.trials.forEach((trial, index) => {
    if (
      typeof trial?.id !== 'string' ||
      !isStringArray(trial.argv) ||
      trial.argv.length === 0 ||
      typeof trial.dir !== 'string' ||
      !path.isAbsolute(trial.dir) ||
      typeof trial.timeoutSeconds !== 'number' ||
      typeof trial.env !== 'object'
    ) {
      throw new Error(`trial ${index} is malformed`);
    }
  });
  return manifest;
}

/** The trial's completion marker, or undefined when it has none (or an unreadable one). */
export function readMarker(trialDir: string): CompletionMarker | undefined {
  const file = path.join(trialDir, DONE_MARKER);
  if (!existsSync(file)) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
  // A bare exit code is accepted too, so a marker written by another executor still reads.
  if (/^-?\d+$/.test(text)) return { exitCode: Number(text), signal: null, reason: 'exit', seconds: Number.NaN, finishedAt: '' };
  try {
    const parsed = JSON.parse(text) as Partial<CompletionMarker>;
    if (typeof parsed.exitCode !== 'number') return undefined;
    return {
      exitCode: parsed.exitCode,
      signal: parsed.signal ?? null,
      reason: parsed.reason === 'timeout' || parsed.reason === 'signal' ? parsed.reason : 'exit',
      seconds: parsed.seconds ?? Number.NaN,
      finishedAt: parsed.finishedAt ?? '',
    };
  } catch {
    return undefined;
  }
}

/**
 * A path that goes into the batch script or onto sbatch's command line: absolute, normalized,
 * and free of control characters (a newline would end a line of the script). Throws otherwise.
 */
export function checkedPath(what: string, value: string): string {
  if (!path.isAbsolute(value)) throw new Error(`${what} must be an absolute path: ${JSON.stringify(value)}`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new Error(`${what} contains a control character: ${JSON.stringify(value)}`);
  return path.normalize(value);
}

/** POSIX single quotes: the shell reads the result as exactly `value`, with no expansion. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** True when `child` is `parent` or lies inside it (both absolute). */
export function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}

/** Letters, digits, `.`, `_` and `-` only, at most `max` characters: safe in a job name or comment. */
export function slug(value: string, max = 64): string {
  const cleaned = value.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/-{2,}/g, '-').replace(/^-+|-+$/g, '');
  return (cleaned || 'study').slice(0, max);
}
