/**
 * The bad-input suite, end to end through the real binary: each case asserts the exact
 * issue code, that the process neither crashes nor prints a stack trace, that everything
 * valid is still read, and the exit status (0 read fully, 1 some data lost, 2 nothing readable).
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { corpusPath, HAS_CORPUS } from '../support/corpus.js';
import { hasStackTrace, ladder } from '../support/cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ladder-bad-'));
chmodSync(tmp, 0o755);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface IngestJson {
  schema: string;
  runs: Array<{ id: string; format: string; series: Record<string, { steps: unknown[]; values: unknown[] }>; hparams: Record<string, unknown> }>;
  issues: Array<{ code: string; severity: string; file: string; location?: string }>;
}

function caseDir(name: string): string {
  const d = path.join(tmp, name);
  mkdirSync(d, { recursive: true });
  return d;
}

function ingestJson(target: string, expectedStatus: number): IngestJson {
  const result = ladder(['ingest', '--json', target]);
  expect(hasStackTrace(result.stderr + result.stdout)).toBe(false);
  expect(result.status, result.stderr).toBe(expectedStatus);
  const json = JSON.parse(result.stdout) as IngestJson;
  expect(json.schema).toBe('ladder.ingest/v1');
  return json;
}

function codes(json: IngestJson): string[] {
  return json.issues.map((i) => i.code);
}

function trainerState(history: string): string {
  return `{"global_step": 40, "max_steps": 40, "log_history": [${history}], "best_metric": NaN}`;
}

describe('bad input, end to end', () => {
  it('empty file', () => {
    const d = caseDir('empty');
    writeFileSync(path.join(d, 'trainer_state.json'), '');
    const json = ingestJson(d, 0);
    expect(codes(json)).toContain('file.empty');
    expect(json.issues.find((i) => i.code === 'file.empty')!.file).toBe('trainer_state.json');
  });

  it('truncated JSON keeps the complete entries', () => {
    const d = caseDir('truncated-json');
    const entries = Array.from({ length: 20 }, (_, i) => `{"loss": ${(2 - i * 0.05).toFixed(2)}, "step": ${(i + 1) * 10}, "epoch": ${i / 10}}`);
    const full = trainerState(entries.join(', '));
    const cut = full.slice(0, full.indexOf('"step": 130') + 4);
    writeFileSync(path.join(d, 'trainer_state.json'), cut);
    const json = ingestJson(d, 1);
    expect(codes(json)).toContain('json.truncated');
    expect(json.runs).toHaveLength(1);
    expect(json.runs[0]!.series.loss!.steps).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]);
  });

  it('NaN and Infinity in every position are kept as strings in JSON', () => {
    const d = caseDir('non-finite');
    const history = [
      '{"loss": NaN, "grad_norm": Infinity, "learning_rate": 1e-4, "step": 10, "epoch": 0.1}',
      '{"loss": 1.5, "grad_norm": -Infinity, "learning_rate": NaN, "step": 20, "epoch": 0.2}',
      '{"eval_loss": Infinity, "eval_accuracy": NaN, "step": 20, "epoch": 0.2}',
    ].join(', ');
    writeFileSync(path.join(d, 'trainer_state.json'), trainerState(history));
    const json = ingestJson(d, 0);
    expect(codes(json)).toContain('json.non-standard-number');
    expect(codes(json)).toContain('series.non-finite');
    const series = json.runs[0]!.series;
    expect(series.loss!.values).toEqual(['NaN', 1.5]);
    expect(series.grad_norm!.values).toEqual(['Infinity', '-Infinity']);
    expect(series.learning_rate!.values).toEqual([1e-4, 'NaN']);
    expect(series.eval_loss!.values).toEqual(['Infinity']);
    expect(series.eval_accuracy!.values).toEqual(['NaN']);
  });

  it('steps going backwards: both segments kept, restart reported', () => {
    const d = caseDir('restart');
    const steps = [10, 20, 30, 40, 20, 30, 40, 50];
    const history = steps.map((s, i) => `{"loss": ${2 - i * 0.1}, "step": ${s}}`).join(', ');
    writeFileSync(path.join(d, 'trainer_state.json'), trainerState(history));
    const json = ingestJson(d, 0);
    expect(codes(json)).toContain('series.restart');
    expect(json.runs[0]!.series.loss!.steps).toEqual(steps);
  });

  it('duplicate steps: all points kept, reported', () => {
    const d = caseDir('duplicates');
    const steps = [10, 20, 20, 30];
    writeFileSync(path.join(d, 'trainer_state.json'), trainerState(steps.map((s, i) => `{"loss": ${2 - i * 0.1}, "step": ${s}}`).join(', ')));
    const json = ingestJson(d, 0);
    expect(codes(json)).toContain('series.duplicate-step');
    expect(json.runs[0]!.series.loss!.steps).toEqual(steps);
  });

  it('Python-tagged YAML is kept opaque and never executed', () => {
    const d = caseDir('python-yaml/version_0');
    const marker = path.join(tmp, 'pwned');
    writeFileSync(path.join(d, 'metrics.csv'), 'epoch,step,train_loss,val_loss\n0,9,1.0,\n0,9,,1.2\n1,19,0.8,\n1,19,,1.1\n');
    writeFileSync(
      path.join(d, 'hparams.yaml'),
      `lr: 0.01\nhook: !!python/object/apply:os.system ["touch ${marker}"]\ncriterion: !!python/object:torch.nn.CrossEntropyLoss\n  reduction: mean\n`,
    );
    const json = ingestJson(path.join(tmp, 'python-yaml'), 0);
    expect(codes(json)).toContain('yaml.python-tag');
    expect(existsSync(marker)).toBe(false);
    const run = json.runs[0]!;
    expect(run.hparams.lr).toBe(0.01);
    expect(run.hparams.hook).toMatchObject({ $opaque: '!!python/object/apply:os.system' });
    expect(run.series.val_loss!.steps).toEqual([9, 19]);
  });

  it('symlink loop', () => {
    const d = caseDir('symlink/a');
    writeFileSync(path.join(d, 'trainer_state.json'), trainerState('{"loss": 1, "step": 1}'));
    symlinkSync('..', path.join(d, 'up'));
    const json = ingestJson(path.join(tmp, 'symlink'), 0);
    expect(codes(json)).toContain('file.symlink-loop');
    expect(json.runs).toHaveLength(1);
  });

  it('a missing path is one line on stderr and exit 2', () => {
    const result = ladder(['ingest', path.join(tmp, 'does-not-exist')]);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('does-not-exist');
    expect(hasStackTrace(result.stderr)).toBe(false);
  });

  it('an unknown flag is one line on stderr and exit 2', () => {
    const result = ladder(['ingest', '--nope', tmp]);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(hasStackTrace(result.stderr)).toBe(false);
  });

  it('an unreadable file (permissions) is reported, the rest is read', () => {
    const d = caseDir('unreadable');
    mkdirSync(path.join(d, 'good'));
    mkdirSync(path.join(d, 'bad'));
    writeFileSync(path.join(d, 'good', 'trainer_state.json'), trainerState('{"loss": 1, "step": 1}'));
    const bad = path.join(d, 'bad', 'trainer_state.json');
    writeFileSync(bad, trainerState('{"loss": 1, "step": 1}'));
    chmodSync(bad, 0o000);
    const result = ladder(['ingest', '--json', d], {}, true);
    expect(hasStackTrace(result.stderr)).toBe(false);
    expect(result.status, result.stderr).toBe(1);
    const json = JSON.parse(result.stdout) as IngestJson;
    const unreadable = json.issues.filter((i) => i.code === 'file.unreadable');
    expect(unreadable.map((i) => i.file)).toEqual(['bad/trainer_state.json']);
    expect(json.runs.map((r) => r.id)).toEqual(['good']);

    // Alone, it is a one-line error naming the file.
    const alone = ladder(['ingest', bad], {}, true);
    expect(alone.status).toBe(2);
    expect(alone.stderr.trim().split('\n')).toHaveLength(1);
    expect(alone.stderr).toContain('trainer_state.json');
    expect(alone.stderr).toContain('permission');
  });

  it('a folder of 10,000 small files', () => {
    const d = caseDir('many');
    for (let i = 0; i < 10_000; i++) writeFileSync(path.join(d, `note-${i}.txt`), `note ${i}\n`);
    writeFileSync(path.join(d, 'trainer_state.json'), trainerState('{"loss": 1, "step": 1}'));
    const json = ingestJson(d, 0);
    expect(json.runs).toHaveLength(1);
    const unrecognized = json.issues.filter((i) => i.code === 'file.unrecognized');
    expect(unrecognized).toHaveLength(1);
  });
});

describe.skipIf(!HAS_CORPUS)('bad TensorBoard input, end to end', () => {
  const source = corpusPath('real-logs/tensorboard/AguLeon__LoRA_RoBERTa_AGNews/runs/run0/events.out.tfevents.1744227257.b-3-167.5388.0');
  const name = path.basename(source);
  const pointsOf = (json: IngestJson) =>
    json.runs.reduce((sum, run) => sum + Object.values(run.series).reduce((s, x) => s + x.steps.length, 0), 0);

  it('binary garbage with a TensorBoard name', () => {
    const d = caseDir('tb-garbage');
    const garbage = Buffer.alloc(5000);
    let x = 12345;
    for (let i = 0; i < garbage.length; i++) garbage[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
    writeFileSync(path.join(d, 'events.out.tfevents.1700000000.host.1.0'), garbage);
    const json = ingestJson(d, 1);
    expect(codes(json)).toContain('tfrecord.not-tfrecord');
  });

  it('a flipped byte in the middle: the record is reported, reading resumes after it', () => {
    const good = caseDir('tb-good');
    copyFileSync(source, path.join(good, name));
    const reference = pointsOf(ingestJson(good, 0));

    const d = caseDir('tb-flipped');
    const bytes = readFileSync(source);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x40;
    writeFileSync(path.join(d, name), bytes);
    const json = ingestJson(d, 1);
    const corrupt = json.issues.filter((i) => i.code === 'tfrecord.corrupt-record');
    expect(corrupt).toHaveLength(1);
    const points = pointsOf(json);
    expect(points).toBeLessThan(reference);
    expect(points).toBeGreaterThanOrEqual(reference - 2);
  });

  it('a truncated last record is not an error', () => {
    const d = caseDir('tb-truncated');
    const bytes = readFileSync(source);
    writeFileSync(path.join(d, name), bytes.subarray(0, bytes.length - 7));
    const json = ingestJson(d, 0);
    expect(codes(json)).toContain('tfrecord.truncated-tail');
    expect(json.issues.every((i) => i.severity !== 'error')).toBe(true);
  });
});
