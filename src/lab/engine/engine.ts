/**
 * The lab's training engine behind a narrow interface, so that the backend can be swapped
 * (DESIGN §9: @jax-js/jax on wasm is today's choice; nothing outside src/lab/engine imports
 * it except the model's forward pass). A model is an opaque handle that the engine which
 * created it trains, evaluates and reads.
 */
import type { ModelSpec, ResolvedSpec } from '../models/spec.js';

export interface Model {
  readonly spec: ResolvedSpec;
  /** The seed its initial parameters were drawn from. */
  readonly seed: number;
  readonly parameterCount: number;
  /** Frees the engine's memory; the model cannot be used afterwards. */
  dispose(): void;
}

export type Schedule = 'cosine' | 'constant';

export interface TrainOptions {
  steps: number;
  /** Peak learning rate. */
  lr: number;
  /** Steps of linear warmup from 0 to `lr` (0 for none). */
  warmup: number;
  /** After warmup: cosine decay to 0 at `steps`, or constant. */
  schedule: Schedule;
  /** Global gradient-norm clipping threshold (none when absent). */
  clip?: number;
  /** AdamW decoupled weight decay on weight matrices (default 0). */
  weightDecay?: number;
  /** Adam's β1, β2, ε (defaults 0.9, 0.999, 1e-8 as in PyTorch). */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Called after every step with the step's loss (nats/token), learning rate and pre-clipping gradient norm. */
  onLog?(step: number, loss: number, lr: number, gradNorm: number): void;
}

export interface TrainResult {
  steps: number;
  /** Training loss (nats/token) of each step's batch, before that step's update. */
  losses: Float64Array;
  gradNorms: Float64Array;
  /** Target tokens the loss was averaged over, summed over steps. */
  tokens: number;
  seconds: number;
  tokensPerSecond: number;
}

export interface Evaluation {
  /** Mean negative log-likelihood (nats) over every predicted token. */
  lossPerToken: number;
  /** Mean loss of the prediction of token t+1 from tokens 0..t, index t; NaN where no sequence reaches. */
  perPosition: Float64Array;
  /** Fraction of predicted tokens whose most probable next token (lowest id on ties) is the true one. */
  accuracy: number;
  tokens: number;
  /**
   * The loss of each prediction, sequence by sequence in the order given (sequence i's
   * prediction of token t+1 at `tokenLosses[i][t]`): what a grouped estimate of the loss's
   * standard error needs, without evaluating the groups again.
   */
  tokenLosses: Float64Array[];
}

export interface LossAndGradients {
  loss: number;
  gradients: Map<string, Float64Array>;
}

/** A batch: sequences of one length (see ModelSpec: n tokens give n − 1 predictions). */
export type Batch = readonly Int32Array[];
export type Batches = Iterable<Batch> | AsyncIterable<Batch>;

export interface Engine {
  readonly name: string;
  init(): Promise<void>;
  createModel(spec: ModelSpec, seed: number): Model;
  train(model: Model, batches: Batches, options: TrainOptions): Promise<TrainResult>;
  evaluate(model: Model, sequences: readonly Int32Array[]): Promise<Evaluation>;
  /** The mean loss of one batch and its gradient for every parameter (for checks and the lab's probes). */
  lossAndGradients(model: Model, batch: Batch): Promise<LossAndGradients>;
  /** A copy of the current parameter values, by name. */
  parameters(model: Model): Promise<Map<string, Float64Array>>;
  /** Overwrites the named parameters (values in the parameter's row-major layout). */
  setParameters(model: Model, values: ReadonlyMap<string, ArrayLike<number>>): void;
}

/** The learning rate of step `step` (0-based): linear warmup, then cosine to 0 or constant. */
export function learningRateAt(step: number, options: Pick<TrainOptions, 'steps' | 'lr' | 'warmup' | 'schedule'>): number {
  const { steps, lr, warmup, schedule } = options;
  if (step < warmup) return (lr * (step + 1)) / warmup;
  if (schedule === 'constant') return lr;
  const decaySteps = steps - warmup;
  if (decaySteps <= 1) return lr;
  const progress = (step - warmup) / (decaySteps - 1);
  return 0.5 * lr * (1 + Math.cos(Math.PI * Math.min(1, progress)));
}

/** Checks training options; a wrong one is a programming error in the lab, so it throws a RangeError naming it. */
export function checkTrainOptions(options: TrainOptions): void {
  if (!Number.isSafeInteger(options.steps) || options.steps < 1) throw new RangeError(`train: steps must be a positive integer, got ${options.steps}`);
  if (!(options.lr > 0) || !Number.isFinite(options.lr)) throw new RangeError(`train: lr must be positive and finite, got ${options.lr}`);
  if (!Number.isSafeInteger(options.warmup) || options.warmup < 0) throw new RangeError(`train: warmup must be a non-negative integer, got ${options.warmup}`);
  if (options.schedule !== 'cosine' && options.schedule !== 'constant') {
    throw new RangeError(`unknown schedule: ${String(options.schedule)} (known: cosine, constant)`);
  }
  if (options.clip !== undefined && !(options.clip > 0)) throw new RangeError(`train: clip must be positive, got ${options.clip}`);
  if (options.weightDecay !== undefined && !(options.weightDecay >= 0)) throw new RangeError(`train: weightDecay must be ≥ 0, got ${options.weightDecay}`);
}

/**
 * Checks that a batch is non-empty, of one length within the model's maxLength, with
 * token ids in range; returns that length.
 */
export function checkBatch(spec: ResolvedSpec, batch: Batch, where: string): number {
  const first = batch[0];
  if (!first) throw new RangeError(`${where}: empty batch`);
  const length = first.length;
  if (length < 2) throw new RangeError(`${where}: sequences need at least 2 tokens, got ${length}`);
  if (length > spec.maxLength) throw new RangeError(`${where}: sequence of ${length} tokens exceeds the model's maxLength ${spec.maxLength}`);
  for (const sequence of batch) {
    if (sequence.length !== length) throw new RangeError(`${where}: sequences of one batch must share a length (${length} and ${sequence.length})`);
    for (const token of sequence) {
      if (!(token >= 0 && token < spec.vocabSize)) throw new RangeError(`${where}: token ${token} outside the vocabulary [0, ${spec.vocabSize})`);
    }
  }
  return length;
}
