/**
 * The local executor through the runner, in-process: exit codes, retries, timeouts (SIGTERM
 * then SIGKILL to the whole process group), cancellation, and argv passed as inert strings.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { localExecutor, resolveProgram } from '../../src/experiments/executors/local.js';
import { runStudy } from '../../src/experiments/runner.js';
import { openStore } from '../../src/experiments/store.js';
import { scratch } from '../support/files.js';

const root = scratch('local');

/** Behaves as its first argument says; counts its attempts in the trial folder. */
const SCRIPT = `
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
const [mode] = process.argv.slice(2);
const dir = process.env.LADDER_TRIAL_DIR;
appendFileSync(dir + '/attempts.txt', 'x');
const attempt = readFileSync(dir + '/attempts.txt', 'utf8').length;
const log = () => writeFileSync(dir + '/metrics.jsonl', [1, 2, 3].map((step) => JSON.stringify({ step, val_loss: 1 / step })).join('\\n') + '\\n');
if (mode === 'ok') { log(); process.exit(0); }
if (mode === 'exit3') process.exit(3);
if (mode === 'flaky') { if (attempt === 1) process.exit(1); log(); process.exit(0); }
if (mode === 'hang' || mode === 'stubborn') {
  // A grandchild in the trial's process group: the timeout must reach it too.
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  writeFileSync(dir + '/grandchild.pid', String(child.pid));
  writeFileSync(dir + '/self.pid', String(process.pid));
  if (mode === 'stubborn') process.on('SIGTERM', () => {});
  setInterval(() => {}, 1000);
}
`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function writePlan(name: string, body: string): string {
  const script = path.join(root, 'behave.mjs');
  writeFileSync(script, SCRIPT);
  const file = path.join(root, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\ncommand: [${JSON.stringify(process.execPath)}, ${JSON.stringify(script)}, "{mode}"]\n${body}`);
  return file;
}

describe('the local executor', () => {
  it('marks exit codes, retries failures within the budget, and kills timed-out process groups', async () => {
    const planFile = writePlan('modes', 'space:\n  mode: {choices: [ok, exit3, flaky, hang, stubborn]}\ntimeout: 1.5\nretries: 1\nobjective: {metric: val_loss, direction: minimize}\n');
    const store = openStore(path.join(root, 'modes.db'));
    const outcome = await runStudy({ planFile, store, executor: localExecutor({ parallel: 5, killGraceMs: 300 }), out: path.join(root, 'modes-out') });
    const rows = Object.fromEntries(store.trials(outcome.studyId).map((t) => [JSON.parse(t.params_json).mode as string, t]));
    const view = (mode: string) => [rows[mode]!.state, rows[mode]!.exit_code, rows[mode]!.reason, rows[mode]!.attempts, rows[mode]!.retries];
    expect(view('ok')).toEqual(['done', 0, null, 1, 0]);
    expect(view('exit3')).toEqual(['failed', 3, 'exit', 2, 1]);
    expect(view('flaky')).toEqual(['done', 0, null, 2, 1]);
    expect(view('hang')).toEqual(['failed', null, 'timeout', 2, 1]);
    expect(view('stubborn')).toEqual(['failed', null, 'timeout', 2, 1]);
    for (const mode of ['hang', 'stubborn']) {
      const dir = rows[mode]!.dir;
      expect(readFileSync(path.join(dir, 'attempts.txt'), 'utf8')).toBe('xx');
      expect(alive(Number(readFileSync(path.join(dir, 'grandchild.pid'), 'utf8')))).toBe(false);
      expect(alive(Number(readFileSync(path.join(dir, 'self.pid'), 'utf8')))).toBe(false);
      expect(JSON.parse(readFileSync(path.join(dir, '.ladder-exit'), 'utf8')).reason).toBe('timeout');
    }
    expect(readFileSync(path.join(rows.exit3!.dir, '.ladder-exit'), 'utf8').trim()).toBe('{"exitCode":3}');
    expect(outcome.counts).toEqual({ pending: 0, submitted: 0, running: 0, done: 2, failed: 3, cancelled: 0 });
    // the two done trials (ok, flaky) are ingested; one arm with two runs is not a study with a varying design key…
    expect(outcome.runs).toBe(2);
    store.close();
  }, 60_000);

  it('captures stdout and stderr in the trial folder and runs the command there', async () => {
    const file = path.join(root, 'echo.yaml');
    writeFileSync(file, `name: echo\ncommand: [${JSON.stringify(process.execPath)}, "-e", "console.log(process.cwd()); console.error('err:' + process.argv[1])", "{v}"]\nspace:\n  v: {grid: [a b]}\n`);
    const store = openStore(path.join(root, 'echo.db'));
    const outcome = await runStudy({ planFile: file, store, executor: localExecutor({ parallel: 1 }), out: path.join(root, 'echo-out') });
    const [trial] = store.trials(outcome.studyId);
    expect(readFileSync(path.join(trial!.dir, 'stdout.log'), 'utf8')).toBe(`${trial!.dir}\n`);
    expect(readFileSync(path.join(trial!.dir, 'stderr.log'), 'utf8')).toBe('err:a b\n');
    expect(outcome.notDiagnosed).toMatch(/no logs/);
    store.close();
  });

  it('cancels queued and running trials when aborted, and kills their process groups', async () => {
    const planFile = writePlan('cancel', 'space:\n  mode: {grid: [hang, hang, hang, hang, hang, hang]}\ntimeout: 60\n');
    const store = openStore(path.join(root, 'cancel.db'));
    const out = path.join(root, 'cancel-out');
    const controller = new AbortController();
    const running = runStudy({
      planFile,
      store,
      executor: localExecutor({ parallel: 2, killGraceMs: 300 }),
      out,
      signal: controller.signal,
    });
    // Cancel once two trials are really running (each has started its grandchild).
    const dirs = Array.from({ length: 6 }, (_, i) => path.join(out, 'trials', `t000${i}-modehang`));
    while (dirs.filter((d) => existsSync(path.join(d, 'grandchild.pid'))).length < 2) await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    const outcome = await running;
    expect(outcome.cancelled).toBe(true);
    expect(outcome.counts).toEqual({ pending: 0, submitted: 0, running: 0, done: 0, failed: 0, cancelled: 6 });
    const rows = store.trials(outcome.studyId);
    const started = rows.filter((r) => existsSync(path.join(r.dir, 'grandchild.pid')));
    expect(started.length).toBeGreaterThanOrEqual(2);
    for (const row of started) expect(alive(Number(readFileSync(path.join(row.dir, 'grandchild.pid'), 'utf8')))).toBe(false);
    expect(store.study(outcome.studyId)!.state).toBe('cancelled');
    store.close();
  }, 60_000);

  it('resolves programs from PATH like execvp and refuses what is not executable', () => {
    expect(resolveProgram('node', root, path.dirname(process.execPath))).toBe(path.join(path.dirname(process.execPath), 'node'));
    expect(resolveProgram('no-such-program-xyz', root)).toBeUndefined();
    expect(resolveProgram(path.join(root, 'behave.mjs'), root)).toBeUndefined();
    expect(readdirSync(root)).toContain('behave.mjs');
  });
});
