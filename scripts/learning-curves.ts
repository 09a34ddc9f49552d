/**
 * How well does ladder's one-variable extrapolation predict where a learning curve goes?
 * On LCDB 1.1 (Tornede, Mohr et al.; error rate vs training-set size for 28 learners on 265
 * OpenML datasets), every curve is cut in half: the first half of its anchors is fitted, the
 * last anchor is predicted, by three methods side by side:
 *
 *   - ladder:        power law with offset, L = E + A·n^(−α), as src/stats/curve-fit.ts fits it
 *   - no offset:     plain power law L = A·n^(−α) (least squares, α by golden section on [−1, 10])
 *   - last observed: the error at the last fitted anchor (no extrapolation at all)
 *
 * Run: `npm run learning-curves` (reads ../shared/corpus/learning-curves, or the folder given
 * as the first argument; writes docs/learning-curves.md). Deterministic: no random numbers.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fitCurve, predictAt } from '../src/stats/curve-fit.js';
import { median } from '../src/stats/robust.js';

export const METHODS = ['ladder', 'noOffset', 'lastObserved'] as const;
export type Method = (typeof METHODS)[number];

/** LCDB's layout of docs/data/er/<dataset>.json: [learner][stat: mean, stderr][anchor][train, val, test]. */
const MEAN = 0;
const TEST = 2;
/** A 3-parameter curve needs at least 4 points in the half it is fitted on. */
export const MIN_ANCHORS = 8;

export interface CurveOutcome {
  dataset: string;
  learner: string;
  anchors: number;
  fitted: number;
  target: number;
  actual: number;
  predictions: Record<Method, number>;
  errors: Record<Method, number>;
}

export interface LearningCurveSummary {
  files: number;
  curvesSeen: number;
  curvesCompared: number;
  tooShort: number;
  failedFits: number;
  medianAbsoluteError: Record<Method, number>;
  meanAbsoluteError: Record<Method, number>;
  /** Fraction of curves on which each method has the smallest error (ties split evenly). */
  wins: Record<Method, number>;
  outcomes: CurveOutcome[];
}

/** Plain power law A·x^(−α) by least squares; for each α, A is solved exactly. Returns the prediction at `at`. */
export function powerLawWithoutOffset(x: ArrayLike<number>, y: ArrayLike<number>, at: number): number {
  const scale = x[x.length - 1]!;
  const rss = (alpha: number): { rss: number; amplitude: number } => {
    let sgy = 0;
    let sgg = 0;
    for (let i = 0; i < x.length; i++) {
      const g = Math.pow(x[i]! / scale, -alpha);
      sgy += g * y[i]!;
      sgg += g * g;
    }
    const amplitude = sgy / sgg;
    let total = 0;
    for (let i = 0; i < x.length; i++) {
      const r = y[i]! - amplitude * Math.pow(x[i]! / scale, -alpha);
      total += r * r;
    }
    return { rss: total, amplitude };
  };
  // A grid finds the basin, golden section refines it.
  const low = -1;
  const high = 10;
  let best = low;
  let bestRss = Number.POSITIVE_INFINITY;
  for (let k = 0; k <= 220; k++) {
    const alpha = low + ((high - low) * k) / 220;
    const value = rss(alpha).rss;
    if (value < bestRss) {
      bestRss = value;
      best = alpha;
    }
  }
  let a = Math.max(low, best - 0.05);
  let b = Math.min(high, best + 0.05);
  const ratio = (Math.sqrt(5) - 1) / 2;
  for (let iteration = 0; iteration < 60; iteration++) {
    const c = b - ratio * (b - a);
    const d = a + ratio * (b - a);
    if (rss(c).rss <= rss(d).rss) b = d;
    else a = c;
  }
  const alpha = (a + b) / 2;
  return rss(alpha).amplitude * Math.pow(at / scale, -alpha);
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Evaluates every curve of the given LCDB dataset files (docs/data/er/<id>.json). */
export function evaluateLearningCurves(
  lcdbRoot: string,
  datasetFiles: string[],
  onProgress?: (done: number, total: number, file: string) => void,
): LearningCurveSummary {
  const meta = readJson(path.join(lcdbRoot, 'docs/data/meta.json')) as { learners: string[]; anchors: number[] };
  const outcomes: CurveOutcome[] = [];
  let curvesSeen = 0;
  let tooShort = 0;
  let failedFits = 0;
  datasetFiles.forEach((file, fileIndex) => {
    const curves = readJson(path.join(lcdbRoot, 'docs/data/er', file)) as (number | null)[][][][];
    const dataset = path.basename(file, '.json');
    curves.forEach((byStat, learnerIndex) => {
      curvesSeen++;
      const means = byStat[MEAN] ?? [];
      const x: number[] = [];
      const y: number[] = [];
      means.forEach((split, anchorIndex) => {
        const value = split?.[TEST];
        if (typeof value === 'number' && Number.isFinite(value)) {
          x.push(meta.anchors[anchorIndex]!);
          y.push(value);
        }
      });
      if (x.length < MIN_ANCHORS) {
        tooShort++;
        return;
      }
      const fitted = Math.floor(x.length / 2);
      const fx = x.slice(0, fitted);
      const fy = y.slice(0, fitted);
      const target = x[x.length - 1]!;
      const actual = y[y.length - 1]!;
      let ladder: number;
      try {
        ladder = predictAt(fitCurve('power-law', fx, fy), target);
      } catch {
        failedFits++;
        return;
      }
      const predictions: Record<Method, number> = {
        ladder,
        noOffset: powerLawWithoutOffset(fx, fy, target),
        lastObserved: fy[fy.length - 1]!,
      };
      if (!METHODS.every((m) => Number.isFinite(predictions[m]))) {
        failedFits++;
        return;
      }
      const errors = Object.fromEntries(METHODS.map((m) => [m, Math.abs(predictions[m] - actual)])) as Record<Method, number>;
      outcomes.push({ dataset, learner: meta.learners[learnerIndex] ?? String(learnerIndex), anchors: x.length, fitted, target, actual, predictions, errors });
    });
    onProgress?.(fileIndex + 1, datasetFiles.length, file);
  });
  const wins = Object.fromEntries(METHODS.map((m) => [m, 0])) as Record<Method, number>;
  for (const outcome of outcomes) {
    const smallest = Math.min(...METHODS.map((m) => outcome.errors[m]));
    const winners = METHODS.filter((m) => outcome.errors[m] === smallest);
    for (const m of winners) wins[m] += 1 / winners.length;
  }
  const per = (reduce: (values: number[]) => number) =>
    Object.fromEntries(METHODS.map((m) => [m, reduce(outcomes.map((o) => o.errors[m]))])) as Record<Method, number>;
  return {
    files: datasetFiles.length,
    curvesSeen,
    curvesCompared: outcomes.length,
    tooShort,
    failedFits,
    medianAbsoluteError: per((values) => median(values)),
    meanAbsoluteError: per((values) => values.reduce((s, v) => s + v, 0) / values.length),
    wins: Object.fromEntries(METHODS.map((m) => [m, outcomes.length > 0 ? wins[m] / outcomes.length : Number.NaN])) as Record<Method, number>,
    outcomes,
  };
}

const LABELS: Record<Method, string> = {
  ladder: 'ladder: power law with offset, E + A·n^(−α)',
  noOffset: 'power law without offset, A·n^(−α)',
  lastObserved: 'last observed value',
};

export function renderMarkdown(summary: LearningCurveSummary, source: string): string {
  const f = (x: number) => x.toFixed(4);
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const rows = METHODS.map((m) => `| ${LABELS[m]} | ${f(summary.medianAbsoluteError[m])} | ${f(summary.meanAbsoluteError[m])} | ${pct(summary.wins[m])} |`);
  return `# Learning-curve extrapolation on LCDB 1.1

Generated by \`npm run learning-curves\` (scripts/learning-curves.ts) from \`${source}\`.

| method | median absolute error | mean absolute error | curves won |
|---|---|---|---|
${rows.join('\n')}

${summary.curvesCompared.toLocaleString('en-US')} curves compared, from ${summary.files} datasets × up to 28 learners
(${summary.curvesSeen.toLocaleString('en-US')} curves seen; ${summary.tooShort.toLocaleString('en-US')} with fewer than ${MIN_ANCHORS} anchors left out;
${summary.failedFits} where a fit gave no finite prediction left out).

## How it was computed

- Data: LCDB 1.1's web export, \`docs/data/er/<dataset>.json\`: for each learner, the error rate on the
  **test** split averaged over LCDB's outer and inner splits (stat "mean"), at training-set sizes
  n_k = ⌈16·2^(k/8)⌉. A curve is one (dataset, learner) pair; anchors with no value (LCDB stores NaN when
  the learner failed or the dataset is too small) are skipped.
- Each curve with at least ${MIN_ANCHORS} anchors is cut at half its anchors (⌊count/2⌋ fitted); each
  method predicts the error at the curve's **last** anchor from the first half only, and its error is
  |prediction − observed error at the last anchor| (in error-rate units, 0–1).
- ladder: \`fitCurve('power-law', …)\` from src/stats/curve-fit.ts (Levenberg–Marquardt on least squares,
  α ∈ [0.001, 10], started from the best of a grid over α with E and A solved linearly) — the same fit
  \`ladder diagnose\` uses to extrapolate a loss curve.
- Power law without offset: least squares of A·n^(−α), A solved exactly for each α, α by a grid of 221
  values on [−1, 10] refined by golden section.
- Last observed value: the error at the last anchor of the fitted half.
- "Curves won": the method with the smallest absolute error on the curve; exact ties (e.g. a curve that
  is constant, as for the dummy classifier) split the win evenly among the tied methods.
- No random numbers: rerunning gives the same figures.
`;
}

function main(): void {
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const corpus = process.argv[2] ?? path.resolve(repo, '../shared/corpus/learning-curves');
  const root = path.join(corpus, 'learning-curve-research__LCDB-1.1');
  const files = readdirSync(path.join(root, 'docs/data/er'))
    .filter((f) => f.endsWith('.json'))
    .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10));
  const started = Date.now();
  const summary = evaluateLearningCurves(root, files, (done, total, file) => {
    process.stderr.write(`\r${done}/${total} datasets (${file})   `);
  });
  process.stderr.write(`\rdone: ${summary.curvesCompared} curves in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  const markdown = renderMarkdown(summary, '../shared/corpus/learning-curves/learning-curve-research__LCDB-1.1');
  writeFileSync(path.join(repo, 'docs/learning-curves.md'), markdown);
  process.stdout.write(markdown);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
