/**
 * Training throughput of the lab's transformer (src/lab: @jax-js/jax on wasm, one jitted
 * AdamW step) against the same architecture, batch and optimizer in PyTorch on the CPU
 * (bench/torch/lab_train.py), measured in the same run: with PyTorch's default thread count
 * and with one thread, since jax-js on Node 20 runs its wasm kernels on one thread (no global
 * Worker, so no worker pool).
 *
 * Both sides run WARMUP untimed steps (jax-js compiles its kernels in the first) and then
 * time TIMED steps, each reading the loss back (as the lab does for its logs). PyTorch is
 * skipped with a note when /work/.venv-fixtures/bin/python (or LADDER_TORCH_PYTHON) cannot
 * import torch.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEngine } from '../src/lab/engine/index.js';
import type { ModelSpec } from '../src/lab/models/spec.js';
import { createRng } from '../src/stats/rng.js';
import { figure, runCommand, type Benchmark, type Figure } from './harness.js';

/** dist/bench → the repository root. */
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT = path.join(REPO, 'bench', 'torch', 'lab_train.py');
const PYTHON = process.env.LADDER_TORCH_PYTHON ?? '/work/.venv-fixtures/bin/python';

/** DESIGN §9's model: about 105k parameters, 2 layers, batch 32 × 32 predicted tokens. */
const SPEC: ModelSpec = { vocabSize: 32, maxLength: 33, width: 64, depth: 2, heads: 4, positional: 'learned', mixer: 'attention', mlpRatio: 4 };
const BATCH = 32;
const LENGTH = 33;
const LR = 1e-3;
const WARMUP = 5;
const TIMED = 60;

interface TorchOutput {
  torch: string;
  threads: number;
  tokensPerSecond: number;
  msPerStep: number;
  parameters: number;
}

function* randomBatches(seed: number): Generator<Int32Array[]> {
  const rng = createRng(seed);
  for (;;) yield Array.from({ length: BATCH }, () => Int32Array.from({ length: LENGTH }, () => rng.integer(0, SPEC.vocabSize)));
}

async function ladderThroughput(): Promise<{ tokensPerSecond: number; msPerStep: number; parameters: number }> {
  const engine = await startEngine('jax');
  const model = engine.createModel(SPEC, 1);
  let timedFrom = 0;
  let timedTo = 0;
  await engine.train(model, randomBatches(1), {
    steps: WARMUP + TIMED,
    lr: LR,
    warmup: 0,
    schedule: 'constant',
    clip: 1,
    weightDecay: 0.1,
    onLog(step) {
      if (step === WARMUP - 1) timedFrom = performance.now();
      if (step === WARMUP + TIMED - 1) timedTo = performance.now();
    },
  });
  const parameters = model.parameterCount;
  model.dispose();
  const seconds = (timedTo - timedFrom) / 1000;
  return { tokensPerSecond: (TIMED * BATCH * (LENGTH - 1)) / seconds, msPerStep: (1000 * seconds) / TIMED, parameters };
}

async function torchThroughput(threads: number): Promise<TorchOutput> {
  const config = { ...SPEC, seed: 1, lr: LR, batch: BATCH, length: LENGTH, warmupSteps: WARMUP, timedSteps: TIMED, threads };
  return JSON.parse(await runCommand(PYTHON, [SCRIPT, JSON.stringify(config)], 20 * 60 * 1000)) as TorchOutput;
}

export const labTrainBenchmark: Benchmark = {
  name: 'lab-train',
  description: 'Training throughput of the lab transformer (jax-js wasm) vs the same model, batch and AdamW step in PyTorch on the CPU',
  async run(context) {
    const ladder = await ladderThroughput();
    context.log(`  ladder (jax-js wasm): ${Math.round(ladder.tokensPerSecond)} tokens/s, ${ladder.msPerStep.toFixed(1)} ms/step, ${ladder.parameters} parameters`);
    const notes = [
      `model: ${ladder.parameters} parameters (width ${SPEC.width}, depth ${SPEC.depth}, ${SPEC.heads} heads, vocabulary ${SPEC.vocabSize}, learned positions); batch ${BATCH} × ${LENGTH - 1} predicted tokens; AdamW, clip 1, decay 0.1`,
      `${WARMUP} untimed warm-up steps then ${TIMED} timed steps on each side; the loss is read back every step on both`,
      `ladder: ${Math.round(ladder.tokensPerSecond)} tokens/s (${ladder.msPerStep.toFixed(1)} ms/step), jax-js on one wasm thread`,
    ];
    let torchReady = existsSync(PYTHON);
    if (torchReady) {
      try {
        await runCommand(PYTHON, ['-c', 'import torch'], 120_000);
      } catch {
        torchReady = false;
      }
    }
    if (!torchReady) {
      notes.push(`PyTorch skipped: ${PYTHON} cannot import torch (set LADDER_TORCH_PYTHON to a Python with torch)`);
      return { figures: [], notes };
    }
    const figures: Figure[] = [];
    for (const threads of [0, 1]) {
      const torch = await torchThroughput(threads);
      if (torch.parameters !== ladder.parameters) {
        throw new Error(`lab-train: PyTorch model has ${torch.parameters} parameters, ladder's ${ladder.parameters}: not the same architecture`);
      }
      const label = threads === 0 ? `default threads (${torch.threads})` : '1 thread';
      context.log(`  PyTorch ${torch.torch}, ${label}: ${Math.round(torch.tokensPerSecond)} tokens/s`);
      notes.push(`PyTorch ${torch.torch} CPU, ${label}: ${Math.round(torch.tokensPerSecond)} tokens/s (${torch.msPerStep.toFixed(1)} ms/step)`);
      figures.push(
        figure(
          threads === 0 ? 'train.throughput' : 'train.throughput-one-thread',
          { value: ladder.tokensPerSecond, unit: 'tokens/s' },
          { name: `PyTorch ${torch.torch} CPU, ${label}, same model and step (bench/torch/lab_train.py)`, value: torch.tokensPerSecond, unit: 'tokens/s' },
          '> 1 means ladder trains faster',
        ),
      );
    }
    return { figures, notes };
  },
};
