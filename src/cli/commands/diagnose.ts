import { parseArgs } from 'node:util';
import { ingest } from '../../ingest/ingest.js';
import { baselineFlagKind, type Baseline } from '../../ladder/baseline.js';
import { diagnoseRun, type DiagnoseOptions, type Diagnosis } from '../../ladder/diagnose.js';
import type { ExampleSet } from '../../model/run.js';
import { assembleStudy, type Study, type StudyConfig } from '../../studies/study.js';
import { diagnoseStudy } from '../../studies/diagnose-study.js';
import { STUDY_CHECKS } from '../../studies/registry.js';
import type { LadderConfig } from '../../ingest/config.js';
import { LAYERS, type Layer } from '../../ladder/layers.js';
import { checkOverrides, mergeOverrides, parseOverride, type ThresholdOverrides } from '../../ladder/thresholds.js';
import { DIAGNOSES_SCHEMA, diagnosisToJson } from '../../ladder/to-json.js';
import { UsageError } from '../errors.js';
import { checkOutputDir, checkOutputFile, writeDiagnosisOutputs } from './report.js';
import { paint, readingProgress, type Terminal } from '../terminal.js';

export const diagnoseHelp = `Usage: ladder diagnose PATH... [--json] [--fail-on LAYER|any] [--threshold CODE.NAME=VALUE]...
                       [--baseline VALUE|PATH] [--metric NAME] [--html FILE] [--png DIR]

Reads every run under the given paths and diagnoses each on its own, reasoning backwards:
observation, then reachability, then instantiation, then perception. Prints the verdict
(the first layer that fails), each layer's status, and the findings with their evidence
and the next action.

Runs of one format that share hyperparameters, some of which vary (a sweep, seeds, arms of
an architecture comparison, an ablation), are diagnosed together as a study: arms are
compared at their tuned bests against seed noise, and no architecture verdict is given
while an arm's learning rate was not tuned (ladder.yaml: nuisance, scientific, objective,
concept, probes, study: false).

Options:
  --json             print ladder.diagnosis/v1 (one run) or ladder.diagnoses/v1 (several)
  --fail-on LAYER    exit 1 when a verdict is LAYER or a layer before it (observation,
                     reachability, instantiation, perception), or any failing layer (any)
  --threshold CODE.NAME=VALUE
                     override a check's threshold, e.g. reachability.stall.minRelativeDrop=0.1
                     (repeatable; also \`thresholds:\` in ladder.yaml beside the runs)
  --baseline VALUE|PATH
                     what the runs are compared with: a score (e.g. 0.78, a published
                     result) or another system's per-example results on the same items
                     (JSONL, .npy, lm-eval samples, or a run folder). Runs with per-example
                     results then get the paired test and the label-error check against
                     that gap (also \`baseline: 0.78\` in ladder.yaml)
  --per-run          diagnose each run on its own even when the runs form a study
  --metric NAME      per-example metric to judge (default: correct, else the one metric
                     every example set has; also \`metric:\` in ladder.yaml)
  --html FILE        also write a self-contained HTML report (plots with the findings
                     marked, evidence; no script, no network) to FILE
  --png DIR          also write the report's plots as PNG files into DIR
  -h, --help         show this help
`;

function describeStudy(study: Study): string {
  const arms = study.arms.map((arm) => `${arm.label}: best ${arm.best.mean.toPrecision(4)} at ${arm.best.label}`).join('; ');
  return `${study.arms.length} arm(s) by ${study.scientific.join(', ') || 'no scientific key'}, objective ${study.objective.metric}\n  arms: ${arms}`;
}

const STATUS_STYLE = { pass: 'green', fail: 'red', inconclusive: 'yellow', gated: 'dim' } as const;

export function formatDiagnosis(d: Diagnosis, term: Pick<Terminal, 'color'>): string {
  const formats = [...new Set(d.subject.runs.map((run) => run.format))].join(', ');
  let text =
    d.subject.kind === 'run'
      ? `${paint(term, 'bold', d.subject.id)} (${formats})\n`
      : `${paint(term, 'bold', d.subject.id)} — study of ${d.subject.runs.length} runs (${formats}), ${describeStudy(d.subject.study!)}\n`;
  const verdict = d.verdict.layer === 'none' ? paint(term, 'green', 'none') : paint(term, 'red', d.verdict.layer);
  text += `  verdict: ${verdict} — ${d.verdict.summary}\n`;
  for (const next of d.verdict.next) text += `  next: ${next}\n`;
  for (const layer of d.layers) {
    text += `  ${layer.layer.padEnd(14)} ${paint(term, STATUS_STYLE[layer.status], layer.status.padEnd(12))}`;
    if (layer.findings.length > 0) text += ` ${layer.findings.join(', ')}`;
    else if (layer.experiment) text += ` ${paint(term, 'dim', `to decide: ${layer.experiment.description}`)}`;
    text += '\n';
  }
  // In a study, the per-run context (info findings of each arm's best runs) would drown the
  // study's own findings; it stays in --json and in --per-run.
  const studyCodes = new Set<string>(STUDY_CHECKS.map((c) => c.code));
  let hidden = 0;
  for (const f of d.findings) {
    if (d.subject.kind === 'study' && f.severity === 'info' && !studyCodes.has(f.code)) {
      hidden++;
      continue;
    }
    text += `  ${paint(term, f.severity === 'error' ? 'red' : f.severity === 'warning' ? 'yellow' : 'dim', f.severity.padEnd(7))} ${f.code}: ${f.summary}\n`;
  }
  if (hidden > 0) text += `  ${paint(term, 'dim', `(${hidden} info finding(s) on the arms' best runs: --json or --per-run shows them)`)}\n`;
  return text;
}

function failsAt(verdict: Layer | 'none', failOn: string): boolean {
  if (verdict === 'none') return false;
  if (failOn === 'any') return true;
  return LAYERS.indexOf(verdict) <= LAYERS.indexOf(failOn as Layer);
}

/** The per-example results of the one run under `source` (`--baseline PATH`). */
async function baselineExamples(source: string): Promise<ExampleSet[]> {
  const found = await ingest([source]);
  const withExamples = found.runs.filter((run) => run.examples.length > 0);
  if (found.runs.length === 0) {
    const fatal = found.issues.find((issue) => issue.severity === 'error');
    if (fatal) throw new UsageError(`--baseline: cannot read '${fatal.file}': ${fatal.message}`);
  }
  if (withExamples.length !== 1) {
    throw new UsageError(
      withExamples.length === 0
        ? `--baseline ${source}: no per-example results found; give a score (e.g. --baseline 0.78) or per-example results (JSONL, .npy, lm-eval samples_*.jsonl)`
        : `--baseline ${source} holds ${withExamples.length} runs with per-example results; pass one run's folder or file`,
    );
  }
  return withExamples[0]!.examples;
}

/** The study settings of ladder.yaml: the runs' nearest configs, which a study's runs share. */
function sharedStudyConfig(configs: (LadderConfig | undefined)[]): { config: StudyConfig; study?: boolean; thresholds?: ThresholdOverrides } {
  const found = configs.find((c) => c !== undefined);
  if (!found) return { config: {} };
  const config: StudyConfig = {};
  if (found.nuisance) config.nuisance = found.nuisance;
  if (found.scientific) config.scientific = found.scientific;
  if (found.objective) config.objective = found.objective.direction ? { metric: found.objective.metric, direction: found.objective.direction } : { metric: found.objective.metric };
  if (found.concept) config.concept = found.concept;
  if (found.probes) config.probes = found.probes;
  const shared: { config: StudyConfig; study?: boolean; thresholds?: ThresholdOverrides } = { config };
  if (found.study !== undefined) shared.study = found.study;
  if (found.thresholds) shared.thresholds = found.thresholds;
  return shared;
}

export async function diagnoseCommand(args: string[], term: Terminal): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      json: { type: 'boolean', default: false },
      'fail-on': { type: 'string' },
      threshold: { type: 'string', multiple: true, default: [] },
      baseline: { type: 'string' },
      'per-run': { type: 'boolean', default: false },
      metric: { type: 'string' },
      html: { type: 'string' },
      png: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    term.out(diagnoseHelp);
    return 0;
  }
  const failOn = values['fail-on'];
  if (failOn !== undefined && failOn !== 'any' && !(LAYERS as readonly string[]).includes(failOn)) {
    throw new UsageError(`--fail-on takes one of ${LAYERS.join(', ')} or any (got ${failOn})`);
  }
  if (positionals.length === 0) throw new UsageError('diagnose needs at least one path, e.g. `ladder diagnose examples/runs`');
  const outputs: { html?: string; png?: string } = {};
  if (values.html !== undefined) outputs.html = checkOutputFile(values.html, '--html');
  if (values.png !== undefined) outputs.png = checkOutputDir(values.png, '--png');
  const fromFlags: ThresholdOverrides = {};
  for (const text of values.threshold ?? []) {
    const parsed = parseOverride(text);
    if (typeof parsed === 'string') throw new UsageError(parsed);
    (fromFlags[parsed.code] ??= {})[parsed.name] = parsed.value;
  }
  const flagError = checkOverrides(fromFlags);
  if (flagError) throw new UsageError(`--threshold: ${flagError}`);
  const progress = readingProgress(term, values.json ?? false);
  const result = await ingest(positionals, progress ? { progress } : {});
  term.clearProgress();
  for (const [runId, config] of Object.entries(result.configs)) {
    const error = config.thresholds ? checkOverrides(config.thresholds) : undefined;
    if (error) throw new UsageError(`ladder.yaml for run ${runId}: ${error}; fix the thresholds section`);
  }
  if (result.runs.length === 0) {
    const first = result.issues.find((issue) => issue.severity === 'error');
    throw new UsageError(first ? `cannot read '${first.file}': ${first.message}` : `no runs found under ${positionals.join(', ')}`);
  }
  let baselineFromFlag: Baseline | undefined;
  if (values.baseline !== undefined) {
    baselineFromFlag =
      baselineFlagKind(values.baseline) === 'value'
        ? { kind: 'value', value: Number(values.baseline), source: values.baseline }
        : { kind: 'items', sets: await baselineExamples(values.baseline), source: values.baseline };
  }
  const studyConfig = sharedStudyConfig(result.runs.map((run) => result.configs[run.id]));
  if (!values['per-run'] && studyConfig.study !== false && result.runs.length >= 2) {
    const assembled = assembleStudy(result.runs, studyConfig.config);
    if ('study' in assembled) {
      const options: DiagnoseOptions = { thresholds: mergeOverrides(studyConfig.thresholds, fromFlags) };
      if (values.metric !== undefined) options.metric = values.metric;
      const id = positionals.length === 1 ? positionals[0]! : positionals.join(' + ');
      const diagnosis = diagnoseStudy(assembled.study, id, options);
      if (values.json) term.out(JSON.stringify(diagnosisToJson(diagnosis, result.issues, id)) + '\n');
      else term.out(formatDiagnosis(diagnosis, term));
      await writeDiagnosisOutputs([{ diagnosis, json: diagnosisToJson(diagnosis, result.issues, id) }], outputs, term);
      return failOn !== undefined && failsAt(diagnosis.verdict.layer, failOn) ? 1 : 0;
    }
    if (studyConfig.study === true) throw new UsageError(`ladder.yaml asks for a study, but these runs are not one: ${assembled.notStudy}`);
  }
  const diagnoses = result.runs.map((run) => {
    const config = result.configs[run.id];
    const options: DiagnoseOptions = { thresholds: mergeOverrides(config?.thresholds, fromFlags) };
    const baseline = baselineFromFlag ?? (config?.baseline !== undefined ? { kind: 'value' as const, value: config.baseline, source: 'ladder.yaml' } : undefined);
    if (baseline) options.baseline = baseline;
    const metric = values.metric ?? config?.metric;
    if (metric !== undefined) options.metric = metric;
    return diagnoseRun(run, options);
  });
  if (values.json) {
    const docs = diagnoses.map((d) => diagnosisToJson(d, result.issues));
    term.out(JSON.stringify(docs.length === 1 ? docs[0] : { schema: DIAGNOSES_SCHEMA, diagnoses: docs }) + '\n');
  } else {
    term.out(diagnoses.map((d) => formatDiagnosis(d, term)).join('\n'));
  }
  await writeDiagnosisOutputs(diagnoses.map((diagnosis) => ({ diagnosis, json: diagnosisToJson(diagnosis, result.issues) })), outputs, term);
  return failOn !== undefined && diagnoses.some((d) => failsAt(d.verdict.layer, failOn)) ? 1 : 0;
}
