/**
 * Associative recall (multi-query associative recall, MQAR: Arora et al. 2023, "Zoology";
 * the associative-recall task of Ba et al. 2016 and Fu et al. 2023, "H3"): a context of N
 * key-value pairs, then queries to the end of the sequence, each a key of the context
 * followed by its value. Keys come from K key tokens (ids 0 … K−1), drawn without replacement
 * so that every query has one answer; values from the other `values` tokens (ids K … V−1),
 * uniform and independent. A query's key is uniform over the N keys of the context, drawn
 * afresh for every query.
 *
 *   k_1 v_1 k_2 v_2 … k_N v_N | q_1 a_1 q_2 a_2 …      a_i = v_j where q_i = k_j
 *
 * The answer depends on which key was asked, wherever in the context that key stands: the
 * model must find it by content, the task attention is credited with and a fixed mixing of
 * positions is not. It was built to host the `mlp-mixer` fault; at the lab's scale (32
 * positions, width 16) the MLP over positions learns it faster than attention (src/lab/faults.ts
 * gives the figures), so the grade leaves it out.
 *
 * Exact losses, by position t of a sequence (the layout is fixed, so each term is exact):
 *   t < 2N, t = 2j (the j-th key, j from 0):  ln(K − j)   (uniform over the unused keys)
 *   t < 2N, t odd (a value):                  ln(values)
 *   t ≥ 2N, t − 2N even (a query):            ln N
 *   t ≥ 2N, t − 2N odd (an answer):           0
 */
import type { Rng } from '../../stats/rng.js';
import { checkInteger, checkLength, drawUnused, meanBayesLoss, sampleSequences, type World } from './world.js';

export interface RecallOptions {
  /** Key tokens K (ids 0 … K−1). */
  keys: number;
  /** Value tokens (ids K … K + values − 1). */
  values: number;
  /** Key-value pairs N in the context (≤ K: the keys are distinct). */
  pairs: number;
  name?: string;
}

export interface RecallWorld extends World {
  readonly keys: number;
  readonly values: number;
  readonly pairs: number;
}

export function recallWorld(options: RecallOptions): RecallWorld {
  const { keys, values, pairs } = options;
  checkInteger('keys', keys, 1, 1 << 15);
  checkInteger('values', values, 1, 1 << 15);
  checkInteger('pairs', pairs, 1, keys);
  const vocab = keys + values;
  const context = 2 * pairs;

  const bayesLossByPosition = (length: number): Float64Array => {
    checkLength(length, 1);
    const losses = new Float64Array(length);
    for (let t = 0; t < length; t++) {
      if (t < context) losses[t] = t % 2 === 0 ? Math.log(keys - t / 2) : Math.log(values);
      else losses[t] = (t - context) % 2 === 0 ? Math.log(pairs) : 0;
    }
    return losses;
  };

  const used = new Uint8Array(keys);
  const sample = (count: number, length: number, rng: Rng): Int32Array[] =>
    sampleSequences(count, length, (sequence) => {
      used.fill(0);
      for (let t = 0; t < length; t++) {
        if (t >= context) {
          if ((t - context) % 2 === 0) sequence[t] = sequence[2 * rng.integer(0, pairs)]!;
          else sequence[t] = answerTo(sequence, t - 1);
        } else if (t % 2 === 1) sequence[t] = keys + rng.integer(0, values);
        else sequence[t] = drawUnused(used, keys - t / 2, rng); // one of the K − j keys left
      }
    });

  /** The value that followed the query at `at` in the context (the query is a context key). */
  function answerTo(sequence: ArrayLike<number>, at: number): number {
    for (let j = 0; j < context; j += 2) if (sequence[j] === sequence[at]) return sequence[j + 1]!;
    throw new RangeError(`prefix token ${at} is ${sequence[at]}, not a key of the context`);
  }

  function isContextKey(sequence: ArrayLike<number>, token: number): boolean {
    for (let j = 0; j < context; j += 2) if (sequence[j] === token) return true;
    return false;
  }

  const conditional = (prefix: ArrayLike<number>): Float64Array => {
    const t = prefix.length;
    for (let j = 0; j < t; j++) {
      const token = prefix[j]!;
      const isKey = j < context ? j % 2 === 0 : (j - context) % 2 === 0;
      if (!Number.isInteger(token) || token < 0 || token >= vocab) throw new RangeError(`prefix token ${j} is ${token}, outside [0, ${vocab})`);
      if (isKey !== token < keys) throw new RangeError(`prefix token ${j} is ${token}: position ${j} holds a ${isKey ? `key (id < ${keys})` : `value (id ≥ ${keys})`}`);
      if (j < context && isKey) {
        for (let i = 0; i < j; i += 2) if (prefix[i] === token) throw new RangeError(`prefix token ${j} repeats the key at ${i}: the context's keys are distinct`);
      }
      if (j >= context && isKey && !isContextKey(prefix, token)) throw new RangeError(`prefix token ${j} is ${token}, not a key of the context`);
      if (j >= context && !isKey && token !== answerTo(prefix, j - 1)) throw new RangeError(`prefix token ${j} is ${token}: the answer to key ${prefix[j - 1]} is ${answerTo(prefix, j - 1)}`);
    }
    const out = new Float64Array(vocab);
    if (t < context) {
      if (t % 2 === 1) return out.fill(1 / values, keys);
      const left = keys - t / 2;
      out.fill(1 / left, 0, keys);
      for (let i = 0; i < t; i += 2) out[prefix[i]!] = 0;
      return out;
    }
    if ((t - context) % 2 === 0) {
      for (let j = 0; j < context; j += 2) out[prefix[j]!] = 1 / pairs;
      return out;
    }
    out[answerTo(prefix, t - 1)] = 1;
    return out;
  };

  return {
    name: options.name ?? 'recall',
    vocab,
    description: `${pairs} key-value pairs (distinct keys of ${keys}, values of ${values}), then queries: a context key and its value, to the end`,
    keys,
    values,
    pairs,
    sample,
    bayesLoss: meanBayesLoss(bayesLossByPosition),
    bayesLossByPosition,
    conditional,
  };
}
