import { parseArgs } from 'node:util';
import { ingest, type IngestResult } from '../../ingest/ingest.js';
import { ingestToJson } from '../../ingest/to-json.js';
import type { Run } from '../../model/run.js';
import { UsageError } from '../errors.js';
import { paint, readingProgress, table, type Terminal } from '../terminal.js';

export const ingestHelp = `Usage: ladder ingest PATH... [--json]

Reads every run found under the given files and folders (recursively), auto-detecting the
format: Hugging Face Trainer, TensorBoard, Lightning CSV, MLflow, W&B (offline runs and CSV
exports), lm-evaluation-harness, generic CSV/JSONL, per-example JSONL and .npy.

Options:
  --json     print the ladder.ingest/v1 JSON document on stdout (no table, no progress)
  -h, --help show this help

Exit status: 0 when everything was read, 1 when some data could not be read (reported as
error issues; everything readable was still read), 2 for usage errors.
`;

function lastStep(run: Run): string {
  let max = Number.NEGATIVE_INFINITY;
  for (const series of Object.values(run.series)) {
    const steps = series.steps;
    for (let i = 0; i < steps.length; i++) if (steps[i]! > max) max = steps[i]!;
  }
  return Number.isFinite(max) ? String(max) : '-';
}

function points(run: Run): number {
  return Object.values(run.series).reduce((sum, s) => sum + s.steps.length, 0);
}

export function formatIngest(result: IngestResult, term: Pick<Terminal, 'color'>): string {
  const issueCount = new Map<string, number>();
  for (const issue of result.issues) issueCount.set(issue.file, (issueCount.get(issue.file) ?? 0) + 1);
  const rows = result.runs.map((run) => {
    const issues = run.paths.reduce((sum, p) => sum + (issueCount.get(p) ?? 0), 0);
    const examples = run.examples.reduce((sum, set) => sum + set.count, 0);
    return [
      run.id,
      run.format,
      lastStep(run),
      `${Object.keys(run.series).length} (${points(run).toLocaleString('en-US')} pts)`,
      String(Object.keys(run.hparams).length),
      examples > 0 ? examples.toLocaleString('en-US') : '-',
      issues > 0 ? String(issues) : '-',
    ];
  });
  let text = '';
  if (rows.length === 0) text += 'No runs found.\n';
  else text += table(['run', 'format', 'last step', 'series', 'hparams', 'examples', 'issues'], rows);
  const bySeverity = { error: 0, warning: 0, info: 0 };
  for (const issue of result.issues) bySeverity[issue.severity]++;
  if (result.issues.length > 0) {
    text += '\n';
    const style = { error: 'red', warning: 'yellow', info: 'dim' } as const;
    for (const issue of result.issues) {
      const where = issue.location ? `${issue.file} (${issue.location})` : issue.file;
      text += `${paint(term, style[issue.severity], issue.severity.padEnd(7))} ${where}: ${issue.message} [${issue.code}]\n`;
    }
  }
  text += `\n${result.runs.length} run(s); ${bySeverity.error} error(s), ${bySeverity.warning} warning(s), ${bySeverity.info} info\n`;
  return text;
}

export async function ingestCommand(args: string[], term: Terminal): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
    allowPositionals: true,
  });
  if (values.help) {
    term.out(ingestHelp);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('ingest needs at least one path, e.g. `ladder ingest examples/runs`');
  const result = await ingest(positionals, {
    progress: readingProgress(term, values.json ?? false),
  });
  term.clearProgress();
  // Nothing at all could be read from any path: say so in one line and fail.
  const fatal = result.issues.filter((issue) => issue.code === 'file.missing' || issue.code === 'file.unreadable');
  if (result.runs.length === 0 && fatal.length > 0 && fatal.length === result.issues.length) {
    const first = fatal[0]!;
    throw new UsageError(`cannot read '${first.file}': ${first.message}`);
  }
  if (values.json) term.out(JSON.stringify(ingestToJson(result)) + '\n');
  else term.out(formatIngest(result, term));
  return result.issues.some((issue) => issue.severity === 'error') ? 1 : 0;
}
