/**
 * Slurm: a 200-trial plan through `runStudy` with the Slurm executor — submit of the 200-task
 * array to every trial done, and to every trial's log ingested and the study diagnosed —
 * against the same 200 tasks (same training script) submitted bare with
 * `sbatch --array=0-199` and polled with squeue until the array left the queue, in the same
 * run on the same cluster. Skipped when no Slurm node takes jobs (scripts/ci/slurm-up.sh
 * starts one).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { slurmExecutor } from '../src/experiments/executors/slurm.js';
import { runStudy } from '../src/experiments/runner.js';
import { openStore } from '../src/experiments/store.js';
import { figure, type Benchmark } from './harness.js';

const TRIALS = 200;
const POLL_MS = 1000;

/** A tiny training script: four steps of a loss curve in metrics.jsonl. */
const TRAIN = `import { writeFileSync } from 'node:fs';
const [lr, seed, dir] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
const rows = [1, 2, 3, 4].map((step) => JSON.stringify({ step, val_loss: 1 / (step * lr * 100) + seed * 1e-3 }));
writeFileSync(dir + '/metrics.jsonl', rows.join('\\n') + '\\n');
`;

function slurmUnavailable(): string | undefined {
  const sinfo = spawnSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8', timeout: 10_000 });
  if (sinfo.error) return 'sinfo not found';
  if (sinfo.status !== 0 || !/(idle|mixed|allocated)/.test(sinfo.stdout)) return `no Slurm node takes jobs (${sinfo.stdout.trim() || sinfo.stderr.trim()})`;
  return undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Bare Slurm: the same 200 tasks from a hand-written array script, polled until gone from squeue. */
async function bareArray(scratch: string, train: string, lrs: number[]): Promise<number> {
  const dir = path.join(scratch, 'bare');
  for (let i = 0; i < TRIALS; i++) mkdirSync(path.join(dir, 'trials', String(i)), { recursive: true });
  const script = path.join(dir, 'array.sh');
  // Trial i: lr index i >> 1, seed i & 1 — the same grid the plan expands to.
  writeFileSync(
    script,
    `#!/bin/sh\nset -- ${lrs.join(' ')}\ni=$SLURM_ARRAY_TASK_ID\nshift $((i / 2))\n` +
      `exec '${process.execPath}' '${train}' "$1" $((i % 2)) '${dir}/trials/'$i\n`,
    { mode: 0o755 },
  );
  const started = performance.now();
  const job = execFileSync('sbatch', ['--parsable', `--array=0-${TRIALS - 1}`, '--job-name=ladder-bench-bare', `--chdir=${dir}`, '--output=/dev/null', script], {
    encoding: 'utf8',
  }).trim();
  for (;;) {
    await sleep(POLL_MS);
    if (execFileSync('squeue', ['-h', '-j', job, '-o', '%i'], { encoding: 'utf8' }).trim() === '') break;
  }
  const seconds = (performance.now() - started) / 1000;
  const written = readdirSync(path.join(dir, 'trials')).filter((name) => readdirSync(path.join(dir, 'trials', name)).includes('metrics.jsonl')).length;
  if (written !== TRIALS) throw new Error(`bare array: ${written} of ${TRIALS} tasks wrote their log`);
  return seconds;
}

export const slurmArrayBenchmark: Benchmark = {
  name: 'slurm-array',
  description: `Slurm: a ${TRIALS}-trial plan through the runner (submit → all done → all ingested and diagnosed) vs the same ${TRIALS} tasks as a bare sbatch array`,
  async run(context) {
    const unavailable = slurmUnavailable();
    if (unavailable) return { figures: [], notes: [`skipped: ${unavailable}; start one with: sudo bash scripts/ci/slurm-up.sh`] };

    const train = path.join(context.scratch, 'train.mjs');
    writeFileSync(train, TRAIN);
    const lrs = Array.from({ length: TRIALS / 2 }, (_, i) => Number((1e-3 * 1.05 ** i).toPrecision(4)));

    context.log('  bare sbatch array…');
    const bare = await bareArray(context.scratch, train, lrs);

    const planFile = path.join(context.scratch, 'plan.yaml');
    writeFileSync(
      planFile,
      `name: slurm-bench\ncommand: [${JSON.stringify(process.execPath)}, ${JSON.stringify(train)}, "{lr}", "{seed}", "{trial_dir}"]\n` +
        `space:\n  lr: {grid: [${lrs.join(', ')}]}\nseeds: [0, 1]\ntimeout: 120\nobjective: {metric: val_loss, direction: minimize}\n`,
    );
    const store = openStore(path.join(context.scratch, 'ladder.db'));
    context.log('  ladder run --executor slurm…');
    const started = performance.now();
    let allDone: number | undefined;
    const outcome = await runStudy({
      planFile,
      store,
      executor: slurmExecutor({ pollIntervalMs: POLL_MS }),
      out: path.join(context.scratch, 'study'),
      onProgress: ({ counts }) => {
        if (allDone === undefined && counts.done + counts.failed + counts.cancelled === TRIALS) allDone = (performance.now() - started) / 1000;
      },
    });
    const ingested = (performance.now() - started) / 1000;
    store.db.close();
    if (outcome.counts.done !== TRIALS || outcome.runs !== TRIALS) {
      throw new Error(`slurm-array: ${outcome.counts.done} of ${TRIALS} trials done, ${outcome.runs} runs ingested`);
    }
    const reference = { name: `bare sbatch --array=0-${TRIALS - 1} of the same script, squeue polled every ${POLL_MS} ms until empty`, value: bare, unit: 's' };
    const cpus = execFileSync('sinfo', ['-h', '-o', '%c'], { encoding: 'utf8' }).trim();
    return {
      figures: [
        figure('submit-to-done', { value: allDone ?? ingested, unit: 's' }, reference, 'ladder time to all trials done over bare Slurm (1: no overhead)'),
        figure('submit-to-ingested', { value: ingested, unit: 's' }, reference, 'ladder time to all trials ingested and the study diagnosed over bare Slurm'),
      ],
      notes: [
        `${TRIALS} trials, one-node cluster with ${cpus} CPUs (${os.cpus().length} cores here); executor polls squeue every ${POLL_MS} ms`,
        `bare Slurm throughput ${(TRIALS / bare).toFixed(2)} tasks/s; ${outcome.runs} runs ingested, study ${outcome.diagnosis ? 'diagnosed' : `not diagnosed (${outcome.notDiagnosed ?? 'no reason given'})`}`,
      ],
    };
  },
};
