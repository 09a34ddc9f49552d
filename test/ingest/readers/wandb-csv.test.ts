import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingest } from '../../../src/ingest/ingest.js';
import { wandbCsvLayout, wandbCsvReader } from '../../../src/ingest/readers/wandb-csv.js';
import { wandbReader } from '../../../src/ingest/readers/wandb.js';
import { REPO } from '../../support/corpus.js';

const FIXTURES = path.join(REPO, 'test/fixtures/wandb-csv');
const STEP_EXPORT = 'wandb_export_2024-05-01T12_00_00.000+02_00.csv';
const TIME_EXPORT = 'wandb_export_2024-05-02T09_30_11.512+00_00.csv';

const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});
function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ladder-wandb-csv-'));
  temporary.push(dir);
  writeFileSync(path.join(dir, name), text);
  return dir;
}

/**
 * The fixtures quote every field, so a line is its `"…"` groups: an independent reading
 * for the expected counts (cells that are non-empty, per run and metric).
 */
function expectedCounts(file: string): Map<string, Record<string, number>> {
  const lines = readFileSync(path.join(FIXTURES, file), 'utf8').trim().split('\n');
  const fields = (line: string) => Array.from(line.matchAll(/"((?:[^"]|"")*)"/g), (m) => m[1]!.replace(/""/g, '"'));
  const header = fields(lines[0]!);
  const counts = new Map<string, Record<string, number>>();
  header.forEach((name, column) => {
    const cut = name.lastIndexOf(' - ');
    if (column === 0 || cut < 0) return;
    const run = name.slice(0, cut);
    const metric = name.slice(cut + 3).replace(/__(MIN|MAX)$/, (_, m: string) => `__${m.toLowerCase()}`);
    const numeric = lines.slice(1).filter((line) => {
      const cell = fields(line)[column] ?? '';
      return cell !== '' && cell !== 'n/a';
    }).length;
    const perRun = counts.get(run) ?? {};
    perRun[metric] = numeric;
    counts.set(run, perRun);
  });
  return counts;
}

describe('wandb chart CSV exports', async () => {
  const result = await ingest([FIXTURES], { readers: [wandbReader] });
  const runsOf = (file: string) => result.runs.filter((run) => run.paths[0] === `wandb-csv/${file}` || run.paths[0] === file);

  it('makes one run per run name, including names with " - " and commas inside', () => {
    const names = runsOf(STEP_EXPORT).map((run) => run.tags.name).sort();
    expect(names).toEqual(['ablation, no dropout', 'bert-base - lr 3e-5', 'tidy-sun-1']);
    expect(runsOf(STEP_EXPORT).map((run) => run.id)).toContain(`${STEP_EXPORT}#bert-base - lr 3e-5`);
    for (const run of result.runs) expect(run.format).toBe('wandb');
  });

  it('has one point per non-empty cell, series named by metric with __min/__max envelopes', () => {
    for (const file of [STEP_EXPORT, TIME_EXPORT, 'epoch-chart.csv']) {
      const expected = expectedCounts(file);
      const runs = runsOf(file);
      expect(runs.length, file).toBe(expected.size);
      for (const run of runs) {
        const counts = Object.fromEntries(
          Object.entries(run.series)
            .filter(([name]) => name !== '_runtime')
            .map(([name, series]) => [name, series.steps.length]),
        );
        expect(counts, `${file} ${run.tags.name}`).toEqual(expected.get(run.tags.name!));
      }
    }
  });

  it('uses the Step column as steps and keeps NaN and inf cells as non-finite points', () => {
    const tidy = runsOf(STEP_EXPORT).find((run) => run.tags.name === 'tidy-sun-1')!;
    expect(Array.from(tidy.series['train/loss']!.steps)).toEqual([0, 50, 100, 150, 200, 250, 300]);
    expect(tidy.series['train/loss']!.values[2]).toBeNaN();
    const bert = runsOf(STEP_EXPORT).find((run) => run.tags.name === 'bert-base - lr 3e-5')!;
    expect(Array.from(bert.series['train/loss__max']!.values)).toEqual([2.3051, 1.9034, 1.4602, 1.2301, 1.071, 0.958]);
    const group = runsOf('epoch-chart.csv')[0]!;
    expect(group.tags.name).toBe('Group: lr-sweep');
    expect(Array.from(group.series['val/acc']!.steps)).toEqual([1, 2, 3]);
    expect(group.series['val/acc']!.values[2]).toBe(Infinity);
  });

  it('reports non-numeric cells as such, and nothing as an error', () => {
    const nonNumeric = result.issues.filter((i) => i.code === 'series.non-numeric');
    expect(nonNumeric.map((i) => [i.file, i.data?.series, i.data?.count])).toEqual([['epoch-chart.csv', 'val/acc', 1]]);
    expect(result.issues.filter((i) => i.severity === 'error')).toEqual([]);
  });

  it('numbers rows on a time x-axis and keeps the relative time as _runtime', () => {
    const [run] = runsOf(TIME_EXPORT);
    expect(Array.from(run!.series['eval/accuracy']!.steps)).toEqual([0, 1, 2, 3]);
    expect(Array.from(run!.series['eval/f1']!.steps)).toEqual([0, 1, 3]);
    expect(Array.from(run!.series._runtime!.values)).toEqual([12.5, 61.25, 119.75, 180]);
    expect(result.issues.filter((i) => i.code === 'csv.no-step-column').map((i) => i.file)).toEqual([TIME_EXPORT]);
  });

  it('does not make the envelopes validation metrics', () => {
    const group = runsOf('epoch-chart.csv')[0]!;
    expect(group.roles.valLoss).toBe('val/loss');
    expect(group.roles.valMetrics).toEqual(['val/acc']);
  });

  it('leaves CSV files whose header merely contains " - " to the generic CSV reader', async () => {
    expect(result.runs.some((run) => run.paths[0]?.endsWith('not-wandb-ranges.csv'))).toBe(false);
    const all = await ingest([FIXTURES]);
    const plain = all.runs.find((run) => run.paths[0]?.endsWith('not-wandb-ranges.csv'));
    expect(plain?.format).toBe('csv');
    expect(all.runs.filter((run) => run.format === 'wandb')).toHaveLength(result.runs.length);
  });
});

describe('wandb chart CSV: header detection and damage', () => {
  it('recognizes exports by envelope columns or by the export file name', () => {
    expect(wandbCsvLayout(['Step', 'a - loss', 'a - loss__MIN', 'a - loss__MAX'], 'chart.csv')).toBeDefined();
    expect(wandbCsvLayout(['Step', 'a - loss'], 'wandb_export_2024-01-01.csv')).toBeDefined();
    expect(wandbCsvLayout(['Step', 'a - loss'], 'chart.csv')).toBeUndefined();
    expect(wandbCsvLayout(['step', 'loss', 'acc'], 'wandb_export_x.csv')).toBeUndefined();
    const layout = wandbCsvLayout(['Step', 'x - y - z - loss', 'x - y - z - loss__MAX', 'notes'], 'c.csv')!;
    expect(layout.targets[1]).toEqual({ run: 'x - y - z', series: 'loss' });
    expect(layout.targets[2]).toEqual({ run: 'x - y - z', series: 'loss__max' });
    expect(layout.unpaired).toEqual(['notes']);
  });

  it('reports unpaired columns, ragged rows and a broken quote while keeping the rows before', async () => {
    const dir = tempFile(
      'wandb_export_broken.csv',
      '"Step","r1 - loss","r1 - loss__MIN","r1 - loss__MAX","comment"\n' +
        '"0","1.0","0.9","1.1","ok"\n' +
        '"1","0.8","0.7"\n' +
        '"2","0.6","0.5","0.7","x"\n' +
        '"3","0.4,"0.3","0.5","x"\n',
    );
    const { runs, issues } = await ingest([dir], { readers: [wandbCsvReader] });
    const codes = issues.map((i) => i.code).sort();
    expect(codes).toEqual(['csv.ragged-row', 'csv.stopped', 'wandb.csv-unpaired-column']);
    expect(issues.find((i) => i.code === 'csv.stopped')!.data).toMatchObject({ line: 5, kept: 3 });
    expect(issues.find((i) => i.code === 'csv.ragged-row')!.data?.count).toBe(1);
    expect(Array.from(runs[0]!.series.loss!.steps)).toEqual([0, 1, 2]);
    expect(Array.from(runs[0]!.series.loss__max!.steps)).toEqual([0, 2]);
  });
});
