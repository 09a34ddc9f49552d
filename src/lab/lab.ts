/**
 * The lab's orchestration: a case is world × fault × seed.
 *
 *   healthy config ─ fault.apply ─▶ train in-process (src/lab/engine), logging like a real run
 *        │                              (train loss, lr, grad norm every step; eval loss and
 *        │                               accuracy at intervals; probes; eval size in hparams)
 *        │                          ─▶ Run in memory ─▶ diagnoseRun / diagnoseStudy (ladder's
 *        │                                                real engine: the verdict)
 *        └─ sweeps the budget needs ─▶ true terms (src/lab/budget.ts) and ladder's estimates
 *
 * Trials (one training run each) are cached by their configuration, so that sweeps shared
 * by several cases of one world and seed are trained once per lab session.
 */
import { diagnoseRun, diagnoseRunWith, thresholdValues, type Diagnosis, type JudgedOutcome } from '../ladder/diagnose.js';
import { excessGap, TUNED_GAP_THRESHOLDS, tunedGapOutcome } from '../ladder/tuned-gap.js';
import { TRAIN_DATA_THRESHOLDS, trainDataOutcome } from '../ladder/train-data-gap.js';
import { reevaluationOutcome } from '../ladder/reevaluation-gap.js';
import { ngramBaseline, type NgramBaseline } from './baseline.js';
import type { Verdict } from '../ladder/layers.js';
import { diagnoseStudy, settledBy } from '../studies/diagnose-study.js';
import { num } from '../ladder/findings-text.js';
import { tunedComparison } from '../studies/checks/tuned-comparison.js';
import { assembleStudy, type StudyConfig } from '../studies/study.js';
import { startRunner, type TrialRunner } from './pool.js';
import { budgetLength, trialId, type ProbeResult, type Trial } from './trial.js';
import { faultApplies, faultByName, FAULT_NAMES, type Fault, type TrainConfig } from './faults.js';
import type { ModelSpec } from './models/spec.js';
import { worldEntry, WORLD_NAMES } from './worlds/index.js';
import { makeBudget, termEstimate, type Budget, type TermEstimate } from './budget.js';
import type { Layer } from '../ladder/layers.js';
import type { Finding } from '../ladder/finding.js';

/**
 * Steps and rate of each ordinary world's healthy recipe (width 16, 2 heads, learned
 * positions, batch 16, 10 % warmup, cosine): the fewest steps (×2 per try) that twice the
 * steps improves by under 1 % of held-out loss, or that sit within 2.4 % of the Bayes loss
 * (which bounds what more steps can gain; markov3, copy-noisy and dyck, whose 3,200-step runs
 * were not trained), at the better of 1e-2 and 3e-2 (3e-3 for the noisy copy task, where
 * higher rates lose the induction head again; `npm run lab-recipes` retrains these). Measured on seed 0 (held-out
 * loss at those steps → at twice them; Bayes loss):
 *   markov1      200 @ 3e-2: 1.8175 → 1.8033   (1.7907)
 *   markov2      800 @ 3e-2: 1.2792 → 1.2718   (1.2602)
 *   markov3     1600 @ 3e-2: 0.7240            (0.7072; 800 steps: 0.7827)
 *   copy         800 @ 1e-2: 1.3450 → 1.3426   (1.3416; 200 steps: 2.772, no induction yet)
 *   copy-noisy  1600 @ 3e-3: 1.6559            (1.6332; 800 @ 1e-2: 1.7205)
 *   dyck        1600 @ 3e-2: 1.1830            (1.1771; 800 steps: 1.2177)
 * A healthy run must be trained to its architecture's reach, or ladder is right to call it
 * unreachable: at 200 steps the last five all stopped 4–100 % above these.
 *   lookup      6400 @ 1e-2: 1.8379            (1.8125; 3200: 1.8740, 1600: 2.0141; 3e-2: 1.9391 at 3200)
 * (lookup at length 16: at 32 the same table took as long, 1.3484 at 6,400 steps against 1.3394,
 * at twice the cost per step.) The two ungraded lookup worlds (src/lab/faults.ts, `mlp-mixer`)
 * meet neither rule at what a grade could afford, and are given the longest runs measured:
 *   induction   3200 @ 1e-2: 0.6897            (0.6158; 1600: 0.7188, 800: 0.7334)
 *   recall      1600 @ 1e-2: 1.8779            (1.2331; 800: 1.9469 — the recall is not learned yet)
 */
const ORDINARY_RECIPES: Record<string, { steps: number; lr: number }> = {
  markov1: { steps: 200, lr: 3e-2 },
  markov2: { steps: 800, lr: 3e-2 },
  markov3: { steps: 1600, lr: 3e-2 },
  copy: { steps: 800, lr: 1e-2 },
  'copy-noisy': { steps: 1600, lr: 3e-3 },
  dyck: { steps: 1600, lr: 3e-2 },
  lookup: { steps: 6400, lr: 1e-2 },
  induction: { steps: 3200, lr: 1e-2 },
  recall: { steps: 1600, lr: 1e-2 },
};

/**
 * Steps and rate of each extrapolation world's healthy recipe (ALiBi, width 32, 8 heads,
 * batch 16 at length 16, warmup 1/12, cosine), by the same rule on the held-out loss at 4L.
 * Measured on seed 0 (`npm run lab-recipes -- --worlds W --steps 480,960,1920 --lr 0.01,0.03`;
 * loss at those steps → at twice them; Bayes loss at length 64; the first two with the
 * script's former 1/10 warmup):
 *   markov2-extrapolate  1920 @ 1e-2: 1.2767            (1.2497; 960: 1.3024, 480: 1.3662)
 *   dyck-extrapolate      960 @ 3e-2: 1.3536 → 1.3569   (1.1771: Dyck depth beyond length 16 is not learned from it)
 *   copy-extrapolate     7680 @ 1e-2: 0.1289 → 0.1265   (0.1256; 3,840: 0.1318, 1,920 @ 2e-2 / 3e-2: 0.1417 / 0.1487)
 * The 8 heads' ALiBi slopes run from 1/2 (a head that looks one token back) to 1/256.
 * copy-extrapolate copies a segment of 4 distinct tokens (drawn without replacement, so that
 * the induction head's match is never ambiguous). On a deterministic copy the loss of the
 * repeats falls toward 0 without a floor as the model grows more confident, so each doubling
 * gains a shrinking share of a small loss: 2.2 % from 3,840 to 7,680 steps, 1.9 % from 7,680
 * to 15,360 (the standard errors are 0.0002). 7,680 is the first recipe whose doubling gains
 * under the 2 % the tuned-gap check asks for, by a thin margin; the 1 % rule would ask for
 * 15,360, beyond this CPU's budget for a grade. A noisy copy (each repeat token replaced with
 * probability 0.05) has a floor but is learned far more slowly: 0.627 at 3,840 steps against
 * its Bayes 0.427, still gaining 14 % per doubling. The 8-token segment drawn with
 * replacement that this world had before was not learned by ALiBi (1.68 at 1,920 steps
 * against 0.31) nor by no positional encoding (1.94); with 8 distinct tokens ALiBi reached
 * 0.357 at 3,840 against 0.275. Learned positions fail at 4L on both: 3.24 at 1,920 steps on
 * this world (0.55 at the training length).
 */
const EXTRAPOLATION_RECIPES: Record<string, { steps: number; lr: number }> = {
  'markov2-extrapolate': { steps: 1920, lr: 1e-2 },
  'copy-extrapolate': { steps: 7680, lr: 1e-2 },
  'dyck-extrapolate': { steps: 960, lr: 3e-2 },
};

export interface RecipeOptions {
  /** Half the recipe's steps. */
  quick?: boolean;
  /** Steps instead of the recipe's (before `quick` halves them); the warmup keeps its fraction. */
  steps?: number;
}

/** The healthy configuration of a world: a tiny transformer trained to its architecture's reach on a 2-core CPU. */
export function healthyConfig(world: string, seed: number, options: RecipeOptions = {}): TrainConfig {
  const entry = worldEntry(world);
  const probing = entry.evalLengths.some((length) => length !== entry.trainLength);
  const vocab = entry.create(seed).vocab;
  const maxLength = Math.max(entry.trainLength, ...entry.evalLengths);
  const spec: ModelSpec = probing
    ? { vocabSize: vocab, maxLength, width: 32, depth: 2, heads: 8, positional: 'alibi', mixer: 'attention' }
    : { vocabSize: vocab, maxLength, width: 16, depth: 2, heads: 2, positional: 'learned', mixer: 'attention' };
  const recipe = (probing ? EXTRAPOLATION_RECIPES[world] : ORDINARY_RECIPES[world]) ?? { steps: 200, lr: 1e-2 };
  const full = options.steps ?? recipe.steps;
  const steps = options.quick ? Math.round(full / 2) : full;
  return {
    world,
    worldSeed: seed,
    spec,
    steps,
    lr: recipe.lr,
    warmup: Math.round(steps * (probing ? 1 / 12 : 0.1)),
    schedule: 'cosine',
    clip: 1,
    batch: 16,
    seed,
    evalSize: 512,
    evaluations: 8,
    corruption: 0,
    labelShift: 0,
    leakRows: 0,
  };
}


function configKey(config: TrainConfig): string {
  return JSON.stringify(config);
}

/** The i-th point of the conventional learning-rate grid: 1 and 3 times powers of ten (… 3e-3, 1e-2, 3e-2 …). */
function gridValue(i: number): number {
  const decade = Math.floor(i / 2);
  return Number(((i - 2 * decade === 0 ? 1 : 3) * 10 ** decade).toPrecision(3));
}

/** The largest grid rate at least 1.5× below `lr`. */
export function gridBelow(lr: number): number {
  let i = Math.floor(2 * Math.log10(lr)) + 2;
  while (gridValue(i) > lr / 1.5) i--;
  return gridValue(i);
}

/** The smallest grid rate at least 1.5× above `lr`. */
export function gridAbove(lr: number): number {
  let i = Math.floor(2 * Math.log10(lr)) - 2;
  while (gridValue(i) < lr * 1.5) i++;
  return gridValue(i);
}

/**
 * The lab's nuisance sweep around `lr`: its neighbours on the 1-3-10 grid researchers use
 * (steps of about 3). Being a grid, sweeps planned around different rates share points, so
 * a session trains each point once.
 */
export function lrGrid(lr: number): number[] {
  return [gridBelow(lr), lr, gridAbove(lr)];
}

/**
 * An experiment ladder plans runs the user's training recipe with a sound evaluation: the
 * evaluation settings do not change training (except for a leak, whose training data is the
 * eval set), and the sweep is compared on its held-out loss.
 */
function experimentConfig(config: TrainConfig, healthy: TrainConfig): TrainConfig {
  return config.leakRows > 0 ? { ...config, labelShift: 0 } : { ...config, evalSize: healthy.evalSize, evaluations: healthy.evaluations, labelShift: 0 };
}

/** Whether a finding of `code` fired on the run at one of `severities` (by default, any but info). */
function firedOn(findings: readonly Finding[], runId: string, code: string | ReadonlySet<string>, severities: readonly string[] = ['warning', 'error']): boolean {
  return findings.some((f) => (typeof code === 'string' ? f.code === code : code.has(f.code)) && severities.includes(f.severity) && f.runs.includes(runId));
}

/** Findings whose next action includes "add warmup" (the sweep lowers the rate itself, by its extension below the run's). */
const UNSTABLE_TRAINING = new Set(['reachability.divergence', 'reachability.instability', 'reachability.grad-spikes', 'reachability.frozen-after-blowup']);

/**
 * The recipe of the learning-rate sweep ladder plans for a run, from the run's findings (a
 * finding counts when it is not info and names the run), each changing what its next action
 * names:
 * - `reachability.not-converged`: twice the steps (the check's first extrapolation), the
 *   warmup kept at its fraction;
 * - an unstable run (divergence, instability, gradient spikes, a blow-up): warmup over the
 *   healthy recipe's fraction of the steps when the run had less. Without it a sweep around a
 *   run that blew up early can find every rate near it stuck on the same plateau (markov3
 *   `no-warmup`, seed 0: the sweep around 0.3 without warmup gained nothing over the run,
 *   whose true reachability gap is 0.52 nats);
 * - `reachability.schedule-never-decays` with a constant rate ending on a plateau: the healthy
 *   recipe's schedule (cosine to 0).
 */
export function plannedRecipe(recipe: TrainConfig, healthy: TrainConfig, findings: readonly Finding[], runId: string): TrainConfig {
  const notConverged = firedOn(findings, runId, 'reachability.not-converged');
  const unstable = firedOn(findings, runId, UNSTABLE_TRAINING);
  const plateau = firedOn(
    findings.filter((f) => f.evidence.kind === 'constant-at-plateau'),
    runId,
    'reachability.schedule-never-decays',
  );
  const steps = notConverged ? recipe.steps * 2 : recipe.steps;
  const warmupFraction = Math.max(recipe.warmup / recipe.steps, unstable ? healthy.warmup / healthy.steps : 0);
  return { ...recipe, steps, warmup: Math.round(steps * warmupFraction), ...(plateau ? { schedule: healthy.schedule } : {}) };
}

/**
 * A learning rate as a setting names it: six significant digits, so that a rate computed by
 * scaling (0.03 × 30) reads 0.9 and not 0.8999999999999999. Run ids keep the exact value.
 */
export const rateLabel = (lr: number): string => String(Number(lr.toPrecision(6)));

/**
 * What an experiment's trial changed from the run, as the tuned-gap finding names it: its
 * learning rate always, and its steps, warmup (when not scaled with the steps), schedule and
 * training data when they differ.
 */
export function experimentSetting(trial: TrainConfig, run: TrainConfig): string {
  return [
    `learning_rate=${rateLabel(trial.lr)}`,
    trial.steps !== run.steps ? `steps=${trial.steps}` : '',
    trial.warmup / trial.steps !== run.warmup / run.steps ? `warmup_steps=${trial.warmup}` : '',
    trial.schedule !== run.schedule ? `schedule=${trial.schedule}` : '',
    trial.corruption !== run.corruption ? 'cleaned training data' : '',
  ]
    .filter(Boolean)
    .join(', ');
}

/**
 * The checks whose findings on a run the planned experiment (the sweep and the longer run)
 * measures, and so settles when it finds nothing to gain (JudgedOutcome.settles):
 * - `reachability.not-converged`, when it fired: the sweep was trained at twice the steps (and
 *   the longer run goes on from it);
 * - `reachability.grad-spikes` at warning level — recurring order-of-magnitude spikes with no
 *   lasting loss damage and finite weights (those are errors: facts that stand) — predicts
 *   that the spikes cost the run something; the sweep tries their remedies (lower rates, and
 *   warmup when the run had less) and the longer run more steps. copy-extrapolate's healthy
 *   run (7,680 steps, seed 0) has such spikes, and the experiments gain under 2 % on it.
 */
export function settledByExperiment(findings: readonly Finding[], runId: string): string[] {
  return [
    ...(firedOn(findings, runId, 'reachability.not-converged') ? ['reachability.not-converged'] : []),
    ...(firedOn(findings, runId, 'reachability.grad-spikes', ['warning']) ? ['reachability.grad-spikes'] : []),
  ];
}

/** Heads of `spec`'s architecture at another width, keeping its head size (at least one head). */
function headsAt(spec: ModelSpec, width: number): number {
  return Math.max(1, Math.round((spec.heads * width) / spec.width));
}

/** Whether doubling the steps from `from` to `to` paid: held-out loss lower beyond noise and by more than 2 % (the tuned gap's thresholds). */
function doublingPaid(from: Trial, to: Trial): boolean {
  return excessGap({ value: from.heldoutLoss, error: from.heldoutError }, { value: to.heldoutLoss, error: to.heldoutError }, from.heldoutLoss, TUNED_GAP_THRESHOLDS).problem;
}

/** The same architecture at twice the width (and heads): the capacity alternative ladder compares with. */
function wider(spec: ModelSpec): ModelSpec {
  return { ...spec, width: spec.width * 2, heads: spec.mixer === 'attention' ? spec.heads * 2 : spec.heads };
}

export interface LabCase {
  world: string;
  fault: string;
  seed: number;
  injectedLayer: Layer | 'none';
  /** Training steps of the case's healthy recipe (the fault may change them). */
  steps: number;
  verdict: Verdict;
  diagnosis: Diagnosis;
  budget: Budget;
  /** Runs trained for the case's diagnosis (its own, plus the study it needed). */
  runs: number;
  /** Runs this case trained that the session had not trained before. */
  trained: number;
  /** Evaluation accuracy at each probe length of the case's own run (extrapolation worlds). */
  probes: ProbeResult[];
  seconds: number;
}

export interface LabOptions {
  quick?: boolean;
  progress?: (text: string) => void;
  /** Trials trained at once, on worker threads (default: one per core, at most 4; 1 trains in this thread). */
  workers?: number;
  /** Overrides of LENGTH_EXPERIMENT's limits. */
  lengthExperiment?: Partial<typeof LENGTH_EXPERIMENT>;
  /** Overrides of SEED_EXPERIMENT's limit. */
  seedExperiment?: Partial<typeof SEED_EXPERIMENT>;
}

function minimum(values: number[]): number {
  return values.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);
}

/** What one case asked of the session, to count the runs it trained first. */
interface CaseContext {
  trained: number;
}

export class Lab {
  readonly #cache = new Map<string, Promise<Trial>>();
  readonly #baselines = new Map<string, NgramBaseline>();
  trained = 0;
  #started = 0;

  private constructor(
    readonly runner: TrialRunner,
    readonly options: LabOptions,
  ) {}

  static async start(options: LabOptions = {}): Promise<Lab> {
    return new Lab(await startRunner(options.workers), options);
  }

  /** Stops the worker threads. */
  close(): Promise<void> {
    return this.runner.close();
  }

  /** One training run, trained once per session. */
  trial(config: TrainConfig, context?: CaseContext): Promise<Trial> {
    const key = configKey(config);
    let found = this.#cache.get(key);
    if (!found) {
      this.trained++;
      if (context) context.trained++;
      found = this.runner
        .run(config, () => {
          this.#started++;
          this.options.progress?.(`training ${trialId(config)} (trial ${this.#started} of ${this.#cache.size} queued)`);
        });
      this.#cache.set(key, found);
    }
    return found;
  }

  /** The n-gram baseline on the data of `config` (fitted once per session: it depends on the data, not on the model). */
  baseline(config: TrainConfig): NgramBaseline {
    const { world, worldSeed, seed, steps, batch, evalSize, corruption, leakRows } = config;
    const key = JSON.stringify({ world, worldSeed, seed, steps, batch, evalSize, corruption, leakRows });
    let found = this.#baselines.get(key);
    if (!found) this.#baselines.set(key, (found = ngramBaseline(config)));
    return found;
  }

  /** Trials, queued at once: the runner trains as many at a time as it has threads. */
  trials(configs: TrainConfig[], context?: CaseContext): Promise<Trial[]> {
    return Promise.all(configs.map((config) => this.trial(config, context)));
  }

  /** L_I: best fresh loss of `spec` over the learning-rate sweep with the healthy recipe (extended until its best is inside). */
  async instantiated(healthy: TrainConfig, spec: ModelSpec, context?: CaseContext): Promise<number> {
    const trials = await this.sweep({ ...healthy, spec }, (t) => t.freshLoss, context);
    return minimum(trials.map((t) => t.freshLoss));
  }

  /** One case; `override.steps` replaces the healthy recipe's steps (the tour's short perception case). */
  async runCase(worldName: string, faultName: string, seed: number, override: { steps?: number } = {}): Promise<LabCase> {
    const started = performance.now();
    const context: CaseContext = { trained: 0 };
    const fault = faultByName(faultName);
    const entry = worldEntry(worldName);
    if (!faultApplies(fault, worldName)) {
      throw new RangeError(`fault ${fault.name} does not apply to world ${worldName} (it applies to: ${WORLD_NAMES.filter((w) => faultApplies(fault, w)).join(', ')})`);
    }
    const healthy = healthyConfig(worldName, seed, { ...(this.options.quick ? { quick: true } : {}), ...(override.steps !== undefined ? { steps: override.steps } : {}) });
    const config = fault.apply(healthy);
    const mainTrial = this.trial(config, context);
    // The true terms, from the sweeps the budget defines: queued now, trained while ladder works.
    const instantiatedLoss = this.instantiated(healthy, config.spec, context);
    const familySpecs = [config.spec, ...[healthy.spec.width / 2, healthy.spec.width].map((width) => ({ ...healthy.spec, positional: config.spec.positional, width, heads: headsAt(healthy.spec, width) }))];
    const perceivedLoss = Promise.all(familySpecs.map((spec) => this.instantiated(healthy, spec, context))).then(minimum);
    const main = await mainTrial;
    const bayes = entry.create(seed).bayesLoss(budgetLength(entry));

    // The diagnosis, from ladder's engine only.
    let diagnosis: Diagnosis;
    let studyTrials: Trial[] | undefined;
    /**
     * The study's runs at the recipe's steps, where the budget's terms are defined (L_I: the
     * architecture's best over the learning rate at the recipe's steps), so ladder's estimates
     * come from them; the study's longer runs settle its verdict (whether the comparison
     * stands), not the size of a term at the recipe's length. markov3 `width4`, seed 0: the
     * estimate taken after the study's doubling read 0.162, from the recipe's steps 0.185,
     * against a true 0.297 (the rest was the width-4 arm's other seeds: `armEstimates`).
     */
    let studyAtRecipe: Trial[] = [];
    let instantiationEstimate: TermEstimate | undefined;
    /** Runs of another concept family ladder trained (the concept study's other family). */
    let otherFamily: Trial[] = [];
    /** The architecture study's runs of each arm at the recipe's steps (`armEstimates` keeps the run's seed). */
    let ownArm: Trial[] = [];
    let otherArm: Trial[] = [];
    const studyId = `lab/${worldName}/${fault.name}/seed${seed}`;
    if (fault.study === 'architecture') {
      // Each arm swept over the learning rate, then two more seeds at each arm's best setting
      // (by the eval loss its logs report): the seed noise the comparison is judged against,
      // with three seeds per arm as Bouthillier et al. ask. Each sweep is extended beyond its
      // edge as the tuning plan would (the taboo otherwise).
      const arms = [config.spec, healthy.spec];
      const armStudy = async (recipe: TrainConfig) => {
        const sweeps = await Promise.all(arms.map((spec) => this.sweep({ ...recipe, spec }, (t) => t.evalLoss, context)));
        const bests = sweeps.map((sweep) => sweep.reduce((a, b) => (b.evalLoss < a.evalLoss ? b : a)).config);
        const reseeded = await this.trials(
          bests.flatMap((best) => EXTRA_SEEDS.map((k) => ({ ...best, seed: seed + k }))),
          context,
        );
        return [...sweeps.flat(), ...reseeded];
      };
      // The lab's objective is the eval loss (the budget is in nats), the score the sweeps extend by.
      const objective: StudyConfig = { objective: { metric: 'eval/loss', direction: 'lower' } };
      ({ trials: studyTrials, diagnosis, atRecipe: studyAtRecipe } = await this.settledStudy(healthy, armStudy, (trials, extra) => studyDiagnosis(trials, studyId, objective, extra), context));
      ownArm = studyAtRecipe.filter((t) => sameSpec(t.config.spec, config.spec));
      otherArm = studyAtRecipe.filter((t) => !sameSpec(t.config.spec, config.spec));
    } else if (fault.study === 'concept') {
      const families = [config.spec.positional, healthy.spec.positional];
      // One size, two rates per family: ALiBi at half the width is still improving at the
      // healthy recipe's steps, which would (rightly) leave the comparison unsettled.
      const widths = [healthy.spec.width];
      const conceptStudy = (recipe: TrainConfig) =>
        this.trials(
          families.flatMap((positional) =>
            widths.flatMap((width) => [gridBelow(recipe.lr), recipe.lr].map((lr) => ({ ...recipe, spec: { ...recipe.spec, positional, width, heads: headsAt(recipe.spec, width) }, lr }))),
          ),
          context,
        );
      // The probes beyond the training length, as accuracy and as loss: on Dyck words next-token
      // accuracy is capped near 0.47 by the data, so learned positions lose only 3.5 points of
      // it at 4L (below the probe check's 10) while their loss is 0.16 nats worse (seed 0).
      const probes = entry.evalLengths
        .filter((l) => l !== entry.trainLength)
        .flatMap((l) => [`probe/accuracy_${l / entry.trainLength}x`, `probe/loss_${l / entry.trainLength}x`]);
      const studyConfig: StudyConfig = { concept: 'positional', probes, objective: { metric: 'eval/loss', direction: 'lower' } };
      ({ trials: studyTrials, diagnosis, atRecipe: studyAtRecipe } = await this.settledStudy(healthy, conceptStudy, (trials, extra) => studyDiagnosis(trials, studyId, studyConfig, extra), context));
      const own = studyAtRecipe.filter((t) => t.config.spec.positional === config.spec.positional);
      const other = studyAtRecipe.filter((t) => t.config.spec.positional !== config.spec.positional);
      otherFamily = other;
      // Within the family, the given width against the other size: the instantiation comparison.
      const ownSize = own.filter((t) => t.config.spec.width === config.spec.width);
      instantiationEstimate = termEstimate(Math.max(0, minimum(ownSize.map((t) => t.heldoutLoss)) - minimum(own.map((t) => t.heldoutLoss))), [main.heldoutError]);
    } else {
      diagnosis = diagnoseRun(main.run);
    }

    // Ladder's estimates from the experiments it plans.
    const observation = termEstimate(main.reportedLoss - main.heldoutLoss, [main.heldoutError, main.reportedError]);
    const notConverged = firedOn(diagnosis.findings, main.run.id, 'reachability.not-converged');
    // The observation experiment: the final weights re-evaluated independently on a larger
    // held-out sample, against what the run's evaluation reported.
    const reevaluation = reevaluationOutcome(main.run.id, { value: main.reportedLoss, error: main.reportedError }, { value: main.heldoutLoss, error: main.heldoutError });
    // The data experiment: the final weights on a sample of their own training data against
    // held-out data. When the training data is the harder one, the plan is to clean it and
    // retrain; the lab stands in for that cleaning with its clean data stream (a perfect
    // cleaning, so the estimate is what cleaning can recover at best).
    const data = dataOutcomeOf(main)!;
    const noisyData = data.outcome.status === 'problem';
    const recipe = { ...experimentConfig(config, healthy), ...(noisyData ? { corruption: 0 } : {}) };
    // The sweep follows what the run's findings name: twice the steps when not converged,
    // warmup when unstable, a decay when a constant rate ends on a plateau.
    const planned = plannedRecipe(recipe, healthy, diagnosis.findings, main.run.id);
    const ngram = this.baseline(recipe);
    const learnedNothing = this.learnedNothingAt(ngram.frequenciesLoss);
    const firstSweep = await this.plannedSweep(planned, context, learnedNothing);
    const firstBest = sweepBest(firstSweep, planned.lr, learnedNothing);
    // The data experiment again, on the sweep's best model: a run that learned nothing (the
    // frequency plateau) scores alike on any two samples, so its training data cannot look
    // harder than held-out data however corrupted it is; a model that has learned something
    // can show it. When it does, the sweep is retrained on cleaned data, and that is the
    // data finding. On clean data the cleaned sweep is the same sweep.
    const dataAtBest = noisyData ? undefined : dataOutcomeOf(firstBest, main, `the sweep's best (${experimentSetting(firstBest.config, config)})`);
    const cleanedAfter = dataAtBest?.outcome.status === 'problem';
    const swept = cleanedAfter ? { ...planned, corruption: 0 } : planned;
    const lrSweep = cleanedAfter ? await this.plannedSweep(swept, context, learnedNothing) : firstSweep;
    const lrBest = cleanedAfter ? sweepBest(lrSweep, swept.lr, learnedNothing) : firstBest;
    // The training-length experiment, for a run judged on its own (a study settles its runs'
    // training length itself): the sweep's best rate trained twice as long, and again while
    // doubling pays. Under a decaying schedule a run that stopped too early ends on a flat,
    // annealed curve, so only a longer run tells whether more steps pay. When the sweep itself
    // was trained at twice the steps (not converged), that was the first doubling: the
    // experiment goes on from the sweep's best only if it paid over the run.
    const longer = !fault.study ? this.lengthExperiment(lrBest, ngram.frequenciesLoss, context, notConverged ? main : undefined) : undefined;
    const widerAround = (best: Trial) => this.trials(lrGrid(best.config.lr).map((lr) => ({ ...best.config, lr, spec: wider(config.spec) })), context);
    // Trained alongside the length experiment at the sweep's own steps, which is where the
    // experiment settles unless its first doubling pays (then it is trained again, longer).
    const early = fault.study ? undefined : widerAround(lrBest);
    // Handled here too, so that a failure while `longer` is awaited is not an unhandled rejection.
    early?.catch(() => undefined);
    const chain = longer ? await longer : [];
    const sweep = [...lrSweep, ...chain];
    // The capacity alternative (when no study measured instantiation): the same architecture
    // at twice the width, swept around the best rate at the training length the experiment
    // settled (the longest doubling that paid), against the sweep's best trained that long.
    // At the run's own steps a wider model is compared before training has reached what
    // either can do, and it learns faster: markov1 `short` (20 steps) read an instantiation
    // term of 0.08 and 0.12 (seeds 0, 1) and markov2 `short` (seed 1) 0.317, where the true
    // term is 0.
    const settled = this.settledLength([lrBest, ...chain], ngram.frequenciesLoss);
    const alternative = early && (settled === lrBest ? early : widerAround(settled));
    if (!fault.study) {
      // Ladder's loop closed: the run re-judged with the experiments it planned (its own
      // held-out loss against the sweep's best, and its training data against held-out data).
      const measured = (t: Trial) => measuredTrial(t, experimentSetting(t.config, config));
      // The experiment measures what some checks only predict, and its answer settles them.
      const settles = settledByExperiment(diagnosis.findings, main.run.id);
      const tuned = { ...tunedGapOutcome(measured(main), sweep.map(measured)), ...(settles.length > 0 ? { settles } : {}) };
      diagnosis = diagnoseRunWith(main.run, [reevaluation, tuned, cleanedAfter ? dataAtBest! : data]);
    }
    const armTerms = armEstimates(main, sweep, fault.study === 'architecture' ? { own: ownArm, other: otherArm } : undefined);
    const reachability = armTerms.reachability;
    if (armTerms.instantiation) instantiationEstimate = armTerms.instantiation;
    if (alternative) {
      instantiationEstimate = termEstimate(Math.max(0, settled.heldoutLoss - minimum((await alternative).map((t) => t.heldoutLoss))), [main.heldoutError, main.heldoutError]);
    }
    if (!instantiationEstimate) throw new Error('lab: no instantiation estimate');

    // Perception: the run's concept family at its best in everything ladder trained (the
    // sweeps, the longer run, the wider alternative, the study's runs of that family) against
    // the best other concept: the concept study's other family, and the n-gram baseline on the
    // same training data (src/lab/baseline.ts). Floored at 0: a family that beats every other
    // concept shows no evidence of a floor above the data's.
    const family = [...studyAtRecipe.filter((t) => t.config.spec.positional === config.spec.positional), ...sweep, ...((await alternative) ?? [])];
    const familyBest = family.reduce((a, b) => (b.heldoutLoss < a.heldoutLoss ? b : a));
    const others = [...otherFamily.map((t) => ({ loss: t.heldoutLoss, error: t.heldoutError })), { loss: ngram.heldoutLoss, error: ngram.heldoutError }];
    const otherBest = others.reduce((a, b) => (b.loss < a.loss ? b : a));
    const perceptionEstimate = termEstimate(Math.max(0, familyBest.heldoutLoss - otherBest.loss), [familyBest.heldoutError, otherBest.error]);

    const instantiated = await instantiatedLoss;
    const perceived = await perceivedLoss;
    const budget = makeBudget(
      { observed: main.reportedLoss, reachable: main.freshLoss, instantiated: Math.min(instantiated, main.freshLoss), perceived: Math.min(perceived, instantiated, main.freshLoss), bayes },
      { observation, reachability, instantiation: instantiationEstimate, perception: perceptionEstimate },
    );
    return {
      world: worldName,
      fault: fault.name,
      seed,
      injectedLayer: fault.layer,
      steps: healthy.steps,
      verdict: diagnosis.verdict.layer,
      diagnosis,
      budget,
      runs: (studyTrials?.length ?? 0) + 1,
      probes: main.probes,
      seconds: (performance.now() - started) / 1000,
      trained: context.trained,
    };
  }

  /** The training-length experiment's limits, with the session's overrides. */
  lengthLimits(): typeof LENGTH_EXPERIMENT {
    return { ...LENGTH_EXPERIMENT, ...this.options.lengthExperiment };
  }

  /** The held-out loss at the training length (`trainLengthLoss`) at and above which a model has learned nothing yet: its data's frequency baseline less the margin. */
  learnedNothingAt(frequenciesLoss: number): number {
    return frequenciesLoss * (1 - this.lengthLimits().frequenciesMargin);
  }

  /**
   * The training-length experiment: `start` at twice the steps, doubled again while the last
   * doubling paid (held-out loss lower beyond noise and by more than 2 %, the tuned gap's
   * thresholds) or the model still predicts no better than its training data's token
   * frequencies (`frequenciesLoss`), at most LENGTH_EXPERIMENT.maxDoublings times (or
   * maxDoublingsUnlearned, while the last run has learned nothing) counting a
   * doubling already made from `before` (the run, when the sweep was trained at twice its
   * steps). A researcher keeps doubling while it pays: a tenth of a recipe is not recovered by
   * one doubling. And a model that has learned nothing yet says nothing about whether more
   * steps pay: on the copy task the loss sits on the frequency plateau (ln 16) for the first
   * few hundred steps, then drops by half once the induction head forms.
   */
  async lengthExperiment(start: Trial, frequenciesLoss: number, context?: CaseContext, before?: Trial): Promise<Trial[]> {
    const limits = this.lengthLimits();
    const learnedNothing = (t: Trial) => trainLengthLoss(t) >= this.learnedNothingAt(frequenciesLoss);
    const trials: Trial[] = [];
    let last = start;
    let doublings = before ? 1 : 0;
    let goOn = before ? doublingPaid(before, start) || learnedNothing(start) : true;
    while (goOn && doublings < (learnedNothing(last) ? limits.maxDoublingsUnlearned : limits.maxDoublings)) {
      const next = await this.trial({ ...last.config, steps: last.config.steps * 2, warmup: last.config.warmup * 2 }, context);
      trials.push(next);
      doublings++;
      goOn = doublingPaid(last, next) || learnedNothing(next);
      last = next;
    }
    return trials;
  }

  /**
   * The training length a length experiment settled: along `chain` (a run, then its
   * doublings), the last run reached by doublings that each paid over the run before (beyond
   * noise and 2 %) or started from a run that had learned nothing yet (at or above
   * `frequenciesLoss` less the margin: the experiment goes on from those, as on copy, where
   * the induction head forms after a few hundred steps on the frequency plateau); the first
   * when none did.
   */
  settledLength(chain: readonly Trial[], frequenciesLoss: number): Trial {
    const learnedNothing = (t: Trial) => trainLengthLoss(t) >= this.learnedNothingAt(frequenciesLoss);
    let settled = chain[0]!;
    for (let i = 1; i < chain.length && (doublingPaid(chain[i - 1]!, chain[i]!) || learnedNothing(chain[i - 1]!)); i++) settled = chain[i]!;
    return settled;
  }

  /**
   * A study, and the study again at twice the steps when ladder's verdict on it is that its
   * runs are not converged (reachability.not-converged: the experiment it names is a longer
   * run). The whole study is doubled once; an arm whose best setting still gained from that
   * (beyond noise and 2 %) has its best setting doubled again while it pays, up to
   * LENGTH_EXPERIMENT.maxDoublings in all. The study is judged with what the last doublings
   * measured (lengthOutcome): when no arm's last doubling gained, and the longer runs did not
   * undo an order between the arms, that settles the curves' prediction that more steps pay.
   * markov3 `width4`, seed 0: the width-4 arm still gained beyond noise and 2 % from 1,600 to
   * 3,200 steps, which held the comparison back until its best setting was trained longer.
   */
  async settledStudy(
    recipe: TrainConfig,
    build: (recipe: TrainConfig) => Promise<Trial[]>,
    judge: (trials: Trial[], extra?: JudgedOutcome[]) => Diagnosis,
    context?: CaseContext,
  ): Promise<{ trials: Trial[]; diagnosis: Diagnosis; atRecipe: Trial[] }> {
    let trials = await build(recipe);
    const atRecipe = trials;
    let diagnosis = judge(trials);
    const extra: JudgedOutcome[] = [];
    const unconverged = diagnosis.verdict.layer === 'reachability' && diagnosis.findings.some((f) => f.code === 'reachability.not-converged' && f.severity !== 'info');
    if (unconverged) {
      const before = trials;
      trials = await build({ ...recipe, steps: recipe.steps * 2, warmup: recipe.warmup * 2 });
      // An arm whose best setting still gained from the doubling has that setting doubled
      // again while it pays (the training-length experiment, on one run per arm).
      const chains = await Promise.all(
        armPairs(before, trials).map(async ([from, to]) => [from, to, ...(await this.lengthExperiment(to, Number.POSITIVE_INFINITY, context, from))]),
      );
      const doubling = lengthOutcome(chains, trials);
      if (doubling) extra.push(doubling);
      diagnosis = judge(trials, extra);
    }
    // Gradient-spike warnings on an arm's best run: the lower rate is their remedy (the study's
    // runs already have the recipe's warmup). Measured against the arm's own runs at lower
    // rates, and one grid step below when the arm has none.
    const spiking = trials.filter((t) => firedOn(diagnosis.findings, t.run.id, 'reachability.grad-spikes', ['warning']));
    if (spiking.length > 0) {
      const lacking = spiking.filter((t) => lowerRateRuns(t, trials).length === 0);
      const remedies = await this.trials(
        lacking.map((t) => ({ ...t.config, lr: gridBelow(t.config.lr) })),
        context,
      );
      const spikes = spikesOutcome(spiking, [...trials, ...remedies]);
      if (spikes) {
        extra.push(spikes);
        diagnosis = judge(trials, extra);
      }
    }
    // The seed experiment observation.seed-noise names: the two compared settings rerun at new
    // seeds until each has the seeds its gap needs at power 0.8, when that is within the limit;
    // the study is judged again with them (the same checks, on more seeds).
    const reseeds = seedExperiment(diagnosis.findings, trials, { ...SEED_EXPERIMENT, ...this.options.seedExperiment }.maxSeedsPerArm);
    if (reseeds.length > 0) {
      trials = [...trials, ...(await this.trials(reseeds, context))];
      diagnosis = judge(trials, extra);
    }
    return { trials, diagnosis, atRecipe };
  }

  /**
   * The learning-rate sweep ladder plans for reachability: the run's own recipe at its rate
   * and the grid's neighbours, extended two grid steps at a time beyond an edge while the best
   * (by the held-out loss) sits there (reachability.sweep-edge), at most four steps. While no
   * rate has learned anything (held-out loss at the training length at or above
   * `learnedNothingAt`), which is lowest is noise and says nothing of an edge: the sweep first
   * widens by one grid step on each side, at most MAX_SWEEP_WIDENINGS times, and is extended
   * past an edge only once a rate has learned something. markov3 `lr-high`, seed 1: 0.3, 0.9
   * and 3 all sat on the frequency plateau, the lowest in the middle by noise, and the sweep
   * stopped there, 30× above the rate that trains.
   */
  plannedSweep(config: TrainConfig, context?: CaseContext, learnedNothingAt?: number): Promise<Trial[]> {
    return this.sweep(config, (t) => t.heldoutLoss, context, learnedNothingAt);
  }

  /**
   * A learning-rate sweep of `config` on the grid around its rate, extended until its best by
   * `score` is inside it; first widened on both sides while no trial's held-out loss at the
   * training length is under `learnedNothingAt` (when given).
   */
  async sweep(config: TrainConfig, score: (trial: Trial) => number, context?: CaseContext, learnedNothingAt?: number): Promise<Trial[]> {
    let trials = await this.trials(
      lrGrid(config.lr).map((lr) => ({ ...config, lr })),
      context,
    );
    const learnedNothing = () => learnedNothingAt !== undefined && trials.every((t) => !(trainLengthLoss(t) < learnedNothingAt));
    for (let widening = 0; widening < MAX_SWEEP_WIDENINGS && learnedNothing(); widening++) {
      const rates = trials.map((t) => t.config.lr);
      trials = [...trials, ...(await this.trials([gridBelow(Math.min(...rates)), gridAbove(Math.max(...rates))].map((lr) => ({ ...config, lr })), context))];
    }
    // Two grid steps per round, trained at once: a sweep whose best sits at its edge usually
    // needs more than one, and a round is a whole training run of waiting. A sweep that has
    // learned nothing has no edge to follow.
    for (let extension = 0; extension < MAX_SWEEP_EXTENSIONS && !learnedNothing(); extension += 2) {
      const sorted = [...trials].sort((a, b) => a.config.lr - b.config.lr);
      const bestIndex = sorted.reduce((best, t, i) => (score(t) < score(sorted[best]!) ? i : best), 0);
      if (bestIndex !== 0 && bestIndex !== sorted.length - 1) break;
      const step = bestIndex === 0 ? gridBelow : gridAbove;
      const next = step(sorted[bestIndex]!.config.lr);
      trials = [...trials, ...(await this.trials([next, step(next)].map((lr) => ({ ...config, lr })), context))];
    }
    return trials;
  }
}

/** The training-length experiment's limits (Lab.lengthExperiment; overridden through LabOptions.lengthExperiment). */
export const LENGTH_EXPERIMENT: { readonly maxDoublings: number; readonly maxDoublingsUnlearned: number; readonly frequenciesMargin: number } = {
  /**
   * At most 3 doublings (8× the run's steps): enough to recover a run stopped at a tenth of
   * its recipe to 80 % of it, and for copy's induction head, which forms between 200 and 800
   * steps of its 800-step recipe, to show at 8× a tenth of it; more would make the experiment
   * cost more than the recipe itself.
   */
  maxDoublings: 3,
  /**
   * One doubling more (16× the run's steps) while the last run still predicts no better than
   * its token frequencies: a model that has learned nothing says nothing about whether more
   * steps pay, and when the induction head forms varies with the seed. copy `short`, seed 1:
   * at 8× (640 steps) the sweep's best still sat on the ln 16 plateau, while the healthy
   * recipe's run at 800 steps had learned the copy.
   */
  maxDoublingsUnlearned: 4,
  /**
   * "Learned nothing yet": held-out loss within 5 % of the frequency baseline's. The copy
   * plateau sits at 2.772 against ln 16 = 2.773; every healthy run beats its frequencies by
   * over 20 % (markov3 0.75 against 1.33, dyck 1.41 against 1.87) and every Markov world's
   * runs by over 10 % within a few dozen steps. markov3 `lr-high`, seed 1, at 1 %: its run
   * and the sweep around it stalled at 1.31–1.32 against frequencies of 1.332 (1.1 % below),
   * counted as learned, and the sweep was not widened to the rates that train.
   */
  frequenciesMargin: 0.05,
};

/**
 * The data experiment on a trial's final weights: a sample of its own training data against
 * held-out data at the training length (reachability.train-data-noise). Undefined for `skip`,
 * a trial already judged.
 */
export function dataOutcomeOf(trial: Trial, skip?: Trial, model?: string): JudgedOutcome | undefined {
  if (trial === skip) return undefined;
  return trainDataOutcome(trial.run.id, { value: trial.trainingSample.loss, error: trial.trainingSample.error }, { value: trial.heldoutAtTrainLength.loss, error: trial.heldoutAtTrainLength.error }, TRAIN_DATA_THRESHOLDS, model);
}

/**
 * The loss that says whether a model has learned anything yet: held out at the length it was
 * trained at. On a length-extrapolation world the budget's held-out loss is taken at 4L, where
 * learned absolute positions score worse than the token frequencies however much they learned
 * at L: the tour's markov2-extrapolate `learned-positions` case (480 steps) had its sweep
 * widened three times for it, three runs that settled nothing. Elsewhere the two are one sample.
 */
function trainLengthLoss(t: Trial): number {
  return t.heldoutAtTrainLength.loss;
}

/**
 * The sweep's best trial by held-out loss, the one the length experiment and the capacity
 * alternative start from. When no trial of the sweep has learned anything (held-out loss at
 * the training length at or above `learnedNothingAt`, the frequency baseline's less its
 * margin), which of them is lowest is noise, and the sweep's extension past an edge chases
 * that noise: the trial at the recipe's own rate `lr` is kept. copy `short`, seed 1: every rate at 80 steps sits on the ln 16
 * plateau, and the extension had taken the best to a rate that learned nothing at 16× the steps.
 */
export function sweepBest(sweep: Trial[], lr: number, learnedNothingAt: number): Trial {
  const best = sweep.reduce((a, b) => (b.heldoutLoss < a.heldoutLoss ? b : a));
  if (sweep.some((t) => trainLengthLoss(t) < learnedNothingAt)) return best;
  return sweep.find((t) => t.config.lr === lr) ?? best;
}

/** The seed experiment's limit (seedExperiment; overridden through LabOptions.seedExperiment). */
export const SEED_EXPERIMENT: { readonly maxSeedsPerArm: number } = {
  /**
   * At most 12 seeds per compared setting: enough for a gap of 1.2 seed SDs to show at power
   * 0.8 (Cohen's d = 1.2; `seedsForPower`). lookup `mlp-mixer`, seed 0, asked for 11 (a gap of
   * 0.126 against a seed SD of 0.098 after the study's doubling). A study asking for more is
   * told its gap is below what it can afford to resolve: 12 seeds a side are 18 runs beyond
   * the study's three, about what the whole study cost.
   */
  maxSeedsPerArm: 12,
};

/**
 * The configs the seed experiment trains: when observation.seed-noise is a warning (the gap
 * between the two best arms is inside seed noise) and names at most `maxSeedsPerArm` seeds per
 * arm (`seedsNeeded`), each compared setting (the finding's runs, grouped by everything but the
 * seed) gets new seeds, counting up from its highest, until it has that many. None otherwise:
 * a clear comparison, a zero gap (no number of seeds shows it) or one needing more seeds than
 * the limit.
 */
export function seedExperiment(findings: readonly Finding[], trials: readonly Trial[], maxSeedsPerArm: number): TrainConfig[] {
  const finding = findings.find((f) => f.code === 'observation.seed-noise' && f.severity !== 'info');
  const needed = finding?.evidence.seedsNeeded;
  if (!finding || typeof needed !== 'number' || needed > maxSeedsPerArm) return [];
  // A setting is everything but the seed (seeds are never negative).
  const settingKey = (config: TrainConfig) => configKey({ ...config, seed: -1 });
  const compared = new Map<string, TrainConfig>();
  for (const t of trials) if (finding.runs.includes(t.run.id)) compared.set(settingKey(t.config), t.config);
  const configs: TrainConfig[] = [];
  for (const [key, config] of compared) {
    const seeds = new Set(trials.filter((t) => settingKey(t.config) === key).map((t) => t.config.seed));
    let next = Math.max(...seeds) + 1;
    for (let count = seeds.size; count < needed; count++) {
      while (seeds.has(next)) next++;
      seeds.add(next);
      configs.push({ ...config, seed: next });
    }
  }
  return configs;
}

/** Seeds added at each arm's best setting (seed + k): three seeds per arm in all. */
const EXTRA_SEEDS = [1, 2];

/** Grid steps a sweep is extended beyond its edge at most (a factor of about 3 each). */
const MAX_SWEEP_EXTENSIONS = 4;

/**
 * Rounds a sweep that learned nothing at any rate is widened by at most, one grid step on each
 * side per round: from the run's rate and its two neighbours (9× between its ends) to 729×,
 * which reaches the recipe's rate from the lab's ÷100 and ×30 faults (`lr-low` on copy: 1e-4
 * against a recipe of 1e-2, three grid steps), from where the edge extension follows the
 * best. A sweep at a tenth of the steps (copy `short`)
 * learns nothing at any rate; its widening costs six runs that short.
 */
const MAX_SWEEP_WIDENINGS = 3;

/** A run scored on held-out data, with its seed. */
type Scored = Pick<Trial, 'heldoutLoss'> & { config: Pick<TrainConfig, 'seed'> };

/**
 * The reachability term ladder estimates, and with an architecture study the instantiation
 * term, from one estimate of L_I: the architecture at its best over everything ladder trained
 * of it at the run's own seed (its learning-rate sweep, and the study's runs of its arm at the
 * recipe's steps). The two terms share it so that the estimates telescope as the budget's
 * terms do (both are defined at the run's seed: the lab's L_I sweeps the learning rate at it),
 * and a seed the architecture is unlucky with stays in this run's budget. The study's other
 * seeds settle its verdict (the comparison against seed noise), not the size of this run's
 * term: taking each arm's best over its three seeds read markov3 `width4` at 0.185 and 0.246
 * (seeds 0, 1) against true terms of 0.297 and 0.457, the width-4 arm's seeds spreading far
 * more than width 16's (docs/lab-grade/README.md). `arms` holds each arm's runs (of any seed:
 * only the run's own are used); the other arm at its best stands for L_P.
 */
export function armEstimates(
  main: Pick<Trial, 'heldoutLoss' | 'heldoutError'> & { config: Pick<TrainConfig, 'seed'> },
  sweep: readonly Pick<Trial, 'heldoutLoss'>[],
  arms?: { own: readonly Scored[]; other: readonly Scored[] },
): { instantiated: number; reachability: TermEstimate; instantiation?: TermEstimate } {
  const atSeed = (trials: readonly Scored[]) => trials.filter((t) => t.config.seed === main.config.seed);
  const own = atSeed(arms?.own ?? []);
  const other = atSeed(arms?.other ?? []);
  const instantiated = Math.min(main.heldoutLoss, minimum([...sweep, ...own].map((t) => t.heldoutLoss)));
  const errors = [main.heldoutError, main.heldoutError];
  const reachability = termEstimate(main.heldoutLoss - instantiated, errors);
  if (other.length === 0) return { instantiated, reachability };
  return { instantiated, reachability, instantiation: termEstimate(Math.max(0, instantiated - minimum(other.map((t) => t.heldoutLoss))), errors) };
}

function sameSpec(a: ModelSpec, b: ModelSpec): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function studyDiagnosis(trials: Trial[], id: string, config: StudyConfig, extra: JudgedOutcome[] = []): Diagnosis {
  const assembled = assembleStudy(trials.map((t) => t.run), config);
  if ('notStudy' in assembled) throw new Error(`lab: the ${id} runs do not form a study (${assembled.notStudy})`);
  return diagnoseStudy(assembled.study, id, {}, extra);
}

/** A trial's held-out loss as the tuned gap's measurement of `setting`. */
function measuredTrial(t: Trial, setting: string) {
  return { id: t.run.id, value: t.heldoutLoss, error: t.heldoutError, setting };
}

/** The best trial (by held-out loss) of one architecture (`arm`, its spec as JSON) among `trials`. */
function armBest(trials: Trial[], arm: string): Trial | undefined {
  return trials.filter((t) => JSON.stringify(t.config.spec) === arm).reduce<Trial | undefined>((a, b) => (a === undefined || b.heldoutLoss < a.heldoutLoss ? b : a), undefined);
}

/** For each arm of `after`, its best at the recipe's steps (`before`) and at twice them. */
function armPairs(before: Trial[], after: Trial[]): [Trial, Trial][] {
  return [...new Set(after.map((t) => JSON.stringify(t.config.spec)))].flatMap((arm) => {
    const from = armBest(before, arm);
    const to = armBest(after, arm);
    return from && to ? [[from, to] as [Trial, Trial]] : [];
  });
}

/**
 * What doubling a study's steps measured: for each arm (architecture), its best held-out loss
 * at the recipe's steps against its best at twice them; the arm that gained the most, as a
 * tuned gap (reachability.tuned-gap: a problem when the gain is beyond noise and over 2 %)
 * that settles reachability.not-converged when it is clear. Undefined when no arm is in both.
 */
export function doublingOutcome(before: Trial[], after: Trial[]): JudgedOutcome | undefined {
  return lengthOutcome(armPairs(before, after), after);
}

/**
 * What a study's training-length experiment measured. Each chain is one arm's best setting at
 * successive doublings of its steps (the recipe's, twice them, and on while doubling paid);
 * the arm whose last doubling gained the most is reported as a tuned gap (a problem when the
 * gain is beyond noise and over 2 %). When it is clear, it settles reachability.not-converged,
 * unless the longer runs undid an order the study showed: an arm worse than another beyond
 * noise at the study's steps (`trials`) that, trained longer, is no longer worse beyond noise.
 * Then the comparison depends on the training length, and the not-converged findings stand.
 * An arm whose last doubling paid but whose gap to the best arm outlasts training (outlastedBy)
 * is left out of the choice; when every arm whose doubling paid is, the arm that gained the
 * most is reported, settled by the comparison of arms. Undefined when there is no chain.
 */
export function lengthOutcome(chains: Trial[][], trials: Trial[]): JudgedOutcome | undefined {
  const longer = [...trials, ...chains.flatMap((chain) => chain.slice(2))];
  const lasts = chains
    .filter((chain) => chain.length >= 2)
    .map((chain) => {
      const from = chain[chain.length - 2]!;
      const to = chain[chain.length - 1]!;
      const paid = doublingPaid(from, to);
      return { from, to, relativeGap: (from.heldoutLoss - to.heldoutLoss) / Math.abs(from.heldoutLoss), paid, outlasted: paid ? outlastedBy(chain, longer) : undefined };
    });
  const most = (among: typeof lasts) => among.reduce<(typeof lasts)[number] | undefined>((a, b) => (a === undefined || b.relativeGap > a.relativeGap ? b : a), undefined);
  // A doubling that paid on an arm whose gap does not outlast training is the answer; else the
  // arm that gained the most, settled by the comparison when it paid.
  const reported = most(lasts.filter((l) => l.paid && l.outlasted === undefined)) ?? most(lasts);
  if (!reported) return undefined;
  const measured = (t: Trial) => {
    const { width, positional, mixer } = t.config.spec;
    return measuredTrial(t, `width=${width}, positional=${positional}, mixer=${mixer}, learning_rate=${rateLabel(t.config.lr)}, steps=${t.config.steps}`);
  };
  const gained = tunedGapOutcome(measured(reported.from), [measured(reported.to)]);
  const outcome = reported.outlasted !== undefined ? settledBy(gained, 'the comparison of arms', reported.outlasted) : gained;
  return orderUndone(chains, trials) ? outcome : { ...outcome, settles: ['reachability.not-converged'] };
}

/**
 * Whether one arm's training-length chain leaves it behind the best other arm (among
 * `trials`, the longer runs included) whatever more doublings give, as gapOutlastsTraining
 * judges a study's arms (src/studies/diagnose-study.ts), on the held-out loss: its last run
 * less the outlastDoublings threshold's number of doublings, each gaining the upper end of its
 * last doubling's interval, still worse than the leader beyond noise. A chain whose last
 * doubling gained more than the one before is not diminishing and is not judged. Returns how,
 * in words, or undefined.
 */
function outlastedBy(chain: Trial[], trials: Trial[]): string | undefined {
  const to = chain[chain.length - 1]!;
  const from = chain[chain.length - 2]!;
  const before = chain[chain.length - 3];
  if (before && from.heldoutLoss - to.heldoutLoss > before.heldoutLoss - from.heldoutLoss) return undefined;
  const own = JSON.stringify(to.config.spec);
  const leader = [...new Set(trials.map((t) => JSON.stringify(t.config.spec)))]
    .filter((arm) => arm !== own)
    .map((arm) => armBest(trials, arm)!)
    .reduce<Trial | undefined>((a, b) => (a === undefined || b.heldoutLoss < a.heldoutLoss ? b : a), undefined);
  if (!leader) return undefined;
  const { confidence, outlastDoublings } = thresholdValues(tunedComparison) as { confidence: number; outlastDoublings: number };
  const gain = excessGap({ value: from.heldoutLoss, error: from.heldoutError }, { value: to.heldoutLoss, error: to.heldoutError }, from.heldoutLoss, { confidence, minRelativeGap: 0 }).high;
  const projected = to.heldoutLoss - outlastDoublings * Math.max(0, gain);
  const behind = excessGap({ value: projected, error: to.heldoutError }, { value: leader.heldoutLoss, error: leader.heldoutError }, projected, { confidence, minRelativeGap: 0 });
  if (!(behind.low > 0)) return undefined;
  return `the ${to.config.spec.width}-wide ${to.config.spec.mixer} arm with ${to.config.spec.positional} positions at ${num(to.heldoutLoss)} after ${to.config.steps} steps, gaining at most ${num(gain)} a doubling, would still be at ${num(projected)} after ${outlastDoublings} more (${2 ** outlastDoublings}× the steps), behind ${num(leader.heldoutLoss)} beyond noise`;
}

/** Whether training longer (`chains`) undid an order between two arms that the study's `trials` showed beyond noise. */
function orderUndone(chains: Trial[][], trials: Trial[]): boolean {
  const arms = [...new Set(trials.map((t) => JSON.stringify(t.config.spec)))];
  // The runs beyond the study's doubling (a chain starts at the recipe's steps and twice them).
  const longer = chains.flatMap((chain) => chain.slice(2));
  const worse = (a: Trial, b: Trial) => excessGap({ value: a.heldoutLoss, error: a.heldoutError }, { value: b.heldoutLoss, error: b.heldoutError }, a.heldoutLoss, TUNED_GAP_THRESHOLDS).low > 0;
  return arms.some((a) =>
    arms.some((b) => {
      const [a0, b0, a1, b1] = [armBest(trials, a), armBest(trials, b), armBest([...trials, ...longer], a), armBest([...trials, ...longer], b)];
      return a !== b && a0 && b0 && a1 && b1 && worse(a0, b0) && !worse(a1, b1);
    }),
  );
}

/** Runs of `trial`'s architecture and steps at a lower learning rate than its own (any seed). */
function lowerRateRuns(trial: Trial, trials: Trial[]): Trial[] {
  return trials.filter((t) => sameSpec(t.config.spec, trial.config.spec) && t.config.steps === trial.config.steps && t.config.lr < trial.config.lr);
}

/**
 * What lowering the rate measured of a study's gradient-spike warnings (reachability.grad-spikes
 * at warning level: recurring order-of-magnitude spikes, no lasting damage, finite weights),
 * which predict that the spikes cost the run something. Each spiking run against its
 * architecture's runs at lower rates among `trials`, as a tuned gap; the run that lost the most
 * to them is reported, and settles the warnings when even its gap is clear (within noise or
 * under 2 %). Undefined when no spiking run has a lower-rate run to compare with.
 */
export function spikesOutcome(spiking: Trial[], trials: Trial[]): JudgedOutcome | undefined {
  let most: { outcome: JudgedOutcome; relativeGap: number } | undefined;
  for (const run of spiking) {
    const lower = lowerRateRuns(run, trials);
    if (lower.length === 0) continue;
    const measured = (t: Trial) => measuredTrial(t, `learning_rate=${rateLabel(t.config.lr)}${t.config.seed !== run.config.seed ? `, seed=${t.config.seed}` : ''}`);
    const relativeGap = (run.heldoutLoss - minimum(lower.map((t) => t.heldoutLoss).filter(Number.isFinite))) / Math.abs(run.heldoutLoss);
    if (!most || relativeGap > most.relativeGap) most = { outcome: tunedGapOutcome(measured(run), lower.map(measured)), relativeGap };
  }
  return most && { ...most.outcome, settles: ['reachability.grad-spikes'] };
}

export { FAULT_NAMES, WORLD_NAMES };
export { budgetLength, FRESH_TOKENS, HELDOUT_TOKENS, runTrial, trialId, type ProbeResult, type Trial } from './trial.js';
export type { Fault };
