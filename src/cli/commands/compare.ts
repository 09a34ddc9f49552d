import { parseArgs } from 'node:util';
import { ingest } from '../../ingest/ingest.js';
import type { ExampleSet } from '../../model/run.js';
import { CompareInputError, compareScores, compareToJson, itemScores, pairScores, type CompareResult } from '../../observation/compare.js';
import { DEFAULT_RESAMPLES } from '../../stats/bootstrap.js';
import { UsageError } from '../errors.js';
import { checkOutputDir, checkOutputFile, writeHtmlFile, writePngFiles } from './report.js';
import { paint, type Terminal } from '../terminal.js';

export const compareHelp = `Usage: ladder compare A B [--metric NAME] [--json] [--html FILE] [--png DIR]

Is B really better or worse than A on the same eval items? A and B are per-example results:
JSONL ({"id","correct"} or {"id","label","pred"} per line), .npy arrays, lm-evaluation-harness
samples_*.jsonl, or a run folder holding them. Items are paired by id (by position when
there are no ids; then both must have the same number of items).

For 0/1 scores (the default metric, correct/accuracy): Wilson intervals, the exact McNemar
test, and the smallest difference this many items can detect. For other per-example metrics:
bootstrap (BCa) intervals and the paired bootstrap test.

Options:
  --metric NAME     per-example metric to compare (default: correct; others as the files
                    name them, e.g. exact_match, bleu)
  --seed N          seed of the bootstrap resampling (default 0; reported)
  --resamples N     bootstrap resamples (default ${DEFAULT_RESAMPLES.toLocaleString('en-US')})
  --json            print the ladder.compare/v1 JSON document
  --html FILE       also write a self-contained HTML report (both intervals and the paired
                    difference, plotted; no script, no network) to FILE
  --png DIR         also write its plot as a PNG into DIR
  -h, --help        show this help

Exit status: 0 when compared (whether or not the difference is significant), 2 for usage
errors (unreadable input, different items, unknown metric).
`;

async function examplesOf(source: string): Promise<{ sets: ExampleSet[]; errors: number }> {
  const result = await ingest([source]);
  const withExamples = result.runs.filter((run) => run.examples.length > 0);
  if (result.runs.length === 0) {
    const fatal = result.issues.find((issue) => issue.code === 'file.missing' || issue.code === 'file.unreadable');
    if (fatal) throw new UsageError(`cannot read '${source}': ${fatal.message}`);
  }
  if (withExamples.length === 0) {
    throw new UsageError(`${source}: no per-example results found (need JSONL with id/correct or label/pred, .npy, or lm-eval samples_*.jsonl)`);
  }
  if (withExamples.length > 1) {
    const ids = withExamples.map((run) => run.id);
    throw new UsageError(`${source} holds ${ids.length} runs with per-example results (${ids.slice(0, 4).join(', ')}${ids.length > 4 ? ', …' : ''}); pass one run's folder or file`);
  }
  const errors = result.issues.filter((issue) => issue.severity === 'error').length;
  return { sets: withExamples[0]!.examples, errors };
}

function integerFlag(name: string, raw: string | undefined, fallback: number, minimum: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < minimum) throw new UsageError(`--${name} takes an integer ≥ ${minimum} (got ${raw})`);
  return value;
}

const fixed = (x: number, digits = 4) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const signed = (x: number, digits = 4) => (x > 0 ? `+${fixed(x, digits)}` : fixed(x, digits));

export function formatCompare(result: CompareResult, names: { a: string; b: string; metric: string }, notes: string[], term: Pick<Terminal, 'color'>): string {
  const pct = Math.round((1 - result.alpha) * 100);
  const pValue = result.difference.pValue < 1e-4 ? result.difference.pValue.toExponential(1) : result.difference.pValue.toFixed(4);
  const test =
    result.difference.test === 'mcnemar-exact'
      ? `exact McNemar; ${result.onlyA} item(s) only A got right, ${result.onlyB} only B`
      : `paired bootstrap, ${result.resamples.toLocaleString('en-US')} resamples`;
  let text = `A: ${names.a}\nB: ${names.b}\n\n`;
  text += `${names.metric} on ${result.n.toLocaleString('en-US')} paired items\n`;
  const row = (label: string, score: { value: number; ci: [number, number] }, value: string, how: string) =>
    `  ${label.padEnd(6)}${value.padStart(8)}  ${pct}% CI [${fixed(score.ci[0])}, ${fixed(score.ci[1])}]  ${how}\n`;
  const systemInterval = result.binary ? 'Wilson' : 'BCa bootstrap';
  text += row('A', result.a, fixed(result.a.value), systemInterval);
  text += row('B', result.b, fixed(result.b.value), systemInterval);
  text += row('A − B', result.difference, signed(result.difference.value), 'BCa paired bootstrap');
  // The bootstrap's smallest p is 1/(B + 1): no resample was as extreme as the observation.
  const atFloor = result.difference.test === 'paired-bootstrap' && result.difference.pValue === 1 / (result.resamples + 1);
  text += `\n  p ${atFloor ? '≤' : '='} ${pValue} (${test})\n`;
  text += `  smallest difference this eval can detect: ${fixed(result.mde)} (α ${result.alpha}, power 0.8)\n`;
  const verdict = result.significant
    ? paint(term, 'green', `The difference is significant at α = ${result.alpha}.`)
    : paint(term, 'yellow', `The difference is not significant at α = ${result.alpha}.`);
  text += `\n${verdict}`;
  if (!result.significant && result.itemsNeeded !== undefined) {
    text += ` Detecting a difference of ${fixed(Math.abs(result.difference.value))} would take about ${result.itemsNeeded.toLocaleString('en-US')} items (power 0.8).`;
  }
  text += '\n';
  for (const note of notes) text += `${paint(term, 'dim', `note: ${note}`)}\n`;
  text += paint(term, 'dim', `seed ${result.seed}\n`);
  return text;
}

export async function compareCommand(args: string[], term: Terminal): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      metric: { type: 'string', default: 'correct' },
      seed: { type: 'string' },
      resamples: { type: 'string' },
      json: { type: 'boolean', default: false },
      html: { type: 'string' },
      png: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    term.out(compareHelp);
    return 0;
  }
  if (positionals.length !== 2) throw new UsageError(`compare takes exactly two paths, A and B (got ${positionals.length}); see \`ladder compare --help\``);
  const [pathA, pathB] = positionals as [string, string];
  const htmlFile = values.html !== undefined ? checkOutputFile(values.html, '--html') : undefined;
  const pngDir = values.png !== undefined ? checkOutputDir(values.png, '--png') : undefined;
  const metric = values.metric ?? 'correct';
  const seed = integerFlag('seed', values.seed, 0, 0);
  const resamples = integerFlag('resamples', values.resamples, DEFAULT_RESAMPLES, 100);
  const [sideA, sideB] = [await examplesOf(pathA), await examplesOf(pathB)];
  let result: CompareResult;
  let paired: ReturnType<typeof pairScores>;
  try {
    paired = pairScores(itemScores(sideA.sets, metric, pathA), itemScores(sideB.sets, metric, pathB));
    result = compareScores(paired.a, paired.b, { seed, resamples });
  } catch (error) {
    if (error instanceof CompareInputError) throw new UsageError(error.message);
    throw error;
  }
  const document = compareToJson(result, { metric, excluded: paired.excluded, pairedBy: paired.pairedBy });
  if (htmlFile !== undefined) {
    const { comparisonReport } = await import('../../report/html.js');
    writeHtmlFile(htmlFile, comparisonReport({ ...result, metric, pairedBy: paired.pairedBy, excluded: paired.excluded }, { a: pathA, b: pathB }), term);
  }
  if (pngDir !== undefined) {
    const { comparisonFigure } = await import('../../report/figures.js');
    await writePngFiles(pngDir, [comparisonFigure({ ...result, metric }, { a: pathA, b: pathB })], term);
  }
  if (values.json) {
    term.out(`${JSON.stringify(document)}\n`);
    return 0;
  }
  const notes: string[] = [];
  if (paired.excluded > 0) notes.push(`${paired.excluded} item(s) without a ${metric} score on one side were left out`);
  if (paired.pairedBy === 'position') notes.push('items paired by position (no ids in the files)');
  for (const [path, side] of [[pathA, sideA], [pathB, sideB]] as const) {
    if (side.errors > 0) notes.push(`${path}: ${side.errors} error(s) while reading; see \`ladder ingest ${path}\``);
  }
  term.out(formatCompare(result, { a: pathA, b: pathB, metric }, notes, term));
  return 0;
}
