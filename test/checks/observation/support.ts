/** Shared plumbing for the observation-check tests: defaults, roles, the suite's runs. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { AnyCheck } from '../../../src/checks/check.js';
import { ingest } from '../../../src/ingest/ingest.js';
import { assignRoles } from '../../../src/ingest/roles.js';
import { evidenceOf } from '../../../src/ladder/evidence.js';
import type { Run } from '../../../src/model/run.js';
import { REPO } from '../../support/corpus.js';

export function defaults(check: AnyCheck): Record<string, number> {
  return Object.fromEntries(Object.entries(check.thresholds).map(([k, t]) => [k, t.value]));
}

export function evaluate(check: AnyCheck, run: Run, overrides: Record<string, number> = {}) {
  run.roles = assignRoles(run);
  return check.evaluate(evidenceOf(run), { ...defaults(check), ...overrides });
}

export const SUITE = path.join(REPO, 'test/fixtures/diagnosis-suite/runs');

export function hasSuiteCase(name: string): boolean {
  return existsSync(path.join(SUITE, name));
}

/**
 * A run of the labelled suite. Where the generator wrote the number of classes and the eval size
 * only to a config.json that is not a model config (HF, JSONL cases), the readers do not map it:
 * take them from there, as a researcher would read them.
 */
export async function suiteRun(name: string): Promise<Run> {
  const { runs } = await ingest([path.join(SUITE, name)]);
  const run = runs[0]!;
  const configFile = path.join(SUITE, name, 'config.json');
  if (existsSync(configFile)) {
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as { classes: number; n_eval: number };
    run.hparams = { ...run.hparams, num_classes: config.classes, eval_size: config.n_eval };
  }
  return run;
}

/** An example run; `format` picks one when the folder holds several (HF Trainer + its TensorBoard callback). */
export async function exampleRun(relative: string, format?: string): Promise<Run> {
  const { runs } = await ingest([path.join(REPO, 'examples/runs', relative)]);
  const run = format ? runs.find((r) => r.format === format) : runs[0];
  if (!run) throw new Error(`no ${format ?? ''} run in examples/runs/${relative}`);
  return run;
}
