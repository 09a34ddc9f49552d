/**
 * The normalized model every reader produces (DESIGN section 4).
 *
 * A Run is one training or evaluation run, whatever wrote it: hyperparameters, tags, scalar
 * series (tag → steps, values, wall times) and optionally per-example evaluation records.
 * Series are stored column-wise in typed arrays so that a run with millions of points stays
 * compact; non-finite values are kept as they are (NaN, ±Infinity) — nothing is dropped.
 */

export const FORMATS = [
  'hf-trainer',
  'tensorboard',
  'lightning-csv',
  'mlflow',
  'wandb',
  'lm-eval',
  'csv',
  'jsonl',
  'npy',
] as const;
export type Format = (typeof FORMATS)[number];

/** A hyperparameter, tag or config value as read from a log. */
export type HValue = string | number | boolean | null | HValue[] | { [key: string]: HValue } | OpaqueValue;

/**
 * A value the reader could not (and must not) interpret, e.g. a YAML node tagged
 * `!!python/object:…`. Kept as the tag and its raw source text, never executed.
 */
export interface OpaqueValue {
  $opaque: string;
  source: string;
}

export function isOpaque(value: unknown): value is OpaqueValue {
  return typeof value === 'object' && value !== null && '$opaque' in value;
}

/** A scalar series. `wallTimes[i]` is seconds since the Unix epoch, or NaN when unknown. */
export interface Series {
  steps: Float64Array;
  values: Float64Array;
  wallTimes: Float64Array;
}

/** Where a series' steps went backwards (a resumed run); indices into the series. */
export interface SeriesSegments {
  /** Index of the first point of each segment after the first. */
  restarts: number[];
}

/**
 * Per-example evaluation records, column-wise. Every column is optional except `count`;
 * `correct` uses NaN for "unknown", and `probs` is row-major `count × classes`.
 */
export interface ExampleSet {
  /** A name for the set (task or file), unique within its run. */
  name: string;
  count: number;
  ids?: (string | number)[];
  labels?: (number | string | null)[];
  preds?: (number | string | null)[];
  correct?: Float64Array;
  probs?: { classes: number; data: Float64Array };
  /** Other per-example numeric fields (e.g. lm-eval's per-item metrics), by name. */
  metrics?: Record<string, Float64Array>;
  /** Cluster id per item when items share a cluster (clustered standard errors). */
  clusters?: (string | null)[];
}

/** Metric roles, each naming a series of the run (DESIGN section 4). */
export interface Roles {
  trainLoss?: string;
  valLoss?: string;
  lr?: string;
  gradNorm?: string;
  epoch?: string;
  valMetrics: string[];
}

/** A series that is not a scalar (text, histogram, image…), kept as a count by kind. */
export interface NonScalarSeries {
  kind: string;
  count: number;
}

export interface Run {
  id: string;
  format: Format;
  /** Files and folders this run was read from, relative to the ingest root when possible. */
  paths: string[];
  hparams: Record<string, HValue>;
  tags: Record<string, string>;
  series: Record<string, Series>;
  segments: Record<string, SeriesSegments>;
  nonScalar: Record<string, NonScalarSeries>;
  examples: ExampleSet[];
  roles: Roles;
  /** Format-specific summary facts (e.g. HF `best_metric`, `global_step`), kept verbatim. */
  summary: Record<string, HValue>;
  /** Id of the parent run (MLflow nested runs), when known. */
  parent?: string;
}

export function emptyRun(id: string, format: Format, paths: string[]): Run {
  return {
    id,
    format,
    paths,
    hparams: {},
    tags: {},
    series: {},
    segments: {},
    nonScalar: {},
    examples: [],
    roles: { valMetrics: [] },
    summary: {},
  };
}

/**
 * Accumulates points of one series in growable typed arrays (amortized O(1) push, no per-point
 * objects), so that a reader can stream tens of millions of points in bounded overhead.
 */
export class SeriesBuilder {
  private steps: Float64Array;
  private values: Float64Array;
  private wallTimes: Float64Array;
  length = 0;

  constructor(initialCapacity = 64) {
    this.steps = new Float64Array(initialCapacity);
    this.values = new Float64Array(initialCapacity);
    this.wallTimes = new Float64Array(initialCapacity);
  }

  push(step: number, value: number, wallTime = Number.NaN): void {
    if (this.length === this.steps.length) this.grow();
    this.steps[this.length] = step;
    this.values[this.length] = value;
    this.wallTimes[this.length] = wallTime;
    this.length++;
  }

  get lastStep(): number {
    return this.length === 0 ? Number.NaN : this.steps[this.length - 1]!;
  }

  private grow(): void {
    const capacity = Math.max(64, this.steps.length * 2);
    const grow = (old: Float64Array) => {
      const next = new Float64Array(capacity);
      next.set(old);
      return next;
    };
    this.steps = grow(this.steps);
    this.values = grow(this.values);
    this.wallTimes = grow(this.wallTimes);
  }

  build(): Series {
    return {
      steps: this.steps.slice(0, this.length),
      values: this.values.slice(0, this.length),
      wallTimes: this.wallTimes.slice(0, this.length),
    };
  }
}

export function seriesFromArrays(steps: ArrayLike<number>, values: ArrayLike<number>, wallTimes?: ArrayLike<number>): Series {
  const n = steps.length;
  if (values.length !== n || (wallTimes && wallTimes.length !== n)) {
    throw new RangeError(`series columns differ in length: ${n} steps, ${values.length} values`);
  }
  const wall = new Float64Array(n);
  if (wallTimes) wall.set(wallTimes);
  else wall.fill(Number.NaN);
  return { steps: Float64Array.from(steps), values: Float64Array.from(values), wallTimes: wall };
}
