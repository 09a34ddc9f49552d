/**
 * Plans (DESIGN section 6): a YAML file naming the user's command as an argv template, the
 * search space, seeds, per-trial timeout and retries, the objective. Parsing validates it
 * against one zod schema (published as JSON Schema in schema/plan.schema.json for editors);
 * expansion turns it into trials, deterministically:
 *
 *   plan.yaml → parsePlan → Plan → expandPlan(plan, out) → ExpandedTrial[] (id, params, argv, dir)
 *
 * Safety: values are substituted into argv ELEMENTS only (`{lr}` inside one element), never
 * into a shell string; the program (argv[0]) is literal (only `{plan_dir}` may appear in it),
 * so no value chooses what runs; trial folders are `<out>/trials/<trial-id>/` with ids built
 * from a safe alphabet and checked to resolve inside that folder.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseYamlSafe } from '../ingest/formats/yaml.js';
import { createRng } from '../stats/rng.js';

/** A value a dimension can take: what ends up, as text, in an argv element. */
const ScalarValue = z.union([z.number().refine(Number.isFinite, 'must be a finite number'), z.string(), z.boolean()]);

const PositiveRange = z
  .tuple([z.number().positive(), z.number().positive()])
  .refine(([low, high]) => low < high, 'the range must be [low, high] with low < high');
const Range = z.tuple([z.number(), z.number()]).refine(([low, high]) => Number.isFinite(low) && Number.isFinite(high) && low < high, 'the range must be [low, high] with low < high');
const Samples = z.number().int().min(1).max(10_000);

const Grid = z.object({ grid: z.array(ScalarValue).min(1).describe('every value, crossed with the other dimensions') }).strict();
const Choices = z
  .object({
    choices: z.array(ScalarValue).min(1),
    samples: Samples.optional().describe('draw this many values (with replacement, seeded) instead of using every choice'),
  })
  .strict();
const LogUniform = z
  .object({ loguniform: PositiveRange.describe('[low, high], both > 0'), samples: Samples })
  .strict()
  .describe('values drawn log-uniformly (seeded by draw_seed), rounded to 4 significant digits');
const Uniform = z.object({ uniform: Range.describe('[low, high]'), samples: Samples }).strict().describe('values drawn uniformly (seeded by draw_seed), rounded to 4 significant digits');

const Cases = z
  .object({
    cases: z
      .array(z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'case fields are identifiers (letters, digits, _)'), ScalarValue))
      .min(1)
      .refine((cases) => cases.every((c) => Object.keys(c).length > 0 && Object.keys(c).sort().join() === Object.keys(cases[0]!).sort().join()), 'every case must set the same fields'),
  })
  .strict()
  .describe('values that go together (e.g. the arms of a comparison): each case sets several placeholders at once, one per field');

export const Dimension = z.union([Grid, Choices, LogUniform, Uniform, Cases]);
export type Dimension = z.infer<typeof Dimension>;

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Placeholders the runner fills; space keys may not take these names. */
export const RESERVED_PLACEHOLDERS = ['trial_dir', 'trial_id', 'seed', 'plan_dir'] as const;

export const PlanSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'use letters, digits, ".", "_" and "-" (at most 100, not starting with "." or "-")')
      .describe('the study name: the default output folder is ./ladder-runs/<name>'),
    command: z
      .array(z.string())
      .min(1)
      .describe('argv template: each element may hold {placeholders} ({trial_dir}, {trial_id}, {seed}, {plan_dir}, space keys); never a shell string'),
    out: z.string().min(1).optional().describe('the study folder, relative to the plan file (default ./ladder-runs/<name> in the working directory)'),
    space: z
      .record(z.string().regex(KEY, 'space keys are identifiers (letters, digits, _)'), Dimension)
      .default({})
      .describe('dimensions, crossed: grid, choices, loguniform or uniform'),
    seeds: z.array(z.number().int().min(0)).min(1).optional().describe('each point of the space runs once per seed ({seed})'),
    timeout: z.number().positive().default(86_400).describe('seconds per trial before it is killed (default one day)'),
    retries: z.number().int().min(0).max(100).default(0).describe('how many times a failed trial is run again'),
    objective: z
      .object({ metric: z.string().min(1), direction: z.enum(['minimize', 'maximize']) })
      .strict()
      .optional()
      .describe('the series the study is judged on'),
    env: z.record(z.string().regex(KEY, 'environment variable names are identifiers'), z.string()).optional().describe('extra environment variables (values may hold placeholders)'),
    draw_seed: z.number().int().min(0).default(0).describe('seed of the random draws (loguniform, uniform, sampled choices)'),
    scientific: z.array(z.string().min(1)).optional().describe('space keys the study compares (default: by name, as ladder diagnose classifies them)'),
    nuisance: z.array(z.string().min(1)).optional().describe('space keys tuned for every arm (default: by name)'),
  })
  .strict();

export type Plan = z.infer<typeof PlanSchema>;
export type ParamValue = string | number | boolean;
/** One value of a dimension: a scalar, or for `cases` the fields it sets. */
export type DimensionValue = ParamValue | Record<string, ParamValue>;

/** The JSON Schema editors validate plan files against (schema/plan.schema.json). */
export function planJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(PlanSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    title: 'ladder experiment plan',
    description: 'A plan for `ladder run`: the command as an argv template, the search space, seeds, timeout, retries and objective.',
    ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$schema')),
  };
}

/** A problem with a plan, with where it is (a dotted path in the plan) and the file. */
export class PlanError extends Error {
  constructor(
    readonly file: string,
    readonly where: string,
    readonly problem: string,
  ) {
    super(`${file}: ${where ? `${where}: ` : ''}${problem}`);
  }
}

export interface LoadedPlan {
  plan: Plan;
  /** The plan file (absolute) and its folder, for `{plan_dir}` and a relative `out`. */
  file: string;
  dir: string;
}

/** Validates a parsed YAML/JSON value as a plan; throws PlanError naming the first problem. */
export function parsePlan(value: unknown, file: string): Plan {
  const parsed = PlanSchema.safeParse(value);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new PlanError(file, first.path.join('.'), first.message);
  }
  checkPlaceholders(parsed.data, file);
  return parsed.data;
}

export async function loadPlan(file: string): Promise<LoadedPlan> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new PlanError(file, '', code === 'ENOENT' ? 'no such plan file' : `cannot read the plan (${code ?? (error as Error).message})`);
  }
  const yaml = parseYamlSafe(text);
  if (yaml.error) throw new PlanError(file, yaml.error.line !== undefined ? `line ${yaml.error.line}` : '', `invalid YAML: ${yaml.error.reason}`);
  if (yaml.opaqueCount > 0) throw new PlanError(file, '', `tagged values (${yaml.opaqueTags[0]}) are not allowed in a plan`);
  const absolute = path.resolve(file);
  return { plan: parsePlan(yaml.value, file), file: absolute, dir: path.dirname(absolute) };
}

const PLACEHOLDER = /\{\{|\}\}|\{([^{}]*)\}|[{}]/g;

/** The placeholder names a template uses; throws on a stray brace. */
function placeholdersOf(template: string, where: string, file: string): string[] {
  const names: string[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) {
    if (match[0] === '{{' || match[0] === '}}') continue;
    if (match[1] === undefined) throw new PlanError(file, where, `unbalanced brace in ${JSON.stringify(template)} (write {{ or }} for a literal brace)`);
    names.push(match[1]);
  }
  return names;
}

/** The placeholders a plan's space fills: a dimension's key, or each field of a `cases` dimension. */
export function spacePlaceholders(plan: Plan): string[] {
  return Object.entries(plan.space).flatMap(([key, dimension]) => ('cases' in dimension ? Object.keys(dimension.cases[0]!) : [key]));
}

function checkPlaceholders(plan: Plan, file: string): void {
  const spaceKeys = spacePlaceholders(plan);
  if (new Set(spaceKeys).size !== spaceKeys.length) throw new PlanError(file, 'space', 'two dimensions fill the same placeholder');
  for (const key of spaceKeys) {
    if ((RESERVED_PLACEHOLDERS as readonly string[]).includes(key)) throw new PlanError(file, `space`, `"${key}" is filled by ladder; rename it`);
  }
  const known = new Set<string>([...RESERVED_PLACEHOLDERS.filter((name) => name !== 'seed' || plan.seeds), ...spaceKeys]);
  const used = new Set<string>();
  const templates: [string, string][] = [
    ...plan.command.map((element, i) => [`command.${i}`, element] as [string, string]),
    ...Object.entries(plan.env ?? {}).map(([name, value]) => [`env.${name}`, value] as [string, string]),
  ];
  for (const [where, template] of templates) {
    for (const name of placeholdersOf(template, where, file)) {
      if (!known.has(name)) {
        const hint = name === 'seed' ? ' (add `seeds:`)' : '';
        throw new PlanError(file, where, `unknown placeholder {${name}}${hint}; known: ${[...known].map((k) => `{${k}}`).join(', ')}`);
      }
      if (where === 'command.0' && name !== 'plan_dir') throw new PlanError(file, where, `the program must be literal (only {plan_dir} may appear in it); pass {${name}} as an argument`);
      used.add(name);
    }
  }
  for (const key of spaceKeys) {
    if (!used.has(key)) throw new PlanError(file, plan.space[key] ? `space.${key}` : 'space', `the command never uses {${key}}, so every trial would run the same thing; add it to command (e.g. "--${key}", "{${key}}")`);
  }
  if (plan.seeds && !used.has('seed')) throw new PlanError(file, 'seeds', 'the command never uses {seed}; add it (e.g. "--seed", "{seed}") or remove seeds');
  for (const key of [...(plan.scientific ?? []), ...(plan.nuisance ?? [])]) {
    if (!spaceKeys.includes(key)) throw new PlanError(file, 'scientific', `"${key}" is not a space key (known: ${spaceKeys.join(', ') || 'none'})`);
  }
}

/** Fills `{name}` placeholders of one argv element; `{{` and `}}` are literal braces. */
export function substitute(template: string, values: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (match, name: string | undefined) => {
    if (match === '{{') return '{';
    if (match === '}}') return '}';
    if (name === undefined || !(name in values)) throw new Error(`unknown placeholder ${match}`);
    return values[name]!;
  });
}

/** Every dimension's values: grids and choices as written, random draws seeded and rounded. */
export function dimensionValues(plan: Plan): Record<string, DimensionValue[]> {
  const rng = createRng(plan.draw_seed);
  const round = (x: number) => Number(x.toPrecision(4));
  const values: Record<string, DimensionValue[]> = {};
  for (const [key, dimension] of Object.entries(plan.space)) {
    if ('grid' in dimension) values[key] = [...dimension.grid];
    else if ('cases' in dimension) values[key] = dimension.cases.map((c) => ({ ...c }));
    else if ('choices' in dimension) {
      values[key] = dimension.samples === undefined ? [...dimension.choices] : Array.from({ length: dimension.samples }, () => dimension.choices[rng.integer(0, dimension.choices.length)]!);
    } else if ('loguniform' in dimension) {
      const [low, high] = dimension.loguniform;
      values[key] = Array.from({ length: dimension.samples }, () => round(Math.exp(Math.log(low) + rng.uniform() * (Math.log(high) - Math.log(low)))));
    } else {
      const [low, high] = dimension.uniform;
      values[key] = Array.from({ length: dimension.samples }, () => round(low + rng.uniform() * (high - low)));
    }
  }
  return values;
}

export const MAX_TRIALS = 100_000;

/** One trial of an expanded plan. */
export interface ExpandedTrial {
  id: string;
  index: number;
  /** Space values and the seed, as the trial's hyperparameters. */
  params: Record<string, ParamValue>;
  argv: string[];
  env: Record<string, string>;
  /** `<out>/trials/<id>` (absolute). */
  dir: string;
}

/** A piece of a trial id: the safe alphabet only, short. */
function idPart(value: ParamValue): string {
  const text = String(value).replace(/[^A-Za-z0-9.=-]+/g, '_').slice(0, 24);
  return text.length > 0 ? text : '_';
}

export function trialId(index: number, params: Record<string, ParamValue>, seedKey?: string): string {
  const parts = Object.entries(params).map(([key, value]) => (key === seedKey ? `s${idPart(value)}` : `${key.slice(0, 16)}${idPart(value)}`));
  return [`t${String(index).padStart(4, '0')}`, ...parts].join('-').slice(0, 120);
}

/** The folder of a trial, refused unless it is exactly `<out>/trials/<id>`. */
export function trialDir(out: string, id: string): string {
  const root = path.join(path.resolve(out), 'trials');
  const dir = path.resolve(root, id);
  if (!/^[A-Za-z0-9][A-Za-z0-9._=-]*$/.test(id) || path.dirname(dir) !== root || path.basename(dir) !== id) {
    throw new Error(`trial id ${JSON.stringify(id)} does not name a folder inside ${root}`);
  }
  return dir;
}

/** Number formatting in argv: JavaScript's shortest round-trip form (0.001, 1e-7, 3). */
function argText(value: ParamValue): string {
  return String(value);
}

/**
 * The trials of a plan: the space's dimensions crossed in the order written (the first
 * slowest), each point once per seed; ids `t0000-lr0.001-s0`, deterministic.
 */
export function expandPlan(loaded: LoadedPlan, out: string, values: Record<string, DimensionValue[]> = dimensionValues(loaded.plan)): ExpandedTrial[] {
  const { plan } = loaded;
  const keys = Object.keys(values);
  const total = keys.reduce((n, key) => n * values[key]!.length, 1) * (plan.seeds?.length ?? 1);
  if (total > MAX_TRIALS) throw new PlanError(loaded.file, 'space', `${total} trials is more than ${MAX_TRIALS}; shrink the space`);
  const points: Record<string, ParamValue>[] = [{}];
  for (const key of keys) {
    const next: Record<string, ParamValue>[] = [];
    for (const point of points) for (const value of values[key]!) next.push(typeof value === 'object' ? { ...point, ...value } : { ...point, [key]: value });
    points.splice(0, points.length, ...next);
  }
  const trials: ExpandedTrial[] = [];
  for (const point of points) {
    for (const seed of plan.seeds ?? [undefined]) {
      const params: Record<string, ParamValue> = seed === undefined ? { ...point } : { ...point, seed };
      const index = trials.length;
      const id = trialId(index, params, seed === undefined ? undefined : 'seed');
      const dir = trialDir(out, id);
      const fill: Record<string, string> = { trial_dir: dir, trial_id: id, plan_dir: loaded.dir };
      for (const [key, value] of Object.entries(params)) fill[key] = argText(value);
      trials.push({
        id,
        index,
        params,
        argv: plan.command.map((element) => substitute(element, fill)),
        env: Object.fromEntries(Object.entries(plan.env ?? {}).map(([name, value]) => [name, substitute(value, fill)])),
        dir,
      });
    }
  }
  return trials;
}

/** The study folder: `--out`, else the plan's `out:` (relative to the plan), else ./ladder-runs/<name>. */
export function studyFolder(loaded: LoadedPlan, outFlag?: string): string {
  if (outFlag !== undefined) return path.resolve(outFlag);
  if (loaded.plan.out !== undefined) return path.resolve(loaded.dir, loaded.plan.out);
  return path.resolve('ladder-runs', loaded.plan.name);
}

/** A fingerprint of what the plan runs (the parsed plan, not its text): a resumed study must match. */
export function planHash(plan: Plan): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key])]))
        : value;
  return createHash('sha256').update(JSON.stringify(canonical(plan))).digest('hex').slice(0, 16);
}
