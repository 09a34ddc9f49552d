/**
 * The n-gram baseline ladder puts beside a language model: count models of orders 1 to 5
 * fitted on the run's own training data (the same token stream, corruption and leaks
 * included), the order and add-k smoothing picked on the run's evaluation set, scored on the
 * held-out sample the lab's trials are scored on (identical sequences, so the comparison is
 * paired). It is another concept of the world — the next token depends on a fixed window of
 * the last n − 1 tokens — trained without any optimisation that could go wrong, so when it
 * beats the transformer family's tuned best, the gap is ladder's estimate of the perception
 * term (the family's floor above what the data allows); when it does not, the baseline says
 * nothing about the floor and the estimate is 0.
 */
import { createRng } from '../stats/rng.js';
import type { TrainConfig } from './faults.js';
import { NgramModel } from './models/ngram.js';
import { budgetLength, HELDOUT_TOKENS, sequencesFor, streamSeed, trainingBatches } from './trial.js';
import { worldEntry } from './worlds/index.js';

/** Orders tried (n of the n-gram): up to 5, beyond which the tiny worlds' contexts are too sparse at the lab's data sizes. */
export const NGRAM_ORDERS = [1, 2, 3, 4, 5] as const;
/** Add-k pseudo-counts tried (Lidstone): from nearly maximum likelihood to Laplace. */
export const NGRAM_SMOOTHINGS = [0.01, 0.1, 1] as const;

export interface NgramBaseline {
  order: number;
  smoothing: number;
  /** Loss on the run's evaluation set, which picked the order and smoothing. */
  validationLoss: number;
  /** Loss on the held-out sample the trials are scored on, with its standard error (four quarters). */
  heldoutLoss: number;
  heldoutError: number;
  /**
   * The order-1 model's held-out loss: what the training data's token frequencies alone
   * predict. A language model no better than this has learned nothing about the sequence yet.
   */
  frequenciesLoss: number;
}

/** Fits and picks the n-gram baseline for the data of `config` (its world, seeds, steps × batch sequences, corruption and leaks). */
export function ngramBaseline(config: TrainConfig): NgramBaseline {
  const entry = worldEntry(config.world);
  const world = entry.create(config.worldSeed);
  const length = entry.trainLength;
  const evalSet = world.sample(config.evalSize, length, createRng(streamSeed(config.seed, 'eval')));
  const stream = trainingBatches(world, config, length, evalSet);
  const training: Int32Array[] = [];
  for (let step = 0; step < config.steps; step++) training.push(...(stream.next().value as Int32Array[]));
  let best: { model: NgramModel; order: number; smoothing: number; validationLoss: number } | undefined;
  let unigram: NgramModel | undefined;
  for (const order of NGRAM_ORDERS) {
    const model = new NgramModel({ vocabSize: world.vocab, order, smoothing: 1 }).fit(training);
    if (order === 1) unigram = model;
    for (const smoothing of NGRAM_SMOOTHINGS) {
      const validationLoss = model.evaluate(evalSet, smoothing).lossPerToken;
      if (!best || validationLoss < best.validationLoss) best = { model, order, smoothing, validationLoss };
    }
  }
  const chosen = best!;
  const heldout = world.sample(sequencesFor(HELDOUT_TOKENS, budgetLength(entry)), budgetLength(entry), createRng(streamSeed(config.seed, 'heldout')));
  const quarter = Math.floor(heldout.length / 4);
  const means = [0, 1, 2, 3].map((q) => chosen.model.evaluate(heldout.slice(q * quarter, (q + 1) * quarter), chosen.smoothing).lossPerToken);
  const mean = means.reduce((a, b) => a + b, 0) / 4;
  const sd = Math.sqrt(means.reduce((s, m) => s + (m - mean) ** 2, 0) / 3);
  // Add-one smoothing: the training stream holds thousands of each token, so it is immaterial.
  const frequenciesLoss = unigram!.evaluate(heldout, 1).lossPerToken;
  return { order: chosen.order, smoothing: chosen.smoothing, validationLoss: chosen.validationLoss, heldoutLoss: mean, heldoutError: sd / 2, frequenciesLoss };
}
