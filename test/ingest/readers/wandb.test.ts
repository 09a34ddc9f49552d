import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ingest } from '../../../src/ingest/ingest.js';
import { wandbReader } from '../../../src/ingest/readers/wandb.js';
import type { Run } from '../../../src/model/run.js';
import { REPO } from '../../support/corpus.js';

const FIXTURES = path.join(REPO, 'test/fixtures/wandb');
const readWandb = (paths: string[]) => ingest(paths, { readers: [wandbReader] });

interface ExpectedSeries {
  steps: number[];
  values: (number | 'NaN' | 'Infinity' | '-Infinity')[];
  wallTimes: number[];
}
interface ExpectedRun {
  folder: string;
  wandbFile: string;
  runId: string;
  displayName: string;
  project: string;
  group: string;
  jobType: string;
  tags: string[];
  config: Record<string, unknown>;
  truncated: boolean;
  fileBytes: number;
  exitCode: number | null;
  series: Record<string, ExpectedSeries>;
  nonScalar: Record<string, { kind: string; count: number }>;
  summaryKeys: string[] | null;
}
const EXPECTED = (JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as { runs: ExpectedRun[] }).runs;

const temporary: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ladder-wandb-'));
  temporary.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

const asNumber = (v: number | string) => (v === 'NaN' ? Number.NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : Number(v));
const runFor = (runs: Run[], folder: string) => runs.find((run) => run.id === folder)!;

/** A `.wandb` framing of `records` with node's zlib CRC-32, as W&B writes it. */
function frameWandb(records: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(':W&B\xe1\xbe\x00', 'latin1')];
  for (const payload of records) {
    const head = Buffer.alloc(7);
    head.writeUInt32LE(zlib.crc32(Buffer.concat([Buffer.of(1), payload])), 0);
    head.writeUInt16LE(payload.length, 4);
    head[6] = 1;
    parts.push(head, payload);
  }
  return Buffer.concat(parts);
}

/** Minimal protobuf encoding for hand-made records (field key + length-delimited bytes). */
function lengthField(field: number, bytes: Buffer | string): Buffer {
  const body = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  const varint = (n: number) => {
    const out: number[] = [];
    while (n >= 0x80) {
      out.push((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    out.push(n);
    return Buffer.from(out);
  };
  return Buffer.concat([varint((field << 3) | 2), varint(body.length), body]);
}
const historyItem = (key: string, valueJson: string) => lengthField(1, Buffer.concat([lengthField(1, key), lengthField(16, valueJson)]));
const historyRecord = (...items: Buffer[]) => lengthField(2, Buffer.concat(items));

describe('wandb reader: generated run folders', async () => {
  const result = await readWandb([FIXTURES]);

  it('reads one run per run folder, with ids from the folder names', () => {
    expect(result.runs.map((run) => run.id).sort()).toEqual(EXPECTED.map((e) => e.folder).sort());
    for (const run of result.runs) expect(run.format).toBe('wandb');
  });

  it('has exactly the logged points of every series: steps, values (NaN/±Infinity included) and wall times', () => {
    for (const expected of EXPECTED) {
      const run = runFor(result.runs, expected.folder);
      expect(Object.keys(run.series).sort(), expected.folder).toEqual(Object.keys(expected.series).sort());
      for (const [name, want] of Object.entries(expected.series)) {
        const got = run.series[name]!;
        expect(Array.from(got.steps), `${expected.folder} ${name} steps`).toEqual(want.steps);
        expect(Array.from(got.values), `${expected.folder} ${name} values`).toEqual(want.values.map(asNumber));
        got.wallTimes.forEach((wall, i) => expect(wall).toBeCloseTo(want.wallTimes[i]!, 6));
      }
    }
  });

  it('keeps histograms and images as non-scalar series and says so', () => {
    for (const expected of EXPECTED) {
      const run = runFor(result.runs, expected.folder);
      expect(run.nonScalar, expected.folder).toEqual(expected.nonScalar);
    }
    const noted = result.issues.filter((i) => i.code === 'wandb.non-scalar' && i.file.includes('tidy0001'));
    expect(noted.map((i) => [i.data?.key, i.data?.kind, i.data?.count]).sort()).toEqual([
      ['samples', 'image-file', 1],
      ['weights', 'histogram', 3],
    ]);
  });

  it('reads config as hyperparameters, without the SDK’s _wandb entry', () => {
    const tidy = runFor(result.runs, 'offline-run-20240501_120000-tidy0001');
    expect(tidy.hparams).toEqual(EXPECTED[0]!.config);
    const core = runFor(result.runs, 'run-20240501_130000-core0002');
    // The nested_key config update lands inside the `optimizer` dict from the run record.
    expect(core.hparams.optimizer).toEqual({ name: 'adam', betas: [0.9, 0.999], weight_decay: 0.01 });
    expect(core.hparams.lr).toBe(0.001);
  });

  it('tags the run with what the run record, exit record and metadata say', () => {
    for (const expected of EXPECTED) {
      const run = runFor(result.runs, expected.folder);
      expect(run.tags.run_id).toBe(expected.runId);
      expect(run.tags.name).toBe(expected.displayName);
      expect(run.tags.project).toBe(expected.project);
      expect(run.tags.group).toBe(expected.group === '' ? undefined : expected.group);
      expect(run.tags.job_type).toBe(expected.jobType);
      expect(run.tags.tags).toBe(expected.tags.length > 0 ? expected.tags.join(',') : undefined);
      expect(run.tags.exit_code).toBe(expected.exitCode === null ? undefined : String(expected.exitCode));
      expect(run.tags.cli_version).toBe('0.19.8');
      expect(run.tags.start_time).toBe('2024-05-01T12:00:00.250Z');
      expect(run.tags.program).toBe('train.py');
    }
  });

  it('reads the summary, nested as W&B keeps it, with the final wandb-summary.json', () => {
    for (const expected of EXPECTED.filter((e) => e.summaryKeys)) {
      const run = runFor(result.runs, expected.folder);
      expect(Object.keys(run.summary).sort()).toEqual(expected.summaryKeys);
    }
    const tidy = runFor(result.runs, 'offline-run-20240501_120000-tidy0001');
    expect(tidy.summary.best_acc).toBeNaN();
    expect(tidy.summary.eval).toEqual({ loss: 1.9 - 59 * 0.01, acc: 0.2 + 59 * 0.01, deep: { f1: 0.5 } });
    // The killed run has no wandb-summary.json and never wrote its summary record.
    expect(runFor(result.runs, 'offline-run-20240501_140000-kill0003').summary).toEqual({});
  });

  it('reports the killed run’s cut-off record as a truncated tail (info), and nothing as an error', () => {
    const tails = result.issues.filter((i) => i.code === 'wandb.truncated-tail');
    const killed = EXPECTED.find((e) => e.truncated)!;
    expect(tails).toHaveLength(1);
    expect(tails[0]!.severity).toBe('info');
    expect(tails[0]!.file).toBe(`${killed.folder}/${killed.wandbFile}`);
    expect(Number(tails[0]!.data?.offset) + Number(tails[0]!.data?.bytes)).toBe(killed.fileBytes);
    expect(result.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(result.issues.filter((i) => i.code === 'wandb.bad-record' || i.code === 'wandb.corrupt-block')).toEqual([]);
  });

  it('claims every file of a run folder, so no other reader reads the SDK’s files', async () => {
    const all = await ingest([FIXTURES]);
    const wandbRuns = all.runs.filter((run) => run.format === 'wandb');
    expect(wandbRuns).toHaveLength(3);
    expect(all.runs.filter((run) => run.format !== 'wandb').map((run) => run.paths)).toEqual([]);
    expect(all.issues.filter((i) => i.code === 'file.unrecognized' && i.file.includes('run-'))).toEqual([]);
  });
});

describe('wandb reader: damaged and unusual logs', () => {
  it('reports a corrupt block with its byte offset and reads the blocks after it', async () => {
    const dir = tempDir();
    const folder = 'offline-run-20240501_120000-tidy0001';
    cpSync(path.join(FIXTURES, folder), path.join(dir, folder), { recursive: true });
    const file = path.join(dir, folder, 'run-tidy0001.wandb');
    const bytes = readFileSync(file);
    bytes[5000] = bytes[5000]! ^ 0x55; // inside a record of block 0
    writeFileSync(file, bytes);
    const { runs, issues } = await readWandb([dir]);
    const corrupt = issues.filter((i) => i.code === 'wandb.corrupt-block');
    expect(corrupt).toHaveLength(1);
    expect(corrupt[0]!.severity).toBe('error');
    const offset = Number(corrupt[0]!.data?.offset);
    expect(offset).toBeLessThanOrEqual(5000);
    expect(offset).toBeGreaterThan(4000);
    const loss = runs[0]!.series.loss!;
    const expected = EXPECTED[0]!.series.loss!;
    // Rows before the damage and rows in later blocks are all there; the rest of block 0 is not.
    expect(loss.steps.length).toBeLessThan(expected.steps.length);
    expect(loss.steps[0]).toBe(0);
    expect(loss.steps[loss.steps.length - 1]).toBe(59);
    expect(Array.from(loss.steps).every((s, i, all) => i === 0 || s > all[i - 1]!)).toBe(true);
  });

  it('rejects a file without the W&B header, reading nothing from it', async () => {
    const dir = tempDir();
    const folder = path.join(dir, 'run-20240501_120000-abcd1234');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'run-abcd1234.wandb'), Buffer.from('not a log at all, just text'));
    const { runs, issues } = await readWandb([dir]);
    expect(issues.map((i) => i.code)).toEqual(['wandb.bad-header']);
    expect(issues[0]!.file).toBe('run-20240501_120000-abcd1234/run-abcd1234.wandb');
    expect(runs).toHaveLength(1);
    expect(runs[0]!.series).toEqual({});
  });

  it('counts records that are not Record protobufs as bad records and keeps the good ones', async () => {
    const dir = tempDir();
    const good = (step: number) => historyRecord(historyItem('loss', String(1 / (step + 1))), historyItem('_step', String(step)));
    const broken = Buffer.from([0x12, 0x40, 0x01]); // history field claiming 64 bytes, with 1
    writeFileSync(path.join(dir, 'run-x1.wandb'), frameWandb([good(0), broken, good(1), broken, good(2)]));
    const { runs, issues } = await readWandb([dir]);
    const bad = issues.filter((i) => i.code === 'wandb.bad-record');
    expect(bad).toHaveLength(1);
    expect(bad[0]!.data?.count).toBe(2);
    expect(Array.from(runs[0]!.series.loss!.steps)).toEqual([0, 1, 2]);
  });

  it('reads items with long keys, unknown fields and nested keys alike', async () => {
    const dir = tempDir();
    const longKey = `metrics/${'k'.repeat(200)}`; // a two-byte length varint
    const unknownFirst = lengthField(1, Buffer.concat([Buffer.from([0x28, 0x07]), lengthField(1, 'odd'), lengthField(16, '2.5')]));
    const nested = lengthField(1, Buffer.concat([lengthField(2, 'eval'), lengthField(2, 'f1'), lengthField(16, '0.75')]));
    writeFileSync(
      path.join(dir, 'items.wandb'),
      frameWandb([historyRecord(historyItem(longKey, '1.5'), unknownFirst, nested, historyItem('_step', '4'))]),
    );
    const { runs, issues } = await readWandb([dir]);
    expect(issues).toEqual([]);
    const values = Object.fromEntries(Object.entries(runs[0]!.series).map(([name, s]) => [name, [s.steps[0], s.values[0]]]));
    expect(values).toEqual({ [longKey]: [4, 1.5], odd: [4, 2.5], 'eval/f1': [4, 0.75] });
  });

  it('numbers rows without _step by position and reports it', async () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, 'history.wandb'),
      frameWandb([historyRecord(historyItem('acc', '0.5')), historyRecord(historyItem('acc', '"NaN"')), historyRecord(historyItem('acc', 'true'))]),
    );
    const { runs, issues } = await readWandb([dir]);
    expect(issues.filter((i) => i.code === 'series.missing-step').map((i) => i.data?.count)).toEqual([3]);
    expect(Array.from(runs[0]!.series.acc!.steps)).toEqual([0, 1, 2]);
    expect(Array.from(runs[0]!.series.acc!.values)).toEqual([0.5, Number.NaN, 1]);
  });

  it('reads a run folder whose transaction log is gone from files/ alone', async () => {
    const dir = tempDir();
    const folder = 'run-20240501_130000-core0002';
    cpSync(path.join(FIXTURES, folder, 'files'), path.join(dir, folder, 'files'), { recursive: true });
    const { runs, issues } = await readWandb([dir]);
    expect(issues.filter((i) => i.severity !== 'info')).toEqual([]);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.hparams).toEqual(EXPECTED[1]!.config);
    expect(runs[0]!.summary).toEqual({ train: { loss: 1 / 196, global_step: 195 }, eval: { accuracy: 0.75 }, _step: 195 });
  });
});
