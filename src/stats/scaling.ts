/**
 * Scaling laws: how much lower would the loss be with more parameters or more data, and
 * what is the lowest loss reachable at all (DESIGN §3.2, "Data scaling").
 *
 * Joint law (Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models", approach 3):
 *
 *   L(N, D) = E + A·N^(−α) + B·D^(−β)
 *
 * fitted as Besiroglu, Erdil, Barnett & You (2024, "Chinchilla Scaling: A replication
 * attempt", Epoch AI) refitted it: in log space, log L̂ = LSE(a − α·log N, b − β·log D, e)
 * with A = eᵃ, B = eᵇ, E = eᵉ, minimizing the SUM over points of the Huber loss (δ = 10⁻³)
 * of the residuals log L − log L̂, by L-BFGS from every start of Hoffmann et al.'s grid
 * (α, β ∈ {0, 0.5, …, 2}, e ∈ {−1, −0.5, …, 1}, a, b ∈ {0, 5, …, 25}: 4,500 starts), keeping
 * the lowest objective. Summing rather than averaging matters: Besiroglu et al. trace
 * Hoffmann et al.'s implausible estimates to an optimizer that stopped early on a loss
 * scaled too small; ./lbfgs.ts's relative stopping rule is scale-free on top of that.
 *
 * Intervals: nonparametric bootstrap over points (Efron & Tibshirani 1993, ch. 6): resample
 * the (N, D, L) points with replacement, refit, take percentiles of each parameter across
 * replicates. Each replicate is refitted from the distinct local minima that the full grid
 * found on the original data (not the whole grid again, which would cost 4,500 L-BFGS runs
 * per replicate); a replicate whose surface has moved far enough to have a new basin that
 * none of these starts reach would be fitted in a worse one, so the intervals assume the
 * resampled surfaces keep the original's basins.
 *
 * Marginal value: the predicted change in loss from doubling D (or N) at a reference point,
 * B·D^(−β)·(2^(−β) − 1) (resp. A·N^(−α)·(2^(−α) − 1)), with the same bootstrap percentiles.
 *
 * One-variable law L(x) = E + A·x^(−α) (data, steps or parameters alone): fitted by
 * ./curve-fit.ts (Levenberg–Marquardt, residual bootstrap), reused here with factor 2 for
 * the marginal value of doubling x.
 */
import { bootstrapExtrapolation, fitCurve, type CurveFit, type ExtrapolatedValue } from './curve-fit.js';
import { minimizeLbfgs, type LbfgsResult } from './lbfgs.js';
import { createRng } from './rng.js';
import { quantileSorted } from './robust.js';

export const HUBER_DELTA = 1e-3;

/** Hoffmann et al.'s grid of initialisations, as used by Besiroglu et al. */
export const INITIALIZATION_GRID = {
  alpha: [0, 0.5, 1, 1.5, 2],
  beta: [0, 0.5, 1, 1.5, 2],
  e: [-1, -0.5, 0, 0.5, 1],
  a: [0, 5, 10, 15, 20, 25],
  b: [0, 5, 10, 15, 20, 25],
} as const;

export interface ScalingLaw {
  E: number;
  A: number;
  B: number;
  alpha: number;
  beta: number;
}

export interface ScalingFit extends ScalingLaw {
  /** Points fitted. */
  n: number;
  /** Summed Huber loss of the log residuals at the fit. */
  objective: number;
  /** Starts tried, and how many of their L-BFGS runs met a stopping criterion before the cap. */
  starts: number;
  convergedStarts: number;
  /** Whether the run that gave the fit converged. */
  converged: boolean;
  /** Distinct local minima found (parameters [a, b, e, α, β]), lowest objective first; the bootstrap starts from them. */
  minima: Float64Array[];
}

export interface ScalingData {
  logN: Float64Array;
  logD: Float64Array;
  logL: Float64Array;
}

/** Log-transforms and checks the points; throws a RangeError naming the first bad one. */
export function scalingData(n: ArrayLike<number>, d: ArrayLike<number>, loss: ArrayLike<number>): ScalingData {
  if (n.length !== d.length || n.length !== loss.length) {
    throw new RangeError(`N, D and loss differ in length (${n.length}, ${d.length}, ${loss.length})`);
  }
  const count = n.length;
  const data = { logN: new Float64Array(count), logD: new Float64Array(count), logL: new Float64Array(count) };
  for (let i = 0; i < count; i++) {
    const values = [n[i]!, d[i]!, loss[i]!];
    if (!values.every((v) => Number.isFinite(v) && v > 0)) {
      throw new RangeError(`point ${i}: N, D and loss must be finite and positive, got N=${values[0]}, D=${values[1]}, loss=${values[2]}`);
    }
    data.logN[i] = Math.log(values[0]!);
    data.logD[i] = Math.log(values[1]!);
    data.logL[i] = Math.log(values[2]!);
  }
  return data;
}

/**
 * The summed Huber loss of log residuals at θ = [a, b, e, α, β], with its gradient. `weights`
 * (multiplicities, for the bootstrap) default to 1.
 */
export function huberObjective(data: ScalingData, theta: Float64Array, gradient: Float64Array, weights?: Float64Array): number {
  const a = theta[0]!;
  const b = theta[1]!;
  const e = theta[2]!;
  const alpha = theta[3]!;
  const beta = theta[4]!;
  const expE = Math.exp(e);
  const { logN, logD, logL } = data;
  let total = 0;
  let ga = 0;
  let gb = 0;
  let ge = 0;
  let galpha = 0;
  let gbeta = 0;
  for (let i = 0; i < logL.length; i++) {
    const w = weights ? weights[i]! : 1;
    if (w === 0) continue;
    // Unshifted terms cost two exponentials (E's term is the same for every point); the
    // max-shifted log-sum-exp is only needed when a wild trial step over- or underflows.
    let x1 = Math.exp(a - alpha * logN[i]!);
    let x2 = Math.exp(b - beta * logD[i]!);
    let x3 = expE;
    let sum = x1 + x2 + x3;
    let logSum: number;
    if (sum > 1e-300 && sum < 1e300) {
      logSum = Math.log(sum);
    } else {
      const t1 = a - alpha * logN[i]!;
      const t2 = b - beta * logD[i]!;
      const top = Math.max(t1, t2, e);
      x1 = Math.exp(t1 - top);
      x2 = Math.exp(t2 - top);
      x3 = Math.exp(e - top);
      sum = x1 + x2 + x3;
      logSum = top + Math.log(sum);
    }
    const residual = logL[i]! - logSum;
    const size = Math.abs(residual);
    let influence: number;
    if (size <= HUBER_DELTA) {
      total += w * 0.5 * residual * residual;
      influence = residual;
    } else {
      total += w * HUBER_DELTA * (size - 0.5 * HUBER_DELTA);
      influence = residual > 0 ? HUBER_DELTA : -HUBER_DELTA;
    }
    // d(loss)/d(LSE) = −ψ(r); d(LSE)/dtₖ is the softmax weight of term k.
    const scale = (-w * influence) / sum;
    ga += scale * x1;
    gb += scale * x2;
    ge += scale * x3;
    galpha -= scale * x1 * logN[i]!;
    gbeta -= scale * x2 * logD[i]!;
  }
  gradient[0] = ga;
  gradient[1] = gb;
  gradient[2] = ge;
  gradient[3] = galpha;
  gradient[4] = gbeta;
  return total;
}

function toLaw(theta: Float64Array): ScalingLaw {
  return { E: Math.exp(theta[2]!), A: Math.exp(theta[0]!), B: Math.exp(theta[1]!), alpha: theta[3]!, beta: theta[4]! };
}

/** L(N, D) of a law. */
export function predictLoss(law: ScalingLaw, n: number, d: number): number {
  return law.E + law.A * Math.pow(n, -law.alpha) + law.B * Math.pow(d, -law.beta);
}

/**
 * Every grid start is run to a relative decrease of 1e-9 per iteration (scipy's default for
 * L-BFGS-B is 2.2e-9, but relative to max(|f|, 1)); the distinct minima so found are then
 * polished to 1e-13. On the Chinchilla points the polish moves no parameter in its 4th
 * digit, and the screening tolerance takes the 4,500 starts from ~25 s to ~8 s.
 */
const SCREENING = { maxIterations: 2000, gradientTolerance: 1e-10, valueTolerance: 1e-9 } as const;
const POLISHING = { maxIterations: 5000, gradientTolerance: 1e-12, valueTolerance: 1e-13 } as const;

function runFrom(data: ScalingData, start: ArrayLike<number>, weights?: Float64Array, tolerance: typeof SCREENING | typeof POLISHING = POLISHING): LbfgsResult | null {
  try {
    return minimizeLbfgs((theta, gradient) => huberObjective(data, theta, gradient, weights), start, tolerance);
  } catch {
    return null; // a start where the objective overflows: no fit from there
  }
}

/** Two minima are the same basin when every parameter agrees to 1e-3 (absolute). */
function sameMinimum(x: Float64Array, y: Float64Array): boolean {
  for (let i = 0; i < x.length; i++) if (Math.abs(x[i]! - y[i]!) > 1e-3) return false;
  return true;
}

export interface ScalingFitOptions {
  /** Distinct local minima to keep for the bootstrap (default 8). */
  keepMinima?: number;
  /** Called after each start with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

/** Fits the joint law to points (N, D, loss) from every start of the grid. Needs at least 6 points. */
export function fitScalingLaw(n: ArrayLike<number>, d: ArrayLike<number>, loss: ArrayLike<number>, options: ScalingFitOptions = {}): ScalingFit {
  const data = scalingData(n, d, loss);
  if (data.logL.length < 6) throw new RangeError(`a 5-parameter scaling law needs at least 6 points, got ${data.logL.length}`);
  const keep = options.keepMinima ?? 8;
  const g = INITIALIZATION_GRID;
  const total = g.alpha.length * g.beta.length * g.e.length * g.a.length * g.b.length;
  const found: { x: Float64Array; value: number; converged: boolean }[] = [];
  let done = 0;
  let convergedStarts = 0;
  for (const alpha of g.alpha)
    for (const beta of g.beta)
      for (const e of g.e)
        for (const a of g.a)
          for (const b of g.b) {
            const result = runFrom(data, [a, b, e, alpha, beta], undefined, SCREENING);
            done++;
            options.onProgress?.(done, total);
            if (result === null || !Number.isFinite(result.value)) continue;
            if (result.converged) convergedStarts++;
            found.push({ x: result.x, value: result.value, converged: result.converged });
          }
  if (found.length === 0) throw new RangeError('no start of the grid gave a finite fit');
  found.sort((p, q) => p.value - q.value);
  const screened: Float64Array[] = [];
  for (const candidate of found) {
    if (screened.length >= keep) break;
    if (!screened.some((m) => sameMinimum(m, candidate.x))) screened.push(candidate.x);
  }
  const polished = screened
    .map((x) => runFrom(data, x) ?? null)
    .filter((r): r is LbfgsResult => r !== null && Number.isFinite(r.value))
    .sort((p, q) => p.value - q.value);
  const best = polished[0] ?? { x: found[0]!.x, value: found[0]!.value, converged: found[0]!.converged };
  const minima: Float64Array[] = [];
  for (const result of polished) if (!minima.some((m) => sameMinimum(m, result.x))) minima.push(result.x);
  if (minima.length === 0) minima.push(best.x);
  return {
    ...toLaw(best.x),
    n: data.logL.length,
    objective: best.value,
    starts: total,
    convergedStarts,
    converged: best.converged,
    minima,
  };
}

export interface Interval {
  estimate: number;
  low: number;
  high: number;
}

export interface MarginalValue extends Interval {
  /** What is doubled. */
  doubled: 'data' | 'parameters';
  /** The point (N, D) the change is predicted at. */
  n: number;
  d: number;
  /** Predicted loss at the reference point, then the change L(doubled) − L(reference) (negative = lower loss). */
  lossAtReference: number;
}

export interface ScalingBootstrap {
  seed: number;
  resamples: number;
  confidence: number;
  /** Percentile intervals of each parameter. */
  intervals: Record<keyof ScalingLaw, [number, number]>;
  /** Replicates whose refit did not converge from any start (kept: the best found is still a fit). */
  unconverged: number;
  marginal: { data: MarginalValue; parameters: MarginalValue };
}

export interface ScalingBootstrapOptions {
  seed: number;
  /** Default 200. */
  resamples?: number;
  /** Default 0.95. */
  confidence?: number;
  /** Where to predict the value of 2× data and 2× parameters; default: the fitted point with the largest N·D. */
  reference?: { n: number; d: number };
  onProgress?: (done: number, total: number) => void;
}

function lossChange(law: ScalingLaw, doubled: 'data' | 'parameters', n: number, d: number): number {
  return doubled === 'data'
    ? law.B * Math.pow(d, -law.beta) * (Math.pow(2, -law.beta) - 1)
    : law.A * Math.pow(n, -law.alpha) * (Math.pow(2, -law.alpha) - 1);
}

/**
 * Bootstrap percentile intervals for a fit made by fitScalingLaw on the same points, and the
 * marginal value of doubling data and parameters with its interval.
 */
export function bootstrapScalingLaw(
  fit: ScalingFit,
  n: ArrayLike<number>,
  d: ArrayLike<number>,
  loss: ArrayLike<number>,
  options: ScalingBootstrapOptions,
): ScalingBootstrap {
  const resamples = options.resamples ?? 200;
  const confidence = options.confidence ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`resamples must be a positive integer, got ${resamples}`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  const data = scalingData(n, d, loss);
  const count = data.logL.length;
  if (count !== fit.n) throw new RangeError(`fit was made on ${fit.n} points but ${count} were given`);
  let reference = options.reference;
  if (!reference) {
    let largest = 0;
    for (let i = 1; i < count; i++) if (data.logN[i]! + data.logD[i]! > data.logN[largest]! + data.logD[largest]!) largest = i;
    reference = { n: Math.exp(data.logN[largest]!), d: Math.exp(data.logD[largest]!) };
  }
  const rng = createRng(options.seed);
  const weights = new Float64Array(count);
  const keys = ['E', 'A', 'B', 'alpha', 'beta'] as const;
  const draws = Object.fromEntries(keys.map((k) => [k, new Float64Array(resamples)])) as Record<keyof ScalingLaw, Float64Array>;
  const dataDraws = new Float64Array(resamples);
  const parameterDraws = new Float64Array(resamples);
  let unconverged = 0;
  for (let r = 0; r < resamples; r++) {
    // Resampling points with replacement = integer multiplicities on the original points.
    weights.fill(0);
    for (let i = 0; i < count; i++) weights[rng.integer(0, count)]! += 1;
    let best: LbfgsResult | null = null;
    for (const start of fit.minima) {
      const result = runFrom(data, start, weights);
      if (result && Number.isFinite(result.value) && (best === null || result.value < best.value)) best = result;
    }
    if (best === null) throw new RangeError(`bootstrap replicate ${r}: no start gave a finite fit`);
    if (!best.converged) unconverged++;
    const law = toLaw(best.x);
    for (const k of keys) draws[k][r] = law[k];
    dataDraws[r] = lossChange(law, 'data', reference.n, reference.d);
    parameterDraws[r] = lossChange(law, 'parameters', reference.n, reference.d);
    options.onProgress?.(r + 1, resamples);
  }
  const tail = (1 - confidence) / 2;
  const interval = (values: Float64Array): [number, number] => {
    const sorted = Float64Array.from(values).sort();
    return [quantileSorted(sorted, tail), quantileSorted(sorted, 1 - tail)];
  };
  const marginal = (doubled: 'data' | 'parameters', values: Float64Array): MarginalValue => {
    const [low, high] = interval(values);
    return {
      doubled,
      n: reference.n,
      d: reference.d,
      lossAtReference: predictLoss(fit, reference.n, reference.d),
      estimate: lossChange(fit, doubled, reference.n, reference.d),
      low,
      high,
    };
  };
  return {
    seed: options.seed,
    resamples,
    confidence,
    intervals: Object.fromEntries(keys.map((k) => [k, interval(draws[k])])) as Record<keyof ScalingLaw, [number, number]>,
    unconverged,
    marginal: { data: marginal('data', dataDraws), parameters: marginal('parameters', parameterDraws) },
  };
}

export interface PowerLawScaling {
  fit: CurveFit;
  /** E: the loss the curve levels off at, the estimate of the lowest reachable loss. */
  floor: number;
  /** L(x_max) − L(2·x_max) with its residual-bootstrap interval (positive = doubling x lowers the loss). */
  gainFromDoubling: ExtrapolatedValue;
  seed: number;
  resamples: number;
}

/**
 * One-variable power law with offset L = E + A·x^(−α) on (x, loss) points (x > 0: data,
 * steps or parameters), and the marginal value of 2× the largest x.
 */
export function fitPowerLawScaling(x: ArrayLike<number>, loss: ArrayLike<number>, options: { seed: number; resamples?: number }): PowerLawScaling {
  const fit = fitCurve('power-law', x, loss);
  const extrapolation = bootstrapExtrapolation(fit, x, loss, { seed: options.seed, resamples: options.resamples ?? 200, factors: [2] });
  return { fit, floor: fit.offset, gainFromDoubling: extrapolation.gains[0]!, seed: options.seed, resamples: extrapolation.resamples };
}
