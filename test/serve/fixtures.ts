/**
 * Fixtures for the dashboard's tests (API and end-to-end): a store with one finished study whose
 * runs are real JSONL logs, and a folder of runs with hostile names, series, hyperparameters and
 * tags (MLflow file store), read by `--dir`.
 */
import path from 'node:path';
import { openStore } from '../../src/experiments/store.js';
import { writeTree } from '../support/files.js';

export const HOSTILE = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(2)>',
  'javascript:alert(3)',
  '<svg onload=alert(4)>',
] as const;

/** 10 kB of markup: shown as text, cut or wrapped, never parsed. */
export const LONG = `<b onmouseover=alert(5)>${'x'.repeat(10_000)}</b>`;

/** A validation loss that falls then rises (overfitting) and a training loss that keeps falling. */
export function overfitLines(steps = 60): string {
  const lines: string[] = [];
  for (let i = 1; i <= steps; i++) {
    const step = i * 10;
    lines.push(JSON.stringify({ step, train_loss: 2.3 * Math.exp(-i / 12) + 0.05, val_loss: 0.9 + 0.0009 * (i - 25) ** 2 }));
  }
  return lines.join('\n') + '\n';
}

/** A healthy run: both losses fall and flatten together. */
export function healthyLines(steps = 60, scale = 1): string {
  const lines: string[] = [];
  for (let i = 1; i <= steps; i++) {
    const loss = scale * (0.4 + 1.9 * Math.exp(-i / 8));
    lines.push(JSON.stringify({ step: i * 10, train_loss: loss, val_loss: loss * 1.05 }));
  }
  return lines.join('\n') + '\n';
}

/**
 * A store with study `demo` of three trials: t0 and t1 done (logs read into runs), t2 still
 * running. Returns the store file and the study id.
 */
export function demoStore(root: string): { file: string; studyId: string; dir: string } {
  const dir = path.join(root, 'ladder-runs', 'demo');
  const trials = [
    { id: 't0', lr: 0.001, lines: healthyLines() },
    { id: 't1', lr: 0.1, lines: overfitLines() },
    { id: 't2', lr: 0.01, lines: healthyLines(60, 1.2) },
  ];
  for (const t of trials) writeTree(path.join(dir, 'trials'), t.id, { 'metrics.jsonl': t.lines });
  const file = path.join(root, 'ladder.db');
  const store = openStore(file);
  const studyId = 'demo-0123abcd';
  store.createStudy(
    { id: studyId, name: 'demo', dir, planFile: path.join(root, 'plan.yaml'), plan: { name: 'demo' }, planHash: 'h', executor: 'local' },
    trials.map((t, index) => ({ id: t.id, index, params: { lr: t.lr, arch: index === 2 ? 'mlp' : 'transformer', seed: 1 }, argv: ['train'], env: {}, dir: path.join(dir, 'trials', t.id) })),
  );
  for (const id of ['t0', 't1']) for (const to of ['submitted', 'running', 'done'] as const) store.transition(studyId, id, to);
  for (const to of ['submitted', 'running'] as const) store.transition(studyId, 't2', to);
  store.saveResults(
    studyId,
    ['t0', 't1'].map((id) => ({ trialId: id, runId: id, format: 'jsonl', path: path.join(dir, 'trials', id, 'metrics.jsonl') })),
    [{ code: 'reachability.overfitting', layer: 'reachability', severity: 'warning', summary: 'validation loss rises', json: '{}' }],
    'reachability',
    null,
  );
  store.close();
  return { file, studyId, dir };
}

const EXPERIMENT = '1';
const RUN_ID = 'a'.repeat(32);

/**
 * Runs with hostile data: JSONL runs in folders named after HOSTILE strings (run names), one
 * with a hostile series name, and an MLflow run whose param and tag keys and values are hostile.
 */
export function hostileDir(root: string): string {
  const dir = path.join(root, 'hostile');
  const files: Record<string, string> = {};
  HOSTILE.forEach((name, i) => {
    files[`${name.replace(/\//g, '|')}/metrics.jsonl`] = i === 0 ? overfitLines().replaceAll('"val_loss"', JSON.stringify(HOSTILE[0])) : healthyLines(40, 1 + i / 10);
  });
  const run = `mlruns/${EXPERIMENT}/${RUN_ID}`;
  files[`mlruns/${EXPERIMENT}/meta.yaml`] = `artifact_location: file:///tmp/mlruns/${EXPERIMENT}\nexperiment_id: '${EXPERIMENT}'\nlifecycle_stage: active\nname: hostile\n`;
  files[`${run}/meta.yaml`] =
    `artifact_uri: file:///tmp/mlruns/${EXPERIMENT}/${RUN_ID}/artifacts\nend_time: 1700000100000\nexperiment_id: '${EXPERIMENT}'\nlifecycle_stage: active\nrun_id: ${RUN_ID}\nrun_name: mlflow-hostile\nrun_uuid: ${RUN_ID}\nstart_time: 1700000000000\nstatus: 3\ntags: []\nuser_id: me\n`;
  files[`${run}/params/${HOSTILE[1].replace(/\//g, '|')}`] = HOSTILE[0];
  files[`${run}/params/long`] = LONG;
  files[`${run}/params/url`] = HOSTILE[2];
  files[`${run}/tags/${HOSTILE[3]}`] = HOSTILE[1];
  files[`${run}/metrics/loss`] = Array.from({ length: 30 }, (_, i) => `${1700000000000 + i} ${2 * Math.exp(-i / 6) + 0.3} ${i}`).join('\n') + '\n';
  writeTree(root, 'hostile', files);
  return dir;
}
