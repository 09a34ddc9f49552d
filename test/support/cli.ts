/** Runs the real `ladder` binary (bin/ladder.js → dist/) as a user would. */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import path from 'node:path';
import { expect } from 'vitest';
import { REPO } from './corpus.js';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Root reads any file whatever its mode. With `obeyPermissions`, a root test run drops the
 * capabilities that bypass file permissions (util-linux's setpriv), so that a chmod 000 file
 * is as unreadable for ladder as it would be for a user, while the repository stays usable.
 */
export function ladder(args: string[], options: SpawnSyncOptions = {}, obeyPermissions = false): CliResult {
  const command = [process.execPath, path.join(REPO, 'bin/ladder.js'), ...args];
  if (obeyPermissions && process.getuid?.() === 0) {
    const caps = '-dac_override,-dac_read_search';
    command.unshift('setpriv', `--inh-caps=${caps}`, `--bounding-set=${caps}`);
  }
  const result = spawnSync(command[0]!, command.slice(1), {
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: '1' },
    ...options,
  });
  return { status: result.status, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '') };
}

/** A stack trace printed by Node looks like "    at fn (file:line:col)". */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+:\d+:\d+\)?$/m.test(text);
}

/**
 * Runs `ladder args` and asserts what every refusal of bad input must be: exit 2, one line on
 * stderr naming each of `mentions`, no stack trace. Returns the result for further checks.
 */
export function expectOneLineError(args: string[], ...mentions: string[]): CliResult {
  const result = ladder(args);
  expect(result.status).toBe(2);
  expect(hasStackTrace(result.stderr)).toBe(false);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  for (const mention of mentions) expect(result.stderr).toContain(mention);
  return result;
}
