import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { hasStackTrace, ladder } from '../support/cli.js';
import { REPO } from '../support/corpus.js';
import { scratch } from '../support/files.js';

const root = scratch('plan-cli');
const CONFOUNDED = path.join(REPO, 'test/fixtures/studies/confounded');

/** A stand-in trainer: accuracy depends on the arm and on the learning rate (best at 0.667 for mlp, 6 for linear). */
const TRAINER = `
import { writeFileSync } from 'node:fs';
const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, v, i, all) => (i % 2 === 0 ? [...pairs, [v.replace(/^--/, ''), all[i + 1]]] : pairs), []));
const lr = Number(args.lr), seed = Number(args.seed);
const best = args.arch === 'mlp' ? 0.667 : 6;
const ceiling = args.arch === 'mlp' ? 0.93 : 0.72;
const lines = [];
for (let step = 0; step <= 400; step += 50) {
  const progress = 1 - Math.exp(-step / 100);
  const acc = 0.5 + (ceiling - 0.5) * progress * Math.exp(-Math.abs(Math.log(lr / best)) / 3) + 0.002 * seed;
  lines.push(JSON.stringify({ step, train: { loss: 1 - acc }, val: { loss: 1.05 - acc, accuracy: acc } }));
}
writeFileSync(args.out + '/metrics.jsonl', lines.join('\\n') + '\\n');
`;

describe('ladder plan', () => {
  it('turns an untuned comparison into a per-arm learning-rate sweep that ladder run runs and diagnoses', () => {
    const trainer = path.join(root, 'trainer.mjs');
    writeFileSync(trainer, TRAINER);
    const out = path.join(root, 'sweep.yaml');
    const command = [process.execPath, trainer, '--arch', '{arch}', '--hidden', '{hidden_units}', '--lr', '{learning_rate}', '--seed', '{seed}', '--out', '{trial_dir}'];
    const made = ladder(['plan', CONFOUNDED, '-o', out, '--', ...command], { cwd: root });
    expect(made.stderr).toBe('');
    expect(made.status).toBe(0);
    const plan = parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    expect(plan).toMatchObject({
      name: 'lr-sweep',
      command,
      space: { arm: { cases: [{ arch: 'linear', hidden_units: 0 }, { arch: 'mlp', hidden_units: 64 }] }, learning_rate: { grid: [0.2, 0.667, 2, 6, 20] } },
      seeds: [0, 1],
      objective: { metric: 'val/accuracy', direction: 'maximize' },
      scientific: ['arch', 'hidden_units'],
      nuisance: ['learning_rate'],
    });
    const run = ladder(['run', out, '--json', '--parallel', '4'], { cwd: root });
    expect(run.status).toBe(0);
    const outcome = JSON.parse(run.stdout) as { trials: { done: number }; runs: number; diagnosis: { verdict: { layer: string }; findings: { code: string }[]; subject: { study: { arms: { arm: string; best: { setting: string } }[] } } } };
    expect(outcome.trials.done).toBe(20);
    expect(outcome.runs).toBe(20);
    const arms = outcome.diagnosis.subject.study.arms.map((a) => [a.arm, a.best.setting]);
    expect(arms).toEqual([
      ['arch=linear, hidden_units=0', 'learning_rate=6'],
      ['arch=mlp, hidden_units=64', 'learning_rate=0.667'],
    ]);
    expect(outcome.diagnosis.findings.map((f) => f.code)).not.toContain('reachability.untuned-comparison');
  }, 120_000);

  it('asks for the command with the placeholders the plan needs, and refuses one that misses a placeholder', () => {
    const out = path.join(root, 'p.yaml');
    const bare = ladder(['plan', CONFOUNDED, '-o', out], { cwd: root });
    expect(bare.status).toBe(2);
    expect(bare.stderr).toMatch(/\{arch\}, \{hidden_units\}, \{learning_rate\}, \{seed\}/);
    const missing = ladder(['plan', CONFOUNDED, '-o', out, '--', 'python3', 'train.py', '--arch', '{arch}', '--seed', '{seed}'], { cwd: root });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/never uses \{(hidden_units|learning_rate)\}/);
    for (const result of [bare, missing]) {
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(hasStackTrace(result.stderr)).toBe(false);
    }
    writeFileSync(out, 'keep me');
    const exists = ladder(['plan', CONFOUNDED, '-o', out, '--', 'python3', 'x', '{arch}', '{hidden_units}', '{learning_rate}', '{seed}'], { cwd: root });
    expect(exists.status).toBe(2);
    expect(exists.stderr).toMatch(/exists; pass --force/);
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    expect(ladder(['plan', path.join(root, 'nothing-here'), '-o', out], { cwd: root }).status).toBe(2);
  });
});
