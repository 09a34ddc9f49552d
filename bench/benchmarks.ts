/**
 * The benchmarks `npm run bench` runs, in order. Add a module here: one import, one entry.
 */
import type { Benchmark } from './harness.js';
import { confidentLearningBenchmark } from './numpy/confident-learning.js';
import { contaminationBenchmark } from './contamination.js';
import { dashboardBenchmark } from './dashboard.js';
import { diagnosisBenchmark } from './diagnosis.js';
import { hfTrainerBenchmark } from './hf-trainer.js';
import { labTrainBenchmark } from './lab-train.js';
import { labTourBenchmark } from './lab-tour.js';
import { localExecutorBenchmark } from './local-executor.js';
import { pairedBootstrapBenchmark } from './paired-bootstrap.js';
import { reportBenchmark } from './report.js';
import { slurmArrayBenchmark } from './slurm-array.js';
import { tensorboardBenchmark } from './tensorboard.js';

export const BENCHMARKS = [tensorboardBenchmark, hfTrainerBenchmark, diagnosisBenchmark, contaminationBenchmark, pairedBootstrapBenchmark, confidentLearningBenchmark, reportBenchmark, dashboardBenchmark, slurmArrayBenchmark, labTrainBenchmark, localExecutorBenchmark, labTourBenchmark] as const satisfies readonly Benchmark[];
