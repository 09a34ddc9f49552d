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
import { diagnoseRun, type Diagnosis } from '../ladder/diagnose.js';
import type { Verdict } from '../ladder/layers.js';
import { emptyRun, seriesFromArrays, type HValue, type Run } from '../model/run.js';
import { diagnoseStudy } from '../studies/diagnose-study.js';
import { assembleStudy, type StudyConfig } from '../studies/study.js';
import { createRng } from '../stats/rng.js';
import { startEngine, type Engine, type Model } from './engine/index.js';
import { faultApplies, faultByName, FAULT_NAMES, type Fault, type TrainConfig } from './faults.js';
import type { ModelSpec } from './models/spec.js';
import { worldEntry, WORLD_NAMES, type World, type WorldEntry } from './worlds/index.js';
import { makeBudget, termEstimate, type Budget, type TermEstimate } from './budget.js';
import type { Layer } from '../ladder/layers.js';

/** Sequences of the held-out sample that stands for the true risk (L_R): its standard error is a few thousandths of a nat. */
export const FRESH_SEQUENCES = 2048;
/** Sequences of the larger held-out evaluation ladder's observation experiment asks for (20× the eval of 50 sequences, 2× the healthy one). */
export const HELDOUT_SEQUENCES = 1024;

/** The healthy configuration of a world: a tiny transformer that gets near the Bayes loss in seconds on a 2-core CPU. */
export function healthyConfig(world: string, seed: number, options: { quick?: boolean } = {}): TrainConfig {
  const entry = worldEntry(world);
  const probing = entry.evalLengths.some((length) => length !== entry.trainLength);
  const vocab = entry.create(seed).vocab;
  const maxLength = Math.max(entry.trainLength, ...entry.evalLengths);
  const spec: ModelSpec = probing
    ? { vocabSize: vocab, maxLength, width: 32, depth: 2, heads: 4, positional: 'alibi', mixer: 'attention' }
    : { vocabSize: vocab, maxLength, width: 16, depth: 2, heads: 2, positional: 'learned', mixer: 'attention' };
  const steps = probing ? 480 : 200;
  return {
    world,
    worldSeed: seed,
    spec,
    steps: options.quick ? Math.round(steps / 2) : steps,
    lr: 1e-2,
    warmup: probing ? 40 : 20,
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

export interface ProbeResult {
  length: number;
  loss: number;
  accuracy: number;
}

/** One training run: its log as a Run, and the numbers the budget needs. */
export interface Trial {
  config: TrainConfig;
  run: Run;
  /** Final evaluation loss and accuracy as the run's eval reports them (at the training length). */
  evalLoss: number;
  evalAccuracy: number;
  /** The same eval set's results at the probe lengths (extrapolation worlds). */
  probes: ProbeResult[];
  /** Loss the run reports at the budget length: the eval loss, or the longest probe's. */
  reportedLoss: number;
  /** Loss of the final weights on a fresh sample at the budget length, with its standard error (L_R). */
  freshLoss: number;
  freshError: number;
  /** Loss of the final weights on a larger held-out evaluation set (another sample), as ladder's "more eval items" experiment measures it. */
  heldoutLoss: number;
  heldoutError: number;
  tokensPerSecond: number;
}

/** The length a world's budget is computed at: its longest evaluation length (4L for extrapolation variants). */
export function budgetLength(entry: WorldEntry): number {
  return Math.max(...entry.evalLengths);
}

function configKey(config: TrainConfig): string {
  return JSON.stringify(config);
}

/** Seeds of a trial's random streams, derived from its seed so that two roles never share one. */
function streamSeed(seed: number, role: 'train' | 'eval' | 'fresh' | 'corrupt' | 'heldout'): number {
  return seed * 16 + { train: 1, eval: 2, fresh: 3, corrupt: 4, heldout: 5 }[role];
}

function* trainingBatches(world: World, config: TrainConfig, length: number, evalSet: Int32Array[]): Generator<Int32Array[]> {
  const data = createRng(streamSeed(config.seed, 'train'));
  const noise = createRng(streamSeed(config.seed, 'corrupt'));
  let leaked = 0;
  for (;;) {
    const batch = world.sample(config.batch, length, data);
    for (let row = 0; row < config.leakRows && evalSet.length > 0; row++) batch[row] = evalSet[leaked++ % evalSet.length]!;
    if (config.corruption > 0) {
      for (const sequence of batch) {
        for (let t = 0; t < sequence.length; t++) if (noise.uniform() < config.corruption) sequence[t] = noise.integer(0, world.vocab);
      }
    }
    yield batch;
  }
}

/** Hyperparameters as a run logs them (names the study classifier knows: learning_rate, seed, steps…). */
function hparamsOf(config: TrainConfig): Record<string, HValue> {
  return {
    world: config.world,
    learning_rate: config.lr,
    steps: config.steps,
    warmup_steps: config.warmup,
    lr_scheduler_type: config.schedule,
    max_grad_norm: config.clip,
    batch_size: config.batch,
    seed: config.seed,
    width: config.spec.width,
    depth: config.spec.depth,
    heads: config.spec.heads,
    positional: config.spec.positional,
    mixer: config.spec.mixer,
    eval_size: config.evalSize,
    num_classes: config.spec.vocabSize,
  };
}

export function trialId(config: TrainConfig): string {
  const s = config.spec;
  return `lab/${config.world}/${s.mixer}-${s.positional}-w${s.width}/lr${config.lr}/steps${config.steps}/seed${config.seed}` + (config.corruption ? `/corrupt${config.corruption}` : '') + (config.labelShift ? `/shift${config.labelShift}` : '') + (config.leakRows ? `/leak${config.leakRows}` : '') + `/eval${config.evalSize}`;
}

/**
 * The evaluation as the run's pipeline computes it. A label shift (targets' ids off by one)
 * is computed exactly as an output layer whose columns are rolled by the shift: scoring
 * p(y + k) against label y is scoring the rolled distribution against the true label.
 */
class Evaluator {
  #shifted: Model | undefined;
  constructor(
    private readonly engine: Engine,
    private readonly config: TrainConfig,
  ) {}

  async evaluate(model: Model, sequences: Int32Array[]) {
    if (this.config.labelShift === 0) return this.engine.evaluate(model, sequences);
    const parameters = await this.engine.parameters(model);
    const vocab = this.config.spec.vocabSize;
    const roll = (values: Float64Array, rows: number) => {
      const out = new Float64Array(values.length);
      for (let r = 0; r < rows; r++) for (let v = 0; v < vocab; v++) out[r * vocab + v] = values[r * vocab + ((v + this.config.labelShift) % vocab)]!;
      return out;
    };
    parameters.set('unembedding', roll(parameters.get('unembedding')!, this.config.spec.width));
    parameters.set('unembedding.bias', roll(parameters.get('unembedding.bias')!, 1));
    this.#shifted ??= this.engine.createModel(this.config.spec, this.config.seed);
    this.engine.setParameters(this.#shifted, parameters);
    return this.engine.evaluate(this.#shifted, sequences);
  }

  dispose(): void {
    this.#shifted?.dispose();
  }
}

/** Mean loss of `model` on `sequences` with a standard error from four disjoint quarters (sequences are independent). */
async function lossWithError(engine: Engine, model: Model, sequences: Int32Array[]): Promise<{ loss: number; error: number }> {
  const quarter = Math.floor(sequences.length / 4);
  const means: number[] = [];
  for (let q = 0; q < 4; q++) means.push((await engine.evaluate(model, sequences.slice(q * quarter, (q + 1) * quarter))).lossPerToken);
  const mean = means.reduce((a, b) => a + b, 0) / 4;
  const sd = Math.sqrt(means.reduce((s, m) => s + (m - mean) ** 2, 0) / 3);
  return { loss: mean, error: sd / 2 };
}

/** Trains one configuration and logs it like a real run. */
export async function runTrial(engine: Engine, config: TrainConfig): Promise<Trial> {
  const entry = worldEntry(config.world);
  const world = entry.create(config.worldSeed);
  const length = entry.trainLength;
  const probeLengths = entry.evalLengths.filter((l) => l !== length);
  const evalRng = createRng(streamSeed(config.seed, 'eval'));
  const evalSet = world.sample(config.evalSize, length, evalRng);
  const probeSets = probeLengths.map((l) => world.sample(config.evalSize, l, evalRng));
  const model = engine.createModel(config.spec, config.seed);
  const evaluator = new Evaluator(engine, config);
  const train = { loss: new Float64Array(config.steps), lr: new Float64Array(config.steps), grad: new Float64Array(config.steps) };
  const evals = { steps: [] as number[], loss: [] as number[], accuracy: [] as number[] };
  const evaluateAt = new Set(Array.from({ length: config.evaluations + 1 }, (_, i) => Math.round((i * config.steps) / config.evaluations)));
  const logEval = async (step: number) => {
    const result = await evaluator.evaluate(model, evalSet);
    evals.steps.push(step);
    evals.loss.push(result.lossPerToken);
    evals.accuracy.push(result.accuracy);
  };
  try {
    // Evaluations happen between steps: the engine pulls each batch from this generator after
    // the previous update, so evaluating before handing over batch s sees the weights after s steps.
    const source = trainingBatches(world, config, length, evalSet);
    async function* batches(): AsyncGenerator<Int32Array[]> {
      for (let step = 0; ; step++) {
        if (evaluateAt.has(step) && step < config.steps) await logEval(step);
        yield source.next().value as Int32Array[];
      }
    }
    const result = await engine.train(model, batches(), {
      steps: config.steps,
      lr: config.lr,
      warmup: config.warmup,
      schedule: config.schedule,
      clip: config.clip,
      onLog(step, loss, lr, gradNorm) {
        train.loss[step] = loss;
        train.lr[step] = lr;
        train.grad[step] = gradNorm;
      },
    });
    await logEval(config.steps);
    const probes: ProbeResult[] = [];
    for (const [i, probeLength] of probeLengths.entries()) {
      const r = await evaluator.evaluate(model, probeSets[i]!);
      probes.push({ length: probeLength, loss: r.lossPerToken, accuracy: r.accuracy });
    }
    const fresh = await lossWithError(engine, model, world.sample(FRESH_SEQUENCES, budgetLength(entry), createRng(streamSeed(config.seed, 'fresh'))));
    const heldout = await lossWithError(engine, model, world.sample(HELDOUT_SEQUENCES, budgetLength(entry), createRng(streamSeed(config.seed, 'heldout'))));
    const run = emptyRun(trialId(config), 'jsonl', [trialId(config)]);
    run.hparams = hparamsOf(config);
    const steps = Array.from({ length: config.steps }, (_, i) => i);
    run.series['train/loss'] = seriesFromArrays(steps, train.loss);
    run.series['train/lr'] = seriesFromArrays(steps, train.lr);
    run.series['train/grad_norm'] = seriesFromArrays(steps, train.grad);
    run.series['eval/loss'] = seriesFromArrays(evals.steps, evals.loss);
    run.series['eval/accuracy'] = seriesFromArrays(evals.steps, evals.accuracy);
    for (const probe of probes) {
      const factor = probe.length / length;
      run.series[`probe/loss_${factor}x`] = seriesFromArrays([config.steps], [probe.loss]);
      run.series[`probe/accuracy_${factor}x`] = seriesFromArrays([config.steps], [probe.accuracy]);
    }
    run.roles = { trainLoss: 'train/loss', valLoss: 'eval/loss', lr: 'train/lr', gradNorm: 'train/grad_norm', valMetrics: ['eval/accuracy'] };
    const evalLoss = evals.loss.at(-1)!;
    return {
      config,
      run,
      evalLoss,
      evalAccuracy: evals.accuracy.at(-1)!,
      probes,
      reportedLoss: probes.length > 0 ? probes.at(-1)!.loss : evalLoss,
      freshLoss: fresh.loss,
      freshError: fresh.error,
      heldoutLoss: heldout.loss,
      heldoutError: heldout.error,
      tokensPerSecond: result.tokensPerSecond,
    };
  } finally {
    model.dispose();
    evaluator.dispose();
  }
}

/** Learning rates a factor of 3 apart around `lr` (the lab's nuisance sweep). */
export function lrGrid(lr: number): number[] {
  return [lr / 3, lr, lr * 3].map((v) => Number(v.toPrecision(3)));
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
}

function minimum(values: number[]): number {
  return values.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);
}

export class Lab {
  readonly #cache = new Map<string, Promise<Trial>>();
  trained = 0;

  private constructor(
    readonly engine: Engine,
    readonly options: LabOptions,
  ) {}

  static async start(options: LabOptions = {}): Promise<Lab> {
    return new Lab(await startEngine(), options);
  }

  /** One training run, trained once per session. */
  trial(config: TrainConfig): Promise<Trial> {
    const key = configKey(config);
    let found = this.#cache.get(key);
    if (!found) {
      this.options.progress?.(`training ${trialId(config)}`);
      this.trained++;
      found = runTrial(this.engine, config);
      this.#cache.set(key, found);
    }
    return found;
  }

  /** Trials in order (one engine, one core: concurrency would only interleave them). */
  async trials(configs: TrainConfig[]): Promise<Trial[]> {
    const out: Trial[] = [];
    for (const config of configs) out.push(await this.trial(config));
    return out;
  }

  /** L_I: best fresh loss of `spec` over the learning-rate sweep with the healthy recipe. */
  async instantiated(healthy: TrainConfig, spec: ModelSpec): Promise<number> {
    const trials = await this.trials(lrGrid(healthy.lr).map((lr) => ({ ...healthy, spec, lr })));
    return minimum(trials.map((t) => t.freshLoss));
  }

  async runCase(worldName: string, faultName: string, seed: number): Promise<LabCase> {
    const started = performance.now();
    const trainedBefore = this.trained;
    const fault = faultByName(faultName);
    const entry = worldEntry(worldName);
    if (!faultApplies(fault, worldName)) {
      throw new RangeError(`fault ${fault.name} does not apply to world ${worldName} (it applies to: ${WORLD_NAMES.filter((w) => faultApplies(fault, w)).join(', ')})`);
    }
    const healthy = healthyConfig(worldName, seed, this.options);
    const config = fault.apply(healthy);
    const main = await this.trial(config);
    const bayes = entry.create(seed).bayesLoss(budgetLength(entry));

    // The diagnosis, from ladder's engine only.
    let diagnosis: Diagnosis;
    let studyTrials: Trial[] | undefined;
    let instantiationEstimate: TermEstimate | undefined;
    let perceptionEstimate: TermEstimate = termEstimate(null);
    if (fault.study === 'architecture') {
      const specs = [config.spec, healthy.spec];
      studyTrials = await this.trials(specs.flatMap((spec) => lrGrid(healthy.lr).flatMap((lr) => [seed, seed + 1].map((s) => ({ ...healthy, spec, lr, seed: s })))));
      diagnosis = studyDiagnosis(studyTrials, `lab/${worldName}/${fault.name}/seed${seed}`, {});
      const own = studyTrials.filter((t) => sameSpec(t.config.spec, config.spec));
      const other = studyTrials.filter((t) => !sameSpec(t.config.spec, config.spec));
      instantiationEstimate = termEstimate(Math.max(0, minimum(own.map((t) => t.heldoutLoss)) - minimum(other.map((t) => t.heldoutLoss))), [main.heldoutError, main.heldoutError]);
    } else if (fault.study === 'concept') {
      const families = [config.spec.positional, healthy.spec.positional];
      const widths = [healthy.spec.width / 2, healthy.spec.width];
      studyTrials = await this.trials(
        families.flatMap((positional) =>
          widths.flatMap((width) => [healthy.lr / 3, healthy.lr].map((lr) => ({ ...healthy, spec: { ...healthy.spec, positional, width, heads: width / 8 }, lr: Number(lr.toPrecision(3)) }))),
        ),
      );
      const probes = entry.evalLengths.filter((l) => l !== entry.trainLength).map((l) => `probe/accuracy_${l / entry.trainLength}x`);
      diagnosis = studyDiagnosis(studyTrials, `lab/${worldName}/${fault.name}/seed${seed}`, { concept: 'positional', probes });
      const own = studyTrials.filter((t) => t.config.spec.positional === config.spec.positional);
      const other = studyTrials.filter((t) => t.config.spec.positional !== config.spec.positional);
      perceptionEstimate = termEstimate(minimum(own.map((t) => t.heldoutLoss)) - minimum(other.map((t) => t.heldoutLoss)), [main.heldoutError, main.heldoutError]);
      // Within the family, the given width against the other size: the instantiation comparison.
      const ownSize = own.filter((t) => t.config.spec.width === config.spec.width);
      instantiationEstimate = termEstimate(Math.max(0, minimum(ownSize.map((t) => t.heldoutLoss)) - minimum(own.map((t) => t.heldoutLoss))), [main.heldoutError]);
    } else {
      diagnosis = diagnoseRun(main.run);
    }

    // Ladder's estimates from the experiments it plans.
    const observation = termEstimate(main.reportedLoss - main.heldoutLoss, [main.heldoutError]);
    const notConverged = diagnosis.findings.some((f) => f.code === 'reachability.not-converged' && f.severity !== 'info' && f.runs.includes(main.run.id));
    const planned = { ...config, steps: notConverged ? config.steps * 4 : config.steps, warmup: notConverged ? config.warmup * 4 : config.warmup };
    const sweep = await this.plannedSweep(planned);
    const reachability = termEstimate(Math.max(0, main.heldoutLoss - minimum(sweep.map((t) => t.heldoutLoss))), [main.heldoutError, main.heldoutError]);
    if (!instantiationEstimate) {
      const best = sweep.reduce((a, b) => (b.heldoutLoss < a.heldoutLoss ? b : a));
      const alternative = await this.trials(lrGrid(best.config.lr).map((lr) => ({ ...planned, lr, spec: wider(config.spec) })));
      instantiationEstimate = termEstimate(Math.max(0, best.heldoutLoss - minimum(alternative.map((t) => t.heldoutLoss))), [main.heldoutError, main.heldoutError]);
    }

    // The true terms, from the sweeps the budget defines.
    const instantiated = await this.instantiated(healthy, config.spec);
    const familySpecs = [config.spec, ...[16, 32].map((width) => ({ ...healthy.spec, positional: config.spec.positional, width, heads: width / 8 }))];
    const perceived = minimum(await Promise.all(familySpecs.map((spec) => this.instantiated(healthy, spec))));
    const budget = makeBudget(
      { observed: main.reportedLoss, reachable: main.freshLoss, instantiated: Math.min(instantiated, main.freshLoss), perceived: Math.min(perceived, instantiated, main.freshLoss), bayes },
      { observation, reachability, instantiation: instantiationEstimate, perception: perceptionEstimate },
    );
    return {
      world: worldName,
      fault: fault.name,
      seed,
      injectedLayer: fault.layer,
      verdict: diagnosis.verdict.layer,
      diagnosis,
      budget,
      runs: (studyTrials?.length ?? 0) + 1,
      probes: main.probes,
      seconds: (performance.now() - started) / 1000,
      trained: this.trained - trainedBefore,
    };
  }

  /**
   * The learning-rate sweep ladder plans for reachability: the run's own recipe at rates a
   * factor of 3 apart around its rate, extended one step beyond an edge while the best sits
   * there (reachability.sweep-edge), at most four times.
   */
  async plannedSweep(config: TrainConfig): Promise<Trial[]> {
    const rates = lrGrid(config.lr);
    let trials = await this.trials(rates.map((lr) => ({ ...config, lr })));
    for (let extension = 0; extension < 4; extension++) {
      const sorted = [...trials].sort((a, b) => a.config.lr - b.config.lr);
      const bestIndex = sorted.reduce((best, t, i) => (t.heldoutLoss < sorted[best]!.heldoutLoss ? i : best), 0);
      if (bestIndex !== 0 && bestIndex !== sorted.length - 1) break;
      const edge = sorted[bestIndex]!.config.lr;
      const next = Number((bestIndex === 0 ? edge / 3 : edge * 3).toPrecision(3));
      trials = [...trials, await this.trial({ ...config, lr: next })];
    }
    return trials;
  }
}

function sameSpec(a: ModelSpec, b: ModelSpec): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function studyDiagnosis(trials: Trial[], id: string, config: StudyConfig): Diagnosis {
  const assembled = assembleStudy(trials.map((t) => t.run), config);
  if ('notStudy' in assembled) throw new Error(`lab: the ${id} runs do not form a study (${assembled.notStudy})`);
  return diagnoseStudy(assembled.study, id);
}

export { FAULT_NAMES, WORLD_NAMES };
export type { Fault };
