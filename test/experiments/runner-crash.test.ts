/**
 * Crash safety (issue 6): a 200-trial local study whose runner is killed with SIGKILL at
 * random points, several times, and resumed each time. Every trial appends one line to its
 * own `completions.txt` when it completes; at the end every trial must be done in the store
 * with exactly one line — none lost, none run twice to completion — and the store intact.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/stats/rng.js';
import { ladder } from '../support/cli.js';
import { REPO } from '../support/corpus.js';
import { scratch } from '../support/files.js';

const root = scratch('crash');

const TRIAL_SCRIPT = `
import { appendFileSync, writeFileSync } from 'node:fs';
const [x, seed, dir] = process.argv.slice(2);
const lines = [];
for (let step = 1; step <= 5; step++) lines.push(JSON.stringify({ step, train_loss: 1 / (step + Number(x)), val_loss: 1 / (step + Number(x)) + 0.01 * Number(seed) }));
writeFileSync(dir + '/metrics.jsonl', lines.join('\\n') + '\\n');
appendFileSync(dir + '/completions.txt', 'completed ' + process.pid + '\\n');
`;

function doneCount(db: string): number {
  try {
    const conn = new Database(db, { readonly: true, timeout: 5_000 });
    try {
      return (conn.prepare("SELECT COUNT(*) AS n FROM trials WHERE state = 'done'").get() as { n: number }).n;
    } finally {
      conn.close();
    }
  } catch {
    return 0;
  }
}

/** Starts `ladder run`, waits until `doneAtLeast` trials are done (or `afterMs`), then SIGKILLs it. */
async function runAndKill(args: string[], cwd: string, db: string, when: { doneAtLeast?: number; afterMs?: number }): Promise<{ killed: boolean; status: number | null }> {
  const child = spawn(process.execPath, [path.join(REPO, 'bin/ladder.js'), ...args], { cwd, stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let finished = false;
  void exited.then(() => (finished = true));
  const started = Date.now();
  while (!finished) {
    await new Promise((r) => setTimeout(r, 25));
    const due = (when.afterMs !== undefined && Date.now() - started >= when.afterMs) || (when.doneAtLeast !== undefined && doneCount(db) >= when.doneAtLeast);
    if (due && !finished) {
      child.kill('SIGKILL');
      await exited;
      return { killed: true, status: null };
    }
  }
  return { killed: false, status: await exited };
}

describe('the runner survives SIGKILL at random points', () => {
  it('runs a 200-trial study killed 5 times: no trial lost, none completed twice, store intact', async () => {
    const script = path.join(root, 'trial.mjs');
    writeFileSync(script, TRIAL_SCRIPT);
    const grid = Array.from({ length: 100 }, (_, i) => i);
    writeFileSync(
      path.join(root, 'plan.yaml'),
      `name: crash\ncommand: [${JSON.stringify(process.execPath)}, ${JSON.stringify(script)}, "{x}", "{seed}", "{trial_dir}"]\nspace:\n  x: {grid: [${grid.join(', ')}]}\nseeds: [0, 1]\ntimeout: 120\nretries: 0\nobjective: {metric: val_loss, direction: minimize}\n`,
    );
    const db = path.join(root, 'ladder.db');
    const args = ['run', 'plan.yaml', '--parallel', '4', '--store', db, '--json'];
    const rng = createRng(6);
    // Kill points: while trials run (after a random number more are done), and once at a random
    // instant right after a restart (start-up, recovery, reattach).
    const kills: { doneAtLeast?: number; afterMs?: number }[] = [];
    let target = 0;
    for (let i = 0; i < 4; i++) {
      target += 10 + rng.integer(0, 30);
      kills.push({ doneAtLeast: target });
    }
    kills.splice(2, 0, { afterMs: 300 + rng.integer(0, 1200) });
    let killed = 0;
    for (const when of kills) {
      const result = await runAndKill(args, root, db, when);
      if (result.killed) killed++;
    }
    expect(killed).toBeGreaterThanOrEqual(4);
    const before = doneCount(db);
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(200);

    const final = ladder(args, { cwd: root });
    expect(final.stderr).toBe('');
    expect(final.status).toBe(0);
    const outcome = JSON.parse(final.stdout) as { study: { resumed: boolean }; trials: Record<string, number>; runs: number; diagnosis: { verdict: { layer: string } } | null };
    expect(outcome.study.resumed).toBe(true);
    expect(outcome.trials).toEqual({ pending: 0, submitted: 0, running: 0, done: 200, failed: 0, cancelled: 0 });
    expect(outcome.runs).toBe(200);
    expect(outcome.diagnosis).not.toBeNull();

    const conn = new Database(db, { readonly: true });
    const trials = conn.prepare('SELECT id, dir, state, attempts FROM trials ORDER BY idx').all() as { id: string; dir: string; state: string; attempts: number }[];
    expect(trials).toHaveLength(200);
    const completions = trials.map((t) => readFileSync(path.join(t.dir, 'completions.txt'), 'utf8').trim().split('\n').length);
    expect(completions.filter((c) => c !== 1)).toEqual([]);
    const doneEvents = conn.prepare("SELECT trial_id, COUNT(*) AS n FROM trial_events WHERE to_state = 'done' GROUP BY trial_id").all() as { n: number }[];
    expect(doneEvents).toHaveLength(200);
    expect(doneEvents.every((e) => e.n === 1)).toBe(true);
    expect(conn.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(conn.pragma('foreign_key_check')).toEqual([]);
    conn.close();
  }, 180_000);
});
