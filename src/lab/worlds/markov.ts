/**
 * Order-k Markov languages: x_t depends on the k tokens before it through a transition table
 * with one row per context (V^k rows of V probabilities).
 *
 * Exact losses. Write a context as c = (x_{t−k}, …, x_{t−1}), encoded base V with the oldest
 * token most significant, so the next context after emitting x is (c·V + x) mod V^k. The first k
 * tokens come from a start distribution μ over contexts; then, for t ≥ k,
 *   E[−ln p(x_t | x_<t)] = Σ_c P(context at t = c) · H(T[c]),
 * with the context distribution propagated exactly from μ (d_k = μ, d_{t+1} = d_t · P). For
 * t < k the Bayes predictor knows only μ, and the loss at t is H(μ_{t+1}) − H(μ_t), where μ_j is
 * the marginal of the first j tokens (chain rule of entropy; H(μ_0) = 0).
 *
 * Started from the stationary distribution π of the context chain, d_t = π for every t, so each
 * position t ≥ k costs exactly the entropy rate h = Σ_c π(c) · H(T[c]).
 */
import { createRng, type Rng } from '../../stats/rng.js';
import { sampleDirichlet } from './dirichlet.js';
import {
  checkInteger,
  checkLength,
  entropy,
  meanBayesLoss,
  sampleCategorical,
  sampleSequences,
  type World,
} from './world.js';

/** The distribution of the first `order` tokens: π, uniform on V^k, or an explicit vector over contexts. */
export type MarkovStart = 'stationary' | 'uniform' | Float64Array;

export interface MarkovOptions {
  vocab: number;
  order: number;
  /** Row-major V^k × V: row c is p(next token | context c). Rows must sum to 1. */
  transitions: Float64Array;
  start?: MarkovStart;
  name?: string;
  description?: string;
}

export interface RandomMarkovOptions {
  vocab: number;
  order: number;
  /** Symmetric Dirichlet concentration of each row: small (0.1–0.5) gives sharp, learnable rows; large, near-uniform. */
  concentration: number;
  /** Seed of the transition table (not of the sampled sequences). */
  seed: number;
  start?: MarkovStart;
  name?: string;
}

export interface MarkovWorld extends World {
  readonly order: number;
  readonly contexts: number;
  readonly transitions: Float64Array;
  /** Stationary distribution of the context chain (length V^k). */
  readonly stationary: Float64Array;
  /** The start distribution actually used, over contexts (length V^k). */
  readonly startDistribution: Float64Array;
  /** h = Σ_c π(c) H(T[c]), nats per token: the loss of every position t ≥ k under a stationary start. */
  readonly entropyRate: number;
}

/** Largest number of contexts for which the stationary distribution is solved densely. */
const DENSE_SOLVE_LIMIT = 1024;
const MAX_CONTEXTS = 1 << 16;

export function markovWorld(options: MarkovOptions): MarkovWorld {
  const { vocab, order, transitions } = options;
  checkInteger('vocab', vocab, 2, 1 << 16);
  checkInteger('order', order, 1, 16);
  const contexts = vocab ** order;
  if (contexts > MAX_CONTEXTS) throw new RangeError(`vocab^order = ${contexts} contexts is more than ${MAX_CONTEXTS}: lower the vocab or the order`);
  if (transitions.length !== contexts * vocab) {
    throw new RangeError(`transition table has ${transitions.length} entries, expected vocab^order × vocab = ${contexts * vocab}`);
  }
  const rowEntropy = new Float64Array(contexts);
  for (let c = 0; c < contexts; c++) {
    const row = transitions.subarray(c * vocab, (c + 1) * vocab);
    let total = 0;
    for (let x = 0; x < vocab; x++) {
      if (!(row[x]! >= 0)) throw new RangeError(`transition row ${c} has a negative or NaN entry ${row[x]}`);
      total += row[x]!;
    }
    if (Math.abs(total - 1) > 1e-9) throw new RangeError(`transition row ${c} sums to ${total}, not 1`);
    rowEntropy[c] = entropy(row);
  }

  const stationary = stationaryDistribution(transitions, vocab, contexts);
  const startDistribution = resolveStart(options.start ?? 'stationary', stationary, contexts);
  let entropyRate = 0;
  for (let c = 0; c < contexts; c++) entropyRate += stationary[c]! * rowEntropy[c]!;

  // prefixMarginals[j][prefix] = probability that the first j tokens are `prefix` (j = 0 … k).
  const prefixMarginals: Float64Array[] = [];
  for (let j = 0; j <= order; j++) {
    const marginal = new Float64Array(vocab ** j);
    const dropped = vocab ** (order - j);
    for (let c = 0; c < contexts; c++) marginal[Math.floor(c / dropped)]! += startDistribution[c]!;
    prefixMarginals.push(marginal);
  }

  const checkPrefix = (prefix: ArrayLike<number>): void => {
    for (let i = 0; i < prefix.length; i++) {
      const token = prefix[i]!;
      if (!Number.isInteger(token) || token < 0 || token >= vocab) throw new RangeError(`prefix token ${i} is ${token}, outside [0, ${vocab})`);
    }
  };

  const conditional = (prefix: ArrayLike<number>): Float64Array => {
    checkPrefix(prefix);
    const t = prefix.length;
    if (t >= order) {
      let context = 0;
      for (let i = t - order; i < t; i++) context = context * vocab + prefix[i]!;
      return transitions.slice(context * vocab, (context + 1) * vocab);
    }
    let index = 0;
    for (let i = 0; i < t; i++) index = index * vocab + prefix[i]!;
    const denominator = prefixMarginals[t]![index]!;
    if (!(denominator > 0)) throw new RangeError(`prefix [${Array.from(prefix).join(', ')}] has probability 0 under the start distribution`);
    const next = prefixMarginals[t + 1]!;
    const out = new Float64Array(vocab);
    for (let x = 0; x < vocab; x++) out[x] = next[index * vocab + x]! / denominator;
    return out;
  };

  const bayesLossByPosition = (length: number): Float64Array => {
    checkLength(length, 1);
    const losses = new Float64Array(length);
    for (let t = 0; t < Math.min(length, order); t++) losses[t] = entropy(prefixMarginals[t + 1]!) - entropy(prefixMarginals[t]!);
    let distribution = Float64Array.from(startDistribution);
    let next = new Float64Array(contexts);
    for (let t = order; t < length; t++) {
      let loss = 0;
      for (let c = 0; c < contexts; c++) loss += distribution[c]! * rowEntropy[c]!;
      losses[t] = loss;
      if (t + 1 < length) {
        next.fill(0);
        for (let c = 0; c < contexts; c++) {
          const weight = distribution[c]!;
          if (weight === 0) continue;
          const shifted = (c * vocab) % contexts;
          for (let x = 0; x < vocab; x++) next[shifted + x]! += weight * transitions[c * vocab + x]!;
        }
        [distribution, next] = [next, distribution];
      }
    }
    return losses;
  };

  const sample = (count: number, length: number, rng: Rng): Int32Array[] =>
    sampleSequences(count, length, (sequence) => {
      let context = sampleCategorical(startDistribution, rng);
      for (let i = order - 1, rest = context; i >= 0; i--, rest = Math.floor(rest / vocab)) {
        if (i < length) sequence[i] = rest % vocab;
      }
      for (let t = order; t < length; t++) {
        const token = sampleCategorical(transitions.subarray(context * vocab, (context + 1) * vocab), rng);
        sequence[t] = token;
        context = (context * vocab + token) % contexts;
      }
    });

  return {
    name: options.name ?? `markov${order}`,
    vocab,
    description: options.description ?? `order-${order} Markov chain over ${vocab} tokens (entropy rate ${entropyRate.toFixed(3)} nats)`,
    order,
    contexts,
    transitions,
    stationary,
    startDistribution,
    entropyRate,
    sample,
    bayesLoss: meanBayesLoss(bayesLossByPosition),
    bayesLossByPosition,
    conditional,
  };
}

/** A Markov world whose rows are independent symmetric Dirichlet draws, fixed by `seed`. */
export function randomMarkovWorld(options: RandomMarkovOptions): MarkovWorld {
  const { vocab, order, concentration, seed } = options;
  checkInteger('vocab', vocab, 2, 1 << 16);
  checkInteger('order', order, 1, 16);
  if (!(concentration > 0) || !Number.isFinite(concentration)) throw new RangeError(`concentration must be positive, got ${concentration}`);
  const contexts = vocab ** order;
  if (contexts > MAX_CONTEXTS) throw new RangeError(`vocab^order = ${contexts} contexts is more than ${MAX_CONTEXTS}: lower the vocab or the order`);
  const rng = createRng(seed);
  const transitions = new Float64Array(contexts * vocab);
  for (let c = 0; c < contexts; c++) transitions.set(sampleDirichlet(vocab, concentration, rng), c * vocab);
  const world = markovWorld({ vocab, order, transitions, start: options.start ?? 'stationary', ...(options.name ? { name: options.name } : {}) });
  return {
    ...world,
    description: `order-${order} Markov chain over ${vocab} tokens, Dirichlet(${concentration}) rows from seed ${seed} (entropy rate ${world.entropyRate.toFixed(3)} nats)`,
  };
}

function resolveStart(start: MarkovStart, stationary: Float64Array, contexts: number): Float64Array {
  if (start === 'stationary') return stationary;
  if (start === 'uniform') return new Float64Array(contexts).fill(1 / contexts);
  if (start.length !== contexts) throw new RangeError(`start distribution has ${start.length} entries, expected vocab^order = ${contexts}`);
  let total = 0;
  for (const p of start) {
    if (!(p >= 0)) throw new RangeError(`start distribution has a negative or NaN entry ${p}`);
    total += p;
  }
  if (Math.abs(total - 1) > 1e-9) throw new RangeError(`start distribution sums to ${total}, not 1`);
  return Float64Array.from(start);
}

/**
 * The stationary distribution π of the context chain (π = π·P, Σ π = 1). Up to 1024 contexts it
 * is solved directly (Gaussian elimination with partial pivoting on Pᵀ − I with one equation
 * replaced by the normalisation); beyond, by power iteration on the lazy chain (P + I)/2, which
 * has the same π and converges even when P is periodic. A chain without a unique π (reducible)
 * is refused: its entropy rate would depend on where it starts.
 */
function stationaryDistribution(transitions: Float64Array, vocab: number, contexts: number): Float64Array {
  return contexts <= DENSE_SOLVE_LIMIT ? solveStationary(transitions, vocab, contexts) : iterateStationary(transitions, vocab, contexts);
}

function solveStationary(transitions: Float64Array, vocab: number, n: number): Float64Array {
  // Row i of the system: Σ_c π_c (P[c→i] − [c = i]) = 0, for i < n − 1; last row: Σ π = 1.
  const a = new Float64Array(n * n);
  const b = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    const shifted = (c * vocab) % n;
    for (let x = 0; x < vocab; x++) a[(shifted + x) * n + c]! += transitions[c * vocab + x]!;
    a[c * n + c]! -= 1;
  }
  for (let c = 0; c < n; c++) a[(n - 1) * n + c] = 1;
  b[n - 1] = 1;
  for (let column = 0; column < n; column++) {
    let pivot = column;
    for (let row = column + 1; row < n; row++) if (Math.abs(a[row * n + column]!) > Math.abs(a[pivot * n + column]!)) pivot = row;
    if (Math.abs(a[pivot * n + column]!) < 1e-12) {
      throw new RangeError('the transition table has no unique stationary distribution (the chain is reducible): give it a path between every pair of contexts');
    }
    if (pivot !== column) {
      for (let k = 0; k < n; k++) [a[column * n + k], a[pivot * n + k]] = [a[pivot * n + k]!, a[column * n + k]!];
      [b[column], b[pivot]] = [b[pivot]!, b[column]!];
    }
    const diagonal = a[column * n + column]!;
    for (let row = column + 1; row < n; row++) {
      const factor = a[row * n + column]! / diagonal;
      if (factor === 0) continue;
      for (let k = column; k < n; k++) a[row * n + k]! -= factor * a[column * n + k]!;
      b[row]! -= factor * b[column]!;
    }
  }
  const pi = new Float64Array(n);
  for (let row = n - 1; row >= 0; row--) {
    let value = b[row]!;
    for (let k = row + 1; k < n; k++) value -= a[row * n + k]! * pi[k]!;
    pi[row] = value / a[row * n + row]!;
  }
  // Rounding can leave −1e-17 on a context the chain never visits; probabilities are non-negative.
  let total = 0;
  for (let c = 0; c < n; c++) {
    if (pi[c]! < 0) pi[c] = 0;
    total += pi[c]!;
  }
  for (let c = 0; c < n; c++) pi[c] = pi[c]! / total;
  return pi;
}

function iterateStationary(transitions: Float64Array, vocab: number, n: number): Float64Array {
  let pi = new Float64Array(n).fill(1 / n);
  let next = new Float64Array(n);
  for (let iteration = 0; iteration < 1_000_000; iteration++) {
    for (let c = 0; c < n; c++) next[c] = 0.5 * pi[c]!;
    for (let c = 0; c < n; c++) {
      const weight = 0.5 * pi[c]!;
      const shifted = (c * vocab) % n;
      for (let x = 0; x < vocab; x++) next[shifted + x]! += weight * transitions[c * vocab + x]!;
    }
    let change = 0;
    for (let c = 0; c < n; c++) change += Math.abs(next[c]! - pi[c]!);
    [pi, next] = [next, pi];
    if (change < 1e-15) return pi;
  }
  throw new RangeError('the stationary distribution did not converge in 10^6 iterations: the chain mixes too slowly or is reducible');
}
