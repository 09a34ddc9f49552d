import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingest, type IngestResult } from '../../../src/ingest/ingest.js';
import { jsonlReader } from '../../../src/ingest/readers/jsonl.js';
import { CORPUS_SKIP_REASON, HAS_CORPUS, REPO, corpusPath } from '../../support/corpus.js';

const FIXTURES = path.join(REPO, 'test/fixtures/jsonl');
const read = (folder: string) => ingest([path.join(FIXTURES, folder)], { readers: [jsonlReader] });
const issuesOf = (result: IngestResult, code: string) => result.issues.filter((i) => i.code === code);

/**
 * Independent count of points per key: plain JSON.parse after quoting Python's literals,
 * nested objects joined with '/', nulls and the step key left out.
 */
function countPoints(file: string, stepKey = 'step'): Map<string, number> {
  const counts = new Map<string, number>();
  const visit = (prefix: string, value: unknown) => {
    if (value === null) return;
    if (typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) visit(prefix ? `${prefix}/${k}` : k, v);
    } else if (prefix !== stepKey) counts.set(prefix, (counts.get(prefix) ?? 0) + 1);
  };
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim()) visit('', JSON.parse(line.replace(/\b(NaN|-?Infinity)\b/g, '"$1"')));
  }
  return counts;
}

describe('a healthy PyTorch run with its per-example predictions (one folder, one run)', async () => {
  const result = await read('run');
  const run = result.runs[0]!;

  it('reads both files into one run', () => {
    expect(result.runs).toHaveLength(1);
    expect(run.format).toBe('jsonl');
    expect(run.paths.sort()).toEqual(['metrics.jsonl', 'predictions.jsonl']);
    expect(result.issues).toEqual([]);
  });

  it('has one series per logged key, nested keys flattened, with the counts of a plain parse', () => {
    const expected = countPoints(path.join(FIXTURES, 'run/metrics.jsonl'));
    expect(Object.keys(run.series).sort()).toEqual([...expected.keys()].sort());
    expect(Object.keys(run.series).sort()).toEqual(['epoch', 'eval/acc', 'eval/loss', 'grad_norm', 'loss', 'lr']);
    for (const [name, count] of expected) expect(run.series[name]!.values.length, name).toBe(count);
    expect(Array.from(run.series['eval/loss']!.steps)).toEqual([4, 9, 14, 19]);
    expect(Array.from(run.series['loss']!.steps)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('reads the predictions as an ExampleSet named after the file', () => {
    const lines = readFileSync(path.join(FIXTURES, 'run/predictions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const set = run.examples[0]!;
    expect(set.name).toBe('predictions');
    expect(set.count).toBe(lines.length);
    expect(set.ids).toEqual(lines.map((l) => l.id));
    expect(set.labels).toEqual(lines.map((l) => l.label));
    expect(set.preds).toEqual(lines.map((l) => l.pred));
    expect(Array.from(set.correct!)).toEqual(lines.map((l) => (l.correct ? 1 : 0)));
    expect(set.probs!.classes).toBe(3);
    expect(Array.from(set.probs!.data)).toEqual(lines.flatMap((l) => l.probs));
  });
});

describe('per-example results with aliases, 0/1 correctness, groups, a metric and text', async () => {
  const result = await read('eval');
  const set = result.runs[0]!.examples[0]!;

  it('maps example_id, target, prediction, group and keeps numeric fields as metrics', () => {
    expect(set.name).toBe('val_results');
    expect(set.count).toBe(24);
    expect(set.ids![3]).toBe('val-3');
    expect(set.clusters!.slice(0, 4)).toEqual(['g0', 'g1', 'g2', 'g0']);
    expect(set.labels!.length).toBe(24);
    const agree = set.labels!.map((label, i) => (label === set.preds![i] ? 1 : 0));
    expect(Array.from(set.correct!)).toEqual(agree);
    expect(set.metrics!['loss']!.length).toBe(24);
    expect(set.metrics!['text']).toBeUndefined();
  });

  it('reports the text field as not kept', () => {
    expect(issuesOf(result, 'examples.ignored-fields')).toMatchObject([{ file: 'val_results.ndjson', data: { count: 1, fields: 'text' } }]);
  });
});

describe('a diverging run logged with NaN / Infinity literals', async () => {
  const result = await read('diverged');
  const run = result.runs[0]!;
  const text = readFileSync(path.join(FIXTURES, 'diverged/metrics.jsonl'), 'utf8');

  it('keeps every point, non-finite ones included', () => {
    const expected = countPoints(path.join(FIXTURES, 'diverged/metrics.jsonl'));
    expect(run.series['loss']!.values.length).toBe(expected.get('loss'));
    expect(run.series['loss']!.values[12]).toBe(Number.POSITIVE_INFINITY);
    expect(run.series['loss']!.values[13]).toBeNaN();
  });

  it('counts the literals and lets the central check count non-finite values per series', () => {
    const literals = text.match(/\b(NaN|Infinity)\b/g)!.length;
    expect(issuesOf(result, 'json.non-standard-number')).toMatchObject([{ data: { count: literals } }]);
    const nonFiniteLoss = text.split('\n').filter((l) => /"loss": (NaN|-?Infinity)/.test(l)).length;
    expect(issuesOf(result, 'series.non-finite').find((i) => i.data!['series'] === 'loss')!.data!['count']).toBe(nonFiniteLoss);
    expect(result.issues.filter((i) => i.severity === 'error')).toEqual([]);
  });
});

describe('a resumed run: steps go back and a step repeats', async () => {
  const result = await read('resumed');
  const run = result.runs[0]!;

  it('keeps all points in file order; the central checks report the restart and the repeat', () => {
    const expected = countPoints(path.join(FIXTURES, 'resumed/metrics.jsonl'));
    expect(run.series['loss']!.values.length).toBe(expected.get('loss'));
    expect(run.series['loss']!.values.length).toBe(10 + 9 + 1);
    const restarts = issuesOf(result, 'series.restart').filter((i) => i.data!['series'] === 'loss');
    expect(restarts).toMatchObject([{ data: { from: 9, to: 5 } }]);
    expect(run.segments['loss']!.restarts).toEqual([10]);
    expect(issuesOf(result, 'series.duplicate-step').find((i) => i.data!['series'] === 'loss')!.data).toMatchObject({ count: 1, step: 13 });
  });
});

describe('a log without a step key, with string values', async () => {
  const result = await read('nostep');
  const run = result.runs[0]!;

  it('numbers records from 0 and says so', () => {
    expect(issuesOf(result, 'jsonl.no-step-key')).toHaveLength(1);
    expect(Array.from(run.series['loss']!.steps)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('reads "NaN" and "Infinity" strings as non-finite', () => {
    expect(Array.from(run.series['ppl']!.values)).toEqual([1, 2, Number.NaN, 8, Number.POSITIVE_INFINITY, 32]);
  });

  it('reports a text value among numbers as non-numeric and a text-only field as text', () => {
    expect(Array.from(run.series['acc']!.steps)).toEqual([0, 1, 2, 4, 5]);
    expect(issuesOf(result, 'series.non-numeric')).toMatchObject([{ location: 'line 4', data: { series: 'acc', count: 1, example: '"n/a"' } }]);
    expect(run.series['phase']).toBeUndefined();
    expect(issuesOf(result, 'series.text-only')).toMatchObject([{ severity: 'info', data: { count: 1, fields: 'phase' } }]);
  });
});

/** Lines that are JSON objects logging a training loss (eval lines nest theirs under "eval"). */
const trainLossLines = (rel: string) =>
  readFileSync(path.join(FIXTURES, rel), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"loss"') && !line.includes('"eval"')).length;

describe('damaged files', () => {
  it('a file cut mid-line keeps the complete lines and reports json.truncated', async () => {
    const result = await read('truncated');
    const complete = readFileSync(path.join(FIXTURES, 'truncated/metrics.jsonl'), 'utf8').split('\n').slice(0, -1);
    const truncated = issuesOf(result, 'json.truncated');
    expect(truncated).toHaveLength(1);
    expect(truncated[0]!.data).toMatchObject({ kept: complete.length, offset: complete.join('\n').length + 1 });
    expect(result.runs[0]!.series['loss']!.values.length).toBe(complete.filter((l) => l.includes('"loss"') && !l.includes('"eval"')).length);
    expect(result.issues.filter((i) => i.code !== 'json.truncated')).toEqual([]);
  });

  it('skips lines that are not JSON objects and counts them', async () => {
    const result = await read('badlines');
    expect(issuesOf(result, 'jsonl.bad-line')).toMatchObject([{ location: 'line 4', data: { count: 2, line: 4 } }]);
    expect(result.runs[0]!.series['loss']!.values.length).toBe(trainLossLines('badlines/metrics.jsonl'));
    expect(trainLossLines('badlines/metrics.jsonl')).toBe(7);
  });

  it('leaves an empty file to the central file.empty report', async () => {
    const result = await read('empty');
    expect(result.runs).toEqual([]);
    expect(result.issues.map((i) => i.code)).toEqual(['file.empty']);
  });

  it('reads a .json file holding one object per line', async () => {
    const result = await read('json_lines');
    expect(result.runs[0]!.series['loss']!.values.length).toBe(trainLossLines('json_lines/history.json'));
  });
});

describe('records that disagree', () => {
  it('probability rows of unequal length: examples.mismatch, probabilities left out, the rest kept', async () => {
    const result = await read('ragged_probs');
    const set = result.runs[0]!.examples[0]!;
    expect(set.count).toBe(6);
    expect(set.probs).toBeUndefined();
    expect(set.labels).toHaveLength(6);
    expect(issuesOf(result, 'examples.mismatch')).toMatchObject([{ location: 'line 4', data: { got: 2, expected: 3, rows: 1 } }]);
  });

  it('a record without the step key takes the previous step and is reported', async () => {
    const result = await read('missing_step');
    const run = result.runs[0]!;
    expect(Array.from(run.series['loss']!.steps)).toEqual([0, 1, 2, 3, 4, 4]);
    expect(Array.from(run.series['final_loss']!.steps)).toEqual([4]);
    const missing = issuesOf(result, 'series.missing-step').map((i) => [i.data!['series'], i.data!['count']]);
    expect(missing.sort()).toEqual([['final_loss', 1], ['loss', 1]]);
    expect(issuesOf(result, 'series.duplicate-step').map((i) => i.data!['series'])).toEqual(['loss']);
  });
});

describe('lines across read chunks (1 MiB)', () => {
  it('splits CRLF lines, a 3 MB line and a cut tail at the right places', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ladder-jsonl-'));
    try {
      const real = readFileSync(path.join(FIXTURES, 'run/metrics.jsonl'), 'utf8').trim().split('\n');
      const lines: string[] = [];
      for (let k = 0; k < 1000; k++) lines.push(...real);
      lines.splice(5000, 0, JSON.stringify({ step: 3, loss: 1, note: 'x'.repeat(3_000_000) }));
      const body = lines.join('\r\n') + '\r\n';
      const tail = '{"step": 99, "loss": 0.';
      writeFileSync(path.join(dir, 'metrics.jsonl'), body + tail);
      const result = await ingest([dir], { readers: [jsonlReader] });
      const run = result.runs[0]!;
      const trainLines = lines.filter((l) => l.includes('"loss"') && !l.includes('"eval"')).length;
      expect(run.series['loss']!.values.length).toBe(trainLines);
      expect(run.series['eval/loss']!.values.length).toBe(lines.filter((l) => l.includes('"eval"')).length);
      expect(issuesOf(result, 'series.text-only')).toMatchObject([{ data: { fields: 'note' } }]);
      expect(issuesOf(result, 'json.truncated')).toMatchObject([{ data: { offset: Buffer.byteLength(body), kept: lines.length } }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!HAS_CORPUS)(`jsonl reader on the corpus (${HAS_CORPUS ? 'present' : CORPUS_SKIP_REASON})`, async () => {
  const realLogs = corpusPath('real-logs');

  it('claims only JSON Lines among the corpus files (never trainer_state.json, results JSON or mturk JSON)', async () => {
    const result = await ingest([realLogs, corpusPath('label-errors')], { readers: [jsonlReader] });
    const claimed = result.runs.flatMap((r) => r.paths);
    expect(claimed.length).toBe(8);
    for (const rel of claimed) expect(rel).toMatch(/\.jsonl$/);
  });

  it('reads every lm-eval samples file as per-example records, one per line, without errors', async () => {
    const result = await ingest([corpusPath('real-logs/lm-eval')], { readers: [jsonlReader] });
    expect(result.issues.filter((i) => i.severity === 'error')).toEqual([]);
    let sets = 0;
    for (const run of result.runs) {
      for (const set of run.examples) {
        const file = path.join(result.root, run.paths.find((p) => path.basename(p, '.jsonl') === set.name)!);
        const records = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
        expect(set.count).toBe(records.length);
        expect(set.ids).toEqual(records.map((r) => r.doc_id));
        expect(set.labels).toEqual(records.map((r) => r.target));
        sets++;
      }
    }
    expect(sets).toBe(8);
  });
});
