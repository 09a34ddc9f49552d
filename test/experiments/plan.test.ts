import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dimensionValues, expandPlan, loadPlan, parsePlan, PlanError, planHash, planJsonSchema, substitute, trialDir, type LoadedPlan } from '../../src/experiments/plan.js';
import { REPO } from '../support/corpus.js';
import { scratch } from '../support/files.js';

const root = scratch('plan');

/** The exact example of issue 6. */
const ISSUE_EXAMPLE = `name: lr-sweep
command: ["python3", "train.py", "--lr", "{lr}", "--seed", "{seed}", "--out", "{trial_dir}"]
space:
  lr: {grid: [0.001, 0.01, 0.1]}      # also {loguniform: [1e-5, 1e-1], samples: 8}, {choices: [a, b]}
seeds: [0, 1]
timeout: 600        # seconds per trial
retries: 1
objective: {metric: val_loss, direction: minimize}
`;

function writePlan(name: string, text: string): string {
  const file = path.join(root, name);
  writeFileSync(file, text);
  return file;
}

function loaded(value: unknown): LoadedPlan {
  return { plan: parsePlan(value, 'plan.yaml'), file: path.join(root, 'plan.yaml'), dir: root };
}

function planErrorOf(action: () => unknown): PlanError {
  try {
    action();
  } catch (error) {
    if (error instanceof PlanError) return error;
    throw error;
  }
  throw new Error('expected a PlanError');
}

describe('plans', () => {
  it('reads the example of the issue and expands it into 6 trials with deterministic ids and argv', async () => {
    const plan = await loadPlan(writePlan('issue.yaml', ISSUE_EXAMPLE));
    expect(plan.plan.timeout).toBe(600);
    expect(plan.plan.retries).toBe(1);
    expect(plan.plan.objective).toEqual({ metric: 'val_loss', direction: 'minimize' });
    const out = path.join(root, 'out');
    const trials = expandPlan(plan, out);
    expect(trials.map((t) => t.id)).toEqual(['t0000-lr0.001-s0', 't0001-lr0.001-s1', 't0002-lr0.01-s0', 't0003-lr0.01-s1', 't0004-lr0.1-s0', 't0005-lr0.1-s1']);
    expect(trials[3]!.argv).toEqual(['python3', 'train.py', '--lr', '0.01', '--seed', '1', '--out', path.join(out, 'trials', 't0003-lr0.01-s1')]);
    expect(trials[3]!.params).toEqual({ lr: 0.01, seed: 1 });
    expect(expandPlan(plan, out)).toEqual(trials);
  });

  it('crosses dimensions in the order written, seeds innermost', () => {
    const plan = loaded({ name: 'x', command: ['p', '{a}', '{b}', '{seed}'], space: { a: { grid: [1, 2] }, b: { choices: ['u', 'v', 'w'] } }, seeds: [7, 8] });
    const trials = expandPlan(plan, path.join(root, 'cross'));
    expect(trials).toHaveLength(12);
    expect(trials.map((t) => t.argv.slice(1).join(' ')).slice(0, 4)).toEqual(['1 u 7', '1 u 8', '1 v 7', '1 v 8']);
    expect(new Set(trials.map((t) => t.id)).size).toBe(12);
  });

  it('sets several placeholders at once from cases (arms as they were, not crossed)', () => {
    const plan = loaded({ name: 'c', command: ['p', '{arch}', '{width}', '{lr}'], space: { arm: { cases: [{ arch: 'linear', width: 0 }, { arch: 'mlp', width: 64 }] }, lr: { grid: [0.1, 1] } } });
    const trials = expandPlan(plan, path.join(root, 'cases'));
    expect(trials.map((t) => t.argv.slice(1).join(' '))).toEqual(['linear 0 0.1', 'linear 0 1', 'mlp 64 0.1', 'mlp 64 1']);
    expect(trials[2]!.params).toEqual({ arch: 'mlp', width: 64, lr: 0.1 });
    expect(planErrorOf(() => parsePlan({ name: 'c', command: ['p', '{arch}'], space: { arm: { cases: [{ arch: 'a' }, { other: 'b' }] } } }, 'c.yaml')).where).toMatch(/^space\.arm/);
    expect(planErrorOf(() => parsePlan({ name: 'c', command: ['p', '{arch}'], space: { arm: { cases: [{ arch: 'a', width: 1 }] } } }, 'c.yaml')).problem).toMatch(/never uses \{width\}/);
  });

  it('draws loguniform and uniform values from draw_seed: reproducible, in range, different for another seed', () => {
    const value = { name: 'r', command: ['p', '{lr}', '{wd}', '{act}'], space: { lr: { loguniform: [1e-5, 1e-1], samples: 8 }, wd: { uniform: [0, 0.3], samples: 3 }, act: { choices: ['relu', 'gelu'], samples: 4 } } };
    const a = dimensionValues(parsePlan(value, 'p.yaml'));
    const b = dimensionValues(parsePlan(value, 'p.yaml'));
    const c = dimensionValues(parsePlan({ ...value, draw_seed: 1 }, 'p.yaml'));
    expect(a).toEqual(b);
    expect(a.lr).not.toEqual(c.lr);
    expect(a.lr).toHaveLength(8);
    for (const lr of a.lr as number[]) expect(lr >= 1e-5 && lr <= 1e-1).toBe(true);
    for (const wd of a.wd as number[]) expect(wd >= 0 && wd <= 0.3).toBe(true);
    for (const act of a.act!) expect(['relu', 'gelu']).toContain(act);
    // log-uniform: the draws span decades, not clustered near the top as uniform ones would be
    expect(Math.max(...(a.lr as number[])) / Math.min(...(a.lr as number[]))).toBeGreaterThan(10);
    expect(expandPlan(loaded(value), path.join(root, 'r'))).toHaveLength(8 * 3 * 4);
  });

  it('substitutes inside argv elements only, with {{ }} as literal braces', () => {
    expect(substitute('--lr={lr}', { lr: '0.1' })).toBe('--lr=0.1');
    expect(substitute('{{lr}}', { lr: '0.1' })).toBe('{lr}');
    expect(substitute('{a}{b}', { a: '{b}', b: 'x' })).toBe('{b}x');
  });

  it('refuses unknown placeholders, a templated program, unused keys and seeds, reserved names', () => {
    const base = { name: 'e', command: ['p', '{lr}'], space: { lr: { grid: [1] } } };
    expect(planErrorOf(() => parsePlan({ ...base, command: ['p', '{lr}', '{nope}'] }, 'e.yaml')).where).toBe('command.2');
    expect(planErrorOf(() => parsePlan({ ...base, command: ['p', '{lr}', '{seed}'] }, 'e.yaml')).problem).toMatch(/seeds/);
    expect(planErrorOf(() => parsePlan({ ...base, command: ['{lr}'] }, 'e.yaml')).where).toBe('command.0');
    expect(planErrorOf(() => parsePlan({ ...base, command: ['p'] }, 'e.yaml')).where).toBe('space.lr');
    expect(planErrorOf(() => parsePlan({ ...base, seeds: [0] }, 'e.yaml')).where).toBe('seeds');
    expect(planErrorOf(() => parsePlan({ ...base, space: { trial_dir: { grid: [1] } }, command: ['p', '{trial_dir}'] }, 'e.yaml')).where).toMatch(/^space/);
    expect(planErrorOf(() => parsePlan({ ...base, command: ['p', '{lr'] }, 'e.yaml')).where).toBe('command.1');
    expect(planErrorOf(() => parsePlan({ ...base, extra: 1 }, 'e.yaml')).problem).toMatch(/extra/);
    expect(planErrorOf(() => parsePlan({ ...base, space: { lr: { loguniform: [0, 1], samples: 2 } } }, 'e.yaml')).where).toMatch(/^space\.lr/);
    expect(planErrorOf(() => parsePlan({ ...base, name: '../x' }, 'e.yaml')).where).toBe('name');
    expect(parsePlan({ ...base, command: ['{plan_dir}/train.sh', '{lr}'] }, 'e.yaml').command[0]).toBe('{plan_dir}/train.sh');
  });

  it('names the file of invalid YAML', async () => {
    const error = await loadPlan(writePlan('bad.yaml', 'name: x\ncommand: [p\n')).then(
      () => undefined,
      (e: unknown) => e as PlanError,
    );
    expect(error).toBeInstanceOf(PlanError);
    expect(error!.file).toMatch(/bad\.yaml$/);
    expect(error!.problem).toMatch(/^invalid YAML/);
  });

  it('keeps trial folders inside <out>/trials whatever the values', () => {
    const trials = expandPlan(loaded({ name: 'h', command: ['p', '{v}'], space: { v: { choices: ['../../etc', '/abs/path', '..', '.', 'a/../../b'] } } }), path.join(root, 'h'));
    for (const t of trials) {
      expect(path.dirname(t.dir)).toBe(path.join(root, 'h', 'trials'));
      expect(t.id).toMatch(/^t\d{4}-[A-Za-z0-9._=-]+$/);
      expect(t.id).not.toContain('/');
    }
    expect(() => trialDir(path.join(root, 'h'), '../escape')).toThrow();
    expect(() => trialDir(path.join(root, 'h'), '..')).toThrow();
    expect(() => trialDir(path.join(root, 'h'), 'a/b')).toThrow();
  });

  it('fingerprints what a plan runs, not how it is written', () => {
    const a = parsePlan({ name: 'f', command: ['p', '{lr}'], space: { lr: { grid: [1, 2] } } }, 'a.yaml');
    const b = parsePlan({ space: { lr: { grid: [1, 2] } }, command: ['p', '{lr}'], name: 'f' }, 'b.yaml');
    const c = parsePlan({ name: 'f', command: ['p', '{lr}'], space: { lr: { grid: [1, 3] } } }, 'c.yaml');
    expect(planHash(a)).toBe(planHash(b));
    expect(planHash(a)).not.toBe(planHash(c));
  });

  it('publishes the JSON Schema generated from the zod schema (schema/plan.schema.json)', () => {
    const committed = JSON.parse(readFileSync(path.join(REPO, 'schema/plan.schema.json'), 'utf8')) as unknown;
    // Regenerate after changing PlanSchema: npm run build, then
    // node --input-type=module -e "const m = await import('./dist/src/experiments/plan.js'); process.stdout.write(JSON.stringify(m.planJsonSchema(), null, 2) + '\n')" > schema/plan.schema.json
    expect(committed).toEqual(planJsonSchema());
    const schema = planJsonSchema() as { required: string[]; properties: Record<string, unknown> };
    expect(schema.required).toEqual(['name', 'command']);
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['space', 'seeds', 'timeout', 'retries', 'objective', 'env', 'out']));
  });
});
