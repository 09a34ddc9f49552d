/**
 * Hugging Face trainer_state.json: ladder's reader (streaming log_history entry by entry,
 * NaN/Infinity literals, roles, companions) against the raw speed of the machine at the same
 * job — reading the same bytes and JSON.parse-ing them with V8's native parser after the
 * NaN/Infinity literals are made parseable — measured in the same run, on a generated
 * 100k-step file and on the corpus's 31 real files.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ingest } from '../src/ingest/ingest.js';
import { hfTrainerReader } from '../src/ingest/readers/hf-trainer.js';
import { bestOf, figure, MB, type Benchmark, type BenchContext, type Figure } from './harness.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** A trainer_state.json shaped like the Trainer's: a train entry per step, an eval entry every 500. */
function writeTrainerState(file: string, steps: number): void {
  const entries: string[] = [];
  for (let step = 1; step <= steps; step++) {
    const loss = step % 9973 === 0 ? 'NaN' : (2.5 * Math.exp(-step / 20000) + 0.1 * Math.sin(step)).toString();
    const grad = step % 7919 === 0 ? 'Infinity' : (1 + (step % 17) / 10).toString();
    entries.push(
      `    {\n      "epoch": ${(step / 1000).toFixed(4)},\n      "grad_norm": ${grad},\n      "learning_rate": ${(5e-5 * (1 - step / steps)).toExponential(6)},\n      "loss": ${loss},\n      "step": ${step}\n    }`,
    );
    if (step % 500 === 0) {
      entries.push(
        `    {\n      "epoch": ${(step / 1000).toFixed(4)},\n      "eval_accuracy": ${(0.5 + step / (4 * steps)).toFixed(6)},\n      "eval_loss": ${(2 * Math.exp(-step / 25000)).toFixed(6)},\n      "eval_runtime": 12.5,\n      "eval_samples_per_second": 80.1,\n      "eval_steps_per_second": 10.0,\n      "step": ${step}\n    }`,
      );
    }
  }
  writeFileSync(
    file,
    `{\n  "best_metric": 0.5,\n  "epoch": ${steps / 1000},\n  "eval_steps": 500,\n  "global_step": ${steps},\n  "log_history": [\n${entries.join(',\n')}\n  ],\n  "logging_steps": 1,\n  "max_steps": ${steps},\n  "num_train_epochs": ${steps / 1000}\n}\n`,
  );
}

/** The reference: the same bytes read and parsed natively (literals made parseable first). */
function nativeParse(files: string[]): number {
  let entries = 0;
  for (const file of files) {
    const text = readFileSync(file, 'utf8').replace(/\b(-?Infinity|NaN)\b/g, '"$1"');
    const state = JSON.parse(text) as { log_history: unknown[] };
    entries += state.log_history.length;
  }
  return entries;
}

function listTrainerStates(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return listTrainerStates(full);
    return name.endsWith('.json') && readFileSync(full, 'utf8').includes('"log_history"') ? [full] : [];
  });
}

async function measure(label: string, root: string, files: string[], repeats: number, context: BenchContext): Promise<Figure[]> {
  const bytes = files.reduce((sum, file) => sum + statSync(file).size, 0);
  const ladder = await bestOf(repeats, () => ingest([root], { readers: [hfTrainerReader] }));
  const points = ladder.result.runs.reduce(
    (sum, run) => sum + Object.values(run.series).reduce((s, series) => s + series.steps.length, 0),
    0,
  );
  const native = await bestOf(repeats, async () => nativeParse(files));
  context.log(`  ${label}: ladder ${ladder.cpuSeconds.toFixed(3)} s CPU, native parse ${native.cpuSeconds.toFixed(3)} s CPU`);
  const reference = { name: 'read + native JSON.parse of the same bytes (no series built)' };
  return [
    figure(
      `${label}.throughput`,
      { value: bytes / MB / ladder.cpuSeconds, unit: 'MB/s' },
      { ...reference, value: bytes / MB / native.cpuSeconds, unit: 'MB/s' },
      'share of the native parser speed the full reader keeps (1 = as fast as JSON.parse)',
    ),
    figure(
      `${label}.points-per-second`,
      { value: points / ladder.cpuSeconds, unit: 'points/s' },
      { ...reference, value: points / native.cpuSeconds, unit: 'points/s' },
      'as throughput, in series points',
    ),
  ];
}

export const hfTrainerBenchmark: Benchmark = {
  name: 'hf-trainer',
  description: 'trainer_state.json: reader speed against a native JSON.parse of the same bytes',
  async run(context) {
    const notes: string[] = [];
    const figures: Figure[] = [];
    const dir = path.join(context.scratch, 'generated');
    mkdirSync(dir);
    const file = path.join(dir, 'trainer_state.json');
    writeTrainerState(file, 100_000);
    notes.push(`generated: 100,000 training entries + 200 eval entries, ${(statSync(file).size / MB).toFixed(1)} MB (best of 3, CPU time)`);
    figures.push(...(await measure('generated-100k-steps', dir, [file], 3, context)));

    const corpus = process.env.LADDER_CORPUS
      ? path.join(process.env.LADDER_CORPUS, 'real-logs/hf-trainer')
      : path.resolve(HERE, '../../../shared/corpus/real-logs/hf-trainer');
    try {
      const files = listTrainerStates(corpus);
      notes.push(`corpus: ${files.length} trainer_state files (best of 5, CPU time)`);
      figures.push(...(await measure('corpus', corpus, files, 5, context)));
    } catch {
      notes.push(`corpus not found at ${corpus}: corpus figures skipped`);
    }
    return { figures, notes };
  },
};
