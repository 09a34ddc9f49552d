/**
 * The engine on @jax-js/jax 0.1.25 with its wasm backend (DESIGN §9: ~14k tokens/s for a
 * 2-layer transformer on this machine kind, faster than PyTorch on the same CPU).
 *
 * One training step is a single jitted function of (parameters, Adam moments, batch,
 * step scalars): loss and gradients by `valueAndGrad`, the global gradient norm, clipping,
 * and AdamW written out (Loshchilov & Hutter 2019, with PyTorch's defaults and bias
 * correction), so that the whole step is one compiled program. Everything that varies per
 * step (learning rate, bias corrections) enters as an array argument; everything fixed for
 * a run (β, ε, decay, clip) is a constant of the trace.
 *
 * Determinism: initial values come from the seeded generator of src/stats/rng.ts, the data
 * order is the caller's, and the wasm kernels are deterministic, so a seeded run
 * reproduces bit for bit (test/lab/engine/jax.test.ts checks it).
 */
import { init, jit, numpy as np, tree, valueAndGrad, type Array as Tensor, type OwnedFunction } from '@jax-js/jax';
import { initialParameters, parameterCount, parameterLayout, resolveSpec, sizeOf, type ModelSpec, type ParameterInfo, type ResolvedSpec } from '../models/spec.js';
import { constant, tokenLossesAndPredictions, transformerLoss, type Parameters } from '../models/transformer.js';
import {
  checkBatch,
  checkTrainOptions,
  learningRateAt,
  type Batch,
  type Batches,
  type Engine,
  type Evaluation,
  type LossAndGradients,
  type Model,
  type TrainOptions,
  type TrainResult,
} from './engine.js';

/** Sequences per forward pass in `evaluate` (memory bound, not a statistical choice). */
const EVALUATION_BATCH = 64;

type Step = OwnedFunction<(params: Parameters, first: Parameters, second: Parameters, inputs: Tensor, targets: Tensor, lr: Tensor, correction1: Tensor, correction2: Tensor) => [Tensor, Tensor, Parameters, Parameters, Parameters]>;
type Gradient = OwnedFunction<(params: Parameters, inputs: Tensor, targets: Tensor) => [Tensor, Parameters]>;
type Predict = OwnedFunction<(params: Parameters, inputs: Tensor, targets: Tensor) => [Tensor, Tensor]>;

class JaxModel implements Model {
  readonly parameterCount: number;
  readonly layout: ParameterInfo[];
  params: Parameters;
  #gradient: Gradient | undefined;
  #predict: Predict | undefined;
  #disposed = false;

  constructor(
    readonly spec: ResolvedSpec,
    readonly seed: number,
  ) {
    this.layout = parameterLayout(spec);
    this.parameterCount = parameterCount(spec);
    const values = initialParameters(spec, seed);
    this.params = {};
    for (const { name, shape } of this.layout) this.params[name] = constant(values.get(name)!, shape, spec);
  }

  get gradient(): Gradient {
    this.#gradient ??= jit((params: Parameters, inputs: Tensor, targets: Tensor) =>
      valueAndGrad((p: Parameters, x: Tensor, y: Tensor) => transformerLoss(this.spec, p, x, y))(params, inputs, targets),
    ) as Gradient;
    return this.#gradient;
  }

  get predict(): Predict {
    this.#predict ??= jit((params: Parameters, inputs: Tensor, targets: Tensor) => tokenLossesAndPredictions(this.spec, params, inputs, targets)) as Predict;
    return this.#predict;
  }

  checkAlive(): void {
    if (this.#disposed) throw new Error('model: used after dispose()');
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    tree.dispose(this.params);
    this.#gradient?.dispose();
    this.#predict?.dispose();
  }
}

function asJaxModel(model: Model): JaxModel {
  if (!(model instanceof JaxModel)) throw new TypeError('jax engine: this model was created by another engine');
  model.checkAlive();
  return model;
}

/** Inputs (tokens 0..n−2) and targets (tokens 1..n−1) of a batch as int32 [B, n−1]. */
function inputsAndTargets(batch: Batch, length: number): [Tensor, Tensor] {
  const width = length - 1;
  const inputs = new Int32Array(batch.length * width);
  const targets = new Int32Array(batch.length * width);
  batch.forEach((sequence, row) => {
    inputs.set(sequence.subarray(0, width), row * width);
    targets.set(sequence.subarray(1), row * width);
  });
  return [np.array(inputs, { shape: [batch.length, width] }), np.array(targets, { shape: [batch.length, width] })];
}

function scalar(value: number, spec: ResolvedSpec): Tensor {
  return constant(Float64Array.of(value), [], spec);
}

function toFloat64(data: ArrayLike<number>): Float64Array {
  return Float64Array.from(data);
}

/**
 * jax-js 0.1.25 tests `data instanceof Float16Array` when building a float64 array, which
 * throws a ReferenceError on Node 20 (Float16Array arrived in Node 24). A class that cannot
 * be constructed makes that test answer false; float16 itself stays unusable, and the lab
 * never asks for it.
 */
function allowFloat64Arrays(): void {
  const global = globalThis as { Float16Array?: unknown };
  if (global.Float16Array === undefined) {
    global.Float16Array = class Float16ArrayUnavailable {
      constructor() {
        throw new Error('Float16Array is not available on this Node.js version');
      }
    };
  }
}

function makeStep(spec: ResolvedSpec, options: TrainOptions): Step {
  const layout = parameterLayout(spec);
  const beta1 = options.beta1 ?? 0.9;
  const beta2 = options.beta2 ?? 0.999;
  const epsilon = options.epsilon ?? 1e-8;
  const weightDecay = options.weightDecay ?? 0;
  const clip = options.clip;
  const lossOf = (p: Parameters, x: Tensor, y: Tensor): Tensor => transformerLoss(spec, p, x, y);
  return jit(
    (params: Parameters, first: Parameters, second: Parameters, inputs: Tensor, targets: Tensor, lr: Tensor, correction1: Tensor, correction2: Tensor) => {
      const [loss, gradients] = valueAndGrad(lossOf)(tree.ref(params), inputs, targets) as [Tensor, Parameters];
      let squared: Tensor | undefined;
      for (const { name } of layout) {
        const term = np.square(gradients[name]!.ref).sum();
        squared = squared ? squared.add(term) : term;
      }
      const norm = np.sqrt(squared!);
      // Scale = min(1, clip / (norm + 1e-6)), as torch.nn.utils.clip_grad_norm_ computes it.
      const scale = clip === undefined ? undefined : np.minimum(np.reciprocal(norm.ref.add(1e-6)).mul(clip), 1);
      const nextParams: Parameters = {};
      const nextFirst: Parameters = {};
      const nextSecond: Parameters = {};
      for (const { name, decay } of layout) {
        const gradient = scale ? gradients[name]!.mul(scale.ref) : gradients[name]!;
        const m = first[name]!.mul(beta1).add(gradient.ref.mul(1 - beta1));
        const v = second[name]!.mul(beta2).add(np.square(gradient).mul(1 - beta2));
        const step = m.ref.mul(correction1.ref).div(np.sqrt(v.ref.mul(correction2.ref)).add(epsilon));
        const param = params[name]!;
        const decayed = decay && weightDecay > 0 ? param.ref.sub(param.mul(lr.ref).mul(weightDecay)) : param;
        nextParams[name] = decayed.sub(step.mul(lr.ref));
        nextFirst[name] = m;
        nextSecond[name] = v;
      }
      scale?.dispose();
      lr.dispose();
      correction1.dispose();
      correction2.dispose();
      return [loss, norm, nextParams, nextFirst, nextSecond] as [Tensor, Tensor, Parameters, Parameters, Parameters];
    },
  ) as Step;
}

async function* iterate(batches: Batches): AsyncGenerator<Batch> {
  if (Symbol.asyncIterator in batches) yield* batches as AsyncIterable<Batch>;
  else yield* batches as Iterable<Batch>;
}

export class JaxEngine implements Engine {
  readonly name = 'jax-wasm';
  #ready = false;
  /**
   * Compiled training steps by model spec and run constants: models of one architecture
   * share one jitted step (and jax-js's per-shape kernel cache), so that a sweep compiles
   * once rather than once per run.
   */
  readonly #steps = new Map<string, Step>();

  #step(spec: ResolvedSpec, options: TrainOptions): Step {
    const key = JSON.stringify([spec, options.beta1 ?? 0.9, options.beta2 ?? 0.999, options.epsilon ?? 1e-8, options.weightDecay ?? 0, options.clip ?? null]);
    let step = this.#steps.get(key);
    if (!step) this.#steps.set(key, (step = makeStep(spec, options)));
    return step;
  }

  async init(): Promise<void> {
    if (this.#ready) return;
    allowFloat64Arrays();
    const devices = await init('wasm');
    if (!devices.includes('wasm')) throw new Error(`jax engine: the wasm backend did not start (available: ${devices.join(', ')})`);
    this.#ready = true;
  }

  #checkReady(): void {
    if (!this.#ready) throw new Error('jax engine: call init() first');
  }

  createModel(spec: ModelSpec, seed: number): Model {
    this.#checkReady();
    return new JaxModel(resolveSpec(spec), seed);
  }

  async train(model: Model, batches: Batches, options: TrainOptions): Promise<TrainResult> {
    const jaxModel = asJaxModel(model);
    checkTrainOptions(options);
    const { spec, layout } = jaxModel;
    const zeros = (): Parameters => Object.fromEntries(layout.map(({ name, shape }) => [name, np.zeros(shape, { dtype: jaxModel.params[name]!.dtype })]));
    let first = zeros();
    let second = zeros();
    const step = this.#step(spec, options);
    const beta1 = options.beta1 ?? 0.9;
    const beta2 = options.beta2 ?? 0.999;
    const losses = new Float64Array(options.steps);
    const gradNorms = new Float64Array(options.steps);
    let tokens = 0;
    let done = 0;
    const started = performance.now();
    try {
      for await (const batch of iterate(batches)) {
        if (done === options.steps) break;
        const length = checkBatch(spec, batch, `train step ${done}`);
        const [inputs, targets] = inputsAndTargets(batch, length);
        const lr = learningRateAt(done, options);
        const t = done + 1;
        const [loss, norm, params, nextFirst, nextSecond] = step(
          jaxModel.params,
          first,
          second,
          inputs,
          targets,
          scalar(lr, spec),
          scalar(1 / (1 - Math.pow(beta1, t)), spec),
          scalar(1 / (1 - Math.pow(beta2, t)), spec),
        );
        jaxModel.params = params;
        first = nextFirst;
        second = nextSecond;
        losses[done] = (await loss.data())[0]!;
        gradNorms[done] = (await norm.data())[0]!;
        tokens += batch.length * (length - 1);
        options.onLog?.(done, losses[done]!, lr, gradNorms[done]!);
        done++;
      }
    } finally {
      tree.dispose(first);
      tree.dispose(second);
    }
    if (done < options.steps) throw new RangeError(`train: the batches ran out after ${done} of ${options.steps} steps`);
    const seconds = (performance.now() - started) / 1000;
    return { steps: done, losses, gradNorms, tokens, seconds, tokensPerSecond: tokens / seconds };
  }

  async evaluate(model: Model, sequences: readonly Int32Array[]): Promise<Evaluation> {
    const jaxModel = asJaxModel(model);
    const { spec } = jaxModel;
    // Sequences grouped by length (one tensor shape each), with their places in the input.
    const byLength = new Map<number, number[]>();
    sequences.forEach((sequence, index) => {
      const group = byLength.get(sequence.length) ?? [];
      group.push(index);
      byLength.set(sequence.length, group);
    });
    const tokenLosses = sequences.map((sequence) => new Float64Array(Math.max(0, sequence.length - 1)));
    const longest = Math.max(0, ...byLength.keys());
    const lossSum = new Float64Array(Math.max(0, longest - 1));
    const counts = new Float64Array(lossSum.length);
    let total = 0;
    let correct = 0;
    let tokens = 0;
    for (const [length, group] of [...byLength].sort((a, b) => a[0] - b[0])) {
      for (let start = 0; start < group.length; start += EVALUATION_BATCH) {
        const indices = group.slice(start, start + EVALUATION_BATCH);
        const batch = indices.map((index) => sequences[index]!);
        checkBatch(spec, batch, 'evaluate');
        const [inputs, targets] = inputsAndTargets(batch, length);
        const [lossArray, predictionArray] = jaxModel.predict(tree.ref(jaxModel.params), inputs, targets);
        const lossValues = await lossArray.data();
        const predictions = await predictionArray.data();
        const width = length - 1;
        batch.forEach((sequence, row) => {
          const own = tokenLosses[indices[row]!]!;
          for (let t = 0; t < width; t++) {
            const loss = lossValues[row * width + t]!;
            own[t] = loss;
            lossSum[t]! += loss;
            counts[t]! += 1;
            total += loss;
            if (predictions[row * width + t] === sequence[t + 1]) correct++;
          }
        });
        tokens += batch.length * width;
      }
    }
    if (tokens === 0) throw new RangeError('evaluate: no sequence with at least 2 tokens');
    const perPosition = lossSum.map((sum, t) => (counts[t]! > 0 ? sum / counts[t]! : Number.NaN));
    return { lossPerToken: total / tokens, perPosition, accuracy: correct / tokens, tokens, tokenLosses };
  }

  async lossAndGradients(model: Model, batch: Batch): Promise<LossAndGradients> {
    const jaxModel = asJaxModel(model);
    const length = checkBatch(jaxModel.spec, batch, 'lossAndGradients');
    const [inputs, targets] = inputsAndTargets(batch, length);
    const [loss, gradients] = jaxModel.gradient(tree.ref(jaxModel.params), inputs, targets);
    const out = new Map<string, Float64Array>();
    for (const { name } of jaxModel.layout) out.set(name, toFloat64(await gradients[name]!.data()));
    return { loss: (await loss.data())[0]!, gradients: out };
  }

  async parameters(model: Model): Promise<Map<string, Float64Array>> {
    const jaxModel = asJaxModel(model);
    const out = new Map<string, Float64Array>();
    for (const { name } of jaxModel.layout) out.set(name, toFloat64(await jaxModel.params[name]!.ref.data()));
    return out;
  }

  setParameters(model: Model, values: ReadonlyMap<string, ArrayLike<number>>): void {
    const jaxModel = asJaxModel(model);
    for (const [name, value] of values) {
      const info = jaxModel.layout.find((p) => p.name === name);
      if (!info) throw new RangeError(`setParameters: unknown parameter ${name} (known: ${jaxModel.layout.map((p) => p.name).join(', ')})`);
      if (value.length !== sizeOf(info.shape)) throw new RangeError(`setParameters: ${name} needs ${sizeOf(info.shape)} values, got ${value.length}`);
      const replaced = constant(Float64Array.from(value), info.shape, jaxModel.spec);
      jaxModel.params[name]!.dispose();
      jaxModel.params[name] = replaced;
    }
  }
}
