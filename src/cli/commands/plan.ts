import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { planFromDiagnosis, type PlanDraft } from '../../experiments/from-diagnosis.js';
import { expandPlan, parsePlan, PlanError } from '../../experiments/plan.js';
import { ingest } from '../../ingest/ingest.js';
import { diagnoseRun, type Diagnosis } from '../../ladder/diagnose.js';
import { diagnoseStudy } from '../../studies/diagnose-study.js';
import { assembleStudy, type StudyConfig } from '../../studies/study.js';
import { UsageError } from '../errors.js';
import { readingProgress, type Terminal } from '../terminal.js';

export const planHelp = `Usage: ladder plan PATH -o PLAN.yaml [--name NAME] [--force] -- COMMAND ARG...

Diagnoses PATH (one run, or the runs of a study) and writes a plan for the experiment that
would settle the first undecided layer: the per-arm learning-rate sweep of an untuned
comparison, the sweep of an inconclusive reachability, more seeds for an inconclusive
observation. Run it with \`ladder run PLAN.yaml\`.

The command is your training script, given after \`--\` as separate arguments (never a shell
string), with a {placeholder} for every value the plan varies; the message says which ones
when one is missing. {trial_dir} is the trial's own folder (also its working directory):
tell your script to write its logs there.

  ladder plan runs/ -o sweep.yaml -- python3 train.py --lr {lr} --seed {seed} --out {trial_dir}

Options:
  -o, --output FILE   where to write the plan (required)
  --name NAME         the study name (default: the experiment kind, e.g. lr-sweep)
  --force             overwrite FILE if it exists
  -h, --help          show this help
`;

function splitCommand(args: string[]): { own: string[]; command: string[] } {
  const cut = args.indexOf('--');
  return cut < 0 ? { own: args, command: [] } : { own: args.slice(0, cut), command: args.slice(cut + 1) };
}

function studyConfigFrom(configs: Record<string, { objective?: { metric: string; direction?: 'higher' | 'lower' }; scientific?: string[]; nuisance?: string[] }>): StudyConfig {
  const found = Object.values(configs).find((c) => c.objective || c.scientific || c.nuisance);
  const config: StudyConfig = {};
  if (found?.objective) config.objective = found.objective.direction ? { metric: found.objective.metric, direction: found.objective.direction } : { metric: found.objective.metric };
  if (found?.scientific) config.scientific = found.scientific;
  if (found?.nuisance) config.nuisance = found.nuisance;
  return config;
}

function exampleCommand(draft: PlanDraft): string {
  const flags = draft.placeholders.map((name) => `--${name} {${name}}`).join(' ');
  return `-- python3 train.py ${flags} --out {trial_dir}`;
}

export async function planCommand(args: string[], term: Terminal): Promise<number> {
  const { own, command } = splitCommand(args);
  const { values, positionals } = parseArgs({
    args: own,
    options: {
      output: { type: 'string', short: 'o' },
      name: { type: 'string' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    term.out(planHelp);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('plan needs one PATH to diagnose, e.g. `ladder plan runs/ -o plan.yaml -- python3 train.py --lr {lr}`');
  if (values.output === undefined) throw new UsageError('plan needs -o FILE: where to write the plan');
  if (!values.force && existsSync(values.output)) throw new UsageError(`${values.output} exists; pass --force to overwrite it or choose another -o FILE`);
  if (!existsSync(positionals[0]!)) throw new UsageError(`${positionals[0]}: no such file or folder`);

  const progress = readingProgress(term, false);
  const result = await ingest(positionals, progress ? { progress } : {});
  term.clearProgress();
  if (result.runs.length === 0) {
    const first = result.issues.find((issue) => issue.severity === 'error');
    throw new UsageError(first ? `cannot read '${first.file}': ${first.message}` : `no runs found under ${positionals[0]}`);
  }
  let diagnosis: Diagnosis;
  if (result.runs.length === 1) diagnosis = diagnoseRun(result.runs[0]!);
  else {
    const assembled = assembleStudy(result.runs, studyConfigFrom(result.configs));
    if (!('study' in assembled)) throw new UsageError(`${positionals[0]} holds ${result.runs.length} runs that are not one study (${assembled.notStudy}); pass one run or one study's folder`);
    diagnosis = diagnoseStudy(assembled.study, positionals[0]!);
  }
  const draft = planFromDiagnosis(diagnosis, values.name);
  if ('none' in draft) {
    const what = draft.none.map((s) => `${s.layer}: ${s.description}`).join('; ');
    term.out(`verdict: ${diagnosis.verdict.layer} — ${diagnosis.verdict.summary}\n`);
    throw new UsageError(`the diagnosis names no experiment with values to sweep${what ? ` (${what})` : ''}; nothing to plan`, 1);
  }
  if (command.length === 0) {
    throw new UsageError(`give your training command after --, with ${draft.placeholders.map((p) => `{${p}}`).join(', ')}: e.g. ${exampleCommand(draft)}`);
  }
  const planValue = { ...draft.plan, command };
  const ordered = { name: planValue.name, command, space: planValue.space, ...(planValue.seeds ? { seeds: planValue.seeds } : {}), timeout: planValue.timeout, retries: planValue.retries, ...(planValue.objective ? { objective: planValue.objective } : {}), ...(planValue.scientific ? { scientific: planValue.scientific } : {}), ...(planValue.nuisance ? { nuisance: planValue.nuisance } : {}) };
  let trials: number;
  try {
    const plan = parsePlan(ordered, values.output);
    trials = expandPlan({ plan, file: path.resolve(values.output), dir: path.dirname(path.resolve(values.output)) }, path.resolve('ladder-runs', plan.name)).length;
  } catch (error) {
    if (error instanceof PlanError) throw new UsageError(`the command: ${error.problem} (the plan varies ${draft.placeholders.map((p) => `{${p}}`).join(', ')})`);
    throw error;
  }
  const header = [
    `# written by \`ladder plan ${positionals[0]}\`: the ${draft.source.kind} the ${draft.source.layer} layer asks for (${draft.source.from}).`,
    `# ${draft.source.description}`,
    ...(draft.source.fixed ? [`# keep fixed: ${Object.entries(draft.source.fixed).map(([k, v]) => `${k} = ${v}`).join(', ')}`] : []),
    `# ${trials} trials; run with: ladder run ${values.output}`,
  ].join('\n');
  writeFileSync(values.output, `${header}\n${stringify(ordered, { lineWidth: 0, flowCollectionPadding: false })}`);
  term.out(`wrote ${values.output}: ${draft.source.kind} for the ${draft.source.layer} layer (${draft.source.from}), ${trials} trials\n`);
  for (const skipped of draft.skipped) term.out(`  not plannable as a sweep (${skipped.layer}): ${skipped.description}\n`);
  return 0;
}
