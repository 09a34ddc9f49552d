/**
 * The Slurm executor against a real Slurm: the one-node cluster scripts/ci/slurm-up.sh starts
 * (node `localhost`). Skipped, with the reason printed, when there is no Slurm or it is down.
 * Trials are `node trial.mjs …`: each records its argv, appends one line to `completions`
 * when it finishes, and exits with the code it was given.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DONE_MARKER, type TrialEvent, type TrialSpec } from '../../src/experiments/executor.js';
import { slurmExecutor, type SlurmExecutorOptions } from '../../src/experiments/executors/slurm.js';
import { runStudy } from '../../src/experiments/runner.js';
import { openStore } from '../../src/experiments/store.js';
import { scratch } from '../support/files.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Why the live tests cannot run here, or undefined when a node of the cluster takes jobs. */
function slurmUnavailable(): string | undefined {
  const sinfo = spawnSync('sinfo', ['-h', '-n', 'localhost', '-o', '%T'], { encoding: 'utf8', timeout: 10_000 });
  if (sinfo.error) return `sinfo not found (${(sinfo.error as NodeJS.ErrnoException).code}); start one with: sudo bash scripts/ci/slurm-up.sh`;
  const state = sinfo.stdout.trim();
  if (sinfo.status !== 0 || !/^(idle|mixed|allocated|completing)/.test(state)) {
    return `Slurm node localhost is not up (${state || sinfo.stderr.trim() || 'no answer'}); start it with: sudo bash scripts/ci/slurm-up.sh`;
  }
  return undefined;
}

const unavailable = slurmUnavailable();
if (unavailable) console.warn(`test/experiments/slurm.test.ts skipped: ${unavailable}`);

// CI starts Slurm before the tests and sets LADDER_REQUIRE_SLURM=1: there, a missing cluster fails.
describe.runIf(unavailable !== undefined && process.env.LADDER_REQUIRE_SLURM === '1')('Slurm required (LADDER_REQUIRE_SLURM=1)', () => {
  it('has a Slurm node that takes jobs', () => {
    expect(unavailable).toBeUndefined();
  });
});

const TRIAL_SCRIPT = `
import { appendFileSync, writeFileSync } from 'node:fs';
const [exit, sleepSeconds] = process.argv.slice(2, 4).map(Number);
writeFileSync('argv.json', JSON.stringify(process.argv.slice(2)));
await new Promise((resolve) => setTimeout(resolve, sleepSeconds * 1000));
appendFileSync('completions', process.env.LADDER_TRIAL_ID + '\\n');
console.log(JSON.stringify({ step: 1, loss: 0.5 }));
process.exit(exit);
`;

interface Study {
  dir: string;
  trial(id: string, exit: number, sleepSeconds: number, extra?: { argv?: string[]; timeoutSeconds?: number }): TrialSpec;
}

function study(root: string, name: string): Study {
  const dir = path.join(root, name);
  mkdirSync(path.join(dir, 'trials'), { recursive: true });
  const script = path.join(dir, 'trial.mjs');
  writeFileSync(script, TRIAL_SCRIPT);
  return {
    dir,
    trial: (id, exit, sleepSeconds, extra = {}) => ({
      id,
      argv: extra.argv ?? [process.execPath, script, String(exit), String(sleepSeconds)],
      dir: path.join(dir, 'trials', id),
      timeoutSeconds: extra.timeoutSeconds ?? 120,
    }),
  };
}

const FAST: SlurmExecutorOptions = { pollIntervalMs: 300 };

async function runTrials(
  s: Study,
  trials: TrialSpec[],
  options: { name: string; onEvent?: (event: TrialEvent, controller: AbortController) => void },
): Promise<TrialEvent[]> {
  const events: TrialEvent[] = [];
  const controller = new AbortController();
  await slurmExecutor(FAST).run(trials, {
    study: { id: `id-${options.name}`, name: options.name },
    dir: s.dir,
    signal: controller.signal,
    onEvent: (event) => {
      events.push(event);
      options.onEvent?.(event, controller);
    },
  });
  return events;
}

const last = (events: TrialEvent[], trialId: string) => events.filter((event) => event.trialId === trialId).at(-1);
const statesOf = (events: TrialEvent[], trialId: string) => events.filter((event) => event.trialId === trialId).map((event) => event.state);
const jobOf = (events: TrialEvent[]) => events.find((event) => event.handle)!.handle!.split('_')[0]!;
const completions = (trial: TrialSpec) => (existsSync(path.join(trial.dir, 'completions')) ? readFileSync(path.join(trial.dir, 'completions'), 'utf8').split('\n').filter(Boolean) : []);
const squeue = (...args: string[]) => spawnSync('squeue', ['-h', ...args], { encoding: 'utf8' }).stdout.trim();

describe.skipIf(unavailable !== undefined)('slurm executor on a real one-node Slurm', () => {
  const root = scratch('slurm');

  it('runs a 50-trial array to completion: every trial done once, with its marker and captured output', async () => {
    const s = study(root, 'fifty');
    const trials = Array.from({ length: 50 }, (_, i) => s.trial(`t${String(i).padStart(2, '0')}`, 0, 0));
    const events = await runTrials(s, trials, { name: 'fifty trials' });

    const job = jobOf(events);
    for (const [i, trial] of trials.entries()) {
      expect(statesOf(events, trial.id)).toEqual(['submitted', 'running', 'done']);
      expect(last(events, trial.id)).toMatchObject({ state: 'done', exitCode: 0, handle: `${job}_${i}` });
      expect(JSON.parse(readFileSync(path.join(trial.dir, DONE_MARKER), 'utf8'))).toMatchObject({ exitCode: 0, reason: 'exit' });
      expect(completions(trial)).toEqual([trial.id]);
      expect(JSON.parse(readFileSync(path.join(trial.dir, 'stdout.log'), 'utf8'))).toEqual({ step: 1, loss: 0.5 });
    }
    // The job names the study; finished jobs stay visible to squeue -t all for MinJobAge.
    expect(squeue('-t', 'all', '-j', job, '-O', 'Name:0|,Comment:0').split('\n')[0]).toBe('ladder-fifty-trials|ladder:id-fifty-trials');
  }, 150_000);

  it('marks failing trials failed with their exit code, passes hostile values as inert argv, and times out', async () => {
    const s = study(root, 'failing');
    const hostile = ['; rm -rf /', '$(touch pwned)', '`touch pwned2`', 'a\nb', '../../etc'];
    const trials = [
      s.trial('ok', 0, 0, { argv: [process.execPath, path.join(s.dir, 'trial.mjs'), '0', '0', ...hostile] }),
      s.trial('exit3', 3, 0),
      s.trial('missing', 0, 0, { argv: [path.join(s.dir, 'no-such-program')] }),
      s.trial('slow', 0, 60, { timeoutSeconds: 1 }),
    ];
    const events = await runTrials(s, trials, { name: 'failing' });

    expect(last(events, 'ok')).toMatchObject({ state: 'done', exitCode: 0 });
    expect(JSON.parse(readFileSync(path.join(trials[0]!.dir, 'argv.json'), 'utf8'))).toEqual(['0', '0', ...hostile]);
    expect(last(events, 'exit3')).toMatchObject({ state: 'failed', exitCode: 3, reason: 'exit' });
    expect(last(events, 'missing')).toMatchObject({ state: 'failed', exitCode: 127, reason: 'exit' });
    expect(last(events, 'slow')).toMatchObject({ state: 'failed', reason: 'timeout' });
    expect(completions(trials[3]!)).toEqual([]);
    for (const name of ['pwned', 'pwned2']) {
      expect(existsSync(path.join(trials[0]!.dir, name))).toBe(false);
      expect(existsSync(path.join(s.dir, '.executor', name))).toBe(false);
    }
  });

  it('cancels the whole array when the study is aborted: nothing left in squeue, trials cancelled, no markers', async () => {
    const s = study(root, 'cancel');
    const trials = Array.from({ length: 6 }, (_, i) => s.trial(`c${i}`, 0, 60));
    let job = '';
    const events = await runTrials(s, trials, {
      name: 'cancel',
      onEvent: (event, controller) => {
        job ||= event.handle?.split('_')[0] ?? '';
        if (event.state === 'running') controller.abort();
      },
    });

    for (const trial of trials) {
      expect(last(events, trial.id)).toMatchObject({ state: 'cancelled', reason: 'cancelled' });
      expect(existsSync(path.join(trial.dir, DONE_MARKER))).toBe(false);
      expect(completions(trial)).toEqual([]);
    }
    expect(events.some((event) => event.state === 'running')).toBe(true);
    expect(squeue('-j', job)).toBe('');
    expect(squeue('-r', '-t', 'all', '-j', job, '-o', '%T').split('\n').every((state) => state === 'CANCELLED')).toBe(true);
  });

  describe('node failure', () => {
    afterAll(() => {
      spawnSync('scontrol', ['update', 'nodename=localhost', 'state=resume']);
    });

    it('requeues the trials of a node set DOWN mid-study and completes them', async () => {
      const s = study(root, 'node-down');
      const trials = Array.from({ length: 4 }, (_, i) => s.trial(`n${i}`, 0, 4));
      const running = new Set<string>();
      let downed = false;
      let runningWhenDowned = new Set<string>();
      const events = await runTrials(s, trials, {
        name: 'node down',
        onEvent: (event) => {
          if (event.state === 'running') running.add(event.trialId);
          if (!downed && running.size === 2) {
            downed = true;
            runningWhenDowned = new Set(running);
            spawnSync('scontrol', ['update', 'nodename=localhost', 'state=down', 'reason=ladder-test']);
            setTimeout(() => spawnSync('scontrol', ['update', 'nodename=localhost', 'state=resume']), 1500);
          }
        },
      });

      expect(downed).toBe(true);
      const requeued = events.filter((event) => event.requeued);
      expect(new Set(requeued.map((event) => event.trialId))).toEqual(runningWhenDowned);
      expect(runningWhenDowned.size).toBe(2);
      for (const event of requeued) expect(event).toMatchObject({ state: 'submitted', reason: 'node-failure' });
      for (const trial of trials) {
        expect(last(events, trial.id)).toMatchObject({ state: 'done', exitCode: 0 });
        expect(completions(trial)).toEqual([trial.id]);
      }
      // Usually one requeue; under load the node failure's SIGTERM can reach the relaunched task,
      // which the executor resubmits (test/experiments/slurm-scripted.test.ts): one more round.
      for (const id of runningWhenDowned) expect(statesOf(events, id).join(',')).toMatch(/^submitted,running,submitted,running,(submitted,running,)?done$/);
    }, 120_000);
  });

  it('reattaches to a study whose runner was killed, from the recorded handles', async () => {
    const s = study(root, 'reattach');
    const trials = Array.from({ length: 3 }, (_, i) => s.trial(`r${i}`, i === 2 ? 5 : 0, 3));
    // A runner in its own process, killed with SIGKILL once it has submitted.
    const runner = path.join(s.dir, 'runner.mjs');
    writeFileSync(
      runner,
      `import { slurmExecutor } from ${JSON.stringify(path.join(REPO, 'dist/src/experiments/executors/slurm.js'))};
       const trials = JSON.parse(process.argv[2]);
       await slurmExecutor({ pollIntervalMs: 300 }).run(trials, { study: { id: 'r', name: 'reattach' }, dir: ${JSON.stringify(s.dir)},
         signal: new AbortController().signal, onEvent: (e) => console.log(JSON.stringify(e)) });`,
    );
    const child = spawn(process.execPath, [runner, JSON.stringify(trials)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const handles = await new Promise<Map<string, string>>((resolve) => {
      const found = new Map<string, string>();
      let buffered = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        for (const line of buffered.split('\n').slice(0, -1)) {
          const event = JSON.parse(line) as TrialEvent;
          if (event.state === 'submitted' && event.handle) found.set(event.trialId, event.handle);
        }
        buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
        if (found.size === trials.length) {
          child.kill('SIGKILL');
          resolve(found);
        }
      });
    });

    const events: TrialEvent[] = [];
    await slurmExecutor(FAST).reattach!(
      [
        ...trials.map((spec) => ({ spec, handle: spec.id === 'r1' ? '' : handles.get(spec.id)! })),
        { spec: s.trial('gone', 0, 0), handle: '' },
      ],
      { study: { id: 'r', name: 'reattach' }, dir: s.dir, signal: new AbortController().signal, onEvent: (event) => events.push(event) },
    );
    expect(last(events, 'r0')).toMatchObject({ state: 'done', exitCode: 0, handle: handles.get('r0') });
    // r1's handle was never recorded: found again from the submission's manifest and jobs file.
    expect(last(events, 'r1')).toMatchObject({ state: 'done', exitCode: 0, handle: handles.get('r1') });
    expect(last(events, 'r2')).toMatchObject({ state: 'failed', exitCode: 5, reason: 'exit' });
    // Never submitted: the runner puts it back in the queue without counting a retry.
    expect(last(events, 'gone')).toMatchObject({ state: 'failed', reason: 'not-started' });
    for (const trial of trials) expect(completions(trial)).toEqual([trial.id]);
  }, 90_000);

  it('runs a plan through the runner: trials on Slurm, their logs ingested, the study diagnosed', async () => {
    const dir = path.join(root, 'plan');
    mkdirSync(dir, { recursive: true });
    const script = path.join(dir, 'train.mjs');
    writeFileSync(
      script,
      `import { writeFileSync } from 'node:fs';
       const lr = Number(process.argv[2]), seed = Number(process.argv[3]);
       const rows = [1, 2, 3, 4].map((step) => JSON.stringify({ step, val_loss: 1 / (step * lr * 100) + seed * 1e-3 }));
       writeFileSync(process.env.LADDER_TRIAL_DIR + '/metrics.jsonl', rows.join('\\n') + '\\n');`,
    );
    const planFile = path.join(dir, 'plan.yaml');
    writeFileSync(
      planFile,
      `name: slurm-sweep\ncommand: [${JSON.stringify(process.execPath)}, ${JSON.stringify(script)}, "{lr}", "{seed}"]\n` +
        'space:\n  lr: {grid: [0.01, 0.1]}\nseeds: [0, 1]\ntimeout: 60\nobjective: {metric: val_loss, direction: minimize}\n',
    );
    const store = openStore(path.join(dir, 'ladder.db'));
    const outcome = await runStudy({ planFile, store, executor: slurmExecutor(FAST), out: path.join(dir, 'out') });
    expect(outcome.counts).toMatchObject({ done: 4, failed: 0, cancelled: 0, pending: 0, submitted: 0, running: 0 });
    expect(outcome.runs).toBe(4);
    expect(store.trials(outcome.studyId).every((trial) => /^\d+_[0-3]$/.test(trial.handle ?? ''))).toBe(true);
    store.db.close();
  }, 90_000);

  it('writes one batch script and manifest per submission under <study>/.executor/', () => {
    const submissions = readdirSync(path.join(root, 'fifty', '.executor', 'slurm'));
    expect(submissions).toHaveLength(1);
    const folder = path.join(root, 'fifty', '.executor', 'slurm', submissions[0]!);
    expect(JSON.parse(readFileSync(path.join(folder, 'tasks.json'), 'utf8')).trials).toHaveLength(50);
    expect(readFileSync(path.join(folder, 'job.sh'), 'utf8')).toMatch(/^exec '.+' '.+task\.js' '.+tasks\.json' "\$SLURM_ARRAY_TASK_ID"$/m);
  });
});
