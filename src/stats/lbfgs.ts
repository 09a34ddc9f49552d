/**
 * Unconstrained minimization of a smooth function of a few to a few thousand variables by
 * L-BFGS (Nocedal 1980; Liu & Nocedal 1989): the two-loop recursion over the last `memory`
 * step/gradient-change pairs gives a quasi-Newton direction, and a line search satisfying
 * the strong Wolfe conditions (Nocedal & Wright 2006, algorithms 3.5 and 3.6, cubic
 * interpolation eq. 3.59) picks the step, which keeps every stored pair's curvature positive.
 *
 * The objective writes its gradient into the array it is given and returns its value. A
 * non-finite value (an overflow far from the minimum) is treated as "too far": the line
 * search halves its step.
 *
 * Stopping: the largest gradient component is at most `gradientTolerance`, or the objective
 * stopped decreasing — an iteration lowered it by no more than `valueTolerance` relative to
 * its size (scipy's L-BFGS-B `ftol` criterion, but without its floor of 1 on the scale, so
 * that objectives that are small at their minimum, like a summed Huber loss with a small δ,
 * are still minimized to full relative precision), or no step along the quasi-Newton
 * direction lowered it at all.
 *
 * Used by the scaling-law fit (src/stats/scaling.ts) and the logistic probes
 * (src/stats/logistic.ts).
 */

/** Writes ∇f(x) into `gradient` and returns f(x). */
export type Objective = (x: Float64Array, gradient: Float64Array) => number;

export interface LbfgsOptions {
  /** Correction pairs kept (default 10). */
  memory?: number;
  /** Iteration cap (default 1000). */
  maxIterations?: number;
  /** Converged when max |∂f/∂xᵢ| ≤ this (default 1e-8). */
  gradientTolerance?: number;
  /** Converged when an iteration lowers f by ≤ this × max(|f|, 1e-300) (default 1e-12). */
  valueTolerance?: number;
  /**
   * How many such iterations in a row stop the run (default 1). Near a minimum at double
   * precision the value can stall for an iteration while the gradient still shrinks; a
   * patience of a few lets it.
   */
  patience?: number;
}

export type LbfgsStop = 'gradient' | 'value' | 'no-descent' | 'iterations';

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  gradient: Float64Array;
  iterations: number;
  evaluations: number;
  /** Which criterion ended the run; 'iterations' means the cap was reached first. */
  stop: LbfgsStop;
  converged: boolean;
}

const SUFFICIENT_DECREASE = 1e-4;
const CURVATURE = 0.9;
const MAX_LINE_EVALUATIONS = 40;

interface Point {
  step: number;
  value: number;
  slope: number;
  x: Float64Array;
  gradient: Float64Array;
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** Minimizer of the cubic through (a, fa, f'a) and (b, fb, f'b), kept 10 % inside the interval; else its midpoint. */
function interpolate(a: Point, b: Point): number {
  const d1 = a.slope + b.slope - (3 * (a.value - b.value)) / (a.step - b.step);
  const radicand = d1 * d1 - a.slope * b.slope;
  const low = Math.min(a.step, b.step);
  const high = Math.max(a.step, b.step);
  const margin = 0.1 * (high - low);
  if (radicand >= 0) {
    const d2 = Math.sign(b.step - a.step) * Math.sqrt(radicand);
    const step = b.step - ((b.step - a.step) * (b.slope + d2 - d1)) / (b.slope - a.slope + 2 * d2);
    if (Number.isFinite(step) && step >= low + margin && step <= high - margin) return step;
  }
  return (low + high) / 2;
}

/**
 * Strong-Wolfe line search from (x, f0) along `direction` (slope0 < 0). Returns the accepted
 * point, or null when no step with sufficient decrease was found.
 */
function lineSearch(
  f: Objective,
  x: Float64Array,
  f0: number,
  slope0: number,
  direction: Float64Array,
  firstStep: number,
  count: { evaluations: number },
): Point | null {
  let used = 0;
  const evaluate = (step: number): Point => {
    used++;
    count.evaluations++;
    const trialX = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) trialX[i] = x[i]! + step * direction[i]!;
    const gradient = new Float64Array(x.length);
    const value = f(trialX, gradient);
    return { step, value, slope: dot(gradient, direction), x: trialX, gradient };
  };
  const decreases = (p: Point) => p.value <= f0 + SUFFICIENT_DECREASE * p.step * slope0;
  const flatEnough = (p: Point) => Math.abs(p.slope) <= -CURVATURE * slope0;

  const zoom = (low: Point, high: Point): Point | null => {
    while (used < MAX_LINE_EVALUATIONS) {
      const trial = evaluate(interpolate(low, high));
      if (!Number.isFinite(trial.value) || !decreases(trial) || trial.value >= low.value) {
        high = trial;
      } else {
        if (flatEnough(trial)) return trial;
        if (trial.slope * (high.step - low.step) >= 0) high = low;
        low = trial;
      }
      if (Math.abs(high.step - low.step) <= 1e-16 * Math.max(1, low.step)) break;
    }
    // Out of evaluations or interval: a point with sufficient decrease still makes progress.
    return low.step > 0 ? low : null;
  };

  let previous: Point = { step: 0, value: f0, slope: slope0, x, gradient: new Float64Array(0) };
  let step = firstStep;
  while (used < MAX_LINE_EVALUATIONS) {
    const trial = evaluate(step);
    if (!Number.isFinite(trial.value) || !Number.isFinite(trial.slope)) {
      step = previous.step + (step - previous.step) / 2;
      continue;
    }
    if (!decreases(trial) || (previous.step > 0 && trial.value >= previous.value)) return zoom(previous, trial);
    if (flatEnough(trial)) return trial;
    if (trial.slope >= 0) return zoom(trial, previous);
    previous = trial;
    step *= 2;
  }
  return previous.step > 0 ? previous : null;
}

/** Minimizes f from x0 (not modified). Throws a RangeError if f(x0) or its gradient is not finite. */
export function minimizeLbfgs(f: Objective, x0: ArrayLike<number>, options: LbfgsOptions = {}): LbfgsResult {
  const memory = options.memory ?? 10;
  const maxIterations = options.maxIterations ?? 1000;
  const gradientTolerance = options.gradientTolerance ?? 1e-8;
  const valueTolerance = options.valueTolerance ?? 1e-12;
  const patience = options.patience ?? 1;
  let stalled = 0;
  const size = x0.length;
  let x: Float64Array = Float64Array.from(x0);
  let gradient: Float64Array = new Float64Array(size);
  let value = f(x, gradient);
  const count = { evaluations: 1 };
  if (!Number.isFinite(value) || !gradient.every(Number.isFinite)) {
    throw new RangeError(`the objective or its gradient is not finite at the starting point (f = ${value})`);
  }
  const steps: Float64Array[] = [];
  const changes: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(memory);
  const direction = new Float64Array(size);
  let iterations = 0;
  let stop: LbfgsStop = maxAbs(gradient) <= gradientTolerance ? 'gradient' : 'iterations';

  while (stop === 'iterations' && iterations < maxIterations) {
    for (let i = 0; i < size; i++) direction[i] = -gradient[i]!;
    for (let h = steps.length - 1; h >= 0; h--) {
      alpha[h] = rho[h]! * dot(steps[h]!, direction);
      const change = changes[h]!;
      for (let i = 0; i < size; i++) direction[i]! -= alpha[h]! * change[i]!;
    }
    if (steps.length > 0) {
      const last = steps.length - 1;
      const scale = dot(steps[last]!, changes[last]!) / dot(changes[last]!, changes[last]!);
      for (let i = 0; i < size; i++) direction[i]! *= scale;
    }
    for (let h = 0; h < steps.length; h++) {
      const beta = rho[h]! * dot(changes[h]!, direction);
      const step = steps[h]!;
      for (let i = 0; i < size; i++) direction[i]! += (alpha[h]! - beta) * step[i]!;
    }
    let slope = dot(gradient, direction);
    if (!(slope < 0)) {
      // Rounding spoiled the curvature estimate: start again from steepest descent.
      steps.length = changes.length = rho.length = 0;
      for (let i = 0; i < size; i++) direction[i] = -gradient[i]!;
      slope = dot(gradient, direction);
    }
    // A quasi-Newton direction has its own scale; steepest descent does not, so its first step is normalised.
    const firstStep = steps.length === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
    const accepted = lineSearch(f, x, value, slope, direction, firstStep, count);
    iterations++;
    if (accepted === null) {
      stop = 'no-descent';
      break;
    }
    const s = new Float64Array(size);
    const y = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      s[i] = accepted.x[i]! - x[i]!;
      y[i] = accepted.gradient[i]! - gradient[i]!;
    }
    const decrease = value - accepted.value;
    x = accepted.x;
    gradient = accepted.gradient;
    value = accepted.value;
    const curvature = dot(s, y);
    if (curvature > 1e-12 * dot(y, y)) {
      if (steps.length === memory) {
        steps.shift();
        changes.shift();
        rho.shift();
      }
      steps.push(s);
      changes.push(y);
      rho.push(1 / curvature);
    }
    if (maxAbs(gradient) <= gradientTolerance) stop = 'gradient';
    else {
      stalled = decrease <= valueTolerance * Math.max(Math.abs(value), 1e-300) ? stalled + 1 : 0;
      if (stalled >= patience) stop = 'value';
    }
  }
  return { x, value, gradient, iterations, evaluations: count.evaluations, stop, converged: stop !== 'iterations' };
}
