/**
 * One lab trial: a configuration trained in-process, logged like a real run (train loss, lr
 * and grad norm every step; eval loss and accuracy at intervals; probes at the extrapolation
 * lengths; eval size in the hparams), plus the losses the budget needs — on a fresh sample
 * (L_R) and on a larger held-out evaluation (ladder's "more eval items" experiment).
 * Self-contained so that a worker thread (src/lab/trial-worker.ts) can run it.
 */
import { emptyRun, seriesFromArrays, type HValue, type Run } from '../model/run.js';
import { createRng } from '../stats/rng.js';
import type { Engine, Evaluation, Model } from './engine/index.js';
import type { TrainConfig } from './faults.js';
import { worldEntry, type World, type WorldEntry } from './worlds/index.js';

/** Tokens of the held-out sample that stands for the true risk (L_R): 2,048 sequences of 32, whose loss has a standard error of a few thousandths of a nat. */
export const FRESH_TOKENS = 65_536;
/** Tokens of the larger held-out evaluation ladder's observation experiment asks for (1,024 sequences of 32: 20× the eval of 50 sequences, 2× the healthy one). */
export const HELDOUT_TOKENS = 32_768;

/** Sequences of `tokens` tokens in all at `length` (at least 256, so that four quarters give a standard error). */
export function sequencesFor(tokens: number, length: number): number {
  return Math.max(256, Math.round(tokens / length));
}

export interface ProbeResult {
  length: number;
  loss: number;
  accuracy: number;
}

/** One training run: its log as a Run, and the numbers the budget needs. */
export interface Trial {
  config: TrainConfig;
  run: Run;
  /** Final evaluation loss and accuracy as the run's eval reports them (at the training length). */
  evalLoss: number;
  evalAccuracy: number;
  /** The same eval set's results at the probe lengths (extrapolation worlds). */
  probes: ProbeResult[];
  /** Loss the run reports at the budget length: the eval loss, or the longest probe's. */
  reportedLoss: number;
  /** Its standard error (the run's own evaluation, its shift included, over groups of its items). */
  reportedError: number;
  /** Loss of the final weights on a fresh sample at the budget length, with its standard error (L_R). */
  freshLoss: number;
  freshError: number;
  /** Loss of the final weights on a larger held-out evaluation set (another sample), as ladder's "more eval items" experiment measures it. */
  heldoutLoss: number;
  heldoutError: number;
  /**
   * Ladder's data experiment: the final weights scored on the first sequences the run trained
   * on (corruption and leaks included, as the training data is) and on a held-out sample of the
   * evaluation distribution at the same (training) length.
   */
  trainingSample: { loss: number; error: number };
  heldoutAtTrainLength: { loss: number; error: number };
  tokensPerSecond: number;
}

/** The length a world's budget is computed at: its longest evaluation length (4L for extrapolation variants). */
export function budgetLength(entry: WorldEntry): number {
  return Math.max(...entry.evalLengths);
}

/** Seeds of a trial's random streams (and of the n-gram baseline's, src/lab/baseline.ts, which reads the same data), derived from its seed so that two roles never share one. */
export function streamSeed(seed: number, role: 'train' | 'eval' | 'fresh' | 'corrupt' | 'heldout' | 'heldout-train-length'): number {
  return seed * 16 + { train: 1, eval: 2, fresh: 3, corrupt: 4, heldout: 5, 'heldout-train-length': 6 }[role];
}

export function* trainingBatches(world: World, config: TrainConfig, length: number, evalSet: Int32Array[]): Generator<Int32Array[]> {
  const data = createRng(streamSeed(config.seed, 'train'));
  const noise = createRng(streamSeed(config.seed, 'corrupt'));
  let leaked = 0;
  for (;;) {
    const batch = world.sample(config.batch, length, data);
    for (let row = 0; row < config.leakRows && evalSet.length > 0; row++) batch[row] = evalSet[leaked++ % evalSet.length]!;
    if (config.corruption > 0) {
      for (const sequence of batch) {
        for (let t = 0; t < sequence.length; t++) if (noise.uniform() < config.corruption) sequence[t] = noise.integer(0, world.vocab);
      }
    }
    yield batch;
  }
}

/** Hyperparameters as a run logs them (names the study classifier knows: learning_rate, seed, steps…). */
function hparamsOf(config: TrainConfig): Record<string, HValue> {
  return {
    world: config.world,
    learning_rate: config.lr,
    steps: config.steps,
    warmup_steps: config.warmup,
    lr_scheduler_type: config.schedule,
    max_grad_norm: config.clip,
    batch_size: config.batch,
    seed: config.seed,
    width: config.spec.width,
    depth: config.spec.depth,
    heads: config.spec.heads,
    positional: config.spec.positional,
    mixer: config.spec.mixer,
    eval_size: config.evalSize,
    num_classes: config.spec.vocabSize,
  };
}

export function trialId(config: TrainConfig): string {
  const s = config.spec;
  return `lab/${config.world}/${s.mixer}-${s.positional}-w${s.width}/lr${config.lr}/steps${config.steps}/seed${config.seed}` + (config.corruption ? `/corrupt${config.corruption}` : '') + (config.labelShift ? `/shift${config.labelShift}` : '') + (config.leakRows ? `/leak${config.leakRows}` : '') + `/eval${config.evalSize}`;
}

/**
 * The evaluation as the run's pipeline computes it. A label shift (targets' ids off by one)
 * is computed exactly as an output layer whose columns are rolled by the shift: scoring
 * p(y + k) against label y is scoring the rolled distribution against the true label.
 */
class Evaluator {
  #shifted: Model | undefined;
  constructor(
    private readonly engine: Engine,
    private readonly config: TrainConfig,
  ) {}

  async evaluate(model: Model, sequences: Int32Array[]) {
    if (this.config.labelShift === 0) return this.engine.evaluate(model, sequences);
    const parameters = await this.engine.parameters(model);
    const vocab = this.config.spec.vocabSize;
    const roll = (values: Float64Array, rows: number) => {
      const out = new Float64Array(values.length);
      for (let r = 0; r < rows; r++) for (let v = 0; v < vocab; v++) out[r * vocab + v] = values[r * vocab + ((v + this.config.labelShift) % vocab)]!;
      return out;
    };
    parameters.set('unembedding', roll(parameters.get('unembedding')!, this.config.spec.width));
    parameters.set('unembedding.bias', roll(parameters.get('unembedding.bias')!, 1));
    this.#shifted ??= this.engine.createModel(this.config.spec, this.config.seed);
    this.engine.setParameters(this.#shifted, parameters);
    return this.engine.evaluate(this.#shifted, sequences);
  }

  dispose(): void {
    this.#shifted?.dispose();
  }
}

/** Mean loss of `model` on `sequences` with a standard error from four disjoint quarters (sequences are independent). */
async function lossWithError(engine: Engine, model: Model, sequences: Int32Array[]): Promise<{ loss: number; error: number }> {
  return groupedLoss(await engine.evaluate(model, sequences), 4);
}

/**
 * Mean loss over `groups` disjoint equal groups of an evaluation's sequences (the first
 * ⌊n / groups⌋ each, in order), and its standard error from the groups' spread. Each group's
 * loss is summed token by token in the order the engine sums an evaluation of that group
 * alone, so that it equals one (bit for bit where the engine's forward batches are the same).
 */
export function groupedLoss(evaluation: Pick<Evaluation, 'tokenLosses'>, groups: number): { loss: number; error: number } {
  const size = Math.floor(evaluation.tokenLosses.length / groups);
  const means: number[] = [];
  for (let g = 0; g < groups; g++) {
    let total = 0;
    let tokens = 0;
    for (const losses of evaluation.tokenLosses.slice(g * size, (g + 1) * size)) {
      for (const loss of losses) total += loss;
      tokens += losses.length;
    }
    means.push(total / tokens);
  }
  const mean = means.reduce((a, b) => a + b, 0) / groups;
  const sd = Math.sqrt(means.reduce((s, m) => s + (m - mean) ** 2, 0) / (groups - 1));
  return { loss: mean, error: sd / Math.sqrt(groups) };
}

/** Groups the reported evaluation's standard error is estimated from (50 sequences: 8 groups of 6). */
const REPORTED_GROUPS = 8;

/** Trains one configuration and logs it like a real run. */
export async function runTrial(engine: Engine, config: TrainConfig): Promise<Trial> {
  const entry = worldEntry(config.world);
  const world = entry.create(config.worldSeed);
  const length = entry.trainLength;
  const probeLengths = entry.evalLengths.filter((l) => l !== length);
  const evalRng = createRng(streamSeed(config.seed, 'eval'));
  const evalSet = world.sample(config.evalSize, length, evalRng);
  const probeSets = probeLengths.map((l) => world.sample(config.evalSize, l, evalRng));
  const model = engine.createModel(config.spec, config.seed);
  const evaluator = new Evaluator(engine, config);
  const train = { loss: new Float64Array(config.steps), lr: new Float64Array(config.steps), grad: new Float64Array(config.steps) };
  const evals = { steps: [] as number[], loss: [] as number[], accuracy: [] as number[] };
  const evaluateAt = new Set(Array.from({ length: config.evaluations + 1 }, (_, i) => Math.round((i * config.steps) / config.evaluations)));
  let lastEval: Evaluation | undefined;
  const logEval = async (step: number) => {
    const result = await evaluator.evaluate(model, evalSet);
    evals.steps.push(step);
    evals.loss.push(result.lossPerToken);
    evals.accuracy.push(result.accuracy);
    lastEval = result;
  };
  try {
    // Evaluations happen between steps: the engine pulls each batch from this generator after
    // the previous update, so evaluating before handing over batch s sees the weights after s steps.
    const source = trainingBatches(world, config, length, evalSet);
    async function* batches(): AsyncGenerator<Int32Array[]> {
      for (let step = 0; ; step++) {
        if (evaluateAt.has(step) && step < config.steps) await logEval(step);
        yield source.next().value as Int32Array[];
      }
    }
    const result = await engine.train(model, batches(), {
      steps: config.steps,
      lr: config.lr,
      warmup: config.warmup,
      schedule: config.schedule,
      clip: config.clip,
      onLog(step, loss, lr, gradNorm) {
        train.loss[step] = loss;
        train.lr[step] = lr;
        train.grad[step] = gradNorm;
      },
    });
    await logEval(config.steps);
    const probes: ProbeResult[] = [];
    // The evaluation the run reports: its final one at the budget length (the longest probe's, or the eval's).
    let reportedEvaluation = lastEval!;
    for (const [i, probeLength] of probeLengths.entries()) {
      const r = await evaluator.evaluate(model, probeSets[i]!);
      probes.push({ length: probeLength, loss: r.lossPerToken, accuracy: r.accuracy });
      reportedEvaluation = r;
    }
    const fresh = await lossWithError(engine, model, world.sample(sequencesFor(FRESH_TOKENS, budgetLength(entry)), budgetLength(entry), createRng(streamSeed(config.seed, 'fresh'))));
    const heldout = await lossWithError(engine, model, world.sample(sequencesFor(HELDOUT_TOKENS, budgetLength(entry)), budgetLength(entry), createRng(streamSeed(config.seed, 'heldout'))));
    // The training stream restarted from its seed gives back the batches the run trained on.
    const sampleSize = sequencesFor(HELDOUT_TOKENS, length);
    const replay = trainingBatches(world, config, length, evalSet);
    const trainedOn: Int32Array[] = [];
    while (trainedOn.length < sampleSize) trainedOn.push(...(replay.next().value as Int32Array[]));
    const trainingSample = await lossWithError(engine, model, trainedOn.slice(0, sampleSize));
    const heldoutAtTrainLength =
      budgetLength(entry) === length
        ? heldout
        : await lossWithError(engine, model, world.sample(sampleSize, length, createRng(streamSeed(config.seed, 'heldout-train-length'))));
    const run = emptyRun(trialId(config), 'jsonl', [trialId(config)]);
    run.hparams = hparamsOf(config);
    const steps = Array.from({ length: config.steps }, (_, i) => i);
    run.series['train/loss'] = seriesFromArrays(steps, train.loss);
    run.series['train/lr'] = seriesFromArrays(steps, train.lr);
    run.series['train/grad_norm'] = seriesFromArrays(steps, train.grad);
    run.series['eval/loss'] = seriesFromArrays(evals.steps, evals.loss);
    run.series['eval/accuracy'] = seriesFromArrays(evals.steps, evals.accuracy);
    for (const probe of probes) {
      const factor = probe.length / length;
      run.series[`probe/loss_${factor}x`] = seriesFromArrays([config.steps], [probe.loss]);
      run.series[`probe/accuracy_${factor}x`] = seriesFromArrays([config.steps], [probe.accuracy]);
    }
    run.roles = { trainLoss: 'train/loss', valLoss: 'eval/loss', lr: 'train/lr', gradNorm: 'train/grad_norm', valMetrics: ['eval/accuracy'] };
    const evalLoss = evals.loss.at(-1)!;
    const reported = groupedLoss(reportedEvaluation, REPORTED_GROUPS);
    return {
      config,
      run,
      evalLoss,
      evalAccuracy: evals.accuracy.at(-1)!,
      probes,
      reportedLoss: probes.length > 0 ? probes.at(-1)!.loss : evalLoss,
      reportedError: reported.error,
      freshLoss: fresh.loss,
      freshError: fresh.error,
      heldoutLoss: heldout.loss,
      heldoutError: heldout.error,
      trainingSample,
      heldoutAtTrainLength,
      tokensPerSecond: result.tokensPerSecond,
    };
  } finally {
    model.dispose();
    evaluator.dispose();
  }
}

