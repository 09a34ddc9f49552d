import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';
import { bootstrapScalingLaw, fitScalingLaw, type ScalingBootstrap, type ScalingFit } from '../../stats/scaling.js';
import { UsageError } from '../errors.js';
import { table, type Terminal } from '../terminal.js';

export const scalingHelp = `Usage: ladder scaling FILE.csv --n COL (--d COL | --flop COL) --loss COL [--drop-highest K] [--seed N] [--resamples N] [--json]

Fits the scaling law L(N, D) = E + A/N^α + B/D^β to one row per training run (parameters
N, training tokens D, final loss) as Besiroglu et al. (2024) refitted Chinchilla's approach 3:
log-space log-sum-exp form, summed Huber loss (δ = 1e-3) of log residuals, L-BFGS from
Hoffmann et al.'s grid of 4,500 starts, best fit kept. Intervals: bootstrap over rows
(percentile, 95 %). Reports the fitted floor E (the lowest loss reachable with unlimited N
and D) and the predicted change in loss from 2× data and 2× parameters at the largest run.

Options:
  --n COL            column with the parameter count N
  --d COL            column with the training tokens D
  --flop COL         column with the training FLOP C, instead of --d: D = C / (6N)
  --loss COL         column with the final loss (must be positive)
  --drop-highest K   leave out the K rows with the highest loss (Besiroglu et al. drop 5)
  --seed N           seed of the bootstrap (default 0)
  --resamples N      bootstrap resamples (default 200)
  --json             print {"schema":"ladder.scaling/v1","E","A","B","alpha","beta",
                     "intervals":{"E":[lo,hi],…},"n","seed","resamples","marginal":{…},…}
  -h, --help         show this help

Exit status: 0 on success, 2 for usage errors.
`;

function parseCount(flag: string, text: string, minimum: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < minimum) throw new UsageError(`${flag} takes an integer of at least ${minimum} (got ${text})`);
  return value;
}

interface Points {
  n: number[];
  d: number[];
  loss: number[];
  rows: number;
  dropped: number;
}

async function readPoints(file: string, columns: { n: string; d?: string; flop?: string; loss: string }, dropHighest: number): Promise<Points> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UsageError(`${file}: cannot read the file (${code}); check the path`);
  }
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Record<string, string>[];
  } catch (error) {
    throw new UsageError(`${file}: not a readable CSV file (${(error as Error).message.split('\n')[0]}); save it as comma-separated values with a header row`);
  }
  if (records.length === 0) throw new UsageError(`${file}: no data rows; the file needs a header row and one row per training run`);
  const header = Object.keys(records[0]!);
  const wanted: [string, string][] = [['--n', columns.n], ['--loss', columns.loss]];
  if (columns.d !== undefined) wanted.push(['--d', columns.d]);
  if (columns.flop !== undefined) wanted.push(['--flop', columns.flop]);
  for (const [flag, column] of wanted) {
    if (!header.includes(column)) throw new UsageError(`${file}: no column "${column}" (${flag}); the columns are ${header.map((h) => `"${h}"`).join(', ')}`);
  }
  const value = (record: Record<string, string>, flag: string, column: string, row: number): number => {
    const raw = record[column] ?? '';
    const number = Number(raw);
    if (raw === '' || !Number.isFinite(number) || number <= 0) {
      throw new UsageError(`${file}: row ${row + 2}, column "${column}" (${flag}) is ${JSON.stringify(raw)}, not a positive number; fix or remove that row`);
    }
    return number;
  };
  const points = records.map((record, row) => {
    const n = value(record, '--n', columns.n, row);
    const d = columns.d !== undefined ? value(record, '--d', columns.d, row) : value(record, '--flop', columns.flop!, row) / (6 * n);
    return { n, d, loss: value(record, '--loss', columns.loss, row) };
  });
  if (dropHighest >= points.length) throw new UsageError(`--drop-highest ${dropHighest} would leave none of the ${points.length} rows of ${file}`);
  // Drop by rank, ties broken by row order, so that exactly K rows go.
  const byLoss = points.map((p, i) => i).sort((i, j) => points[j]!.loss - points[i]!.loss || i - j);
  const dropped = new Set(byLoss.slice(0, dropHighest));
  const kept = points.filter((_, i) => !dropped.has(i));
  if (kept.length < 6) throw new UsageError(`${file}: ${kept.length} rows left to fit; a 5-parameter scaling law needs at least 6`);
  return { n: kept.map((p) => p.n), d: kept.map((p) => p.d), loss: kept.map((p) => p.loss), rows: records.length, dropped: dropHighest };
}

export interface ScalingReport {
  schema: 'ladder.scaling/v1';
  file: string;
  E: number;
  A: number;
  B: number;
  alpha: number;
  beta: number;
  intervals: ScalingBootstrap['intervals'];
  confidence: number;
  n: number;
  rows: number;
  dropped: number;
  seed: number;
  resamples: number;
  objective: number;
  converged: boolean;
  starts: number;
  marginal: ScalingBootstrap['marginal'];
  dFrom: 'tokens' | 'flop';
}

function report(file: string, fit: ScalingFit, boot: ScalingBootstrap, points: Points, dFrom: 'tokens' | 'flop'): ScalingReport {
  return {
    schema: 'ladder.scaling/v1',
    file,
    E: fit.E,
    A: fit.A,
    B: fit.B,
    alpha: fit.alpha,
    beta: fit.beta,
    intervals: boot.intervals,
    confidence: boot.confidence,
    n: fit.n,
    rows: points.rows,
    dropped: points.dropped,
    seed: boot.seed,
    resamples: boot.resamples,
    objective: fit.objective,
    converged: fit.converged,
    starts: fit.starts,
    marginal: boot.marginal,
    dFrom,
  };
}

function significant(x: number, digits = 4): string {
  if (Math.abs(x) >= 1e6) return x.toExponential(digits - 1);
  return Number(x.toPrecision(digits)).toLocaleString('en-US', { maximumSignificantDigits: digits });
}

export function formatScaling(r: ScalingReport): string {
  const pct = Math.round(r.confidence * 100);
  const rows = (['E', 'A', 'B', 'alpha', 'beta'] as const).map((k) => [
    k === 'alpha' ? 'α' : k === 'beta' ? 'β' : k,
    significant(r[k]),
    `[${significant(r.intervals[k][0])}, ${significant(r.intervals[k][1])}]`,
  ]);
  let text = `L(N, D) = E + A/N^α + B/D^β fitted to ${r.n} runs of ${r.file}${r.dropped > 0 ? ` (${r.dropped} highest-loss rows left out)` : ''}\n\n`;
  text += table(['', 'estimate', `${pct} % interval`], rows);
  const m = r.marginal;
  text += `\nlowest reachable loss (E): ${significant(r.E)} [${significant(r.intervals.E[0])}, ${significant(r.intervals.E[1])}]\n`;
  text += `at the largest run (N = ${significant(m.data.n, 3)}, D = ${significant(m.data.d, 3)}, fitted loss ${significant(m.data.lossAtReference)}):\n`;
  text += `  2× data        changes the loss by ${significant(m.data.estimate, 3)} [${significant(m.data.low, 3)}, ${significant(m.data.high, 3)}]\n`;
  text += `  2× parameters  changes the loss by ${significant(m.parameters.estimate, 3)} [${significant(m.parameters.low, 3)}, ${significant(m.parameters.high, 3)}]\n`;
  text += `\nsummed Huber loss (δ = 1e-3) ${r.objective.toExponential(4)}, best of ${r.starts.toLocaleString('en-US')} L-BFGS starts${r.converged ? '' : ' (the best run hit its iteration cap)'}; `;
  text += `bootstrap: ${r.resamples} resamples of the rows, seed ${r.seed}${r.dFrom === 'flop' ? '; D = FLOP / (6N)' : ''}\n`;
  return text;
}

export async function scalingCommand(args: string[], term: Terminal): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      n: { type: 'string' },
      d: { type: 'string' },
      flop: { type: 'string' },
      loss: { type: 'string' },
      'drop-highest': { type: 'string', default: '0' },
      seed: { type: 'string', default: '0' },
      resamples: { type: 'string', default: '200' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    term.out(scalingHelp);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError('scaling takes one CSV file, e.g. `ladder scaling runs.csv --n params --d tokens --loss loss`');
  }
  const file = positionals[0]!;
  if (!values.n || !values.loss) throw new UsageError(`scaling needs --n COL and --loss COL naming columns of ${file}`);
  if ((values.d === undefined) === (values.flop === undefined)) {
    throw new UsageError(`scaling needs exactly one of --d COL (training tokens) or --flop COL (training FLOP, D = FLOP/6N) for ${file}`);
  }
  const dropHighest = parseCount('--drop-highest', values['drop-highest']!, 0);
  const seed = parseCount('--seed', values.seed!, 0);
  if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed takes a non-negative integer below 2^53 (got ${values.seed})`);
  const resamples = parseCount('--resamples', values.resamples!, 1);

  const columns = { n: values.n, loss: values.loss, ...(values.d !== undefined ? { d: values.d } : { flop: values.flop! }) };
  const points = await readPoints(file, columns, dropHighest);
  const quiet = values.json!;
  const fit = fitScalingLaw(points.n, points.d, points.loss, {
    onProgress: quiet ? undefined : (done, total) => term.progress(`fitting: start ${done}/${total}`),
  });
  const boot = bootstrapScalingLaw(fit, points.n, points.d, points.loss, {
    seed,
    resamples,
    onProgress: quiet ? undefined : (done, total) => term.progress(`bootstrap: resample ${done}/${total} (seed ${seed})`),
  });
  term.clearProgress();
  const result = report(file, fit, boot, points, values.d !== undefined ? 'tokens' : 'flop');
  term.out(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatScaling(result));
  return 0;
}
