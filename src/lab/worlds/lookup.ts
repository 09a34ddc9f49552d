/**
 * Keyed lookup: a context of N entries of a table, each one token that carries a key and its
 * value, then queries to the end of the sequence, each a key of the context followed by its
 * value. It is associative recall (src/lab/worlds/recall.ts; Arora et al. 2023, "Zoology")
 * with each key and value fused into one context token, so that one attention layer can answer
 * a query (the query's key matches the entry's, and the entry's value is copied) where recall
 * needs two (a head that attaches each value to the key before it, then the match).
 *
 * Tokens: entry (k, v) is id k·values + v (k < K, v < values); a query for key k is
 * K·values + k; an answer v is K·values + K + v. The context's keys are drawn without
 * replacement (every query has one answer), its values uniformly and independently; each
 * query's key is uniform over the N context keys, drawn afresh.
 *
 *   (k_1 v_1) (k_2 v_2) … (k_N v_N) | q_1 a_1 q_2 a_2 …      a_i = v_j where q_i = k_j
 *
 * The answer depends on which entry holds the asked key, and the entries' keys are random:
 * the model must find the entry by content. A fixed mixing of positions has to carry every
 * entry's key and value to the query's position and decode the asked one from their mixture;
 * attention compares the query with each entry. At the lab's scale this is the world where
 * replacing attention by the MLP over positions (`mlp-mixer`) costs what the fault is meant to
 * cost (src/lab/faults.ts gives the measurements).
 *
 * Exact losses, by position t (the layout is fixed, so each term is exact):
 *   t < N (the t-th entry, t from 0):   ln((K − t) · values)   (an unused key, any value)
 *   t ≥ N, t − N even (a query):        ln N
 *   t ≥ N, t − N odd (an answer):       0
 */
import type { Rng } from '../../stats/rng.js';
import { checkInteger, checkLength, drawUnused, meanBayesLoss, sampleSequences, type World } from './world.js';

export interface LookupOptions {
  /** Keys K. */
  keys: number;
  /** Values per key. */
  values: number;
  /** Entries N in the context (≤ K: the keys are distinct). */
  entries: number;
  name?: string;
}

export interface LookupWorld extends World {
  readonly keys: number;
  readonly values: number;
  readonly entries: number;
}

export function lookupWorld(options: LookupOptions): LookupWorld {
  const { keys, values, entries } = options;
  checkInteger('keys', keys, 1, 1 << 10);
  checkInteger('values', values, 1, 1 << 10);
  checkInteger('entries', entries, 1, keys);
  const queryBase = keys * values;
  const answerBase = queryBase + keys;
  const vocab = answerBase + values;
  const keyOf = (entry: number): number => Math.floor(entry / values);

  const bayesLossByPosition = (length: number): Float64Array => {
    checkLength(length, 1);
    const losses = new Float64Array(length);
    for (let t = 0; t < length; t++) {
      if (t < entries) losses[t] = Math.log((keys - t) * values);
      else losses[t] = (t - entries) % 2 === 0 ? Math.log(entries) : 0;
    }
    return losses;
  };

  /** The answer token to the query at `at` (its key is a context key). */
  function answerTo(sequence: ArrayLike<number>, at: number): number {
    const key = sequence[at]! - queryBase;
    for (let j = 0; j < entries; j++) if (keyOf(sequence[j]!) === key) return answerBase + (sequence[j]! % values);
    throw new RangeError(`prefix token ${at} is ${sequence[at]}, not a query for a key of the context`);
  }

  const used = new Uint8Array(keys);
  const sample = (count: number, length: number, rng: Rng): Int32Array[] =>
    sampleSequences(count, length, (sequence) => {
      used.fill(0);
      for (let t = 0; t < length; t++) {
        // One of the K − t keys left, then a uniform value.
        if (t < entries) sequence[t] = drawUnused(used, keys - t, rng) * values + rng.integer(0, values);
        else if ((t - entries) % 2 === 0) sequence[t] = queryBase + keyOf(sequence[rng.integer(0, entries)]!);
        else sequence[t] = answerTo(sequence, t - 1);
      }
    });

  const conditional = (prefix: ArrayLike<number>): Float64Array => {
    const t = prefix.length;
    for (let j = 0; j < t; j++) {
      const token = prefix[j]!;
      if (!Number.isInteger(token) || token < 0 || token >= vocab) throw new RangeError(`prefix token ${j} is ${token}, outside [0, ${vocab})`);
      const kind = j < entries ? 'entry' : (j - entries) % 2 === 0 ? 'query' : 'answer';
      const range = kind === 'entry' ? [0, queryBase] : kind === 'query' ? [queryBase, answerBase] : [answerBase, vocab];
      if (token < range[0]! || token >= range[1]!) throw new RangeError(`prefix token ${j} is ${token}: position ${j} holds ${kind === 'entry' ? 'an entry' : `a ${kind}`} (id in [${range[0]}, ${range[1]}))`);
      if (kind === 'entry') {
        for (let i = 0; i < j; i++) if (keyOf(prefix[i]!) === keyOf(token)) throw new RangeError(`prefix token ${j} repeats the key of the entry at ${i}: the context's keys are distinct`);
      }
      if (kind === 'answer' && token !== answerTo(prefix, j - 1)) throw new RangeError(`prefix token ${j} is ${token}: the answer to query ${prefix[j - 1]} is ${answerTo(prefix, j - 1)}`);
      if (kind === 'query') answerTo(prefix, j);
    }
    const out = new Float64Array(vocab);
    if (t < entries) {
      const share = 1 / ((keys - t) * values);
      for (let k = 0; k < keys; k++) out.fill(share, k * values, (k + 1) * values);
      for (let i = 0; i < t; i++) {
        const k = keyOf(prefix[i]!);
        out.fill(0, k * values, (k + 1) * values);
      }
      return out;
    }
    if ((t - entries) % 2 === 0) {
      for (let j = 0; j < entries; j++) out[queryBase + keyOf(prefix[j]!)] = 1 / entries;
      return out;
    }
    out[answerTo(prefix, t - 1)] = 1;
    return out;
  };

  return {
    name: options.name ?? 'lookup',
    vocab,
    description: `${entries} table entries (a key of ${keys} and a value of ${values}, one token each, distinct keys), then queries: a context key and its value, to the end`,
    keys,
    values,
    entries,
    sample,
    bayesLoss: meanBayesLoss(bayesLossByPosition),
    bayesLossByPosition,
    conditional,
  };
}
