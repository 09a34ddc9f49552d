/**
 * Hugging Face Trainer reader: the 31 real trainer_state files of the corpus (point counts
 * recomputed here with plain JSON.parse), fixtures written by the real transformers 5.17
 * Trainer (test/fixtures/hf-trainer/generate.py), and damaged inputs.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingest } from '../../../src/ingest/ingest.js';
import { hfTrainerReader } from '../../../src/ingest/readers/hf-trainer.js';
import { ISSUES } from '../../../src/ingest/issues.js';
import { corpusPath, HAS_CORPUS, REPO } from '../../support/corpus.js';
import { errorsOf, listFiles, scratch, writeTree } from '../../support/files.js';

const tmp = scratch('hf');
const folder = (name: string, files: Record<string, string>) => writeTree(tmp, name, files);


const readOnlyHf = { readers: [hfTrainerReader] };
const errors = errorsOf;


/**
 * Counts by the simplest rule: entries (other than the closing one, train_runtime without a
 * loss) whose key holds a number.
 */
function expectedCounts(text: string): Map<string, number> {
  const state = JSON.parse(text.replace(/\b(-?Infinity|NaN)\b/g, 'null')) as { log_history: Record<string, unknown>[] };
  const raw = JSON.parse(text.replace(/\b(-?Infinity|NaN)\b/g, '0')) as { log_history: Record<string, unknown>[] };
  const counts = new Map<string, number>();
  const previousStamp = new Map<string, string>();
  let step = 0;
  state.log_history.forEach((entry, index) => {
    if (typeof entry.step === 'number') step = entry.step;
    if ('train_runtime' in entry && !('loss' in entry)) return;
    for (const key of Object.keys(raw.log_history[index]!)) {
      if (key === 'step' || typeof raw.log_history[index]![key] !== 'number') continue;
      if (key === 'epoch' || key === 'num_input_tokens_seen') {
        // Stamped on every entry: repeated at the same step (training then evaluation entry), one point.
        const stepAndValue = `${step}:${entry[key]}`;
        if (stepAndValue === previousStamp.get(key)) continue;
        previousStamp.set(key, stepAndValue);
      }
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  });
  return counts;
}

describe.skipIf(!HAS_CORPUS)('hf-trainer on the corpus', () => {
  const root = corpusPath('real-logs', 'hf-trainer');
  const stateFiles = HAS_CORPUS ? listFiles(root).filter((file) => file.endsWith('.json')) : [];

  it('finds all 31 trainer_state files, one run each, with no error', async () => {
    expect(stateFiles).toHaveLength(31);
    const result = await ingest([root], readOnlyHf);
    expect(result.runs).toHaveLength(31);
    expect(errors(result.issues)).toEqual([]);
    // The one file renamed by its repository is still recognized by its content.
    expect(result.runs.some((run) => run.paths[0]!.endsWith('trainer_state__stored_as___init__.py.json'))).toBe(true);
  });

  it('has, per file and per series, as many points as entries holding a number', async () => {
    for (const file of stateFiles) {
      const result = await ingest([file], readOnlyHf);
      expect(result.runs, file).toHaveLength(1);
      const run = result.runs[0]!;
      const text = readFileSync(file, 'utf8');
      const expected = expectedCounts(text);
      const actual = new Map(Object.entries(run.series).map(([name, series]) => [name, series.steps.length]));
      expect(actual, file).toEqual(expected);
      const state = JSON.parse(text.replace(/\b(-?Infinity|NaN)\b/g, 'null')) as Record<string, unknown>;
      expect(run.summary.global_step, file).toBe(state.global_step);
      expect(run.summary.best_metric, file).toBe(state.best_metric);
      expect(errors(result.issues), file).toEqual([]);
    }
  });

  it('keeps the Infinity grad_norm of a real run and says so once', async () => {
    const file = path.join(root, 'MemaSp__FT-Llama2-HRChatbot/outputs/trainer_state.json');
    const result = await ingest([file]);
    const gradNorm = result.runs[0]!.series.grad_norm!;
    const infinite = Array.from(gradNorm.values).filter((v) => v === Number.POSITIVE_INFINITY);
    expect(infinite).toHaveLength(1);
    expect(result.issues.filter((i) => i.code === 'json.non-standard-number').map((i) => i.data?.count)).toEqual([1]);
    expect(result.issues.find((i) => i.code === 'series.non-finite')?.data).toMatchObject({ series: 'grad_norm', count: 1 });
  });

  it('keeps predict_* entries that carry no step at the step of the evaluation before them', async () => {
    const file = path.join(root, 'Jaong__Checkpoint-of-CPT/trainer_state.json');
    const result = await ingest([file], readOnlyHf);
    const run = result.runs[0]!;
    expect(Array.from(run.series.predict_loss!.steps)).toEqual(Array.from(run.series.eval_loss!.steps));
    expect(run.series.predict_loss!.steps.length).toBe(10);
    expect(result.issues.find((i) => i.code === 'hf.bad-log-entry')?.data).toMatchObject({ count: 10, index: 2 });
  });

  it('puts the closing train_runtime entry in the summary and sets the roles the format names', async () => {
    const file = path.join(root, 'Dude-0313__LogClassifier_Roberta_V1/output/trainer_state.json');
    const run = (await ingest([file], readOnlyHf)).runs[0]!;
    expect(run.series.train_runtime).toBeUndefined();
    expect(typeof run.summary.train_runtime).toBe('number');
    expect(typeof run.summary.train_loss).toBe('number');
    expect(run.roles).toMatchObject({ trainLoss: 'loss', valLoss: 'eval_loss', lr: 'learning_rate', gradNorm: 'grad_norm', epoch: 'epoch' });
  });
});

describe('hf-trainer output folders', () => {
  const state = (steps: number[], extra: Record<string, unknown> = {}) =>
    JSON.stringify(
      {
        best_metric: null,
        global_step: steps[steps.length - 1] ?? 0,
        log_history: steps.map((step) => ({ epoch: step / 10, learning_rate: 0.001, loss: 1 / (step + 1), step })),
        ...extra,
      },
      null,
      2,
    );

  it('reads the final state and reports the checkpoints as superseded', async () => {
    const dir = folder('with-final', {
      'out/checkpoint-2/trainer_state.json': state([1, 2]),
      'out/checkpoint-2/config.json': '{"model_type": "bert"}',
      'out/checkpoint-4/trainer_state.json': state([1, 2, 3, 4]),
      'out/trainer_state.json': state([1, 2, 3, 4, 5]),
    });
    const result = await ingest([dir], readOnlyHf);
    expect(result.runs).toHaveLength(1);
    expect(result.runs[0]!.series.loss!.steps.length).toBe(5);
    const superseded = result.issues.filter((i) => i.code === 'hf.checkpoint-superseded');
    expect(superseded.map((i) => i.file).sort()).toEqual(['out/checkpoint-2/trainer_state.json', 'out/checkpoint-4/trainer_state.json']);
    expect(superseded[0]!.data).toEqual({ final: 'out/trainer_state.json' });
    expect(result.issues.filter((i) => i.code === 'file.unrecognized')).toEqual([]);
  });

  it('reads the highest checkpoint when there is no final state (numeric, not text, order)', async () => {
    const dir = folder('only-checkpoints', {
      'out/checkpoint-500/trainer_state.json': state([100, 500]),
      'out/checkpoint-1000/trainer_state.json': state([100, 500, 1000]),
      'out/checkpoint-50/trainer_state.json': state([50]),
    });
    const result = await ingest([dir], readOnlyHf);
    expect(result.runs).toHaveLength(1);
    expect(Array.from(result.runs[0]!.series.loss!.steps)).toEqual([100, 500, 1000]);
    expect(result.runs[0]!.paths[0]).toBe('out/checkpoint-1000/trainer_state.json');
    expect(result.issues.filter((i) => i.code === 'hf.checkpoint-superseded')).toHaveLength(2);
  });

  it('reads results, model config, training arguments, adapter and generation configs beside the state', async () => {
    const dir = folder('companions', {
      'trainer_state.json': state([1, 2], { trial_params: { learning_rate: 0.01, seed: 3 } }),
      'all_results.json': JSON.stringify({ epoch: 3.0, eval_accuracy: 0.75, train_loss: 0.5 }),
      'eval_results.json': JSON.stringify({ epoch: 3.0, eval_accuracy: 0.75 }),
      'config.json': JSON.stringify({ model_type: 'gpt2', n_layer: 2, id2label: { 0: 'a', 1: 'b' }, rope: { type: 'x' } }),
      'my_args.json': JSON.stringify({ output_dir: 'out', per_device_train_batch_size: 8, learning_rate: 0.001, seed: 42 }),
      'adapter_config.json': JSON.stringify({ r: 8, lora_alpha: 16 }),
      'generation_config.json': JSON.stringify({ max_length: 20 }),
      'tokenizer_config.json': JSON.stringify({ model_max_length: 512 }),
    });
    const result = await ingest([dir], readOnlyHf);
    const run = result.runs[0]!;
    expect(run.summary).toMatchObject({ all_epoch: 3, eval_accuracy: 0.75, train_loss: 0.5, eval_epoch: 3 });
    expect(run.hparams).toMatchObject({
      'model.model_type': 'gpt2',
      'model.n_layer': 2,
      'model.id2label': { 0: 'a', 1: 'b' },
      'model.rope.type': 'x',
      per_device_train_batch_size: 8,
      'adapter.r': 8,
      'generation.max_length': 20,
    });
    // The search trial's own values win over the arguments' defaults.
    expect(run.hparams.learning_rate).toBe(0.01);
    expect(run.hparams.seed).toBe(3);
    expect(run.paths).toHaveLength(7);
    // Not a Trainer file: left for other readers.
    expect(result.issues.find((i) => i.code === 'file.unrecognized')?.data).toMatchObject({ count: 1, example: 'tokenizer_config.json' });
  });

  it('claims a trainer state by content whatever its name, and leaves other JSON alone', async () => {
    const dir = folder('by-content', {
      'renamed.json': state([1, 2, 3]),
      'other.json': JSON.stringify({ history: [1, 2] }),
    });
    const result = await ingest([dir], readOnlyHf);
    expect(result.runs.map((run) => run.paths[0])).toEqual(['renamed.json']);
  });

  it('finds log_history placed after 4 kB of other keys', async () => {
    const padding = { aaa_notes: 'x'.repeat(10_000) };
    const dir = folder('late-key', { 'state.json': state([1, 2], padding) });
    expect(statSync(path.join(dir, 'state.json')).size).toBeGreaterThan(10_000);
    const result = await ingest([dir], readOnlyHf);
    expect(result.runs[0]!.series.loss!.steps.length).toBe(2);
  });
});

describe('hf-trainer bad input', () => {
  it('reports an empty trainer_state.json as empty', async () => {
    const dir = folder('empty', { 'trainer_state.json': '' });
    const result = await ingest([dir], readOnlyHf);
    expect(result.runs).toEqual([]);
    expect(result.issues.map((i) => [i.code, i.file])).toEqual([['file.empty', 'trainer_state.json']]);
  });

  it('reads a truncated state up to the cut and drops the incomplete entry', async () => {
    const full = JSON.stringify(
      { global_step: 4, log_history: [1, 2, 3, 4].map((step) => ({ loss: 1 / step, step })) },
      null,
      2,
    );
    const cut = full.indexOf('"step": 3') + 4; // inside the third entry, which lost its step
    const dir = folder('truncated', { 'trainer_state.json': full.slice(0, cut) });
    const result = await ingest([dir], readOnlyHf);
    expect(Array.from(result.runs[0]!.series.loss!.steps)).toEqual([1, 2]);
    const issue = result.issues.find((i) => i.code === 'json.truncated')!;
    expect(issue.severity).toBe('error');
    expect(issue.data).toMatchObject({ offset: cut, kept: 2 });
    expect(result.issues.filter((i) => i.code === 'hf.bad-log-entry')).toEqual([]);

    const atEntryEnd = full.slice(0, full.indexOf('}', full.indexOf('"step": 3')) + 1);
    const whole = await ingest([folder('truncated-at-entry', { 'trainer_state.json': atEntryEnd })], readOnlyHf);
    expect(Array.from(whole.runs[0]!.series.loss!.steps)).toEqual([1, 2, 3]);
  });

  it('reports garbage named trainer_state.json as invalid JSON, and JSON without log_history', async () => {
    const garbage = await ingest([folder('garbage', { 'trainer_state.json': 'this is not json' })], readOnlyHf);
    expect(garbage.runs).toEqual([]);
    expect(garbage.issues.map((i) => i.code)).toEqual(['json.invalid']);
    expect(garbage.issues[0]!.data).toMatchObject({ offset: 0, recovered: false });

    const other = await ingest([folder('not-state', { 'trainer_state.json': '{"global_step": 3}' })], readOnlyHf);
    expect(other.issues.map((i) => [i.code, i.data?.reason])).toEqual([['hf.not-trainer-state', 'no log_history key']]);
  });

  it('reads what a cut results file and a broken config still hold', async () => {
    const dir = folder('bad-companions', {
      'trainer_state.json': JSON.stringify({ log_history: [{ loss: 1, step: 1 }] }),
      'all_results.json': '{"eval_accuracy": 0.5, "eval_loss": 0.7',
      'config.json': '{"model_type": "bert", "hidden_size": 12 oops}',
    });
    const result = await ingest([dir], readOnlyHf);
    const run = result.runs[0]!;
    expect(run.summary.eval_accuracy).toBe(0.5);
    expect(run.hparams['model.model_type']).toBe('bert');
    const codes = result.issues.map((i) => [i.code, i.file, i.data?.kept]);
    expect(codes).toEqual([
      ['json.truncated', 'all_results.json', 1],
      ['json.invalid', 'config.json', 2],
    ]);
  });

  it('keeps NaN and Infinity in every position and reports them once per file', async () => {
    const text = `{
  "best_metric": NaN,
  "global_step": 3,
  "total_flos": Infinity,
  "log_history": [
    {"loss": NaN, "grad_norm": Infinity, "learning_rate": 0.1, "step": 1},
    {"loss": 2.0, "grad_norm": -Infinity, "learning_rate": 0.1, "step": 2},
    {"eval_loss": NaN, "eval_accuracy": Infinity, "step": 2},
    {"train_runtime": 1.0, "train_loss": NaN, "step": 3}
  ]
}`;
    const result = await ingest([folder('nan', { 'trainer_state.json': text })], readOnlyHf);
    const run = result.runs[0]!;
    expect(Array.from(run.series.loss!.values)).toEqual([Number.NaN, 2]);
    expect(Array.from(run.series.grad_norm!.values)).toEqual([Infinity, -Infinity]);
    expect(Array.from(run.series.eval_loss!.values)).toEqual([Number.NaN]);
    expect(Array.from(run.series.eval_accuracy!.values)).toEqual([Infinity]);
    expect(run.summary.best_metric).toBeNaN();
    expect(run.summary.total_flos).toBe(Infinity);
    expect(run.summary.train_loss).toBeNaN();
    expect(result.issues.filter((i) => i.code === 'json.non-standard-number').map((i) => i.data?.count)).toEqual([8]);
    expect(errors(result.issues)).toEqual([]);
  });

  it('keeps both segments of a resumed run and duplicate steps; the central checks report them', async () => {
    const history = [
      { loss: 3, step: 10 },
      { loss: 2, step: 20 },
      { loss: 2.5, step: 10 },
      { loss: 1.5, step: 20 },
      { loss: 1.4, step: 20 },
      { loss: 1.0, step: 30 },
    ];
    const result = await ingest([folder('resumed', { 'trainer_state.json': JSON.stringify({ log_history: history }) })]);
    const run = result.runs[0]!;
    expect(Array.from(run.series.loss!.steps)).toEqual([10, 20, 10, 20, 20, 30]);
    expect(run.segments.loss).toEqual({ restarts: [2] });
    expect(result.issues.find((i) => i.code === 'series.restart')?.data).toMatchObject({ series: 'loss', from: 20, to: 10 });
    expect(result.issues.find((i) => i.code === 'series.duplicate-step')?.data).toMatchObject({ series: 'loss', count: 1, step: 20 });
  });

  it('reports strings and other non-numbers per series, and entries that are not objects', async () => {
    const history = [
      { loss: 'nan', note: 'warmup', step: 1 },
      { loss: 1.0, note: 'x', report: { a: 1 }, step: 2 },
      42,
      { loss: null, step: 3 },
    ];
    const result = await ingest([folder('strings', { 'trainer_state.json': JSON.stringify({ log_history: history }) })], readOnlyHf);
    const run = result.runs[0]!;
    // "nan" as a string is a number that Python printed as text: kept.
    expect(Array.from(run.series.loss!.values)).toEqual([Number.NaN, 1]);
    expect(run.series.note).toBeUndefined();
    const nonNumeric = Object.fromEntries(
      result.issues.filter((i) => i.code === 'series.non-numeric').map((i) => [i.data!.series, [i.data!.count, i.data!.at]]),
    );
    expect(nonNumeric).toEqual({ note: [2, 'log_history[0]'], report: [1, 'log_history[1]'], loss: [1, 'log_history[3]'] });
    expect(result.issues.find((i) => i.code === 'hf.bad-log-entry')?.data).toMatchObject({ count: 1, index: 2 });
  });

  it('has wording for every code it raises', () => {
    for (const code of ['hf.bad-log-entry', 'hf.checkpoint-superseded', 'hf.not-trainer-state'] as const) {
      expect(ISSUES[code].text({ count: 1, index: 0, final: 'x', reason: 'y' })).not.toMatch(/undefined/);
    }
  });
});

describe('hf-trainer fixtures written by the real transformers Trainer', () => {
  const fixtures = path.join(REPO, 'test/fixtures/hf-trainer');
  const textOf = (rel: string) => readFileSync(path.join(fixtures, rel), 'utf8');
  const stateOf = (rel: string) => JSON.parse(textOf(rel).replace(/\bNaN\b|-?Infinity\b/g, 'null'));
  const stepsWith = (history: Record<string, unknown>[], key: string) =>
    history.filter((entry) => key in entry && !('train_runtime' in entry && !('loss' in entry))).map((entry) => entry.step);

  it('reads a healthy run with its checkpoints, results, model config and training arguments', async () => {
    const result = await ingest([path.join(fixtures, 'tiny-lm')], readOnlyHf);
    expect(result.runs).toHaveLength(1);
    const run = result.runs[0]!;
    const state = stateOf('tiny-lm/trainer_state.json');
    const history = state.log_history as Record<string, unknown>[];
    const actual = new Map(Object.entries(run.series).map(([name, series]) => [name, series.steps.length]));
    expect(actual).toEqual(expectedCounts(textOf('tiny-lm/trainer_state.json')));
    expect(run.series.loss!.steps.length).toBe(state.max_steps / state.logging_steps);
    expect(Array.from(run.series.loss!.steps)).toEqual([5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60]);
    expect(Array.from(run.series.loss!.values)).toEqual(history.filter((entry) => 'loss' in entry).map((entry) => entry.loss));
    expect(Array.from(run.series.eval_loss!.steps)).toEqual([20, 40, 60]);
    expect(Array.from(run.series.eval_accuracy!.steps)).toEqual([20, 40, 60]);
    // Transformers 5 stamps the tokens seen, elapsed runtime and token throughput on every
    // training entry: these entries are points, not the closing summary.
    expect(Array.from(run.series.num_input_tokens_seen!.steps)).toEqual(stepsWith(history, 'loss'));
    expect(Array.from(run.series.num_input_tokens_seen!.values)).toEqual(
      history.filter((entry) => 'loss' in entry).map((entry) => entry.num_input_tokens_seen),
    );
    expect(run.series.train_tokens_per_second!.steps.length).toBe(12);
    expect(run.series.train_runtime!.steps.length).toBe(12);
    expect(Array.from(run.series.epoch!.steps)).toEqual(stepsWith(history, 'loss'));
    const closing = history.at(-1)!;
    expect(closing).not.toHaveProperty('loss');
    expect(run.summary).toMatchObject({
      global_step: 60,
      max_steps: 60,
      train_batch_size: 8,
      best_global_step: state.best_global_step,
      best_metric: state.best_metric,
      best_model_checkpoint: 'tiny-lm/checkpoint-60',
      train_loss: closing.train_loss,
      train_runtime: closing.train_runtime,
      train_samples_per_second: closing.train_samples_per_second,
      total_flos: closing.total_flos,
      train_samples: 256,
      eval_samples: 32,
    });
    expect(state.best_global_step).toBe(60);
    expect(run.summary.stateful_callbacks).toEqual(state.stateful_callbacks);
    expect(run.summary.eval_accuracy).toBe(stateOf('tiny-lm/eval_results.json').eval_accuracy);
    expect(run.hparams).toMatchObject({
      learning_rate: 0.01,
      per_device_train_batch_size: 8,
      seed: 0,
      max_steps: 60,
      include_num_input_tokens_seen: 'all',
      'model.n_embd': 16,
      'model.vocab_size': 64,
      'model.model_type': 'gpt2',
      'model.architectures': ['GPT2LMHeadModel'],
      'generation.bos_token_id': 0,
    });
    expect([...run.paths].sort()).toEqual([
      'all_results.json',
      'config.json',
      'eval_results.json',
      'generation_config.json',
      'train_results.json',
      'trainer_state.json',
      'training_args.json',
    ]);
    expect(run.roles).toMatchObject({ trainLoss: 'loss', valLoss: 'eval_loss', lr: 'learning_rate', gradNorm: 'grad_norm', epoch: 'epoch' });
    // Nothing else: no duplicate step from the stamped keys, no file left unclaimed.
    expect(result.issues.map((i) => [i.code, i.file])).toEqual([
      ['hf.checkpoint-superseded', 'checkpoint-20/trainer_state.json'],
      ['hf.checkpoint-superseded', 'checkpoint-40/trainer_state.json'],
      ['hf.checkpoint-superseded', 'checkpoint-60/trainer_state.json'],
    ]);
  });

  it('keeps the NaN losses and gradient norms of a diverged run', async () => {
    const result = await ingest([path.join(fixtures, 'diverged')]);
    const run = result.runs[0]!;
    const state = stateOf('diverged/trainer_state.json');
    const history = state.log_history as Record<string, unknown>[];
    const training = history.filter((entry) => 'loss' in entry);
    // The real run: finite on its first logged step, NaN from the next one on.
    expect(training[0]!.loss).toBeGreaterThan(1e6);
    const nanLosses = training.filter((entry) => entry.loss === null).length;
    const nanGradNorms = training.filter((entry) => entry.grad_norm === null).length;
    expect(nanLosses).toBe(training.length - 1);
    expect(nanGradNorms).toBe(training.length - 1);
    expect(run.series.loss!.steps.length).toBe(training.length);
    expect(Array.from(run.series.loss!.values).filter(Number.isNaN)).toHaveLength(nanLosses);
    expect(Array.from(run.series.grad_norm!.values).filter(Number.isNaN)).toHaveLength(nanGradNorms);
    expect(Array.from(run.series.eval_loss!.values).every(Number.isNaN)).toBe(true);
    const nonFinite = Object.fromEntries(
      result.issues.filter((i) => i.code === 'series.non-finite').map((i) => [i.data!.series, [i.data!.count, i.data!.step]]),
    );
    expect(nonFinite).toMatchObject({ loss: [nanLosses, 4], grad_norm: [nanGradNorms, 4] });
    // No metric ever beat the initial +inf, and the Trainer writes that as Infinity.
    expect(textOf('diverged/trainer_state.json')).toContain('"best_metric": Infinity');
    expect(run.summary.best_metric).toBe(Number.POSITIVE_INFINITY);
    expect(run.summary.best_global_step).toBeNull();
    expect(run.summary.train_loss).toBeNaN();
    expect(run.summary.eval_loss).toBeNaN();
    expect(run.hparams.learning_rate).toBe(1e5);
    expect(run.hparams.logging_nan_inf_filter).toBe(false);
    // One report per file read, counting that file's literals; the superseded checkpoint is not read.
    const literals = (rel: string) => (textOf(rel).match(/\bNaN\b|-?Infinity\b/g) ?? []).length;
    const reported = Object.fromEntries(
      result.issues.filter((i) => i.code === 'json.non-standard-number').map((i) => [i.file, i.data?.count]),
    );
    expect(reported).toEqual(
      Object.fromEntries(
        ['trainer_state.json', 'all_results.json', 'eval_results.json', 'train_results.json'].map((rel) => [rel, literals(`diverged/${rel}`)]),
      ),
    );
    expect(literals('diverged/trainer_state.json')).toBeGreaterThan(nanLosses + nanGradNorms);
    expect(errors(result.issues)).toEqual([]);
  });

  it('reads the last checkpoint of an interrupted run', async () => {
    for (const finalFile of ['trainer_state.json', 'all_results.json', 'config.json']) {
      expect(() => statSync(path.join(fixtures, 'interrupted', finalFile))).toThrow();
    }
    const result = await ingest([path.join(fixtures, 'interrupted')], readOnlyHf);
    expect(result.runs).toHaveLength(1);
    const run = result.runs[0]!;
    const state = stateOf('interrupted/checkpoint-30/trainer_state.json');
    expect(run.paths).toEqual(['checkpoint-30/trainer_state.json', 'checkpoint-30/config.json', 'checkpoint-30/generation_config.json']);
    expect(run.series.loss!.steps.length).toBe(6);
    expect(Array.from(run.series.loss!.steps)).toEqual(stepsWith(state.log_history, 'loss'));
    expect(Array.from(run.series.eval_loss!.steps)).toEqual([10, 20, 30]);
    // Stopped before max_steps, and without the closing entry.
    expect(run.summary).toMatchObject({ global_step: 30, max_steps: 40 });
    expect(run.summary.train_runtime).toBeUndefined();
    expect(run.hparams['model.vocab_size']).toBe(64);
    expect(run.hparams['generation.eos_token_id']).toBe(0);
    expect(result.issues.map((i) => [i.code, i.file])).toEqual([
      ['hf.checkpoint-superseded', 'checkpoint-10/trainer_state.json'],
      ['hf.checkpoint-superseded', 'checkpoint-20/trainer_state.json'],
    ]);
  });
});
