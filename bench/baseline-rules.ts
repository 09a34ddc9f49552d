/**
 * The anchors' own fixed-threshold rules, as a baseline for ladder's diagnosis on the same
 * labelled suite. AutoTrainer (Zhang et al., ICSE 2021; `utils/monitor.py`, `loss_issue`,
 * default parameters) judges a run from its loss and accuracy histories:
 *   - nan_loss: any NaN/Inf in training or validation loss, or a final validation loss ≥ 1e5 → "explode";
 *   - unstable_loss: peaks and troughs of the accuracy differing by ≥ ζ = 0.03 for at least
 *     η = 20 % of the epochs → "unstable";
 *   - not_converge: best validation or training accuracy below Θ = 0.7, or no accuracy step
 *     larger than δ = 0.01 → "not converge";
 * judged only once 30 % of the run has passed. UMLAUT (Schoop et al., CHI 2021) adds NaN in
 * the loss. The gradient-ratio rules (vanishing, exploding, dying ReLU) need per-layer
 * gradients that logs do not carry and are left out. Every issue these rules raise is about
 * training, so any of them maps to the reachability layer; no rule speaks of the observation.
 */
import type { Run, Series } from '../src/model/run.js';
import type { Verdict } from '../src/ladder/layers.js';

const ZETA = 0.03;
const ETA = 0.2;
const THETA = 0.7;
const DELTA = 0.01;

function values(series: Series | undefined): number[] {
  return series ? Array.from(series.values) : [];
}

function oscillates(acc: number[]): boolean {
  const maxima: number[] = [];
  const minima: number[] = [];
  for (let i = 1; i < acc.length - 1; i++) {
    if (acc[i]! - acc[i - 1]! >= 0 && acc[i]! - acc[i + 1]! >= 0) maxima.push(acc[i]!);
    if (acc[i]! - acc[i - 1]! <= 0 && acc[i]! - acc[i + 1]! <= 0) minima.push(acc[i]!);
  }
  let count = 0;
  for (let i = 0; i < Math.min(maxima.length, minima.length); i++) if (maxima[i]! - minima[i]! >= ZETA) count++;
  return count >= ETA * acc.length;
}

function maxDelta(acc: number[]): number {
  let best = 0;
  for (let i = 0; i + 1 < acc.length; i++) best = Math.max(best, acc[i + 1]! - acc[i]!);
  return best;
}

export function autotrainerVerdict(run: Run): Verdict {
  const trainLoss = values(run.roles.trainLoss ? run.series[run.roles.trainLoss] : undefined);
  const valLoss = values(run.roles.valLoss ? run.series[run.roles.valLoss] : undefined);
  const accName = run.roles.valMetrics.find((name) => /acc/i.test(name));
  const valAcc = values(accName ? run.series[accName] : undefined).filter(Number.isFinite);
  const trainAccName = Object.keys(run.series).find((name) => /^(train[_/])?acc(uracy)?(_epoch|_step)?$|^train[_/]acc/i.test(name));
  const trainAcc = values(trainAccName ? run.series[trainAccName] : undefined).filter(Number.isFinite);

  const nonFinite = (xs: number[]) => xs.some((x) => !Number.isFinite(x));
  if (nonFinite(trainLoss) || nonFinite(valLoss) || (valLoss.length > 0 && valLoss[valLoss.length - 1]! >= 1e5)) return 'reachability';
  if (valAcc.length >= 3) {
    if (oscillates(valAcc)) return 'reachability';
    const bestTrain = trainAcc.length ? Math.max(...trainAcc) : Number.POSITIVE_INFINITY;
    if (Math.max(...valAcc) < THETA || bestTrain < THETA) return 'reachability';
    if (maxDelta(valAcc) < DELTA && (trainAcc.length === 0 || maxDelta(trainAcc) < DELTA)) return 'reachability';
  }
  return 'none';
}
