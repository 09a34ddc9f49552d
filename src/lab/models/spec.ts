/**
 * What a lab model is, independent of the engine that trains it: the specification of the
 * tiny decoder-only transformer, the names and shapes of its parameters, and their seeded
 * initial values (plain typed arrays, so any engine starts from the same numbers).
 *
 * Sequences are token ids in [0, vocabSize). A sequence of n tokens is read as n − 1 inputs
 * (tokens 0..n−2, at positions 0..n−2) predicting n − 1 targets (tokens 1..n−1); its length
 * may not exceed `maxLength`, which is also the number of rows of the learned position
 * table and of the position-mixing weights.
 */
import { createRng, type Rng } from '../../stats/rng.js';

export const POSITIONAL_ENCODINGS = ['learned', 'sinusoidal', 'alibi', 'none'] as const;
/**
 * learned: a trained table of `maxLength` rows added to the token embedding;
 * sinusoidal: the fixed table of Vaswani et al. (2017) added instead; alibi: no table, a
 * per-head linear penalty on attention logits by distance (Press et al. 2022); none: no
 * position signal beyond the causal mask.
 */
export type PositionalEncoding = (typeof POSITIONAL_ENCODINGS)[number];

export const MIXERS = ['attention', 'mlp'] as const;
/**
 * How positions exchange information in each layer: causal multi-head self-attention, or a
 * two-layer MLP over the position axis whose weight matrices are lower-triangular (so that
 * position t only reads positions ≤ t), shared across channels.
 */
export type Mixer = (typeof MIXERS)[number];

export type Precision = 'float32' | 'float64';

export interface ModelSpec {
  vocabSize: number;
  /** The longest sequence (in tokens) the model accepts. */
  maxLength: number;
  /** Width of the residual stream. */
  width: number;
  /** Number of blocks (mixer + MLP, each pre-LayerNorm with a residual connection). */
  depth: number;
  /** Attention heads; must divide width. Ignored by the MLP mixer. */
  heads: number;
  positional: PositionalEncoding;
  mixer: Mixer;
  /** Hidden width of each block's channel MLP as a multiple of width (default 4). */
  mlpRatio?: number;
  /** Arithmetic of the parameters and activations (default float32; float64 for gradient checks). */
  precision?: Precision;
}

export type ResolvedSpec = Required<ModelSpec>;

export interface ParameterInfo {
  name: string;
  shape: number[];
  /** Whether AdamW's decoupled weight decay applies: weight matrices only, never embeddings, biases or gains. */
  decay: boolean;
}

function positiveInteger(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`model spec: ${what} must be a positive integer, got ${value}`);
}

/** Fills defaults and checks every field; an unknown name fails with the list of known ones. */
export function resolveSpec(spec: ModelSpec): ResolvedSpec {
  positiveInteger(spec.vocabSize, 'vocabSize');
  positiveInteger(spec.maxLength, 'maxLength');
  positiveInteger(spec.width, 'width');
  positiveInteger(spec.depth, 'depth');
  positiveInteger(spec.heads, 'heads');
  if (spec.maxLength < 2) throw new RangeError(`model spec: maxLength must be at least 2 (one input, one target), got ${spec.maxLength}`);
  if (!(POSITIONAL_ENCODINGS as readonly string[]).includes(spec.positional)) {
    throw new RangeError(`unknown positional encoding: ${spec.positional} (known: ${POSITIONAL_ENCODINGS.join(', ')})`);
  }
  if (!(MIXERS as readonly string[]).includes(spec.mixer)) throw new RangeError(`unknown mixer: ${spec.mixer} (known: ${MIXERS.join(', ')})`);
  if (spec.mixer === 'attention' && spec.width % spec.heads !== 0) {
    throw new RangeError(`model spec: heads (${spec.heads}) must divide width (${spec.width})`);
  }
  if (spec.positional === 'sinusoidal' && spec.width % 2 !== 0) throw new RangeError(`model spec: sinusoidal positions need an even width, got ${spec.width}`);
  const mlpRatio = spec.mlpRatio ?? 4;
  if (!(mlpRatio > 0) || !Number.isSafeInteger(mlpRatio * spec.width)) {
    throw new RangeError(`model spec: mlpRatio × width must be a positive integer, got ${mlpRatio} × ${spec.width}`);
  }
  const precision = spec.precision ?? 'float32';
  if (precision !== 'float32' && precision !== 'float64') throw new RangeError(`unknown precision: ${precision} (known: float32, float64)`);
  return { ...spec, mlpRatio, precision };
}

/** Parameter names and shapes, in a fixed order (the order initial values are drawn in). */
export function parameterLayout(spec: ResolvedSpec): ParameterInfo[] {
  const { vocabSize: V, maxLength: L, width: d } = spec;
  const hidden = spec.mlpRatio * d;
  const layout: ParameterInfo[] = [{ name: 'embedding.token', shape: [V, d], decay: false }];
  if (spec.positional === 'learned') layout.push({ name: 'embedding.position', shape: [L, d], decay: false });
  for (let layer = 0; layer < spec.depth; layer++) {
    const p = `layer${layer}.`;
    layout.push({ name: `${p}norm1.gain`, shape: [d], decay: false }, { name: `${p}norm1.bias`, shape: [d], decay: false });
    if (spec.mixer === 'attention') {
      for (const m of ['query', 'key', 'value', 'output']) layout.push({ name: `${p}attention.${m}`, shape: [d, d], decay: true });
    } else {
      layout.push(
        { name: `${p}mix.in`, shape: [L, L], decay: true },
        { name: `${p}mix.inBias`, shape: [L], decay: false },
        { name: `${p}mix.out`, shape: [L, L], decay: true },
        { name: `${p}mix.outBias`, shape: [L], decay: false },
      );
    }
    layout.push(
      { name: `${p}norm2.gain`, shape: [d], decay: false },
      { name: `${p}norm2.bias`, shape: [d], decay: false },
      { name: `${p}mlp.in`, shape: [d, hidden], decay: true },
      { name: `${p}mlp.inBias`, shape: [hidden], decay: false },
      { name: `${p}mlp.out`, shape: [hidden, d], decay: true },
      { name: `${p}mlp.outBias`, shape: [d], decay: false },
    );
  }
  layout.push(
    { name: 'final.gain', shape: [d], decay: false },
    { name: 'final.bias', shape: [d], decay: false },
    { name: 'unembedding', shape: [d, V], decay: true },
    { name: 'unembedding.bias', shape: [V], decay: false },
  );
  return layout;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function parameterCount(spec: ResolvedSpec): number {
  return parameterLayout(spec).reduce((total, p) => total + sizeOf(p.shape), 0);
}

function normalFill(rng: Rng, size: number, std: number): Float64Array {
  const out = new Float64Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.normal() * std;
  return out;
}

/**
 * Seeded initial values: embeddings N(0, 0.5²) (large enough that, in a model this narrow,
 * token and position signals are not drowned by the LayerNorm epsilon); weight matrices
 * N(0, 1/fan_in), with the residual-writing projections further divided by √(2·depth) as in
 * GPT-2; gains 1, biases 0. The position-mixing matrices are drawn full and masked by the forward pass,
 * so entries above the diagonal never matter.
 */
export function initialParameters(spec: ResolvedSpec, seed: number): Map<string, Float64Array> {
  const rng = createRng(seed);
  const residualScale = 1 / Math.sqrt(2 * spec.depth);
  const values = new Map<string, Float64Array>();
  for (const { name, shape } of parameterLayout(spec)) {
    const size = sizeOf(shape);
    const leaf = name.slice(name.lastIndexOf('.') + 1);
    let value: Float64Array;
    if (leaf === 'gain') value = new Float64Array(size).fill(1);
    else if (leaf.endsWith('Bias') || leaf === 'bias') value = new Float64Array(size);
    else if (name.startsWith('embedding.')) value = normalFill(rng, size, 0.5);
    else {
      const fanIn = shape[0]!;
      const residual = leaf === 'output' || name.endsWith('mlp.out') || name.endsWith('mix.out');
      value = normalFill(rng, size, (residual ? residualScale : 1) / Math.sqrt(fanIn));
    }
    values.set(name, value);
  }
  return values;
}
