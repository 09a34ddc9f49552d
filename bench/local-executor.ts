/**
 * Local executor overhead: 1,000 no-op trials through `ladder run`'s machinery (the store's
 * transitions, the supervisor, trial folders, log capture, completion markers) against the
 * same 1,000 processes spawned bare with the same parallelism, in the same run. The no-op is
 * a Node process (`node -e 0`: what a trivial script costs) and, as the worst case, /bin/true
 * (nearly nothing but the spawn itself).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { localExecutor } from '../src/experiments/executors/local.js';
import { runStudy } from '../src/experiments/runner.js';
import { openStore } from '../src/experiments/store.js';
import { figure, type Benchmark, type Figure } from './harness.js';

const TRIALS = 1_000;

async function bare(argv: string[], parallel: number, cwd: string): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < TRIALS) {
      next++;
      await new Promise<void>((resolve, reject) => {
        const child = spawn(argv[0]!, argv.slice(1), { cwd, stdio: 'ignore' });
        child.once('error', reject);
        child.once('exit', () => resolve());
      });
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return (performance.now() - started) / 1000;
}

async function throughExecutor(argv: string[], parallel: number, scratch: string, label: string): Promise<number> {
  const dir = path.join(scratch, label);
  mkdirSync(dir, { recursive: true });
  const plan = path.join(dir, 'plan.yaml');
  writeFileSync(plan, `name: ${label}\ncommand: ${JSON.stringify([...argv, '{i}'])}\nspace:\n  i: {grid: [${Array.from({ length: TRIALS }, (_, i) => i).join(', ')}]}\ntimeout: 600\n`);
  const store = openStore(path.join(dir, 'ladder.db'));
  const started = performance.now();
  const outcome = await runStudy({ planFile: plan, store, executor: localExecutor({ parallel }), out: path.join(dir, 'study'), trialsOnly: true });
  const seconds = (performance.now() - started) / 1000;
  store.close();
  if (outcome.counts.done !== TRIALS) throw new Error(`${label}: ${outcome.counts.done} of ${TRIALS} trials done`);
  return seconds;
}

export const localExecutorBenchmark: Benchmark = {
  name: 'local-executor',
  description: `${TRIALS.toLocaleString('en-US')} no-op trials through the local executor and the store vs the same processes spawned bare`,
  async run(context) {
    const parallel = os.availableParallelism();
    const figures: Figure[] = [];
    const notes = [`${TRIALS} trials, parallel ${parallel}; executor time includes creating the study in the store and every transition`];
    const cases: [string, string[]][] = [['node', [process.execPath, '-e', '0']]];
    if (existsSync('/bin/true')) cases.push(['true', ['/bin/true']]);
    for (const [label, argv] of cases) {
      const bareDir = path.join(context.scratch, `bare-${label}`);
      mkdirSync(bareDir, { recursive: true });
      // Interleave to share the machine's state: bare, executor, bare, executor; keep each one's best.
      const bareTimes: number[] = [];
      const executorTimes: number[] = [];
      for (let round = 0; round < 2; round++) {
        bareTimes.push(await bare(argv, parallel, bareDir));
        executorTimes.push(await throughExecutor(argv, parallel, context.scratch, `${label}-${round}`));
      }
      const bareBest = Math.min(...bareTimes);
      const executorBest = Math.min(...executorTimes);
      context.log(`  ${label}: bare ${bareBest.toFixed(2)} s, executor ${executorBest.toFixed(2)} s`);
      figures.push(
        figure(
          `${label}-noop.seconds`,
          { value: executorBest, unit: `s for ${TRIALS} trials` },
          { name: `the same ${TRIALS} processes (${argv.join(' ')}) spawned bare, parallel ${parallel}`, value: bareBest, unit: 's' },
          'executor time over bare spawning (target ≤ 1.2 for a Node no-op)',
        ),
      );
      notes.push(`${label}: overhead per trial ${(((executorBest - bareBest) * parallel) / TRIALS * 1000).toFixed(2)} ms of one slot`);
    }
    return { figures, notes };
  },
};
