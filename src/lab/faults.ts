/**
 * Faults the lab injects, each at one layer of the ladder (DESIGN §7, issue 7). A fault is a
 * change to a healthy training configuration; what it does to the budget is measured, never
 * assumed, and ladder's verdict on the faulty run comes from its checks alone — the fault's
 * layer is only what the verdict is graded against.
 *
 * Some faults cannot be seen in one run: a crippled component or a concept that cannot
 * extrapolate is only a fault relative to an alternative, so those faults name the small
 * study ladder needs (`study`), and the lab trains it (src/lab/lab.ts).
 */
import type { Layer } from '../ladder/layers.js';
import type { ModelSpec } from './models/spec.js';

/** One training run's configuration, everything that a fault may change. */
export interface TrainConfig {
  world: string;
  /** Seed of the world's random tables (Markov transition rows). */
  worldSeed: number;
  spec: ModelSpec;
  steps: number;
  lr: number;
  warmup: number;
  schedule: 'cosine' | 'constant';
  clip: number;
  batch: number;
  /** Seed of the initial weights and of the training data stream. */
  seed: number;
  /** Sequences in the evaluation set the run logs. */
  evalSize: number;
  /** Evaluations over the run (besides the one at step 0). */
  evaluations: number;
  /** Share of training tokens replaced by uniform draws (data corruption). */
  corruption: number;
  /** Evaluation targets' token ids shifted by this amount (mod V): an off-by-one label map. */
  labelShift: number;
  /** Rows of each training batch replaced by evaluation sequences (leakage). */
  leakRows: number;
}

export type StudyKind = 'architecture' | 'concept';

export interface Fault {
  readonly name: string;
  /** The layer the fault degrades (`none` for the healthy configuration). */
  readonly layer: Layer | 'none';
  readonly description: string;
  /** Worlds the fault applies to (all when absent). */
  readonly worlds?: (world: string) => boolean;
  apply(config: TrainConfig): TrainConfig;
  /** The comparison ladder needs to judge the fault: arms of architecture, or concept families on probes. */
  readonly study?: StudyKind;
}

const extrapolating = (world: string) => world.endsWith('-extrapolate');
/**
 * The worlds that test the claim behind `mlp-mixer` (content lookup): they host the healthy
 * case and that fault alone. `lookup` is graded; induction at a random offset and associative
 * recall are not (there the fault injects nothing at the lab's scale: see `mlp-mixer`).
 */
const lookupWorlds = (world: string) => world === 'lookup' || world === 'induction' || world === 'recall';
const ordinary = (world: string) => !extrapolating(world) && !lookupWorlds(world);

export const FAULTS = {
  none: {
    name: 'none',
    layer: 'none',
    description: 'the healthy configuration',
    apply: (c) => c,
  },
  'small-eval': {
    name: 'small-eval',
    layer: 'observation',
    description: 'an evaluation set of 50 sequences',
    worlds: ordinary,
    apply: (c) => ({ ...c, evalSize: 50 }),
  },
  'shifted-labels': {
    name: 'shifted-labels',
    layer: 'observation',
    description: "evaluation targets shifted by one token id (an off-by-one label map between training and evaluation)",
    worlds: ordinary,
    apply: (c) => ({ ...c, labelShift: 1 }),
  },
  leak: {
    name: 'leak',
    layer: 'observation',
    description: 'evaluation sequences leaked into training (a quarter of every batch)',
    worlds: ordinary,
    apply: (c) => ({ ...c, leakRows: Math.max(1, Math.round(c.batch / 4)), evalSize: Math.min(c.evalSize, 64) }),
  },
  'lr-high': {
    name: 'lr-high',
    layer: 'reachability',
    description: 'learning rate ×30',
    worlds: ordinary,
    apply: (c) => ({ ...c, lr: c.lr * 30 }),
  },
  'lr-low': {
    name: 'lr-low',
    layer: 'reachability',
    description: 'learning rate ÷100',
    worlds: ordinary,
    apply: (c) => ({ ...c, lr: c.lr / 100 }),
  },
  short: {
    name: 'short',
    layer: 'reachability',
    description: 'a tenth of the training steps',
    worlds: ordinary,
    apply: (c) => ({ ...c, steps: Math.round(c.steps / 10), warmup: Math.round(c.warmup / 10) }),
  },
  corrupt: {
    name: 'corrupt',
    layer: 'reachability',
    description: '30 % of training tokens replaced by uniform draws',
    worlds: ordinary,
    apply: (c) => ({ ...c, corruption: 0.3 }),
  },
  'no-warmup': {
    name: 'no-warmup',
    layer: 'reachability',
    description: 'no warmup and no decay at a high rate (×10, constant)',
    worlds: ordinary,
    apply: (c) => ({ ...c, lr: c.lr * 10, warmup: 0, schedule: 'constant' }),
  },
  'mlp-mixer': {
    name: 'mlp-mixer',
    layer: 'instantiation',
    description: 'attention replaced by a two-layer MLP over positions, on copy and content-lookup tasks',
    // The instantiation fault of content lookup, where attention should be needed. Held-out
    // loss on seed 0 (width 16, 2 heads, learned positions, batch 16; `npm run lab-recipes --
    // --worlds W --steps S --lr R [--mixer mlp]`):
    //   lookup (6 one-token key-value entries over 8 keys × 8 values, then queries; length 16,
    //     Bayes 1.8125): attention 2.0141 / 1.8740 / 1.8379 at 1,600 / 3,200 / 6,400 steps @
    //     1e-2, the MLP 2.4812 / 2.3215 / 2.0727 (@ 3e-2 and 1e-1 worse at 1,600 on the same
    //     table at length 32): the MLP over positions ends 0.235 nats behind at the recipe's
    //     steps. That is a cost in training speed, not in what the MLP can express: at 25,600
    //     steps (4× the recipe) it reaches 1.8229, past attention's 1.8379 at the recipe's
    //     steps, and in the graded study one of its seeds was at 1.815 after 12,800 while the
    //     two others were still falling (1.886, 2.091). The budget fixes the recipe's steps, so
    //     its true instantiation term is 0.238; a study that trains the MLP arm long enough
    //     finds the arms equal.
    // Where it is not (kept, and set apart as inert by the grade where the true term is 0):
    //   copy (fixed offset 16, Bayes 1.3416): the MLP over positions beat attention by 0.0026
    //     nats in the `copy · mlp-mixer` study (1.344), a true instantiation term of 0;
    //   induction (random offset 4–12 over 16 tokens, Bayes 0.6158): attention 0.7334 / 0.7188 /
    //     0.6897 at 800 / 1600 / 3200 steps @ 1e-2 (3e-2: 2.02, 1.84, 0.79), the MLP 0.7148 /
    //     0.6867 at 800 / 1600 @ 3e-2 (1e-2: 0.8028, 0.7293);
    //   the same over 32 tokens (Bayes 0.8183): attention 2.868 / 2.469 / 2.207 at 800 / 1600 /
    //     3200 @ 1e-2, the MLP 1.030 / 1.007 at 800 / 1600 @ 3e-2;
    //   recall (6 key-value pairs as two tokens each, Bayes 1.2331): attention 1.947 / 1.878 at
    //     800 / 1600 @ 1e-2 (3e-2: 2.024, 1.952), the MLP 1.877 / 1.697 @ 3e-2 (1e-2: 1.896, 1.738).
    // With 32 positions the lower-triangular 32 × 32 mixing learns every offset pattern the
    // copy and induction tasks hold, and faster than two 8-dimensional heads learn to match
    // content; recall needs two attention layers to cooperate (a head that attaches each value
    // to its key, then the match), which they had not learned in 1,600 steps. lookup fuses each
    // key and value into one token, so one head answers a query, while the MLP still has to
    // carry every entry to the query's position and decode the asked one from the mixture.
    worlds: (world) => (ordinary(world) && world.startsWith('copy')) || lookupWorlds(world),
    study: 'architecture',
    apply: (c) => ({ ...c, spec: { ...c.spec, mixer: 'mlp' } }),
  },
  width4: {
    name: 'width4',
    layer: 'instantiation',
    description: 'a residual stream of width 4 (one head)',
    worlds: ordinary,
    study: 'architecture',
    apply: (c) => ({ ...c, spec: { ...c.spec, width: 4, heads: 1 } }),
  },
  'learned-positions': {
    name: 'learned-positions',
    layer: 'perception',
    description: 'learned absolute positions on a length-extrapolation task (trained at L, probed at 2L and 4L)',
    worlds: extrapolating,
    study: 'concept',
    apply: (c) => ({ ...c, spec: { ...c.spec, positional: 'learned' } }),
  },
} as const satisfies Record<string, Fault>;

export type FaultName = keyof typeof FAULTS;
export const FAULT_NAMES = Object.keys(FAULTS) as FaultName[];

/** The registry entry for `name`; an unknown name fails with the list of known ones. */
export function faultByName(name: string): Fault {
  if (!Object.hasOwn(FAULTS, name)) throw new RangeError(`unknown fault: ${name} (known: ${FAULT_NAMES.join(', ')})`);
  return FAULTS[name as FaultName];
}

/** Whether `fault` can be injected into `world`. */
export function faultApplies(fault: Fault, world: string): boolean {
  return fault.worlds?.(world) ?? true;
}
