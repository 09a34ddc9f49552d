/**
 * Lightning CSVLogger reader: the 10 real metrics.csv files of the corpus (cells counted here
 * by splitting lines on commas), fixtures written by Lightning's own CSVLogger
 * (test/fixtures/lightning-csv/generate.py), and damaged inputs.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isOpaque } from '../../../src/model/run.js';
import { ingest } from '../../../src/ingest/ingest.js';
import { lightningCsvReader } from '../../../src/ingest/readers/lightning-csv.js';
import { corpusPath, HAS_CORPUS, REPO } from '../../support/corpus.js';
import { codesOf, errorsOf, listFiles, scratch, writeTree } from '../../support/files.js';

const tmp = scratch('lightning');
const folder = (name: string, files: Record<string, string>) => writeTree(tmp, name, files);


const onlyLightning = { readers: [lightningCsvReader] };
const errors = errorsOf;
const codes = codesOf;
const points = (series: { steps: Float64Array; values: Float64Array }) =>
  Array.from(series.steps, (step, i) => [step, series.values[i]!]);


/**
 * Non-empty cells per column, by splitting on commas (valid for files without quotes), with
 * the reader's one documented exception: an epoch cell repeating the previous epoch point
 * (same step, same text) is not a new point.
 */
function expectedCounts(text: string): Map<string, number> {
  const lines = text.split(/\r?\n/).filter((line) => line.length > 0);
  const header = lines[0]!.split(',');
  const stepAt = header.indexOf('step');
  const epochAt = header.indexOf('epoch');
  const counts = new Map<string, number>();
  let lastEpoch = '';
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    cells.forEach((cell, i) => {
      if (i === stepAt || cell === '') return;
      if (i === epochAt) {
        const key = `${cells[stepAt]}|${cell}`;
        if (key === lastEpoch) return;
        lastEpoch = key;
      }
      counts.set(header[i]!, (counts.get(header[i]!) ?? 0) + 1);
    });
  }
  return counts;
}

/** Top-level keys of a YAML mapping as written by PyYAML: unindented `key:` lines. */
function topLevelKeys(text: string): string[] {
  return text
    .split('\n')
    .map((line) => /^([^\s#-][^:]*):/.exec(line)?.[1])
    .filter((key): key is string => key !== undefined)
    .sort();
}

describe.skipIf(!HAS_CORPUS)('lightning-csv on the corpus', () => {
  const root = corpusPath('real-logs', 'lightning-csv');
  const metricFiles = HAS_CORPUS ? listFiles(root).filter((file) => path.basename(file) === 'metrics.csv') : [];

  it('reads all 10 version folders, one run each, with no error', async () => {
    expect(metricFiles).toHaveLength(10);
    const result = await ingest([root], onlyLightning);
    expect(result.runs).toHaveLength(10);
    expect(result.runs.every((run) => run.format === 'lightning-csv')).toBe(true);
    expect(errors(result.issues)).toEqual([]);
  });

  it('has, per column, as many points as non-empty cells, and the hparams keys of hparams.yaml', async () => {
    for (const file of metricFiles) {
      const text = readFileSync(file, 'utf8');
      // The comma split below is only a valid oracle when nothing is quoted.
      expect(text.includes('"'), file).toBe(false);
      const result = await ingest([path.dirname(file)], onlyLightning);
      expect(result.runs, file).toHaveLength(1);
      const run = result.runs[0]!;
      const actual = new Map(Object.entries(run.series).map(([name, series]) => [name, series.steps.length]));
      expect(actual, file).toEqual(expectedCounts(text));
      const hparamsFile = path.join(path.dirname(file), 'hparams.yaml');
      const expectedKeys = existsSync(hparamsFile) ? topLevelKeys(readFileSync(hparamsFile, 'utf8')) : [];
      expect(Object.keys(run.hparams).sort(), file).toEqual(expectedKeys);
      expect(errors(result.issues), file).toEqual([]);
    }
  });

  it('keeps the pickled tensor of a Python-tagged hparams.yaml opaque, with one warning', async () => {
    const dir = corpusPath('real-logs', 'lightning-csv', 'Kleinschock__Gaze_Detection_Correction', 'lightning_logs', 'version_0');
    const result = await ingest([dir], onlyLightning);
    const run = result.runs[0]!;
    expect(isOpaque(run.hparams.class_weights)).toBe(true);
    expect((run.hparams.class_weights as { $opaque: string }).$opaque).toBe('!!python/object/apply:torch._utils._rebuild_tensor_v2');
    expect(run.hparams.learning_rate).toBe(0.001);
    expect(run.hparams.model_params).toEqual({ dropout: 0.3, hidden_size: 128, num_layers: 2 });
    const tags = result.issues.filter((issue) => issue.code === 'yaml.python-tag');
    expect(tags).toHaveLength(1);
    expect(tags[0]!.data).toMatchObject({ count: 1 });
  });

  it('reads LearningRateMonitor rows, whose epoch cell is empty, into the lr series only', async () => {
    const dir = corpusPath('real-logs', 'lightning-csv', 'Eve-ning__opal-v2', 'lightning_logs', 'version_0');
    const run = (await ingest([dir], onlyLightning)).runs[0]!;
    expect(run.series['lr-Adam']!.steps[0]).toBe(49);
    expect(run.series['lr-Adam']!.values[0]).toBeCloseTo(0.00328141592920354, 15);
    expect(run.roles.lr).toBe('lr-Adam');
    expect(run.series['train/nll_loss']!.steps[0]).toBe(49);
  });
});

describe('lightning-csv fixtures from the real CSVLogger', () => {
  const fixtures = path.join(REPO, 'test/fixtures/lightning-csv');

  it('reads the tiny model run: train loss per step and per epoch, validation, lr, NaN grad norm', async () => {
    const dir = path.join(fixtures, 'tiny/version_0');
    const result = await ingest([dir], onlyLightning);
    expect(result.runs).toHaveLength(1);
    const run = result.runs[0]!;
    expect(Object.keys(run.series).sort()).toEqual(
      ['epoch', 'grad_norm', 'lr-SGD', 'train_loss_epoch', 'train_loss_step', 'val_acc', 'val_loss'].sort(),
    );
    const expected = expectedCounts(readFileSync(path.join(dir, 'metrics.csv'), 'utf8'));
    for (const [name, count] of expected) expect(run.series[name]!.steps.length, name).toBe(count);
    // generate.py: 3 epochs of 4 batches, logged every 2 steps; validation at each epoch end.
    expect(Array.from(run.series.val_loss!.steps)).toEqual([3, 7, 11]);
    expect(Array.from(run.series.train_loss_step!.steps)).toEqual([1, 3, 5, 7, 9, 11]);
    expect(Array.from(run.series['lr-SGD']!.steps)).toEqual([1, 3, 5, 7, 9, 11]);
    expect(run.series['lr-SGD']!.values[0]).toBe(0.05);
    expect(points(run.series.epoch!)).toEqual([[1, 0], [3, 0], [5, 1], [7, 1], [9, 2], [11, 2]]);
    expect(run.series.grad_norm!.values[0]).toBeNaN();
    expect(run.roles).toMatchObject({ valLoss: 'val_loss', lr: 'lr-SGD', gradNorm: 'grad_norm', epoch: 'epoch' });
    expect(run.hparams.hidden).toBe(8);
    expect(run.hparams.lr).toBe(0.1);
    expect(isOpaque(run.hparams.criterion)).toBe(true);
    expect((run.hparams.criterion as { $opaque: string }).$opaque).toBe('!!python/object:torch.nn.modules.loss.CrossEntropyLoss');
    const pythonTags = result.issues.filter((issue) => issue.code === 'yaml.python-tag');
    expect(pythonTags.map((issue) => issue.data?.count)).toEqual([1]);
    expect(result.issues.filter((issue) => issue.code === 'series.non-finite').map((issue) => issue.data?.series)).toEqual(['grad_norm']);
    expect(errors(result.issues)).toEqual([]);
  });
});

describe('lightning-csv on damaged and unusual input', () => {
  it('never executes a Python tag: os.system stays an opaque value and the marker file is not created', async () => {
    const marker = path.join(tmp, `pwned-${process.pid}`);
    const dir = folder('pwned/version_0', {
      'metrics.csv': 'epoch,step,loss\n0,0,1.0\n',
      'hparams.yaml': [
        `attack: !!python/object/apply:os.system ["touch ${marker}"]`,
        'name: !!python/name:builtins.print',
        'model: !!python/object:torch.nn.Linear {in_features: 2}',
        'lr: 0.5',
        '',
      ].join('\n'),
    });
    const result = await ingest([dir], onlyLightning);
    expect(existsSync(marker)).toBe(false);
    const run = result.runs[0]!;
    expect(isOpaque(run.hparams.attack)).toBe(true);
    expect((run.hparams.attack as { $opaque: string }).$opaque).toBe('!!python/object/apply:os.system');
    expect(isOpaque(run.hparams.name)).toBe(true);
    expect(isOpaque(run.hparams.model)).toBe(true);
    expect(run.hparams.lr).toBe(0.5);
    const warnings = result.issues.filter((issue) => issue.code === 'yaml.python-tag');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.data).toMatchObject({ count: 3, tag: '!!python/object/apply:os.system' });
    expect(run.series.loss!.values[0]).toBe(1);
  });

  it('reports invalid YAML and still reads the metrics', async () => {
    const dir = folder('bad-yaml/version_0', {
      'metrics.csv': 'epoch,step,loss\n0,0,1.0\n0,1,0.5\n',
      'hparams.yaml': 'lr: [0.1\nbatch: 4\n',
    });
    const result = await ingest([dir], onlyLightning);
    expect(codes(result.issues)).toContain('yaml.invalid');
    expect(result.issues.find((issue) => issue.code === 'yaml.invalid')!.file).toMatch(/hparams\.yaml$/);
    expect(result.runs[0]!.series.loss!.steps.length).toBe(2);
    expect(result.runs[0]!.hparams).toEqual({});
  });

  it('reports an empty metrics.csv and keeps the hyperparameters beside it', async () => {
    const dir = folder('empty/version_0', { 'metrics.csv': '', 'hparams.yaml': 'lr: 0.01\n' });
    const result = await ingest([dir], onlyLightning);
    expect(codes(result.issues)).toEqual(['file.empty']);
    expect(result.runs).toHaveLength(1);
    expect(result.runs[0]!.hparams).toEqual({ lr: 0.01 });
    expect(result.runs[0]!.series).toEqual({});
  });

  it('reports a header-only metrics.csv as empty and reads no points', async () => {
    const dir = folder('header-only/version_0', { 'metrics.csv': 'epoch,step,train_loss\n' });
    const result = await ingest([dir], onlyLightning);
    expect(result.issues.map((issue) => [issue.code, issue.location])).toEqual([['file.empty', 'line 1']]);
    expect(result.runs).toEqual([]);
  });

  it('keeps the complete cells of a last row cut off mid-write and drops the cut one', async () => {
    const dir = folder('truncated/version_0', { 'metrics.csv': 'epoch,step,train_loss,val_loss\n0,9,1.5,\n0,9,,1.25\n1,19,0.7' });
    const result = await ingest([dir], onlyLightning);
    const run = result.runs[0]!;
    expect(points(run.series.train_loss!)).toEqual([[9, 1.5]]);
    expect(points(run.series.epoch!)).toEqual([[9, 0], [19, 1]]);
    const truncated = result.issues.filter((issue) => issue.code === 'csv.truncated-row');
    expect(truncated).toHaveLength(1);
    expect(truncated[0]).toMatchObject({ severity: 'info', location: 'line 4', data: { fields: 3, expected: 4 } });
    expect(codes(result.issues)).not.toContain('csv.ragged-row');
  });

  it('reads a complete last row without a final line break whole', async () => {
    const dir = folder('no-final-newline/version_0', { 'metrics.csv': 'epoch,step,loss\n0,0,1.5\n0,1,0.75' });
    const result = await ingest([dir], onlyLightning);
    expect(points(result.runs[0]!.series.loss!)).toEqual([[0, 1.5], [1, 0.75]]);
    expect(result.issues).toEqual([]);
  });

  it('reports steps going backwards (a run resumed into the same file) through the central check', async () => {
    const dir = folder('resumed/version_0', {
      'metrics.csv': 'epoch,step,loss\n0,0,4\n0,1,3\n0,2,2\n0,1,3.5\n0,2,2.5\n0,3,1.5\n',
    });
    const result = await ingest([dir]);
    const run = result.runs[0]!;
    expect(run.format).toBe('lightning-csv');
    expect(run.series.loss!.steps.length).toBe(6);
    expect(run.segments.loss).toEqual({ restarts: [3] });
    const restart = result.issues.find((issue) => issue.code === 'series.restart' && issue.data?.series === 'loss');
    expect(restart?.data).toMatchObject({ from: 2, to: 1 });
  });

  it('parses quoted fields with commas, CRLF line ends and a byte-order mark', async () => {
    const dir = folder('quoted/version_0', {
      'metrics.csv': '\ufeff"step","val/acc, top-1",epoch,"note"\r\n0,0.5,0,"a, b"\r\n1,"0.75",0,\r\n',
    });
    const result = await ingest([dir], onlyLightning);
    const run = result.runs[0]!;
    expect(points(run.series['val/acc, top-1']!)).toEqual([[0, 0.5], [1, 0.75]]);
    const nonNumeric = result.issues.filter((issue) => issue.code === 'series.non-numeric');
    expect(nonNumeric.map((issue) => issue.data)).toEqual([
      expect.objectContaining({ series: 'note', count: 1, example: '"a, b"', at: 'line 2' }),
    ]);
    expect(run.series.note).toBeUndefined();
  });

  it('counts lines across blank lines and quoted line breaks when it names a line', async () => {
    const dir = folder('lines/version_0', {
      'metrics.csv': 'step,loss,note\n0,1,"two\nlines"\n\n1,2,\n2,oops,\n',
    });
    const result = await ingest([dir], onlyLightning);
    expect(points(result.runs[0]!.series.loss!)).toEqual([[0, 1], [1, 2]]);
    const loss = result.issues.find((issue) => issue.code === 'series.non-numeric' && issue.data?.series === 'loss');
    expect(loss?.location).toBe('line 6');
    expect(codes(result.issues)).not.toContain('csv.ragged-row');
  });

  it('keeps nan, inf and -inf as non-finite values and counts text that is not a number', async () => {
    const dir = folder('non-finite/version_0', {
      'metrics.csv': 'epoch,step,loss,grad_norm\n0,0,nan,1\n0,1,inf,oops\n0,2,-inf,NaN\n0,3,0.5,bad\n',
    });
    const result = await ingest([dir], onlyLightning);
    const run = result.runs[0]!;
    expect(Array.from(run.series.loss!.values)).toEqual([Number.NaN, Infinity, -Infinity, 0.5]);
    expect(points(run.series.grad_norm!)).toEqual([[0, 1], [2, Number.NaN]]);
    const nonNumeric = result.issues.find((issue) => issue.code === 'series.non-numeric')!;
    expect(nonNumeric.data).toMatchObject({ series: 'grad_norm', count: 2, example: '"oops"', at: 'line 3' });
    const nonFinite = result.issues.filter((issue) => issue.code === 'series.non-finite').map((issue) => issue.data);
    expect(nonFinite).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ series: 'loss', count: 3 }),
        expect.objectContaining({ series: 'grad_norm', count: 1 }),
      ]),
    );
  });

  it('reports ragged rows with their count and first line, keeping the cells under the header', async () => {
    const dir = folder('ragged/version_0', { 'metrics.csv': 'epoch,step,loss\n0,0,1\n0,1,2,99\n0,2\n0,3,4\n' });
    const result = await ingest([dir], onlyLightning);
    const ragged = result.issues.filter((issue) => issue.code === 'csv.ragged-row');
    expect(ragged).toHaveLength(1);
    expect(ragged[0]!.data).toMatchObject({ count: 2, line: 3 });
    expect(points(result.runs[0]!.series.loss!)).toEqual([[0, 1], [1, 2], [3, 4]]);
  });

  it('gives a row with an empty step the step of the row before, and says so', async () => {
    const dir = folder('missing-step/version_0', { 'metrics.csv': 'epoch,step,loss,val_loss\n0,5,1,\n0,,,0.5\n,7,0.25,\n' });
    const result = await ingest([dir], onlyLightning);
    const run = result.runs[0]!;
    expect(points(run.series.val_loss!)).toEqual([[5, 0.5]]);
    const missing = result.issues.filter((issue) => issue.code === 'series.missing-step').map((issue) => issue.data);
    // The epoch cell of the step-less row repeats (5, 0) and is not a new point.
    expect(missing).toEqual([expect.objectContaining({ series: 'val_loss', count: 1 })]);
  });

  it('reports an unclosed quote as a record that could not be parsed', async () => {
    const dir = folder('unclosed/version_0', { 'metrics.csv': 'epoch,step,loss\n0,0,1\n0,1,"2\n' });
    const result = await ingest([dir], onlyLightning);
    const bad = result.issues.filter((issue) => issue.code === 'csv.bad-record');
    expect(bad).toHaveLength(1);
    expect(bad[0]!.data).toMatchObject({ count: 1, line: 3 });
    expect(points(result.runs[0]!.series.loss!)).toEqual([[0, 1]]);
  });

  it('leaves a metrics.csv without a step column to the generic CSV reader', async () => {
    const dir = folder('no-step/version_0', { 'metrics.csv': 'epoch,loss\n0,1\n' });
    const claims = await lightningCsvReader.claim({
      files: () => [{ path: path.join(dir, 'metrics.csv'), rel: 'metrics.csv', name: 'metrics.csv', dir, size: 14 }],
      inDir: () => [],
      head: async () => Buffer.from('epoch,loss\n0,1\n'),
    });
    expect(claims).toEqual([]);
  });
});
