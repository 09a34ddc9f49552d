/**
 * The lab's tiny decoder-only transformer, written as a pure function of its parameters in
 * @jax-js/jax operations so that `valueAndGrad` and `jit` can transform it:
 *
 *   tokens ─ one-hot · E (+ position table | + sinusoids) ─┬─ [LN → mixer → +] ─ [LN → MLP → +] ─ ×depth
 *                                                          └─ LN → · U + b → logits
 *
 * The mixer is causal multi-head self-attention (with an ALiBi bias when asked) or a
 * two-layer MLP over positions with lower-triangular weights. Every function here follows
 * jax-js ownership: each array argument is consumed exactly once (`.ref` where used twice).
 *
 * Embedding lookups are one-hot products rather than gathers: jax-js 0.1.25 cannot jit the
 * scatter that a gather's gradient needs, and with a vocabulary of a few dozen tokens the
 * product costs nothing.
 */
import { nn, numpy as np, type Array as Tensor, type DType } from '@jax-js/jax';
import type { ResolvedSpec } from './spec.js';

export type Parameters = Record<string, Tensor>;

const LAYER_NORM_EPSILON = 1e-5;
/** Added to masked attention logits; exp of it underflows to exactly 0 in float32 and float64. */
const MASKED = -1e9;

export function dtypeOf(spec: ResolvedSpec): DType {
  return spec.precision === 'float64' ? np.float64 : np.float32;
}

/** A constant array from float64 values in the model's precision. */
export function constant(values: Float64Array, shape: number[], spec: ResolvedSpec): Tensor {
  const data = spec.precision === 'float64' ? values : new Float32Array(values);
  return np.array(data, { shape });
}

/** The fixed sinusoidal table of Vaswani et al. (2017), rows 0..length−1. */
export function sinusoidTable(length: number, width: number): Float64Array {
  const table = new Float64Array(length * width);
  for (let t = 0; t < length; t++) {
    for (let i = 0; i < width / 2; i++) {
      const angle = t / Math.pow(10000, (2 * i) / width);
      table[t * width + 2 * i] = Math.sin(angle);
      table[t * width + 2 * i + 1] = Math.cos(angle);
    }
  }
  return table;
}

/**
 * ALiBi head slopes 2^(−8(h+1)/H) (Press et al. 2022). For H a power of two these are the
 * paper's; for other H the same geometric formula is used rather than the paper's
 * interleaving, which only matters for comparing with published checkpoints.
 */
export function alibiSlopes(heads: number): Float64Array {
  return Float64Array.from({ length: heads }, (_, h) => Math.pow(2, (-8 * (h + 1)) / heads));
}

/** Additive attention bias [H, T, T]: the causal mask, plus −m_h·(i − j) under ALiBi. */
export function attentionBias(spec: ResolvedSpec, length: number): Float64Array {
  const heads = spec.heads;
  const slopes = spec.positional === 'alibi' ? alibiSlopes(heads) : new Float64Array(heads);
  const bias = new Float64Array(heads * length * length);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < length; i++) {
      for (let j = 0; j < length; j++) bias[(h * length + i) * length + j] = j <= i ? -slopes[h]! * (i - j) : MASKED;
    }
  }
  return bias;
}

/** 1 on and below the diagonal, 0 above: masks the position-mixing weights. */
export function lowerTriangle(length: number): Float64Array {
  const mask = new Float64Array(length * length);
  for (let i = 0; i < length; i++) for (let j = 0; j <= i; j++) mask[i * length + j] = 1;
  return mask;
}

function layerNorm(x: Tensor, gain: Tensor, bias: Tensor): Tensor {
  const mean = x.ref.mean(-1, { keepdims: true });
  const centred = x.sub(mean);
  const variance = np.square(centred.ref).mean(-1, { keepdims: true });
  return centred.div(np.sqrt(variance.add(LAYER_NORM_EPSILON))).mul(gain).add(bias);
}

/** Takes the named parameter out of the record (each is used once per forward pass). */
function take(params: Parameters, name: string): Tensor {
  const value = params[name];
  if (!value) throw new Error(`model parameters: missing ${name}`);
  return value;
}

function attention(spec: ResolvedSpec, params: Parameters, prefix: string, x: Tensor): Tensor {
  const [batch, length, width] = x.shape as [number, number, number];
  const heads = spec.heads;
  const headWidth = width / heads;
  const split = (projected: Tensor): Tensor => projected.reshape([batch, length, heads, headWidth]).transpose([0, 2, 1, 3]);
  const query = split(np.matmul(x.ref, take(params, `${prefix}attention.query`)));
  const key = split(np.matmul(x.ref, take(params, `${prefix}attention.key`))).transpose([0, 1, 3, 2]);
  const value = split(np.matmul(x, take(params, `${prefix}attention.value`)));
  const logits = np
    .matmul(query, key)
    .mul(1 / Math.sqrt(headWidth))
    .add(constant(attentionBias(spec, length), [heads, length, length], spec));
  const mixed = np.matmul(nn.softmax(logits, -1), value).transpose([0, 2, 1, 3]).reshape([batch, length, width]);
  return np.matmul(mixed, take(params, `${prefix}attention.output`));
}

/** y[t] = Σ_{s≤t} W2[t,s]·gelu(Σ_{r≤s} W1[s,r]·x[r] + b1[s]) + b2[t], per channel. */
function positionMlp(spec: ResolvedSpec, params: Parameters, prefix: string, x: Tensor): Tensor {
  const length = x.shape[1]!;
  const mask = (): Tensor => constant(lowerTriangle(length), [length, length], spec);
  const weightIn = take(params, `${prefix}mix.in`).slice([0, length], [0, length]).mul(mask());
  const biasIn = take(params, `${prefix}mix.inBias`).slice([0, length]);
  const weightOut = take(params, `${prefix}mix.out`).slice([0, length], [0, length]).mul(mask());
  const biasOut = take(params, `${prefix}mix.outBias`).slice([0, length]);
  // Channels-first [B, d, T], so that each position-mixing matrix multiplies from the right (as its transpose).
  const hidden = nn.gelu(np.matmul(x.transpose([0, 2, 1]), weightIn.transpose()).add(biasIn));
  return np.matmul(hidden, weightOut.transpose()).add(biasOut).transpose([0, 2, 1]);
}

function channelMlp(params: Parameters, prefix: string, x: Tensor): Tensor {
  const hidden = nn.gelu(np.matmul(x, take(params, `${prefix}mlp.in`)).add(take(params, `${prefix}mlp.inBias`)));
  return np.matmul(hidden, take(params, `${prefix}mlp.out`)).add(take(params, `${prefix}mlp.outBias`));
}

/** Next-token logits [B, T, V] for int32 inputs [B, T]. Consumes `params` and `inputs`. */
export function transformerLogits(spec: ResolvedSpec, params: Parameters, inputs: Tensor): Tensor {
  const length = inputs.shape[1]!;
  if (length > spec.maxLength) throw new RangeError(`sequence of ${length + 1} tokens is longer than the model's maxLength ${spec.maxLength}`);
  let h = np.matmul(nn.oneHot(inputs, spec.vocabSize).astype(dtypeOf(spec)), take(params, 'embedding.token'));
  if (spec.positional === 'learned') h = h.add(take(params, 'embedding.position').slice([0, length]));
  if (spec.positional === 'sinusoidal') h = h.add(constant(sinusoidTable(length, spec.width), [length, spec.width], spec));
  for (let layer = 0; layer < spec.depth; layer++) {
    const p = `layer${layer}.`;
    const normed = layerNorm(h.ref, take(params, `${p}norm1.gain`), take(params, `${p}norm1.bias`));
    h = h.add(spec.mixer === 'attention' ? attention(spec, params, p, normed) : positionMlp(spec, params, p, normed));
    h = h.ref.add(channelMlp(params, p, layerNorm(h, take(params, `${p}norm2.gain`), take(params, `${p}norm2.bias`))));
  }
  const final = layerNorm(h, take(params, 'final.gain'), take(params, 'final.bias'));
  return np.matmul(final, take(params, 'unembedding')).add(take(params, 'unembedding.bias'));
}

/** Negative log-likelihood in nats of each target [B, T]. Consumes `params`, `inputs`, `targets`. */
export function tokenLosses(spec: ResolvedSpec, params: Parameters, inputs: Tensor, targets: Tensor): Tensor {
  const logProbabilities = nn.logSoftmax(transformerLogits(spec, params, inputs), -1);
  return logProbabilities.mul(nn.oneHot(targets, spec.vocabSize).astype(dtypeOf(spec))).sum(-1).neg();
}

/** Mean next-token cross-entropy in nats over every target of the batch. */
export function transformerLoss(spec: ResolvedSpec, params: Parameters, inputs: Tensor, targets: Tensor): Tensor {
  return tokenLosses(spec, params, inputs, targets).mean();
}

/**
 * Per-target loss [B, T] and the model's most probable next token [B, T] (int32; the lowest
 * id on ties), from one forward pass. Consumes `params`, `inputs`, `targets`.
 */
export function tokenLossesAndPredictions(spec: ResolvedSpec, params: Parameters, inputs: Tensor, targets: Tensor): [Tensor, Tensor] {
  const logits = transformerLogits(spec, params, inputs);
  const predictions = np.argmax(logits.ref, -1);
  const losses = nn.logSoftmax(logits, -1).mul(nn.oneHot(targets, spec.vocabSize).astype(dtypeOf(spec))).sum(-1).neg();
  return [losses, predictions];
}
