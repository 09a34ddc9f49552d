/**
 * Confident learning on the CIFAR-10 and IMDB arrays of the label-errors corpus (issue 4):
 * ladder's `findLabelIssues` (cleanlab defaults, each of the three filters) and
 * `paperLabelIssues` against the same algorithm in NumPy (bench/numpy/confident_learning.py,
 * Debian's python3-numpy) on the same arrays, measured in the same run.
 *
 * Both sides load the arrays before the clock starts, run WARMUP untimed repetitions, then
 * report the median wall time of REPEATS. The benchmark fails if the two disagree on the
 * number of issues for any method: a speed-up that changes the answer is no speed-up.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpyFile } from '../../src/ingest/formats/npy.js';
import { findLabelIssues, paperLabelIssues, type LabelIssues, type LabelProblem } from '../../src/stats/confident-learning.js';
import { figure, runCommand, type Benchmark, type Figure } from '../harness.js';

/** dist/bench/numpy → the repository root. */
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SCRIPT = path.join(REPO, 'bench', 'numpy', 'confident_learning.py');
const LABEL_ERRORS = process.env.LADDER_CORPUS
  ? path.join(process.env.LADDER_CORPUS, 'label-errors')
  : path.resolve(REPO, '../shared/corpus/label-errors');
const PYTHON = '/usr/bin/python3';
const SETS = ['cifar10', 'imdb'] as const;
const WARMUP = 20;
const REPEATS = 51;

const METHODS = {
  prune_by_noise_rate: (problem: LabelProblem) => findLabelIssues(problem, { filterBy: 'prune_by_noise_rate' }),
  prune_by_class: (problem: LabelProblem) => findLabelIssues(problem, { filterBy: 'prune_by_class' }),
  both: (problem: LabelProblem) => findLabelIssues(problem, { filterBy: 'both' }),
  paper: (problem: LabelProblem) => paperLabelIssues(problem),
} as const;
type Method = keyof typeof METHODS;

interface NumpyOutput {
  numpy: string;
  sets: Record<string, Record<Method, { ms: number; indices: number[] }>>;
}

function files(set: string): { probs: string; labels: string } {
  return {
    probs: path.join(LABEL_ERRORS, 'cross_validated_predicted_probabilities', `${set}_test_set_pyx.npy`),
    labels: path.join(LABEL_ERRORS, 'original_test_labels', `${set}_test_set_original_labels.npy`),
  };
}

async function load(set: string): Promise<LabelProblem> {
  const { probs, labels } = files(set);
  const p = await readNpyFile(probs);
  const l = await readNpyFile(labels);
  if (!p.array || !l.array) throw new Error(`cannot read the ${set} arrays: ${p.error?.reason ?? l.error?.reason}`);
  return { probs: p.array.data, labels: l.array.data, classes: p.array.shape[1]! };
}

function medianMs(task: () => LabelIssues): { ms: number; result: LabelIssues } {
  let result = task();
  const times = new Float64Array(REPEATS);
  for (let i = 0; i < REPEATS; i++) {
    const started = performance.now();
    result = task();
    times[i] = performance.now() - started;
  }
  times.sort();
  return { ms: times[REPEATS >> 1]!, result };
}

function sameOrder(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export const confidentLearningBenchmark: Benchmark = {
  name: 'confident-learning',
  description: 'Confident learning (cleanlab-default filters and the paper method) on the CIFAR-10 and IMDB label-errors arrays vs the same algorithm in NumPy',
  async run(context) {
    const missing = SETS.flatMap((set) => Object.values(files(set))).filter((file) => !existsSync(file));
    if (missing.length > 0) {
      return { figures: [], notes: [`skipped: label-errors corpus not found (${missing[0]} is missing; set LADDER_CORPUS)`] };
    }
    let version: string;
    try {
      version = (await runCommand(PYTHON, ['-c', 'import numpy; print(numpy.__version__)'], 60_000)).trim();
    } catch {
      return { figures: [], notes: [`skipped: ${PYTHON} cannot import numpy (install Debian's python3-numpy)`] };
    }

    const problems = new Map<string, LabelProblem>();
    for (const set of SETS) problems.set(set, await load(set));
    // Every method on every set before any is timed, so that none pays for the JIT's tier-up.
    for (let i = 0; i < WARMUP; i++) for (const problem of problems.values()) for (const run of Object.values(METHODS)) run(problem);
    const ladder = new Map<string, { ms: number; result: LabelIssues }>();
    for (const [set, problem] of problems) {
      for (const [method, run] of Object.entries(METHODS)) ladder.set(`${set}.${method}`, medianMs(() => run(problem)));
      context.log(`  ladder: ${set} timed`);
    }
    context.log(`  NumPy ${version}: same methods, same arrays`);
    const args = [SCRIPT, String(WARMUP), String(REPEATS), ...SETS.flatMap((set) => [set, files(set).probs, files(set).labels])];
    const numpy = JSON.parse(await runCommand(PYTHON, args)) as NumpyOutput;

    const figures: Figure[] = [];
    const notes = [
      `median wall time of ${REPEATS} runs after ${WARMUP} warm-ups of every method on each side; loading the arrays is not timed; ladder includes its input validation`,
      `NumPy ${numpy.numpy} (${PYTHON}) runs ${path.relative(REPO, SCRIPT)}, numpy's default argsort as cleanlab calls it; ladder breaks ties by index`,
    ];
    const disagreements: string[] = [];
    for (const set of SETS) {
      for (const method of Object.keys(METHODS) as Method[]) {
        const mine = ladder.get(`${set}.${method}`)!;
        const theirs = numpy.sets[set]![method];
        if (mine.result.indices.length !== theirs.indices.length) {
          disagreements.push(`${set} ${method}: ladder ${mine.result.indices.length} issues, NumPy ${theirs.indices.length}`);
          continue;
        }
        const order = sameOrder(mine.result.indices, theirs.indices) ? 'identical ranked indices' : 'same count, indices differ (ties)';
        notes.push(`${set} ${method}: ${mine.result.indices.length} issues, ${order}; ladder ${mine.ms.toFixed(2)} ms, NumPy ${theirs.ms.toFixed(2)} ms`);
        figures.push(
          figure(
            `${set}.${method}`,
            { value: 1000 / mine.ms, unit: 'runs/s' },
            { name: `NumPy ${numpy.numpy}, same algorithm (bench/numpy/confident_learning.py)`, value: 1000 / theirs.ms, unit: 'runs/s' },
            '> 1 means ladder is faster (NumPy ms / ladder ms)',
          ),
        );
      }
    }
    if (disagreements.length > 0) throw new Error(`confident-learning: ladder and NumPy disagree: ${disagreements.join('; ')}`);
    return { figures, notes };
  },
};
