/**
 * Seed noise across groups of runs (DESIGN §3.1, issue 4): one group of runs per
 * configuration, one run per seed. From each run, one value of one metric (its final value or
 * its best one); then per group the between-seed spread and the expected best of N seeds,
 * and between two groups the gap against seed noise and P(A > B) over runs paired by seed.
 *
 * Pure: runs in, a plain object out (the study checks of issue 5 call `seedNoiseReport`
 * directly with the arms they assembled). Problems a user can fix come back as
 * `SeedsInputError` with a one-line message that names the run concerned.
 *
 * The statistics are those of src/stats/seed-noise.ts (chi-square interval of the seed SD,
 * Bouthillier et al. 2021 P(A > B) with a percentile bootstrap, Dodge et al. 2019 expected
 * maximum). Only the "meaningful" decision is taken here, see `bouthillierDecision`.
 */
import { improvementDirection } from '../checks/metric-kinds.js';
import type { HValue, Run } from '../model/run.js';
import { DEFAULT_RESAMPLES } from '../stats/bootstrap.js';
import {
  DEFAULT_MEANINGFUL_PROBABILITY,
  expectedMaximum,
  gapVersusSeedNoise,
  probabilityOfOutperforming,
  seedSpread,
  type GapVerdict,
} from '../stats/seed-noise.js';

export class SeedsInputError extends Error {}

export type SeedsAt = 'final' | 'best';

export interface SeedGroup {
  /** How the user named the group (its folder), for messages and output. */
  name: string;
  runs: Run[];
}

export interface SeedsOptions {
  /** Series to compare; default: the objective (first validation metric every run has, else the validation loss). */
  metric?: string;
  at?: SeedsAt;
  /** Overrides what the metric's name says about its direction. */
  higherIsBetter?: boolean;
  /** Bouthillier's γ (default 0.75). */
  gamma?: number;
  /** Seed of the bootstrap of P(A > B). */
  seed?: number;
  resamples?: number;
  confidence?: number;
}

export interface ExpectedMaxPoint {
  /** Number of seeds tried. */
  n: number;
  /** Expected best value of n seeds (the lowest for a metric where lower is better). */
  value: number;
  /** Its standard deviation. */
  sd: number;
}

export interface SeedGroupSummary {
  name: string;
  n: number;
  mean: number;
  sd: number;
  sdCi: [number, number];
  min: number;
  max: number;
  /** The value taken from each run, in the order of `runs`. */
  values: number[];
  runs: string[];
  /** Each run's seed hyperparameter (as text), null when it has none. */
  seeds: (string | null)[];
  expectedMax: ExpectedMaxPoint[];
}

export interface SeedGap {
  /** mean(A) − mean(B), in the metric's units. */
  value: number;
  /** Which group is better on average. */
  better: 'a' | 'b' | 'tie';
  /** Seed SD pooled over both groups, with its chi-square interval. */
  seedSd: number;
  seedSdCi: [number, number];
  /** SD of a difference of two single runs from seed noise alone: σ·√2. */
  noiseSdOfGap: number;
  gapInNoiseSds: number;
  /** Two-sided probability that seed noise alone gives a gap at least this large. */
  pNoise: number;
  withinSeedRange: boolean;
  verdict: GapVerdict;
}

export interface ProbabilityAB {
  /** P(A > B): share of pairs where A is better, ties counting ½. */
  estimate: number;
  ci: [number, number];
  /** The interval excludes 0.5. */
  significant: boolean;
  /** A is better and the improvement meaningful (see `bouthillierDecision`). */
  meaningful: boolean;
  gamma: number;
  pairs: number;
  wins: number;
  ties: number;
  losses: number;
}

export interface SeedPair {
  a: string;
  b: string;
  /** The shared seed when paired by seed. */
  seed?: string;
}

export interface SeedsReport {
  metric: string;
  direction: 'higher' | 'lower';
  at: SeedsAt;
  a: SeedGroupSummary;
  b?: SeedGroupSummary;
  gap?: SeedGap;
  pAB?: ProbabilityAB;
  pairedBy?: 'seed' | 'order';
  pairs?: SeedPair[];
  /** Runs left out of the pairing (their seed has no partner, or the other group has fewer runs). */
  unpaired?: { a: string[]; b: string[] };
  notes: string[];
  seed: number;
  resamples: number;
  confidence: number;
}

/**
 * Names a seed goes by in configs: `seed` (HF TrainingArguments, Lightning `seed_everything`
 * configs, most scripts), `random_seed`, `rng_seed`, `manual_seed`, `global_seed`. Matched as
 * the last component of a key path, so `training.seed`, `trainer/seed` (Lightning's flattened
 * hparams) and `{training: {seed: …}}` count; `data_seed` (HF's data-order seed) does not.
 */
const SEED_NAMES = ['seed', 'random_seed', 'randomseed', 'rng_seed', 'manual_seed', 'global_seed', 'seed_value'];

function seedText(value: HValue | undefined): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return String(Number(value.trim()));
  return undefined;
}

/** The run's seed hyperparameter as text: the shallowest seed-named key, `seed` first among equals. */
export function seedOf(run: Run): string | undefined {
  let best: { depth: number; rank: number; value: string } | undefined;
  const visit = (record: Record<string, HValue>, depth: number) => {
    for (const [key, value] of Object.entries(record)) {
      const parts = key.toLowerCase().split(/[./]/);
      const keyDepth = depth + parts.length - 1;
      const rank = SEED_NAMES.indexOf(parts.at(-1)!);
      const text = rank >= 0 ? seedText(value) : undefined;
      if (text !== undefined && (!best || keyDepth < best.depth || (keyDepth === best.depth && rank < best.rank))) {
        best = { depth: keyDepth, rank, value: text };
      }
      if (value && typeof value === 'object' && !Array.isArray(value) && !('$opaque' in value) && keyDepth < 3) {
        visit(value as Record<string, HValue>, keyDepth + 1);
      }
    }
  };
  visit(run.hparams, 0);
  return best?.value;
}

/**
 * The objective of a set of runs: the first validation metric of the first run that every run
 * logs, else the validation loss when every run logs it.
 */
export function defaultMetric(runs: Run[]): string {
  const hasSeries = (name: string) => runs.every((run) => name in run.series);
  const first = runs[0];
  if (first) {
    const metric = first.roles.valMetrics.find(hasSeries);
    if (metric !== undefined) return metric;
    for (const run of runs) {
      if (run.roles.valLoss !== undefined && hasSeries(run.roles.valLoss)) return run.roles.valLoss;
    }
  }
  const common = first ? Object.keys(first.series).filter(hasSeries) : [];
  throw new SeedsInputError(
    common.length > 0
      ? `no validation metric or validation loss shared by every run; pass --metric (series every run has: ${listed(common)})`
      : 'the runs share no series at all; pass --metric with a series every run logs',
  );
}

function listed(names: string[], max = 8): string {
  return names.length > max ? `${names.slice(0, max).join(', ')}, … (${names.length} in all)` : names.join(', ');
}

/**
 * +1 when a higher value is better. The flags decide when given; otherwise the metric's name
 * (accuracy, f1, loss, perplexity…, metric-kinds.ts); else the series a run's roles call its
 * loss is lower-better.
 */
export function directionOf(metric: string, runs: Run[], higherIsBetter?: boolean): 1 | -1 {
  if (higherIsBetter !== undefined) return higherIsBetter ? 1 : -1;
  const fromName = improvementDirection(metric);
  if (fromName !== 0) return fromName;
  if (runs.some((run) => run.roles.valLoss === metric || run.roles.trainLoss === metric)) return -1;
  throw new SeedsInputError(`cannot tell from its name whether a higher or lower ${metric} is better; pass --higher-is-better or --lower-is-better`);
}

/** The value of `metric` a run contributes: its last point, or its best one in `direction`. */
export function runValue(run: Run, metric: string, at: SeedsAt, direction: 1 | -1): number {
  const series = run.series[metric];
  if (!series) {
    const names = Object.keys(run.series);
    throw new SeedsInputError(`run ${run.id} has no series ${metric}${names.length > 0 ? ` (it has: ${listed(names)})` : ' (it has no series at all)'}`);
  }
  const values = series.values;
  if (values.length === 0) throw new SeedsInputError(`run ${run.id}: series ${metric} has no points`);
  if (at === 'final') {
    const last = values[values.length - 1]!;
    if (!Number.isFinite(last)) {
      throw new SeedsInputError(`run ${run.id}: the final ${metric} is ${last} (diverged?); use --at best, or leave the run out`);
    }
    return last;
  }
  let best = Number.NaN;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v) && (Number.isNaN(best) || (direction > 0 ? v > best : v < best))) best = v;
  }
  if (Number.isNaN(best)) throw new SeedsInputError(`run ${run.id}: series ${metric} has no finite value`);
  return best;
}

/**
 * Bouthillier et al. (2021), "Accounting for Variance in Machine Learning Benchmarks" (MLSys),
 * section on the probability of outperforming and their recommendations: an improvement of A
 * over B is statistically significant when the lower end of the confidence interval of
 * P(A > B) is above 0.5, and meaningful when, in addition, its upper end is above γ (0.75 in
 * their experiments): A beats B more often than not, and the data do not rule out that it does
 * so by a margin worth reporting. The same rule as `probabilityOfOutperforming` in
 * src/stats/seed-noise.ts; the paper's own wording could not be checked against a stored
 * copy of its text when this was written.
 */
export function bouthillierDecision(ci: [number, number], gamma: number): { significant: boolean; meaningful: boolean } {
  const [low, high] = ci;
  return { significant: low > 0.5 || high < 0.5, meaningful: low > 0.5 && high > gamma };
}

function summarize(group: SeedGroup, values: number[], direction: 1 | -1, confidence: number): SeedGroupSummary {
  const spread = seedSpread(values, { confidence });
  // Dodge et al. give the expected maximum; for a lower-better metric the best of N is the
  // minimum, the expected maximum of the negated values.
  const curve = expectedMaximum(direction > 0 ? values : values.map((v) => -v));
  const expectedMax: ExpectedMaxPoint[] = Array.from(curve.trials, (n, i) => ({
    n,
    value: direction > 0 ? curve.expectedMax[i]! : -curve.expectedMax[i]!,
    sd: curve.sd[i]!,
  }));
  return {
    name: group.name,
    n: spread.n,
    mean: spread.mean,
    sd: spread.sd,
    sdCi: [spread.sdInterval.low, spread.sdInterval.high],
    min: spread.min,
    max: spread.max,
    values,
    runs: group.runs.map((run) => run.id),
    seeds: group.runs.map((run) => seedOf(run) ?? null),
    expectedMax,
  };
}

interface Pairing {
  pairedBy: 'seed' | 'order';
  pairs: { a: number; b: number; seed?: string }[];
  unpaired: { a: string[]; b: string[] };
  notes: string[];
}

const bySeedValue = (x: string, y: string) => Number(x) - Number(y);

function duplicates(seeds: string[]): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const seed of seeds) (seen.has(seed) ? repeated : seen).add(seed);
  return [...repeated];
}

/**
 * Pairs runs of A and B. By seed when every run has one, seeds are unique within each group
 * and at least two are shared (Bouthillier's pairs share the sources of variation); otherwise
 * by position after sorting each group by run id, which is only as meaningful as the naming.
 */
export function pairRuns(a: SeedGroup, b: SeedGroup): Pairing {
  const seedsA = a.runs.map(seedOf);
  const seedsB = b.runs.map(seedOf);
  const notes: string[] = [];
  let fallback: string | undefined;
  if (seedsA.some((s) => s === undefined) || seedsB.some((s) => s === undefined)) {
    fallback = 'not every run has a seed hyperparameter';
  } else {
    const repeated = [...duplicates(seedsA as string[]).map((s) => `${s} in ${a.name}`), ...duplicates(seedsB as string[]).map((s) => `${s} in ${b.name}`)];
    if (repeated.length > 0) {
      fallback = `seed ${repeated.join(', seed ')} appears more than once`;
    } else {
      const indexB = new Map((seedsB as string[]).map((seed, i) => [seed, i]));
      const shared = (seedsA as string[]).filter((seed) => indexB.has(seed)).sort(bySeedValue);
      if (shared.length >= 2) {
        const indexA = new Map((seedsA as string[]).map((seed, i) => [seed, i]));
        const pairs = shared.map((seed) => ({ a: indexA.get(seed)!, b: indexB.get(seed)!, seed }));
        const sharedSet = new Set(shared);
        const unpaired = {
          a: a.runs.filter((_, i) => !sharedSet.has(seedsA[i]!)).map((run) => run.id),
          b: b.runs.filter((_, i) => !sharedSet.has(seedsB[i]!)).map((run) => run.id),
        };
        const lonely = [
          ...(seedsA as string[]).filter((s) => !sharedSet.has(s)).map((s) => `${s} (only in ${a.name})`),
          ...(seedsB as string[]).filter((s) => !sharedSet.has(s)).map((s) => `${s} (only in ${b.name})`),
        ];
        if (lonely.length > 0) notes.push(`unpaired seed(s) left out of P(A > B): ${lonely.join(', ')}`);
        return { pairedBy: 'seed', pairs, unpaired, notes };
      }
      fallback = shared.length === 1 ? 'the groups share only one seed' : 'the groups share no seed';
    }
  }
  const orderA = a.runs.map((run, i) => ({ id: run.id, i })).sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  const orderB = b.runs.map((run, i) => ({ id: run.id, i })).sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  const count = Math.min(orderA.length, orderB.length);
  const pairs = Array.from({ length: count }, (_, k) => ({ a: orderA[k]!.i, b: orderB[k]!.i }));
  const unpaired = { a: orderA.slice(count).map((r) => r.id), b: orderB.slice(count).map((r) => r.id) };
  notes.push(`runs paired by sorted run id: ${fallback}`);
  if (unpaired.a.length + unpaired.b.length > 0) {
    notes.push(`left out of P(A > B) (no partner): ${[...unpaired.a, ...unpaired.b].join(', ')}`);
  }
  return { pairedBy: 'order', pairs, unpaired, notes };
}

/** The seed-noise report of one group (spread, expected max) or two (plus gap and P(A > B)). */
export function seedNoiseReport(a: SeedGroup, b: SeedGroup | undefined, options: SeedsOptions = {}): SeedsReport {
  const at = options.at ?? 'final';
  const confidence = options.confidence ?? 0.95;
  const seed = options.seed ?? 0;
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const gamma = options.gamma ?? DEFAULT_MEANINGFUL_PROBABILITY;
  const groups = b ? [a, b] : [a];
  for (const group of groups) {
    if (group.runs.length < 2) {
      throw new SeedsInputError(`${group.name}: ${group.runs.length} run(s); seed noise needs at least 2 runs of the configuration (one per seed)`);
    }
  }
  const allRuns = groups.flatMap((group) => group.runs);
  const metric = options.metric ?? defaultMetric(allRuns);
  const direction = directionOf(metric, allRuns, options.higherIsBetter);
  const valuesA = a.runs.map((run) => runValue(run, metric, at, direction));
  const report: SeedsReport = {
    metric,
    direction: direction > 0 ? 'higher' : 'lower',
    at,
    a: summarize(a, valuesA, direction, confidence),
    notes: [],
    seed,
    resamples,
    confidence,
  };
  if (!b) return report;

  const valuesB = b.runs.map((run) => runValue(run, metric, at, direction));
  report.b = summarize(b, valuesB, direction, confidence);
  const gap = gapVersusSeedNoise(valuesA, valuesB, { confidence });
  const better = gap.observedGap === 0 ? 'tie' : gap.observedGap * direction > 0 ? 'a' : 'b';
  report.gap = {
    value: gap.observedGap,
    better,
    seedSd: gap.seedSd.estimate,
    seedSdCi: [gap.seedSd.low, gap.seedSd.high],
    noiseSdOfGap: gap.noiseSdOfGap,
    gapInNoiseSds: gap.gapInNoiseSds,
    pNoise: gap.probabilityNoiseAtLeastGap,
    withinSeedRange: gap.withinSeedRange,
    verdict: gap.verdict,
  };

  const pairing = pairRuns(a, b);
  report.pairedBy = pairing.pairedBy;
  report.pairs = pairing.pairs.map((p) => ({ a: a.runs[p.a]!.id, b: b.runs[p.b]!.id, ...(p.seed !== undefined ? { seed: p.seed } : {}) }));
  report.unpaired = pairing.unpaired;
  report.notes.push(...pairing.notes);
  if (pairing.pairs.length < 2) {
    report.notes.push(`P(A > B) needs at least 2 paired runs, got ${pairing.pairs.length}`);
    return report;
  }
  const probability = probabilityOfOutperforming(
    pairing.pairs.map((p) => valuesA[p.a]!),
    pairing.pairs.map((p) => valuesB[p.b]!),
    { gamma, higherIsBetter: direction > 0, seed, resamples, confidence },
  );
  const ci: [number, number] = [probability.interval.low, probability.interval.high];
  const decision = bouthillierDecision(ci, gamma);
  report.pAB = {
    estimate: probability.estimate,
    ci,
    significant: decision.significant,
    meaningful: decision.meaningful,
    gamma,
    pairs: probability.n,
    wins: probability.wins,
    ties: probability.ties,
    losses: probability.losses,
  };
  return report;
}

/** The `ladder.seeds/v1` document. */
export function seedsToJson(report: SeedsReport): Record<string, unknown> {
  const group = (g: SeedGroupSummary) => ({
    name: g.name,
    n: g.n,
    mean: g.mean,
    sd: g.sd,
    sdCi: g.sdCi,
    min: g.min,
    max: g.max,
    values: g.values,
    runs: g.runs,
    seeds: g.seeds,
  });
  return {
    schema: 'ladder.seeds/v1',
    metric: report.metric,
    direction: report.direction,
    at: report.at,
    a: group(report.a),
    ...(report.b ? { b: group(report.b) } : {}),
    ...(report.gap ? { gap: report.gap } : {}),
    ...(report.pAB ? { pAB: report.pAB } : {}),
    ...(report.pairedBy ? { pairedBy: report.pairedBy, pairs: report.pairs, unpaired: report.unpaired } : {}),
    expectedMax: { a: report.a.expectedMax, ...(report.b ? { b: report.b.expectedMax } : {}) },
    notes: report.notes,
    seed: report.seed,
    resamples: report.resamples,
    confidence: report.confidence,
  };
}
