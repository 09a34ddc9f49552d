import { describe, expect, it } from 'vitest';
import { NgramModel } from '../../../src/lab/models/ngram.js';

describe('n-gram baseline (add-k)', () => {
  // Bigram counts from "0 1 0 1 1": after 0 → {1: 2}; after 1 → {0: 1, 1: 1}.
  const bigram = new NgramModel({ vocabSize: 3, order: 2, smoothing: 0.5 }).fit([Int32Array.of(0, 1, 0, 1, 1)]);

  it('smooths counts by (c + k) / (c(context) + k·V), by hand', () => {
    expect(Array.from(bigram.probabilities(Int32Array.of(0, 2), 1))).toEqual([0.5 / 3.5, 2.5 / 3.5, 0.5 / 3.5]);
    expect(Array.from(bigram.probabilities(Int32Array.of(1, 2), 1))).toEqual([1.5 / 3.5, 1.5 / 3.5, 0.5 / 3.5]);
    // An unseen context falls back to the uniform distribution.
    expect(Array.from(bigram.probabilities(Int32Array.of(2, 2), 1))).toEqual([1 / 3, 1 / 3, 1 / 3]);
  });

  it('evaluates in nats per token, per position, with argmax accuracy (lowest id on ties)', () => {
    const evaluation = bigram.evaluate([Int32Array.of(0, 1, 0)]);
    const first = -Math.log(2.5 / 3.5); // 0 → 1
    const second = -Math.log(1.5 / 3.5); // 1 → 0
    expect(evaluation.lossPerToken).toBeCloseTo((first + second) / 2, 14);
    expect(Array.from(evaluation.perPosition)).toEqual([first, second]);
    expect(evaluation.tokenLosses.map((l) => Array.from(l))).toEqual([[first, second]]);
    expect(evaluation.accuracy).toBe(1); // after 1, the tie {0, 1} goes to 0, which is right
    expect(evaluation.tokens).toBe(2);
  });

  it('uses the longest available context near the start of a sequence', () => {
    // Trigram: the first target (index 1) is predicted from one token, later ones from two.
    const trigram = new NgramModel({ vocabSize: 2, order: 3, smoothing: 1 }).fit([Int32Array.of(0, 0, 1), Int32Array.of(0, 1, 1)]);
    // Context "0" at length 1: targets 0 and 1 once each → (1+1)/(2+2).
    expect(Array.from(trigram.probabilities(Int32Array.of(0, 0), 1))).toEqual([0.5, 0.5]);
    // Context "0,0" at length 2: target 1 once → [1/3, 2/3]; context "0,1": target 1 once.
    expect(Array.from(trigram.probabilities(Int32Array.of(0, 0, 0), 2))).toEqual([1 / 3, 2 / 3]);
    expect(Array.from(trigram.probabilities(Int32Array.of(1, 0, 0), 2))).toEqual([0.5, 0.5]);
  });

  it('refuses a token outside the vocabulary and a non-positive smoothing', () => {
    expect(() => bigram.fit([Int32Array.of(0, 3)])).toThrow('token 3 outside the vocabulary [0, 3)');
    expect(() => new NgramModel({ vocabSize: 3, order: 2, smoothing: 0 })).toThrow(RangeError);
  });
});
