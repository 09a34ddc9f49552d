import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Executor } from '../../experiments/executor.js';
import { localExecutor } from '../../experiments/executors/local.js';
import { PlanError } from '../../experiments/plan.js';
import { runStudy, type Progress, type StudyOutcome } from '../../experiments/runner.js';
import { DEFAULT_STORE, openStore, type Store } from '../../experiments/store.js';
import { UsageError } from '../errors.js';
import { paint, type Terminal } from '../terminal.js';
import { formatDiagnosis } from './diagnose.js';

export const runHelp = `Usage: ladder run PLAN [--out DIR] [--executor local|slurm] [--store FILE] [--parallel N]
                  [--resume] [--json]

Runs the experiment a plan describes (YAML; JSON Schema in schema/plan.schema.json): expands
the search space into trials, runs each trial's command in its own folder
<out>/trials/<trial-id>/, ingests the logs every trial wrote, and diagnoses the trials as
one study. Progress (done, running, failed, ETA) goes to stderr.

Every transition is recorded in the store before it is acted on: run the same command again
(or with --resume) after a crash or a Ctrl-C and the study continues where it stopped — no
trial lost, none run twice to completion.

Options:
  --out DIR              the study folder (default: the plan's out:, else ./ladder-runs/<name>)
  --executor local|slurm where trials run (default local: a process pool on this machine)
  --store FILE           the SQLite store (default ./${DEFAULT_STORE})
  --parallel N           trials at once with the local executor (default: the number of cores, ${os.availableParallelism()} here)
  --resume               continue a study already in the store (refuse to start a new one)
  --json                 print the outcome and the ladder.diagnosis/v1 document as JSON
  -h, --help             show this help

Exit status: 0 when every trial finished and was diagnosed, 1 when some trials failed, 2 for
usage and plan errors, 130 when cancelled (Ctrl-C).
`;

/** The Slurm executor, when this build has one (src/experiments/executors/slurm.ts). */
async function slurmExecutor(): Promise<Executor> {
  const url = new URL('../../experiments/executors/slurm.js', import.meta.url);
  if (!existsSync(url)) throw new UsageError('--executor slurm: this build of ladder has no Slurm executor yet; use --executor local');
  const module = (await import(url.href)) as Record<string, unknown>;
  const factory = module.slurmExecutor;
  if (typeof factory !== 'function') throw new UsageError('--executor slurm: the Slurm executor module exports no slurmExecutor(); use --executor local');
  return (factory as (options?: unknown) => Executor)({});
}

export function openStoreOrFail(file: string): Store {
  try {
    const dir = path.dirname(path.resolve(file));
    if (!existsSync(dir)) throw new UsageError(`--store ${file}: the folder ${dir} does not exist`);
    const store = openStore(file);
    return store;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${file}: cannot open the store (${(error as Error).message}); pass another file with --store`);
  }
}

function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)}s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)}m`;
  return `${(seconds / 3600).toFixed(1)}h`;
}

export function progressLine(p: Progress): string {
  const { counts } = p;
  const queued = counts.pending + counts.submitted;
  const parts = [`${counts.done}/${p.total} done`, `${counts.running} running`, `${queued} queued`, `${counts.failed} failed`];
  if (counts.cancelled > 0) parts.push(`${counts.cancelled} cancelled`);
  if (p.etaSeconds !== undefined) parts.push(`ETA ${formatDuration(p.etaSeconds)}`);
  return `trials: ${parts.join(', ')}`;
}

function outcomeText(outcome: StudyOutcome, term: Terminal): string {
  const c = outcome.counts;
  let text = `study ${outcome.name} (${outcome.studyId})${outcome.resumed ? ', resumed' : ''}: ${outcome.dir}\n`;
  text += `  trials: ${c.done} done, ${c.failed} failed, ${c.cancelled} cancelled${c.pending + c.submitted + c.running > 0 ? `, ${c.pending + c.submitted + c.running} unfinished` : ''}\n`;
  if (outcome.cancelled) return `${text}  cancelled: run the same command again to resume\n`;
  text += `  runs ingested: ${outcome.runs}\n`;
  if (outcome.diagnosis) text += `\n${formatDiagnosis(outcome.diagnosis, term)}`;
  else if (outcome.notDiagnosed) text += `  ${paint(term, 'yellow', `not diagnosed: ${outcome.notDiagnosed}`)}\n`;
  return text;
}

export async function runCommand(args: string[], term: Terminal): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      out: { type: 'string' },
      executor: { type: 'string', default: 'local' },
      store: { type: 'string', default: DEFAULT_STORE },
      parallel: { type: 'string' },
      resume: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    term.out(runHelp);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('run needs one plan file, e.g. `ladder run plan.yaml` (see `ladder run --help`)');
  let parallel: number | undefined;
  if (values.parallel !== undefined) {
    parallel = Number(values.parallel);
    if (!Number.isSafeInteger(parallel) || parallel < 1) throw new UsageError(`--parallel takes a whole number ≥ 1 (got ${values.parallel})`);
  }
  let executor: Executor;
  if (values.executor === 'local') executor = localExecutor(parallel === undefined ? {} : { parallel });
  else if (values.executor === 'slurm') {
    if (parallel !== undefined) throw new UsageError('--parallel applies to --executor local only (Slurm schedules the array itself)');
    executor = await slurmExecutor();
  } else throw new UsageError(`unknown executor: ${values.executor} (known: local, slurm)`);

  const store = openStoreOrFail(values.store!);
  const controller = new AbortController();
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts++;
    if (interrupts === 1) {
      term.clearProgress();
      term.err('ladder: cancelling the study (Ctrl-C again to quit at once; run the same command to resume)\n');
      controller.abort();
    } else process.exit(130);
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  const quiet = values.json ?? false;
  try {
    const outcome = await runStudy({
      planFile: positionals[0]!,
      ...(values.out !== undefined ? { out: values.out } : {}),
      store,
      executor,
      resume: values.resume ?? false,
      signal: controller.signal,
      ...(quiet ? {} : { onProgress: (p: Progress) => term.progress(progressLine(p)) }),
      onNote: (note) => {
        if (!quiet) {
          term.clearProgress();
          term.err(`ladder: note: ${note}\n`);
        }
      },
    });
    term.clearProgress();
    if (values.json) {
      term.out(
        `${JSON.stringify({
          schema: 'ladder.run/v1',
          study: { id: outcome.studyId, name: outcome.name, dir: outcome.dir, resumed: outcome.resumed, cancelled: outcome.cancelled },
          trials: outcome.counts,
          runs: outcome.runs,
          ...(outcome.notDiagnosed !== undefined ? { notDiagnosed: outcome.notDiagnosed } : {}),
          diagnosis: outcome.diagnosisJson ?? null,
        })}\n`,
      );
    } else term.out(outcomeText(outcome, term));
    if (outcome.cancelled) return 130;
    return outcome.counts.failed > 0 ? 1 : 0;
  } catch (error) {
    if (error instanceof PlanError) throw new UsageError(error.message);
    throw error;
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
    store.close();
  }
}
