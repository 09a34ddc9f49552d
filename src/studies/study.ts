/**
 * A study: runs that differ in known hyperparameters (DESIGN section 4). ladder finds which
 * keys vary, classifies each as nuisance (to be tuned for every arm: learning rate,
 * schedule, warmup, weight decay, batch size, steps, seed, dropout, clipping, optimizer
 * constants) or scientific (what the study is about: architecture, components, concepts),
 * and groups the runs into arms (one per combination of scientific values), settings (one per
 * combination of nuisance values within an arm) and seeds. `ladder.yaml` overrides every
 * classification and names the objective.
 *
 * Why it matters: a comparison of scientific values means something only when each arm's
 * nuisance hyperparameters were tuned for that arm (the taboo, DESIGN section 2 point 4;
 * Google's Deep Learning Tuning Playbook, "scientific, nuisance and fixed hyperparameters").
 */
import { improvementDirection } from '../checks/metric-kinds.js';
import { finitePoints } from '../checks/series-tools.js';
import type { HValue, Run } from '../model/run.js';

/** Hyperparameter keys (last dotted component, lower case) that are nuisance by default. */
const NUISANCE_PATTERNS: RegExp[] = [
  /^(learning_rate|lr|base_lr|max_lr|peak_lr|init_lr|initial_lr|min_lr|lr_min|final_lr)$/,
  /^(lr_scheduler_type|lr_scheduler|scheduler|schedule|lr_schedule|lr_decay|decay|gamma|step_size|milestones|t_max)$/,
  /^(warmup|warmup_steps|warmup_ratio|warmup_epochs|warmup_iters|num_warmup_steps)$/,
  /^(weight_decay|wd|l2|l2_reg|l2_penalty|label_smoothing|label_smoothing_factor)$/,
  /^(batch_size|per_device_train_batch_size|train_batch_size|bs|micro_batch_size|global_batch_size|gradient_accumulation_steps|accumulate_grad_batches)$/,
  /^(steps|max_steps|train_steps|num_steps|iterations|iters|max_iters|epochs|num_epochs|num_train_epochs|max_epochs|training_steps)$/,
  /(^|_)dropout(_|$)|^(hidden_dropout_prob|attention_probs_dropout_prob|drop_rate|drop_path_rate|p_drop)$/,
  /^(max_grad_norm|grad_clip|clip|clip_grad_norm|gradient_clip_val|clip_norm|grad_norm_clip)$/,
  /^(optim|optimizer|optimizer_name|adam_beta1|adam_beta2|adam_epsilon|beta1|beta2|betas|eps|epsilon|momentum|nesterov|amsgrad)$/,
];

/** Keys that say which seed a run used. */
const SEED_PATTERN = /^(seed|random_seed|data_seed|rng_seed|manual_seed|seed_value|trial_seed)$/;

/**
 * Bookkeeping that varies between runs without being a setting of the experiment (paths,
 * names, logging cadence, devices). Never part of a study's design.
 */
const IGNORED_PATTERN =
  /(^|_)(dir|path|file|uuid|url|tags?|notes?|device|devices|gpus?|workers|host|hostname|user|timestamp|date|version)$|^(name|id|run_name|run_id|experiment|experiment_name|project|entity|group|job_id|logging_|save_|eval_steps|eval_strategy|evaluation_strategy|report_to|push_to_hub|hub_|resume_from_checkpoint|overwrite_output_dir|disable_tqdm|log_every|log_interval|val_check_interval|check_val_every_n_epoch|print_freq|dataloader_|local_rank|world_size|wandb_|mlflow_)/;

/** The model itself, named by a hub id or a path: scientific whatever its value looks like. */
const MODEL_PATTERN = /^(model|model_name|model_name_or_path|model_type|arch|architecture|backbone|encoder|decoder|base_model)$/;

export type KeyKind = 'nuisance' | 'scientific' | 'seed';

export interface StudyConfig {
  /** Keys to treat as nuisance / scientific whatever their names say. */
  nuisance?: string[];
  scientific?: string[];
  /** The series every run is judged on, and whether higher is better. */
  objective?: { metric: string; direction?: 'higher' | 'lower' };
  /** The scientific key whose values are concept families (perception, DESIGN 3.4). */
  concept?: string;
  /** Probe series on which concept families are compared. */
  probes?: string[];
}

export interface VaryingKey {
  key: string;
  kind: KeyKind;
  /** Distinct values, sorted (numbers ascending, then strings). */
  values: HValue[];
}

export interface StudyRun {
  run: Run;
  /** The objective at the end of the run (its last finite value), NaN when missing. */
  objective: number;
  seed?: HValue;
}

export interface Setting {
  /** The nuisance values of this setting, by key (seed excluded). */
  nuisance: Record<string, HValue>;
  label: string;
  runs: StudyRun[];
  /** Mean objective over the setting's seeds. */
  mean: number;
}

export interface Arm {
  /** The scientific values of this arm, by key. */
  scientific: Record<string, HValue>;
  label: string;
  settings: Setting[];
  /** The best setting by mean objective over seeds. */
  best: Setting;
}

export interface Study {
  runs: StudyRun[];
  varying: VaryingKey[];
  scientific: string[];
  nuisance: string[];
  seedKey?: string;
  objective: { metric: string; direction: 1 | -1 };
  arms: Arm[];
  concept?: string;
  probes: string[];
  /** The learning-rate key when every run shares one value (a fixed learning rate). */
  fixedLearningRateKey?: string;
}

const LEARNING_RATE = /^(learning_rate|lr|base_lr|max_lr|peak_lr|init_lr|initial_lr)$/;

/** The nuisance key that is the learning rate, when one varies or is shared. */
export function learningRateKey(study: Study): string | undefined {
  return study.nuisance.find((key) => LEARNING_RATE.test(leaf(key))) ?? study.fixedLearningRateKey;
}

function leaf(key: string): string {
  const cut = Math.max(key.lastIndexOf('.'), key.lastIndexOf('/'));
  return (cut >= 0 ? key.slice(cut + 1) : key).toLowerCase();
}

export function classifyKey(key: string, config: StudyConfig = {}): KeyKind | 'ignored' {
  if (config.scientific?.includes(key)) return 'scientific';
  if (config.nuisance?.includes(key)) return 'nuisance';
  const name = leaf(key);
  if (MODEL_PATTERN.test(name)) return 'scientific';
  if (SEED_PATTERN.test(name)) return 'seed';
  if (NUISANCE_PATTERNS.some((pattern) => pattern.test(name))) return 'nuisance';
  if (IGNORED_PATTERN.test(name)) return 'ignored';
  return 'scientific';
}

/** A stable text form of a hyperparameter value, for grouping. */
export function valueKey(value: HValue | undefined): string {
  if (value === undefined) return '∅';
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

function compareValues(a: HValue, b: HValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return valueKey(a) < valueKey(b) ? -1 : valueKey(a) > valueKey(b) ? 1 : 0;
}

/** Values that look like paths or are not scalars cannot be settings of a design. */
function isDesignValue(value: HValue | undefined): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'string') return !/[\\/]/.test(value) || value.length < 3;
  return typeof value === 'number' || typeof value === 'boolean';
}

/** The objective: configured, else the first validation metric every run has, else the validation loss. */
function chooseObjective(runs: Run[], config: StudyConfig): { metric: string; direction: 1 | -1 } | { missing: string } {
  if (config.objective) {
    const missing = runs.filter((run) => !run.series[config.objective!.metric]);
    if (missing.length > 0) return { missing: `runs without the objective "${config.objective.metric}": ${missing.map((r) => r.id).slice(0, 3).join(', ')}` };
    const direction = config.objective.direction ? (config.objective.direction === 'higher' ? 1 : -1) : improvementDirection(config.objective.metric) || -1;
    return { metric: config.objective.metric, direction };
  }
  const shared = runs[0]!.roles.valMetrics.filter((name) => runs.every((run) => run.series[name]) && improvementDirection(name) !== 0);
  if (shared.length > 0) return { metric: shared[0]!, direction: improvementDirection(shared[0]!) as 1 | -1 };
  const valLoss = runs[0]!.roles.valLoss;
  if (valLoss && runs.every((run) => run.series[valLoss])) return { metric: valLoss, direction: -1 };
  return { missing: 'a validation metric or loss every run logs (name one with `objective:` in ladder.yaml)' };
}

function finalValue(run: Run, metric: string): number {
  const series = run.series[metric];
  if (!series) return Number.NaN;
  const { values } = finitePoints(series);
  return values.length > 0 ? values.at(-1)! : Number.NaN;
}

/** What keeps a set of runs from being a study, or undefined when they are one. */
export type StudyAssembly = { study: Study } | { notStudy: string };

/**
 * The study these runs form: at least two runs of one format, hyperparameter keys they share
 * and some of which vary, and an objective every run logs.
 */
export function assembleStudy(runs: Run[], config: StudyConfig = {}): StudyAssembly {
  if (runs.length < 2) return { notStudy: 'a study needs at least two runs' };
  const formats = new Set(runs.map((run) => run.format));
  if (formats.size > 1) return { notStudy: `runs of several formats (${[...formats].join(', ')})` };
  const keys = Object.keys(runs[0]!.hparams).filter((key) => runs.every((run) => key in run.hparams));
  const varying: VaryingKey[] = [];
  for (const key of keys) {
    const kind = classifyKey(key, config);
    if (kind === 'ignored') continue;
    const values = runs.map((run) => run.hparams[key]);
    if (!MODEL_PATTERN.test(leaf(key)) && !values.every(isDesignValue)) continue;
    const distinct = new Map(values.map((value) => [valueKey(value), value!]));
    if (distinct.size < 2) continue;
    varying.push({ key, kind, values: [...distinct.values()].sort(compareValues) });
  }
  for (const key of [config.concept, ...(config.scientific ?? [])]) {
    if (key !== undefined && !varying.some((v) => v.key === key)) return { notStudy: `the configured scientific key "${key}" does not vary across the runs` };
  }
  if (varying.length === 0) return { notStudy: 'no hyperparameter the runs share varies between them' };
  const objective = chooseObjective(runs, config);
  if ('missing' in objective) return { notStudy: objective.missing };

  const scientific = varying.filter((v) => v.kind === 'scientific').map((v) => v.key);
  const nuisance = varying.filter((v) => v.kind === 'nuisance').map((v) => v.key);
  const seedKey = varying.find((v) => v.kind === 'seed')?.key ?? keys.find((key) => classifyKey(key, config) === 'seed');
  const studyRuns: StudyRun[] = runs.map((run) => {
    const entry: StudyRun = { run, objective: finalValue(run, objective.metric) };
    if (seedKey !== undefined && run.hparams[seedKey] !== undefined) entry.seed = run.hparams[seedKey];
    return entry;
  });
  const better = (a: number, b: number) => (objective.direction > 0 ? a > b : a < b);
  const describe = (record: Record<string, HValue>) =>
    Object.entries(record)
      .map(([k, v]) => `${k}=${valueKey(v)}`)
      .join(', ') || 'all runs';

  const armGroups = new Map<string, StudyRun[]>();
  for (const entry of studyRuns) {
    const label = scientific.map((key) => valueKey(entry.run.hparams[key])).join('\u0000');
    armGroups.set(label, [...(armGroups.get(label) ?? []), entry]);
  }
  const arms: Arm[] = [];
  for (const members of armGroups.values()) {
    const first = members[0]!.run;
    const scientificValues = Object.fromEntries(scientific.map((key) => [key, first.hparams[key]!]));
    const settingGroups = new Map<string, StudyRun[]>();
    for (const entry of members) {
      const label = nuisance.map((key) => valueKey(entry.run.hparams[key])).join('\u0000');
      settingGroups.set(label, [...(settingGroups.get(label) ?? []), entry]);
    }
    const settings: Setting[] = [...settingGroups.values()].map((group) => {
      const nuisanceValues = Object.fromEntries(nuisance.map((key) => [key, group[0]!.run.hparams[key]!]));
      const finite = group.map((g) => g.objective).filter(Number.isFinite);
      return {
        nuisance: nuisanceValues,
        label: describe(nuisanceValues),
        runs: group,
        mean: finite.length > 0 ? finite.reduce((a, b) => a + b, 0) / finite.length : Number.NaN,
      };
    });
    const ranked = settings.filter((s) => Number.isFinite(s.mean));
    const best = ranked.reduce<Setting | undefined>((top, s) => (top === undefined || better(s.mean, top.mean) ? s : top), undefined) ?? settings[0]!;
    arms.push({ scientific: scientificValues, label: describe(scientificValues), settings, best });
  }
  arms.sort((a, b) => a.label.localeCompare(b.label));
  const study: Study = { runs: studyRuns, varying, scientific, nuisance, objective, arms, probes: config.probes ?? [] };
  if (seedKey !== undefined) study.seedKey = seedKey;
  const fixedLr = keys.find((key) => LEARNING_RATE.test(leaf(key)) && !nuisance.includes(key) && classifyKey(key, config) === 'nuisance');
  if (fixedLr !== undefined) study.fixedLearningRateKey = fixedLr;
  if (config.concept !== undefined) study.concept = config.concept;
  return { study };
}
