/**
 * The count-based n-gram baseline: P(w | the previous n − 1 tokens) = (c(context, w) + k) /
 * (c(context) + k·V), add-k (Lidstone) smoothing. Near the start of a sequence, where fewer
 * than n − 1 tokens precede the target, the longest available context is used (its counts
 * are collected separately), so position t is predicted from min(t + 1, n − 1) tokens — the
 * same information a causal transformer has there. No training loop: `fit` counts.
 *
 * Losses are in nats, like the transformer's, and `evaluate` returns the same shape as the
 * engine's, so the lab can put the baseline beside a trained model.
 */
import type { Evaluation } from '../engine/engine.js';

export interface NgramSpec {
  vocabSize: number;
  /** n: the number of tokens in an n-gram (1 = unigram, 2 = bigram, …). */
  order: number;
  /** Pseudo-count added to every continuation (k > 0 keeps unseen continuations finite). */
  smoothing: number;
}

export class NgramModel {
  readonly spec: NgramSpec;
  /** Continuation counts per context, keyed by context length and the context's tokens. */
  readonly #counts = new Map<number | string, Float64Array>();
  /** Whether a context fits a number key: ℓ·V^ℓ + (the context in base V) for length ℓ < n, which is unique and below n·V^(n−1). */
  readonly #numeric: boolean;

  constructor(spec: NgramSpec) {
    if (!Number.isSafeInteger(spec.vocabSize) || spec.vocabSize < 1) throw new RangeError(`n-gram: vocabSize must be a positive integer, got ${spec.vocabSize}`);
    if (!Number.isSafeInteger(spec.order) || spec.order < 1) throw new RangeError(`n-gram: order must be a positive integer, got ${spec.order}`);
    if (!(spec.smoothing > 0) || !Number.isFinite(spec.smoothing)) throw new RangeError(`n-gram: smoothing must be positive and finite, got ${spec.smoothing}`);
    this.spec = { ...spec };
    this.#numeric = spec.order * spec.vocabSize ** (spec.order - 1) < Number.MAX_SAFE_INTEGER;
  }

  #key(sequence: Int32Array, target: number): number | string {
    const start = Math.max(0, target - (this.spec.order - 1));
    if (!this.#numeric) return `${target - start}:${sequence.subarray(start, target).join(',')}`;
    let key = target - start;
    for (let i = start; i < target; i++) key = key * this.spec.vocabSize + sequence[i]!;
    return key;
  }

  #check(sequence: Int32Array): void {
    for (const token of sequence) {
      if (!(token >= 0 && token < this.spec.vocabSize)) throw new RangeError(`n-gram: token ${token} outside the vocabulary [0, ${this.spec.vocabSize})`);
    }
  }

  /** Adds the counts of every target (tokens 1..n−1) of each sequence. */
  fit(sequences: Iterable<Int32Array>): this {
    for (const sequence of sequences) {
      this.#check(sequence);
      for (let target = 1; target < sequence.length; target++) {
        const key = this.#key(sequence, target);
        let counts = this.#counts.get(key);
        if (!counts) this.#counts.set(key, (counts = new Float64Array(this.spec.vocabSize)));
        counts[sequence[target]!]! += 1;
      }
    }
    return this;
  }

  /** The smoothed next-token distribution for the target at index `target` of `sequence` (add-`smoothing`, by default the spec's). */
  probabilities(sequence: Int32Array, target: number, smoothing = this.spec.smoothing): Float64Array {
    const { vocabSize } = this.spec;
    const counts = this.#counts.get(this.#key(sequence, target));
    const out = new Float64Array(vocabSize);
    let total = 0;
    if (counts) for (const c of counts) total += c;
    const denominator = total + smoothing * vocabSize;
    for (let w = 0; w < vocabSize; w++) out[w] = ((counts?.[w] ?? 0) + smoothing) / denominator;
    return out;
  }

  /** Loss (nats per token), per position and accuracy on `sequences`; `smoothing` overrides the spec's (the counts do not depend on it). */
  evaluate(sequences: readonly Int32Array[], smoothing = this.spec.smoothing): Evaluation {
    if (!(smoothing > 0) || !Number.isFinite(smoothing)) throw new RangeError(`n-gram: smoothing must be positive and finite, got ${smoothing}`);
    const longest = Math.max(0, ...sequences.map((s) => s.length));
    const lossSum = new Float64Array(Math.max(0, longest - 1));
    const counts = new Float64Array(lossSum.length);
    let total = 0;
    let correct = 0;
    let tokens = 0;
    const tokenLosses: Float64Array[] = [];
    for (const sequence of sequences) {
      this.#check(sequence);
      const own = new Float64Array(Math.max(0, sequence.length - 1));
      tokenLosses.push(own);
      for (let target = 1; target < sequence.length; target++) {
        const p = this.probabilities(sequence, target, smoothing);
        const loss = -Math.log(p[sequence[target]!]!);
        own[target - 1] = loss;
        let best = 0;
        for (let w = 1; w < p.length; w++) if (p[w]! > p[best]!) best = w;
        if (best === sequence[target]) correct++;
        lossSum[target - 1]! += loss;
        counts[target - 1]! += 1;
        total += loss;
        tokens++;
      }
    }
    if (tokens === 0) throw new RangeError('n-gram evaluate: no sequence with at least 2 tokens');
    const perPosition = lossSum.map((sum, t) => (counts[t]! > 0 ? sum / counts[t]! : Number.NaN));
    return { lossPerToken: total / tokens, perPosition, accuracy: correct / tokens, tokens, tokenLosses };
  }
}
