/**
 * The lab's worlds by name, with defaults sized for a 2-core CPU lab (vocabularies ≤ 32, but
 * lookup's 80: one token per key-value entry; sequences ≤ 64 tokens). Each entry builds its
 * world from a seed (the seed fixes random tables; worlds without tables ignore it) and says
 * which lengths to train and evaluate at:
 * ordinary worlds train and evaluate at one length; the `-extrapolate` variants train at L and
 * evaluate at 2L and 4L.
 */
import { copyWorld } from './copy.js';
import { dyckWorld } from './dyck.js';
import { recallWorld } from './recall.js';
import { lookupWorld } from './lookup.js';
import { inductionWorld } from './induction.js';
import { randomMarkovWorld } from './markov.js';
import type { World } from './world.js';

export type { World } from './world.js';
export { entropy } from './world.js';
export { markovWorld, randomMarkovWorld, type MarkovWorld, type MarkovOptions, type RandomMarkovOptions, type MarkovStart } from './markov.js';
export { copyWorld, type CopyWorld, type CopyOptions } from './copy.js';
export { dyckWorld, type DyckWorld, type DyckOptions } from './dyck.js';
export { inductionWorld, type InductionWorld, type InductionOptions } from './induction.js';
export { recallWorld, type RecallWorld, type RecallOptions } from './recall.js';
export { lookupWorld, type LookupWorld, type LookupOptions } from './lookup.js';
export { extrapolationTable, type ExtrapolationTable, type ExtrapolationLength } from './extrapolation.js';
export { trueSampleLoss, type SampleLoss } from './monte-carlo.js';

export interface WorldEntry {
  readonly name: string;
  readonly description: string;
  /** Builds the world; `seed` fixes its random tables (Markov) and is ignored by the others. */
  create(seed: number): World;
  /** Length of the training sequences. */
  readonly trainLength: number;
  /** Lengths to evaluate at: [trainLength] for ordinary worlds, [2L, 4L] for extrapolation variants. */
  readonly evalLengths: readonly number[];
  /**
   * False for a world kept to measure a claim rather than to grade ladder: `ladder lab --grade`
   * leaves it out unless it is named with `--world` (default true).
   */
  readonly graded?: boolean;
}

const markov1 = (seed: number, name = 'markov1') => randomMarkovWorld({ vocab: 16, order: 1, concentration: 0.3, seed, name });
const markov2 = (seed: number, name = 'markov2') => randomMarkovWorld({ vocab: 8, order: 2, concentration: 0.3, seed, name });
const markov3 = (seed: number, name = 'markov3') => randomMarkovWorld({ vocab: 4, order: 3, concentration: 0.3, seed, name });
const dyck = (name = 'dyck') => dyckWorld({ types: 3, openProbability: 0.5, depthCap: 6, endProbability: 0.2, name });

export const WORLDS = {
  markov1: {
    name: 'markov1',
    description: 'order-1 Markov chain, 16 tokens, Dirichlet(0.3) rows; stationary start',
    create: (seed) => markov1(seed),
    trainLength: 32,
    evalLengths: [32],
  },
  markov2: {
    name: 'markov2',
    description: 'order-2 Markov chain, 8 tokens (64 contexts), Dirichlet(0.3) rows; stationary start',
    create: (seed) => markov2(seed),
    trainLength: 32,
    evalLengths: [32],
  },
  markov3: {
    name: 'markov3',
    description: 'order-3 Markov chain, 4 tokens (64 contexts), Dirichlet(0.3) rows; stationary start',
    create: (seed) => markov3(seed),
    trainLength: 32,
    evalLengths: [32],
  },
  copy: {
    name: 'copy',
    description: 'induction: 16 random tokens over 16, then their repeat (segment ln 16 per token, repeat 0)',
    create: () => copyWorld({ vocab: 16, segment: 16, name: 'copy' }),
    trainLength: 32,
    evalLengths: [32],
  },
  'copy-noisy': {
    name: 'copy-noisy',
    description: 'induction with noise: as copy, each repeated token replaced by a uniform draw with probability 0.1',
    create: () => copyWorld({ vocab: 16, segment: 16, noise: 0.1, name: 'copy-noisy' }),
    trainLength: 32,
    evalLengths: [32],
  },
  // Two worlds that test the claim behind the `mlp-mixer` fault (src/lab/faults.ts) and that
  // the grade leaves out: on both the MLP over positions learns as well as attention or better.
  induction: {
    name: 'induction',
    description: 'induction at a random offset: 4–12 distinct tokens over 16 (length uniform, no delimiter), then their repeat (not graded)',
    create: () => inductionWorld({ vocab: 16, minSegment: 4, maxSegment: 12, name: 'induction' }),
    trainLength: 32,
    evalLengths: [32],
    graded: false,
  },
  recall: {
    name: 'recall',
    description: 'associative recall: 6 key-value pairs (8 keys, 8 values), then queries, each a context key and its value (not graded)',
    create: () => recallWorld({ keys: 8, values: 8, pairs: 6, name: 'recall' }),
    trainLength: 32,
    evalLengths: [32],
    graded: false,
  },
  lookup: {
    name: 'lookup',
    description: 'keyed lookup: 6 table entries (a key of 8 and a value of 8 in one token), then queries, each a context key and its value',
    create: () => lookupWorld({ keys: 8, values: 8, entries: 6, name: 'lookup' }),
    trainLength: 16,
    evalLengths: [16],
  },
  dyck: {
    name: 'dyck',
    description: 'Dyck words over 3 bracket types separated by END (open 0.5, depth cap 6, END 0.2 at depth 0)',
    create: () => dyck(),
    trainLength: 64,
    evalLengths: [64],
  },
  'markov2-extrapolate': {
    name: 'markov2-extrapolate',
    description: 'markov2 trained at length 16, evaluated at 32 and 64',
    create: (seed) => markov2(seed, 'markov2-extrapolate'),
    trainLength: 16,
    evalLengths: [32, 64],
  },
  'copy-extrapolate': {
    name: 'copy-extrapolate',
    description: 'induction with a 4-token segment of distinct tokens: trained at 16 (3 repeats), evaluated at 32 and 64 (7 and 15)',
    create: () => copyWorld({ vocab: 16, segment: 4, distinct: true, name: 'copy-extrapolate' }),
    trainLength: 16,
    evalLengths: [32, 64],
  },
  'dyck-extrapolate': {
    name: 'dyck-extrapolate',
    description: 'dyck trained at length 16, evaluated at 32 and 64',
    create: () => dyck('dyck-extrapolate'),
    trainLength: 16,
    evalLengths: [32, 64],
  },
} as const satisfies Record<string, WorldEntry>;

export type WorldName = keyof typeof WORLDS;

export const WORLD_NAMES = Object.keys(WORLDS) as WorldName[];

/** The worlds `ladder lab --grade` runs when none is named. */
export const GRADED_WORLD_NAMES = WORLD_NAMES.filter((name) => (WORLDS[name] as WorldEntry).graded !== false);

/** The registry entry for `name`; an unknown name fails with the list of known ones. */
export function worldEntry(name: string): WorldEntry {
  if (!Object.hasOwn(WORLDS, name)) throw new RangeError(`unknown world: ${name} (known: ${WORLD_NAMES.join(', ')})`);
  return WORLDS[name as WorldName];
}

/** Builds the named world from a seed. */
export function createWorld(name: string, seed = 0): World {
  return worldEntry(name).create(seed);
}
