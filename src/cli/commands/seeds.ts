import { promises as fs } from 'node:fs';
import { parseArgs } from 'node:util';
import { ingest } from '../../ingest/ingest.js';
import { seedNoiseReport, SeedsInputError, seedsToJson, type SeedGroup, type SeedsAt, type SeedsReport } from '../../observation/seeds.js';
import { DEFAULT_RESAMPLES } from '../../stats/bootstrap.js';
import { DEFAULT_MEANINGFUL_PROBABILITY } from '../../stats/seed-noise.js';
import { UsageError } from '../errors.js';
import { paint, type Terminal } from '../terminal.js';

export const seedsHelp = `Usage: ladder seeds A [B] [--metric NAME] [--at final|best] [--json]

How much of a result is the seed? A and B are folders, each holding the runs of one
configuration, one run per seed, in any format ladder reads.

With one folder: the spread across seeds (SD with its 95% interval) and the expected best
value of N seeds (Dodge et al. 2019). With two: also the gap between the configurations
against seed noise, and P(A > B), the probability that A beats B on a random seed, over runs
paired by their seed hyperparameter (by sorted run id when seeds are missing or not shared),
with a bootstrap interval; the improvement is meaningful when the interval's lower end is
above 0.5 and its upper end above γ (Bouthillier et al. 2021).

Options:
  --metric NAME         series to compare (default: the objective, the first validation
                        metric every run logs, else the validation loss)
  --at final|best       each run's last value (default) or its best one
  --higher-is-better    the metric improves upwards (when its name does not say)
  --lower-is-better     the metric improves downwards
  --gamma G             P(A > B) threshold of a meaningful improvement (default ${DEFAULT_MEANINGFUL_PROBABILITY})
  --seed N              seed of the bootstrap (default 0; reported)
  --resamples N         bootstrap resamples (default ${DEFAULT_RESAMPLES.toLocaleString('en-US')})
  --json                print the ladder.seeds/v1 JSON document
  -h, --help            show this help

Exit status: 0 when reported, 2 for usage errors (missing folder, no runs, fewer than 2 runs
in a group, a run without the metric).
`;

async function groupOf(folder: string): Promise<{ group: SeedGroup; errors: number }> {
  try {
    await fs.stat(folder);
  } catch {
    throw new UsageError(`${folder}: no such file or folder`);
  }
  const result = await ingest([folder]);
  if (result.runs.length === 0) {
    const fatal = result.issues.find((issue) => issue.severity === 'error');
    throw new UsageError(`${folder}: no runs found${fatal ? ` (${fatal.message})` : ''}`);
  }
  const errors = result.issues.filter((issue) => issue.severity === 'error').length;
  return { group: { name: folder, runs: result.runs }, errors };
}

function numberFlag(name: string, raw: string | undefined, fallback: number, valid: (x: number) => boolean, expected: string): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !valid(value)) throw new UsageError(`--${name} takes ${expected} (got ${raw})`);
  return value;
}

const fixed = (x: number, digits = 4) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const signed = (x: number, digits = 4) => (x > 0 ? `+${fixed(x, digits)}` : fixed(x, digits));

export function formatSeeds(report: SeedsReport, notes: string[], term: Pick<Terminal, 'color'>): string {
  const pct = Math.round(report.confidence * 100);
  const arrow = report.direction === 'higher' ? 'higher is better' : 'lower is better';
  let text = `${report.metric} (${report.at === 'final' ? 'final value' : 'best value'} of each run; ${arrow})\n\n`;
  const groups = report.b ? [['A', report.a], ['B', report.b]] as const : [['A', report.a]] as const;
  for (const [label, g] of groups) {
    text += `${label}: ${g.name}  (${g.n} runs)\n`;
    text += `  mean ${fixed(g.mean)}  SD ${fixed(g.sd)} (${pct}% CI ${fixed(g.sdCi[0])}–${fixed(g.sdCi[1])})  range ${fixed(g.min)}–${fixed(g.max)}\n`;
    const curve = g.expectedMax;
    const shown = [...new Set([1, 2, Math.ceil(curve.length / 2), curve.length])].filter((n) => n >= 1 && n <= curve.length);
    const best = report.direction === 'higher' ? 'max' : 'min';
    text += `  expected ${best} of N seeds: ${shown.map((n) => `N=${n} ${fixed(curve[n - 1]!.value)} ± ${fixed(curve[n - 1]!.sd)}`).join(', ')}\n`;
  }
  if (report.gap) {
    const gap = report.gap;
    text += `\nGap A − B: ${signed(gap.value)} = ${fixed(gap.gapInNoiseSds, 1)} × the seed noise of a one-run comparison (seed SD ${fixed(gap.seedSd)}, pooled)\n`;
    const verdict =
      gap.verdict === 'beyond-noise'
        ? paint(term, 'green', 'beyond seed noise')
        : gap.verdict === 'within-noise'
          ? paint(term, 'yellow', 'within seed noise')
          : paint(term, 'yellow', 'inconclusive: more seeds would tell');
    text += `  ${verdict}\n`;
  }
  if (report.pAB) {
    const p = report.pAB;
    const by = report.pairedBy === 'seed' ? 'paired by seed' : 'paired by sorted run id';
    text += `\nP(A > B) ${fixed(p.estimate, 2)}  ${pct}% CI [${fixed(p.ci[0], 2)}, ${fixed(p.ci[1], 2)}]  over ${p.pairs} runs ${by} (A better in ${p.wins}, B in ${p.losses}${p.ties ? `, ${p.ties} ties` : ''})\n`;
    let verdict: string;
    if (p.meaningful) verdict = paint(term, 'green', `A is better, meaningfully (lower end > 0.5, upper end > γ = ${p.gamma}).`);
    else if (p.ci[0] > 0.5) verdict = paint(term, 'yellow', `A is better, but not meaningfully (upper end ≤ γ = ${p.gamma}).`);
    else if (p.ci[1] < 0.5 && p.ci[0] < 1 - p.gamma) verdict = paint(term, 'green', `B is better, meaningfully (P(B > A) = 1 − P(A > B) passes the same rule).`);
    else if (p.ci[1] < 0.5) verdict = paint(term, 'yellow', 'B is better, but not meaningfully.');
    else verdict = paint(term, 'yellow', 'No winner: the interval contains 0.5, the difference is within what seeds alone produce.');
    text += `  ${verdict}\n`;
  }
  for (const note of [...report.notes, ...notes]) text += `${paint(term, 'dim', `note: ${note}`)}\n`;
  if (report.pAB) text += paint(term, 'dim', `seed ${report.seed}, ${report.resamples.toLocaleString('en-US')} resamples\n`);
  return text;
}

export async function seedsCommand(args: string[], term: Terminal): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      metric: { type: 'string' },
      at: { type: 'string', default: 'final' },
      'higher-is-better': { type: 'boolean', default: false },
      'lower-is-better': { type: 'boolean', default: false },
      gamma: { type: 'string' },
      seed: { type: 'string' },
      resamples: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    term.out(seedsHelp);
    return 0;
  }
  if (positionals.length < 1 || positionals.length > 2) {
    throw new UsageError(`seeds takes one or two folders, A [B] (got ${positionals.length}); see \`ladder seeds --help\``);
  }
  const at = values.at ?? 'final';
  if (at !== 'final' && at !== 'best') throw new UsageError(`--at takes final or best (got ${at})`);
  if (values['higher-is-better'] && values['lower-is-better']) throw new UsageError('--higher-is-better and --lower-is-better contradict each other; pass one');
  const higherIsBetter = values['higher-is-better'] ? true : values['lower-is-better'] ? false : undefined;
  const gamma = numberFlag('gamma', values.gamma, DEFAULT_MEANINGFUL_PROBABILITY, (x) => x >= 0.5 && x < 1, 'a number in [0.5, 1)');
  const seed = numberFlag('seed', values.seed, 0, (x) => Number.isSafeInteger(x) && x >= 0, 'an integer ≥ 0');
  const resamples = numberFlag('resamples', values.resamples, DEFAULT_RESAMPLES, (x) => Number.isSafeInteger(x) && x >= 100, 'an integer ≥ 100');

  const sides = [];
  for (const folder of positionals) sides.push(await groupOf(folder));
  let report: SeedsReport;
  try {
    report = seedNoiseReport(sides[0]!.group, sides[1]?.group, { metric: values.metric, at: at as SeedsAt, higherIsBetter, gamma, seed, resamples });
  } catch (error) {
    if (error instanceof SeedsInputError) throw new UsageError(error.message);
    throw error;
  }
  if (values.json) {
    term.out(`${JSON.stringify(seedsToJson(report))}\n`);
    return 0;
  }
  const notes: string[] = [];
  for (const side of sides) {
    if (side.errors > 0) notes.push(`${side.group.name}: ${side.errors} error(s) while reading; see \`ladder ingest ${side.group.name}\``);
  }
  term.out(formatSeeds(report, notes, term));
  return 0;
}
