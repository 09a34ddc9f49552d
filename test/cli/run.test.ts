import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasStackTrace, ladder } from '../support/cli.js';
import { REPO } from '../support/corpus.js';
import { listFiles, scratch } from '../support/files.js';

const root = scratch('run-cli');

/** Records its argv as JSON in the trial folder, and a tiny loss curve. */
const RECORD_ARGV = `
import { writeFileSync } from 'node:fs';
const dir = process.env.LADDER_TRIAL_DIR;
writeFileSync(dir + '/argv.json', JSON.stringify(process.argv.slice(2)));
writeFileSync(dir + '/metrics.jsonl', [1, 2, 3].map((step) => JSON.stringify({ step, val_loss: 1 / step })).join('\\n') + '\\n');
`;

const HOSTILE = ['; rm -rf /', '$(touch pwned)', '`touch pwned2`', 'a\nb', '../../etc', '/etc/passwd', '{trial_dir}', '&& touch pwned3', '| tee pwned4', '> pwned5', "' \" \\", '-rf', ''];

describe('ladder run', () => {
  it('passes hostile values as inert argv strings and writes nothing outside the study folder', () => {
    const work = path.join(root, 'hostile');
    mkdirSync(work);
    const script = path.join(work, 'record.mjs');
    writeFileSync(script, RECORD_ARGV);
    const plan = { name: 'hostile', command: [process.execPath, script, '{v}', '--value={v}', '{trial_dir}'], space: { v: { choices: HOSTILE } } };
    writeFileSync(path.join(work, 'plan.yaml'), JSON.stringify(plan));
    const before = new Set(listFiles(work));
    const result = ladder(['run', 'plan.yaml', '--json', '--parallel', '4'], { cwd: work });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const outcome = JSON.parse(result.stdout) as { study: { dir: string }; trials: { done: number } };
    expect(outcome.trials.done).toBe(HOSTILE.length);
    const study = path.join(work, 'ladder-runs', 'hostile');
    expect(outcome.study.dir).toBe(study);
    const trialsRoot = path.join(study, 'trials');
    const seen: string[] = [];
    for (const file of listFiles(work)) {
      if (before.has(file)) continue;
      if (/^ladder\.db(-wal|-shm)?$/.test(path.relative(work, file))) continue;
      const rel = path.relative(trialsRoot, file);
      expect(rel.startsWith('..') || path.isAbsolute(rel)).toBe(false);
      const [trial, name, ...deeper] = rel.split(path.sep);
      expect(deeper).toEqual([]);
      expect(['argv.json', 'metrics.jsonl', 'stdout.log', 'stderr.log', '.ladder-exit', '.ladder-started']).toContain(name);
      if (name === 'argv.json') seen.push(trial!);
    }
    expect(seen).toHaveLength(HOSTILE.length);
    const argvs = seen.map((trial) => JSON.parse(readFileSync(path.join(trialsRoot, trial, 'argv.json'), 'utf8')) as string[]);
    const values = argvs.map((argv) => argv[0]!);
    expect(values.sort()).toEqual([...HOSTILE].sort());
    for (const argv of argvs) {
      expect(argv).toHaveLength(3);
      expect(argv[1]).toBe(`--value=${argv[0]}`);
      expect(path.dirname(argv[2]!)).toBe(trialsRoot);
    }
    for (const name of ['pwned', 'pwned2', 'pwned3', 'pwned4', 'pwned5']) {
      expect(listFiles(root).some((file) => path.basename(file) === name)).toBe(false);
      expect(existsSync(path.join(REPO, name))).toBe(false);
    }
  });

  it('cancels the study on Ctrl-C (exit 130, trials cancelled, processes gone) and resumes it', async () => {
    const work = path.join(root, 'interrupt');
    mkdirSync(work);
    const script = path.join(work, 'once.mjs');
    // Hangs (until killed) while the file 'release' is absent, completes once it exists.
    writeFileSync(
      script,
      `import { existsSync, writeFileSync } from 'node:fs';
const dir = process.env.LADDER_TRIAL_DIR;
if (!existsSync(${JSON.stringify(path.join(work, 'release'))})) { writeFileSync(dir + '/hung', String(process.pid)); setInterval(() => {}, 1000); }
else writeFileSync(dir + '/metrics.jsonl', [1, 2, 3].map((step) => JSON.stringify({ step, val_loss: Number(process.argv[2]) / step })).join('\\n') + '\\n');
`,
    );
    writeFileSync(path.join(work, 'plan.yaml'), `name: interrupt\ncommand: [${JSON.stringify(process.execPath)}, ${JSON.stringify(script)}, "{lr}"]\nspace:\n  lr: {grid: [1, 2, 3, 4]}\n`);
    const child = spawn(process.execPath, [path.join(REPO, 'bin/ladder.js'), 'run', 'plan.yaml', '--parallel', '2', '--json'], { cwd: work, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const hung = () => ['t0000-lr1', 't0001-lr2', 't0002-lr3', 't0003-lr4'].map((id) => path.join(work, 'ladder-runs/interrupt/trials', id, 'hung')).filter(existsSync);
    while (hung().length < 2) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const cancelled = JSON.parse(stdout) as { study: { cancelled: boolean }; trials: Record<string, number> };
    expect(cancelled.study.cancelled).toBe(true);
    expect(cancelled.trials).toEqual({ pending: 0, submitted: 0, running: 0, done: 0, failed: 0, cancelled: 4 });
    for (const file of hung()) {
      const pid = Number(readFileSync(file, 'utf8'));
      let alive = true;
      try {
        process.kill(pid, 0);
        alive = !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
      } catch {
        alive = false;
      }
      expect(alive).toBe(false);
    }
    const status = ladder(['status', '--json'], { cwd: work });
    expect(status.status).toBe(0);
    const doc = JSON.parse(status.stdout) as { schema: string; studies: { name: string; state: string; trials: Record<string, number> }[] };
    expect(doc.schema).toBe('ladder.status/v1');
    expect(doc.studies.map((s) => [s.name, s.state, s.trials.cancelled])).toEqual([['interrupt', 'cancelled', 4]]);

    writeFileSync(path.join(work, 'release'), '');
    const resumed = ladder(['run', 'plan.yaml', '--resume', '--json'], { cwd: work });
    expect(resumed.status).toBe(0);
    const outcome = JSON.parse(resumed.stdout) as { study: { resumed: boolean }; trials: Record<string, number>; runs: number };
    expect(outcome.study.resumed).toBe(true);
    expect(outcome.trials.done).toBe(4);
    expect(outcome.runs).toBe(4);
    const table = ladder(['status'], { cwd: work });
    expect(table.stdout.split('\n')[1]).toMatch(/^interrupt\s+finished\s+4\/4\s+0\s+0\s+0\s+0\s+/);
  }, 60_000);

  it('exits 1 when trials fail, with their count in the outcome', () => {
    const work = path.join(root, 'failing');
    mkdirSync(work);
    writeFileSync(path.join(work, 'plan.yaml'), `name: failing\ncommand: [${JSON.stringify(process.execPath)}, "-e", "process.exit(Number(process.argv[1]))", "{code}"]\nspace:\n  code: {grid: [0, 4]}\n`);
    const result = ladder(['run', 'plan.yaml', '--json', '--store', 'other.db'], { cwd: work });
    expect(result.status).toBe(1);
    expect((JSON.parse(result.stdout) as { trials: Record<string, number> }).trials).toMatchObject({ done: 1, failed: 1 });
    expect(existsSync(path.join(work, 'other.db'))).toBe(true);
    expect(existsSync(path.join(work, 'ladder.db'))).toBe(false);
  });

  it('gives one-line errors for bad plans and flags', () => {
    const work = path.join(root, 'errors');
    mkdirSync(work);
    writeFileSync(path.join(work, 'bad.yaml'), 'name: bad\ncommand: [python3, train.py, "{lr}", "{oops}"]\nspace:\n  lr: {grid: [1]}\n');
    writeFileSync(path.join(work, 'good.yaml'), 'name: good\ncommand: [python3, train.py, "{lr}"]\nspace:\n  lr: {grid: [1]}\n');
    writeFileSync(path.join(work, 'changed.yaml'), 'name: good\ncommand: [python3, train.py, "{lr}"]\nspace:\n  lr: {grid: [2]}\n');
    const cases: [string[], RegExp][] = [
      [['run'], /one plan file/],
      [['run', 'missing.yaml'], /missing\.yaml: no such plan file/],
      [['run', 'bad.yaml'], /bad\.yaml: command\.3: unknown placeholder \{oops\}/],
      [['run', 'good.yaml', '--parallel', '0'], /--parallel takes a whole number/],
      [['run', 'good.yaml', '--executor', 'cloud'], /unknown executor: cloud \(known: local, slurm\)/],
      [['run', 'good.yaml', '--resume'], /--resume: no study/],
      [['run', 'good.yaml', '--store', 'nowhere/x.db'], /--store nowhere\/x\.db: the folder .* does not exist/],
      [['status', '--store', 'none.db'], /none\.db: no store here/],
    ];
    for (const [args, message] of cases) {
      const result = ladder(args, { cwd: work });
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(message);
      expect(hasStackTrace(result.stderr)).toBe(false);
    }
    writeFileSync(path.join(work, 'garbage.db'), 'this is not a database');
    const garbage = ladder(['run', 'good.yaml', '--store', 'garbage.db'], { cwd: work });
    expect(garbage.status).toBe(2);
    expect(garbage.stderr).toMatch(/garbage\.db: cannot open the store/);
    // python3 train.py with lr=1 fails (no train.py) — then a changed plan for the same folder is refused
    ladder(['run', 'good.yaml', '--json'], { cwd: work });
    const changed = ladder(['run', 'changed.yaml', '--out', 'ladder-runs/good'], { cwd: work });
    expect(changed.status).toBe(2);
    expect(changed.stderr).toMatch(/was started from a different plan/);
  });
});
