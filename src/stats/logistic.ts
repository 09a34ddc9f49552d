/**
 * L2-penalized logistic regression, the linear probe of `ladder probe`.
 *
 * The objective is scikit-learn's `LogisticRegression(penalty="l2", C)` with the lbfgs solver:
 *
 *     minimize  ½·‖W‖² + C·Σᵢ cross-entropy(yᵢ, softmax(W·xᵢ + b))      (b not penalized)
 *
 * optimized, as scikit-learn does, in the equivalent form divided by C·n (mean cross-entropy
 * + ‖W‖²/(2Cn)), whose gradient does not grow with n. With three or more classes the model is
 * multinomial (one row of W per class); with two it is binomial (one row, the class-1 logit
 * against a class-0 logit fixed at 0), again as scikit-learn fits it. The two are not the
 * same fit: a two-class softmax with rows w₀ = −w₁ penalizes ‖w₀‖² + ‖w₁‖², twice the
 * binomial penalty for the same decision function.
 *
 * Optimizer: L-BFGS (Nocedal 1980; Liu & Nocedal 1989) with 10 correction pairs and a line
 * search satisfying the strong Wolfe conditions (Nocedal & Wright 2006, algorithms 3.5 and
 * 3.6, cubic interpolation). Why not Newton/IRLS: a probe on hidden states has d in the
 * hundreds or thousands and K classes, so the (dK)² Hessian is too large to form and factor,
 * while L-BFGS needs O(m·dK) memory and one pass over the data per evaluation. The objective
 * is strictly convex (the penalty makes W unique), so L-BFGS converges to the one minimum
 * from any start; starting at zero keeps the multinomial intercepts summing to zero (every
 * gradient's intercept part sums to zero over classes), which is how scikit-learn's lbfgs
 * path leaves them too, since the unpenalized intercepts are otherwise determined only up to
 * a common shift. Deterministic: no randomness, fixed summation order.
 */

import { minimizeLbfgs } from './lbfgs.js';

export interface LogisticOptions {
  /** Inverse penalty strength, as scikit-learn's C (default 1). Larger C, weaker penalty. */
  C?: number;
  /** Fit unpenalized intercepts (default true). */
  fitIntercept?: boolean;
  /** Stop when the largest gradient component of the scaled objective is below this (default 1e-8). */
  gradientTolerance?: number;
  /** Iteration cap (default 1000); the result says whether it converged before. */
  maxIterations?: number;
}

export interface LogisticModel {
  classes: number;
  features: number;
  /** True for two classes: one coefficient row, the logit of class 1 against class 0. */
  binary: boolean;
  /** Row-major (rows × features), rows = 1 when binary, else one per class (scikit-learn's coef_). */
  coefficients: Float64Array;
  /** One per coefficient row (scikit-learn's intercept_); zeros without fitIntercept. */
  intercepts: Float64Array;
  C: number;
  iterations: number;
  converged: boolean;
  /** The scaled objective at the solution: mean cross-entropy + ‖W‖²/(2Cn). */
  objective: number;
  /** Largest absolute gradient component at the solution. */
  gradientMax: number;
}

/** Per-column mean and scale (population standard deviation, 1 for a constant column), as StandardScaler. */
export interface Standardization {
  mean: Float64Array;
  scale: Float64Array;
}

/** Mean and scale of the given rows (all rows when `rowsToUse` is omitted) of an n×d row-major matrix. */
export function standardization(features: Float64Array, dims: number, rowsToUse?: ArrayLike<number>): Standardization {
  const rows = rowsToUse ?? identityRows(features.length / dims);
  const mean = new Float64Array(dims);
  const scale = new Float64Array(dims);
  for (let r = 0; r < rows.length; r++) {
    const base = rows[r]! * dims;
    for (let j = 0; j < dims; j++) mean[j]! += features[base + j]!;
  }
  for (let j = 0; j < dims; j++) mean[j]! /= rows.length;
  for (let r = 0; r < rows.length; r++) {
    const base = rows[r]! * dims;
    for (let j = 0; j < dims; j++) {
      const centered = features[base + j]! - mean[j]!;
      scale[j]! += centered * centered;
    }
  }
  for (let j = 0; j < dims; j++) {
    const sd = Math.sqrt(scale[j]! / rows.length);
    // StandardScaler leaves constant columns unscaled rather than dividing by zero.
    scale[j] = sd > 0 ? sd : 1;
  }
  return { mean, scale };
}

/** The given rows of an n×d matrix, standardized: (x − mean) / scale, as a new row-major matrix. */
export function standardizeRows(features: Float64Array, dims: number, rows: ArrayLike<number>, s: Standardization): Float64Array {
  const out = new Float64Array(rows.length * dims);
  for (let r = 0; r < rows.length; r++) {
    const base = rows[r]! * dims;
    for (let j = 0; j < dims; j++) out[r * dims + j] = (features[base + j]! - s.mean[j]!) / s.scale[j]!;
  }
  return out;
}

function identityRows(n: number): Int32Array {
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[i] = i;
  return rows;
}

interface Problem {
  x: Float64Array;
  n: number;
  d: number;
  y: Int32Array;
  /** Coefficient rows: 1 for binary, K otherwise. */
  rows: number;
  classes: number;
  fitIntercept: boolean;
  /** 1/(C·n), the penalty weight of the scaled objective. */
  penalty: number;
}

/** Parameter layout: rows × d coefficients, then `rows` intercepts when fitted. */
function parameterCount(p: Problem): number {
  return p.rows * p.d + (p.fitIntercept ? p.rows : 0);
}

/**
 * Class probabilities of one example into `probs` (length classes) from the logits of the
 * coefficient rows; returns log Σ exp(logits) for the cross-entropy.
 */
function softmaxRow(logits: Float64Array, rows: number, probs: Float64Array): number {
  if (rows === 1) {
    // Binomial: logits (0, z); log(1 + e^z) computed without overflow.
    const z = logits[0]!;
    const logNormalizer = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
    probs[1] = Math.exp(z - logNormalizer);
    probs[0] = Math.exp(-logNormalizer);
    return logNormalizer;
  }
  let max = -Infinity;
  for (let k = 0; k < rows; k++) if (logits[k]! > max) max = logits[k]!;
  let sum = 0;
  for (let k = 0; k < rows; k++) {
    const e = Math.exp(logits[k]! - max);
    probs[k] = e;
    sum += e;
  }
  for (let k = 0; k < rows; k++) probs[k]! /= sum;
  return max + Math.log(sum);
}

function computeLogits(w: Float64Array, x: Float64Array, i: number, p: Problem, logits: Float64Array): void {
  const base = i * p.d;
  const interceptBase = p.rows * p.d;
  for (let k = 0; k < p.rows; k++) {
    const wBase = k * p.d;
    let z = p.fitIntercept ? w[interceptBase + k]! : 0;
    for (let j = 0; j < p.d; j++) z += w[wBase + j]! * x[base + j]!;
    logits[k] = z;
  }
}

/** The scaled objective at w; writes its gradient into `gradient`. */
function evaluate(w: Float64Array, p: Problem, gradient: Float64Array): number {
  gradient.fill(0);
  const logits = new Float64Array(p.rows);
  const probs = new Float64Array(p.classes);
  const interceptBase = p.rows * p.d;
  let loss = 0;
  for (let i = 0; i < p.n; i++) {
    computeLogits(w, p.x, i, p, logits);
    const logNormalizer = softmaxRow(logits, p.rows, probs);
    const label = p.y[i]!;
    const labelLogit = p.rows === 1 ? (label === 1 ? logits[0]! : 0) : logits[label]!;
    loss += logNormalizer - labelLogit;
    const base = i * p.d;
    for (let k = 0; k < p.rows; k++) {
      // Binomial row 0 is class 1; multinomial row k is class k.
      const cls = p.rows === 1 ? 1 : k;
      const residual = probs[cls]! - (label === cls ? 1 : 0);
      if (residual === 0) continue;
      const gBase = k * p.d;
      for (let j = 0; j < p.d; j++) gradient[gBase + j]! += residual * p.x[base + j]!;
      if (p.fitIntercept) gradient[interceptBase + k]! += residual;
    }
  }
  const inverseN = 1 / p.n;
  let squaredNorm = 0;
  for (let t = 0; t < interceptBase; t++) {
    squaredNorm += w[t]! * w[t]!;
    gradient[t] = gradient[t]! * inverseN + p.penalty * w[t]!;
  }
  for (let t = interceptBase; t < gradient.length; t++) gradient[t]! *= inverseN;
  return loss * inverseN + 0.5 * p.penalty * squaredNorm;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/**
 * When the objective no longer changes at double precision (no step decreases it, or
 * several steps in a row leave it unchanged), a gradient this small still
 * counts as converged: the scaled objective is O(1), so the remaining error in it is far
 * below anything a probe's accuracy could show.
 */
const ROUNDING_FLOOR_GRADIENT = 1e-6;

/**
 * Fits the model to n rows of d features (row-major) and integer labels 0…classes−1.
 * Every class should occur in `labels`: an absent class has no finite optimal intercept.
 */
export function fitLogistic(
  features: Float64Array,
  dims: number,
  labels: ArrayLike<number>,
  classes: number,
  options: LogisticOptions = {},
): LogisticModel {
  const n = labels.length;
  if (!(dims >= 1) || features.length !== n * dims) {
    throw new RangeError(`features must hold labels.length × dims = ${n} × ${dims} values, got ${features.length}`);
  }
  if (n === 0) throw new RangeError('need at least one example');
  if (!Number.isInteger(classes) || classes < 2) throw new RangeError(`need at least 2 classes, got ${classes}`);
  const C = options.C ?? 1;
  if (!(C > 0) || !Number.isFinite(C)) throw new RangeError(`C must be a positive number, got ${C}`);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = labels[i]!;
    if (!Number.isInteger(label) || label < 0 || label >= classes) throw new RangeError(`label ${label} of example ${i} is not in 0…${classes - 1}`);
    y[i] = label;
  }
  const problem: Problem = {
    x: features,
    n,
    d: dims,
    y,
    rows: classes === 2 ? 1 : classes,
    classes,
    fitIntercept: options.fitIntercept ?? true,
    penalty: 1 / (C * n),
  };
  const tolerance = options.gradientTolerance ?? 1e-8;
  const maxIterations = options.maxIterations ?? 1000;

  // L-BFGS (src/stats/lbfgs.ts). Near the minimum the objective changes below double
  // precision while the gradient can still shrink; only several such iterations in a row
  // mean rounding has the last word.
  const result = minimizeLbfgs((w, gradient) => evaluate(w, problem, gradient), new Float64Array(parameterCount(problem)), {
    gradientTolerance: tolerance,
    maxIterations,
    valueTolerance: 4 * Number.EPSILON,
    patience: 3,
  });
  const w = result.x;
  const gradient = result.gradient;
  const value = result.value;
  const iterations = result.iterations;
  const converged =
    result.stop === 'gradient' || ((result.stop === 'value' || result.stop === 'no-descent') && maxAbs(gradient) <= Math.max(tolerance, ROUNDING_FLOOR_GRADIENT));

  const rows = problem.rows;
  return {
    classes,
    features: dims,
    binary: rows === 1,
    coefficients: w.slice(0, rows * dims),
    intercepts: problem.fitIntercept ? w.slice(rows * dims) : new Float64Array(rows),
    C,
    iterations,
    converged,
    objective: value,
    gradientMax: maxAbs(gradient),
  };
}

/** Class probabilities (rows × classes, row-major) of `rows` examples of the model's feature width. */
export function predictProbabilities(model: LogisticModel, features: Float64Array): Float64Array {
  const d = model.features;
  const n = features.length / d;
  if (!Number.isInteger(n)) throw new RangeError(`features length ${features.length} is not a multiple of ${d}`);
  const rows = model.binary ? 1 : model.classes;
  const logits = new Float64Array(rows);
  const out = new Float64Array(n * model.classes);
  const probs = new Float64Array(model.classes);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < rows; k++) {
      let z = model.intercepts[k]!;
      for (let j = 0; j < d; j++) z += model.coefficients[k * d + j]! * features[i * d + j]!;
      logits[k] = z;
    }
    softmaxRow(logits, rows, probs);
    out.set(probs, i * model.classes);
  }
  return out;
}

/** The most probable class of each example (the lowest index on a tie, as numpy's argmax). */
export function predictClasses(model: LogisticModel, features: Float64Array): Int32Array {
  const probs = predictProbabilities(model, features);
  const K = model.classes;
  const out = new Int32Array(probs.length / K);
  for (let i = 0; i < out.length; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (probs[i * K + k]! > probs[i * K + best]!) best = k;
    out[i] = best;
  }
  return out;
}
