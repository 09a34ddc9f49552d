import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingest, type IngestResult } from '../../../src/ingest/ingest.js';
import { csvReader, detectDelimiter, headerFields } from '../../../src/ingest/readers/csv.js';
import { CORPUS_SKIP_REASON, HAS_CORPUS, REPO, corpusPath } from '../../support/corpus.js';

const FIXTURES = path.join(REPO, 'test/fixtures/csv');
const read = (folder: string) => ingest([path.join(FIXTURES, folder)], { readers: [csvReader] });
const issuesOf = (result: IngestResult, code: string) => result.issues.filter((i) => i.code === code);

/** Independent count of non-empty cells per column: a plain split, for files without quoted fields. */
function countCells(file: string, delimiter = ','): Map<string, number> {
  const [header, ...rows] = readFileSync(file, 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/).filter((line) => line !== '');
  const names = header!.split(delimiter);
  const counts = new Map(names.map((name) => [name, 0]));
  for (const row of rows) {
    row.split(delimiter).forEach((cell, i) => {
      if (cell.trim() !== '' && i < names.length) counts.set(names[i]!, counts.get(names[i]!)! + 1);
    });
  }
  return counts;
}

describe('header sniffing', () => {
  it.each([
    ['step,loss,acc', 'metrics.csv', ','],
    ['step\tloss\tacc', 'metrics.tsv', '\t'],
    ['step;loss;acc', 'metrics.csv', ';'],
    ['"a,b";c;d', 'x.csv', ';'],
    ['step,loss', 'odd.tsv', ','],
  ])('%j in %s splits on %j', (line, name, delimiter) => expect(detectDelimiter(line, name)).toBe(delimiter));

  it('wants two or more fields, one of them a name', () => {
    expect(headerFields('step,loss', ',')).toEqual(['step', 'loss']);
    expect(headerFields('1,2,3', ',')).toBeUndefined();
    expect(headerFields('loss', ',')).toBeUndefined();
  });
});

describe('scalar logs written by a PyTorch loop with the csv module', () => {
  it.each([
    ['run', 'metrics.csv', ','],
    ['tsv', 'metrics.tsv', '\t'],
    ['semicolon', 'metrics.csv', ';'],
  ])('%s: one series per column with the counts of a plain split', async (folder, name, delimiter) => {
    const result = await read(folder);
    const run = result.runs[0]!;
    const expected = countCells(path.join(FIXTURES, folder, name), delimiter);
    expected.delete('step');
    expect(Object.keys(run.series).sort()).toEqual([...expected.keys()].sort());
    for (const [series, count] of expected) expect(run.series[series]!.values.length, series).toBe(count);
    expect(result.issues.filter((i) => i.severity !== 'info')).toEqual([]);
  });

  it('keeps the step column as steps and empty cells as no point', async () => {
    const run = (await read('run')).runs[0]!;
    expect(Array.from(run.series['val_loss']!.steps)).toEqual([4, 9, 14, 19]);
    expect(Array.from(run.series['loss']!.steps)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(run.series['loss']!.values[0]).toBe(1.0605541467666626);
  });

  it('reads the per-example file of the same folder into the same run (spread probability columns)', async () => {
    const run = (await read('run')).runs[0]!;
    const rows = readFileSync(path.join(FIXTURES, 'run/predictions.csv'), 'utf8').trim().split(/\r?\n/).slice(1).map((l) => l.split(','));
    const set = run.examples[0]!;
    expect(set).toMatchObject({ name: 'predictions', count: rows.length });
    expect(set.labels).toEqual(rows.map((r) => Number(r[1])));
    expect(set.preds).toEqual(rows.map((r) => Number(r[2])));
    expect(Array.from(set.correct!)).toEqual(rows.map((r) => (r[3] === 'True' ? 1 : 0)));
    expect(set.probs!.classes).toBe(3);
    expect(Array.from(set.probs!.data)).toEqual(rows.flatMap((r) => r.slice(4).map(Number)));
  });

  it('reads nan / inf as non-finite and a timestamp column as wall times', async () => {
    const result = await read('diverged');
    const run = result.runs[0]!;
    const text = readFileSync(path.join(FIXTURES, 'diverged/log.csv'), 'utf8');
    const nonFinite = text.split(/\r?\n/).filter((line) => /,(nan|inf|-inf),/.test(line)).length;
    expect(issuesOf(result, 'series.non-finite').find((i) => i.data!['series'] === 'loss')!.data!['count']).toBe(nonFinite);
    expect(run.series['loss']!.values[12]).toBe(Number.POSITIVE_INFINITY);
    expect(run.series['loss']!.values[13]).toBeNaN();
    expect(run.series['timestamp']).toBeUndefined();
    expect(run.series['loss']!.wallTimes[3]).toBe(1_700_000_001.5);
    expect(Array.from(run.series['loss']!.steps.subarray(0, 3))).toEqual([0, 1, 2]);
  });

  it('keeps every point of a resumed run; central checks report the restart and the repeated step', async () => {
    const result = await read('resumed');
    const run = result.runs[0]!;
    expect(run.series['loss']!.values.length).toBe(countCells(path.join(FIXTURES, 'resumed/metrics.csv')).get('loss'));
    expect(run.series['loss']!.values.length).toBe(10 + 9 + 1);
    expect(issuesOf(result, 'series.restart').find((i) => i.data!['series'] === 'loss')!.data).toMatchObject({ from: 9, to: 5 });
    expect(run.segments['loss']!.restarts).toEqual([10]);
    expect(issuesOf(result, 'series.duplicate-step').find((i) => i.data!['series'] === 'loss')!.data).toMatchObject({ count: 1, step: 13 });
  });

  it('numbers rows without a step column and reports a text column', async () => {
    const result = await read('nostep');
    const run = result.runs[0]!;
    expect(issuesOf(result, 'csv.no-step-column')).toHaveLength(1);
    expect(Array.from(run.series['final_loss']!.steps)).toEqual([0, 1, 2, 3]);
    expect(issuesOf(result, 'series.text-only')).toMatchObject([{ data: { count: 1, fields: 'model' } }]);
    expect(issuesOf(result, 'series.non-numeric')).toEqual([]);
  });
});

describe("TensorBoard's scalar CSV download (Wall time, Step, Value)", () => {
  it('names the one series after the file and reads wall times', async () => {
    const result = await read('tensorboard_export');
    const run = result.runs[0]!;
    expect(Object.keys(run.series)).toEqual(['run-version_0-tag-train_loss']);
    const series = run.series['run-version_0-tag-train_loss']!;
    expect(Array.from(series.steps)).toEqual([0, 10, 20, 30, 40, 50, 60, 70]);
    expect(series.wallTimes[2]).toBe(1_700_000_002.25);
    expect(result.issues).toEqual([]);
  });
});

describe('per-example CSV with a JSON list of probabilities', async () => {
  const result = await read('examples_list');
  const set = result.runs[0]!.examples[0]!;

  it('reads ids, labels, predictions, groups and probabilities; reports the text column', () => {
    expect(set).toMatchObject({ name: 'test_predictions', count: 24 });
    expect(set.ids!.slice(0, 2)).toEqual(['q0', 'q1']);
    expect(set.clusters!.slice(0, 3)).toEqual(['even', 'odd', 'even']);
    expect(set.probs!.classes).toBe(3);
    expect(Array.from(set.probs!.data.subarray(0, 3))).toEqual([0.0286, 0.0236, 0.9478]);
    expect(issuesOf(result, 'examples.ignored-fields')).toMatchObject([{ data: { fields: 'question' } }]);
  });
});

describe('damaged files', () => {
  it('ragged rows are read as far as they go and counted', async () => {
    const result = await read('ragged');
    expect(issuesOf(result, 'csv.ragged-row')).toMatchObject([{ location: 'line 5', data: { count: 2, line: 5 } }]);
    expect(result.runs[0]!.series['loss']!.values.length).toBe(countCells(path.join(FIXTURES, 'ragged/metrics.csv')).get('loss'));
  });

  it('an unclosed quote stops the parse; rows before it are kept', async () => {
    const result = await read('unclosed');
    expect(issuesOf(result, 'csv.stopped')).toMatchObject([{ severity: 'error', data: { kept: 5 } }]);
    expect(result.runs[0]!.series['loss']!.values.length).toBe(5);
  });

  it('a file cut mid-row keeps its last partial row as a ragged row', async () => {
    const result = await read('cut');
    expect(issuesOf(result, 'csv.ragged-row')).toMatchObject([{ data: { count: 1, line: 8 } }]);
    expect(result.runs[0]!.series['loss']!.values.length).toBe(7);
  });

  it('leaves empty files and files without a header to the central reports', async () => {
    expect((await read('empty')).issues.map((i) => i.code)).toEqual(['file.empty']);
    const notCsv = await read('not_csv');
    expect(notCsv.runs).toEqual([]);
    expect(notCsv.issues).toMatchObject([{ code: 'file.unrecognized', data: { count: 2 } }]);
  });
});

describe.skipIf(!HAS_CORPUS)(`csv reader on the corpus (${HAS_CORPUS ? 'present' : CORPUS_SKIP_REASON})`, () => {
  // Every CSV / TSV of the corpus outside real-logs/ (whose metrics.csv files are Lightning's).
  const listCsv = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const abs = path.join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'real-logs' ? [] : listCsv(abs);
      return /\.(csv|tsv)$/.test(entry.name) ? [abs] : [];
    });
  const files = HAS_CORPUS ? listCsv(corpusPath()) : [];

  it('finds the corpus tables', () => expect(files.length).toBe(11));

  it.each(files.map((file) => [path.relative(corpusPath(), file), file]))('%s: every numeric column is a series with the counts of a plain split', async (_, file) => {
    const result = await ingest([file], { readers: [csvReader] });
    expect(result.issues.filter((i) => i.severity === 'error')).toEqual([]);
    const run = result.runs[0]!;
    const delimiter = file.endsWith('.tsv') ? '\t' : ',';
    const cells = countCells(file, delimiter);
    const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/).filter(Boolean);
    const header = text[0]!.split(delimiter);
    const nonNumeric = new Set(issuesOf(result, 'series.non-numeric').map((i) => String(i.data!['series'])));
    const textOnly = new Set(issuesOf(result, 'series.text-only').flatMap((i) => String(i.data!['fields']).split(', ')));
    for (const [column, count] of cells) {
      if (column === 'step' || column === 'epoch') continue;
      const numeric = text.slice(1).filter((row) => {
        const cell = row.split(delimiter)[header.indexOf(column)] ?? '';
        return cell.trim() !== '' && !Number.isNaN(Number(cell));
      }).length;
      if (numeric === 0) {
        expect(run.series[column], column).toBeUndefined();
        expect(textOnly.has(column), column).toBe(true);
      } else {
        expect(run.series[column]!.values.length, column).toBe(numeric);
        expect(nonNumeric.has(column), column).toBe(numeric !== count);
      }
    }
  });

  it('reads the Chinchilla points without a step column, rows numbered from 0', async () => {
    const file = corpusPath('scaling/chinchilla-epoch-svg-extracted.csv');
    const result = await ingest([file], { readers: [csvReader] });
    const rows = readFileSync(file, 'utf8').trim().split(/\r?\n/).length - 1;
    expect(issuesOf(result, 'csv.no-step-column')).toHaveLength(1);
    expect(result.runs[0]!.series['loss']!.values.length).toBe(rows);
    expect(result.runs[0]!.series['Model Size']!.steps[rows - 1]).toBe(rows - 1);
  });
});
