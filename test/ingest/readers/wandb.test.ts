import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ingest } from '../../../src/ingest/ingest.js';
import { scanLevelDbLog, type LogProblem } from '../../../src/ingest/formats/leveldb-log.js';
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

/** test/fixtures/wandb/sdk: written by the real wandb SDK (generate_sdk.py). */
const SDK = path.join(FIXTURES, 'sdk');
interface SdkExpectedRun {
  folder: string;
  wandbFile: string;
  runId: string;
  project: string;
  displayName?: string;
  group?: string;
  jobType?: string;
  tags?: string[];
  config: Record<string, unknown>;
  exitCode: number;
  /** Unix seconds around wandb.init … run.finish, taken by the generator. */
  started: number;
  finished: number;
  series: Record<string, { steps: number[]; values: (number | 'NaN' | 'Infinity' | '-Infinity')[] }>;
  nonScalar: Record<string, { kind: string; count: number }>;
  summarySet?: Record<string, unknown>;
}
const SDK_EXPECTED = JSON.parse(readFileSync(path.join(SDK, 'expected.json'), 'utf8')) as { sdk: string; runs: SdkExpectedRun[] };

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
    const ids = [...EXPECTED.map((e) => e.folder), ...SDK_EXPECTED.runs.map((e) => `sdk/${e.folder}`)];
    expect(result.runs.map((run) => run.id).sort()).toEqual(ids.sort());
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
    expect(wandbRuns).toHaveLength(EXPECTED.length + SDK_EXPECTED.runs.length);
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

describe('runs written by the wandb SDK', async () => {
  const { runs, issues } = await readWandb([SDK]);
  const [first, second] = SDK_EXPECTED.runs as [SdkExpectedRun, SdkExpectedRun];
  const runOf = (expected: SdkExpectedRun) => runFor(runs, expected.folder);
  /** Every step any row of the run had, from what the generator logged. */
  const rowSteps = (expected: SdkExpectedRun) => [...new Set(Object.values(expected.series).flatMap((s) => s.steps))].sort((a, b) => a - b);

  it('were written by wandb 0.30.0 with the :W&B header, version 0', () => {
    expect(SDK_EXPECTED.sdk).toBe('wandb 0.30.0');
    for (const expected of SDK_EXPECTED.runs) {
      const head = readFileSync(path.join(SDK, expected.folder, expected.wandbFile)).subarray(0, 7);
      expect(head.toString('latin1', 0, 4)).toBe(':W&B');
      expect(head.readUInt16LE(4)).toBe(0xbee1);
      expect(head[6]).toBe(0);
    }
  });

  it('checksum every chunk with the plain IEEE CRC-32 of type byte + payload, not LevelDB’s masked CRC-32C', async () => {
    for (const expected of SDK_EXPECTED.runs) {
      const file = path.join(SDK, expected.folder, expected.wandbFile);
      // An independent walk of the chunk headers: every chunk must match zlib's CRC-32.
      const bytes = readFileSync(file);
      let chunks = 0;
      let records = 0;
      for (let pos = 7; pos + 7 <= bytes.length; ) {
        const left = 32768 - (pos % 32768);
        if (left < 7) {
          pos += left;
          continue;
        }
        const length = bytes.readUInt16LE(pos + 4);
        const type = bytes[pos + 6]!;
        expect(bytes.readUInt32LE(pos), `${expected.wandbFile} chunk at ${pos}`).toBe(zlib.crc32(bytes.subarray(pos + 6, pos + 7 + length)));
        chunks++;
        if (type === 1 || type === 4) records++;
        pos += 7 + length;
      }
      expect(chunks).toBeGreaterThan(40);
      const scan = async (checksum: 'crc32-ieee' | 'crc32c-masked') => {
        const problems: LogProblem[] = [];
        const result = await scanLevelDbLog(file, { checksum, headerBytes: 7 }, () => {}, (p) => problems.push(p));
        return { ...result, problems };
      };
      const ieee = await scan('crc32-ieee');
      expect(ieee.problems).toEqual([]);
      expect(ieee.records).toBe(records);
      const masked = await scan('crc32c-masked');
      expect(masked.records).toBe(0);
      expect(masked.problems[0]).toMatchObject({ kind: 'corrupt', offset: 7, reason: 'checksum mismatch' });
    }
  });

  it('reads both runs cleanly: no errors or warnings, no damaged records, no rows without a step', () => {
    expect(runs.map((run) => run.id).sort()).toEqual(SDK_EXPECTED.runs.map((e) => e.folder).sort());
    expect(issues.filter((i) => i.severity !== 'info')).toEqual([]);
    const damage = ['wandb.bad-record', 'wandb.corrupt-block', 'wandb.truncated-tail', 'wandb.bad-header', 'series.missing-step'];
    expect(issues.filter((i) => damage.includes(i.code))).toEqual([]);
  });

  it('has every logged key with exactly its steps and values, NaN and ±Infinity included', () => {
    for (const expected of SDK_EXPECTED.runs) {
      const run = runOf(expected);
      const logged = Object.keys(run.series).filter((name) => name !== '_runtime' && !name.startsWith('system/'));
      expect(logged.sort(), expected.folder).toEqual(Object.keys(expected.series).sort());
      for (const [name, want] of Object.entries(expected.series)) {
        const got = run.series[name]!;
        expect(Array.from(got.steps), `${expected.folder} ${name} steps`).toEqual(want.steps);
        expect(Array.from(got.values), `${expected.folder} ${name} values`).toEqual(want.values.map(asNumber));
      }
    }
    // Keys logged every 5 steps and nested dict values (flattened with '/') are where they were logged.
    expect(Array.from(runOf(first).series['eval/detail/deep/p']!.steps)).toEqual([0, 5, 10, 15, 20, 25]);
    // commit=False values share the step of the row they were committed with.
    expect(Array.from(runOf(second).series['val/loss']!.steps)).toEqual([3, 7, 11]);
  });

  it('takes the step axis from _step (implicit steps count 0, 1, …) and wall times from _timestamp', () => {
    for (const expected of SDK_EXPECTED.runs) {
      const run = runOf(expected);
      // _runtime is in every row, so its steps are all the rows' steps.
      expect(Array.from(run.series._runtime!.steps)).toEqual(rowSteps(expected));
      expect(run.series._step).toBeUndefined();
      expect(run.series._timestamp).toBeUndefined();
      for (const [name, series] of Object.entries(run.series)) {
        if (name.startsWith('system/')) continue;
        for (const wall of series.wallTimes) {
          expect(wall, `${expected.folder} ${name}`).toBeGreaterThanOrEqual(expected.started);
          expect(wall, `${expected.folder} ${name}`).toBeLessThanOrEqual(expected.finished);
        }
        expect(Array.from(series.wallTimes).every((w, i, all) => i === 0 || w >= all[i - 1]!), name).toBe(true);
      }
    }
    expect(rowSteps(second)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('counts the histogram (written as one item per field by wandb-core) and text as non-scalar, not as series', () => {
    for (const expected of SDK_EXPECTED.runs) {
      expect(runOf(expected).nonScalar, expected.folder).toEqual(expected.nonScalar);
    }
    expect(first.nonScalar).toEqual({ weights: { kind: 'histogram', count: 3 } });
    expect(Object.keys(runOf(first).series).filter((name) => name.startsWith('weights'))).toEqual([]);
    const noted = issues.filter((i) => i.code === 'wandb.non-scalar').map((i) => [i.file, i.data?.key, i.data?.kind, i.data?.count]);
    expect(noted.sort()).toEqual([
      [`${first.folder}/${first.wandbFile}`, 'weights', 'histogram', 3],
      [`${second.folder}/${second.wandbFile}`, 'phase', 'text', 1],
    ]);
  });

  it('reads config into hyperparameters, nested values intact, without the SDK’s _wandb entry', () => {
    for (const expected of SDK_EXPECTED.runs) expect(runOf(expected).hparams, expected.folder).toEqual(expected.config);
    expect(runOf(first).hparams).toEqual({ lr: 0.001, layers: 2, nested: { a: 1 }, name: 'x' });
  });

  it('reads the summary: last values, explicit updates, define_metric summaries; no _wandb bookkeeping', () => {
    const summary = runOf(first).summary;
    for (const [key, value] of Object.entries(first.summarySet!)) expect(summary[key], key).toEqual(value);
    expect(summary['train/loss']).toBe(2 / 30);
    expect(summary['eval/acc']).toBe(0.75);
    expect(summary['eval/detail']).toEqual({ f1: 0.25 + 25 / 200, deep: { p: 75 } });
    expect(summary.nan_metric).toBeNaN();
    expect(summary.inf_metric).toBe(Infinity);
    expect(summary.neg_inf_metric).toBe(-Infinity);
    expect(summary.weights).toEqual({ _type: 'histogram', values: [1, 4, 9, 4, 1], bins: [-1, -0.5, 0, 0.5, 1, 1.5] });
    expect(summary._step).toBe(29);
    expect(summary._wandb).toBeUndefined();
    const other = runOf(second).summary;
    expect(other['val/loss']).toEqual({ min: 1.0 - 11 / 20 });
    expect(other.loss).toBe(1.5 - 11 / 10);
    expect(other._step).toBe(11);
    expect(other._wandb).toBeUndefined();
  });

  it('tags each run from its run, telemetry, environment and exit records', () => {
    for (const expected of SDK_EXPECTED.runs) {
      const tags = runOf(expected).tags;
      expect(tags.run_id).toBe(expected.runId);
      expect(tags.project).toBe(expected.project);
      expect(tags.exit_code).toBe(String(expected.exitCode));
      expect(tags.cli_version).toBe('0.30.0');
      const start = Date.parse(tags.start_time!) / 1000;
      expect(start).toBeGreaterThanOrEqual(expected.started);
      expect(start).toBeLessThanOrEqual(expected.finished);
    }
    const tags = runOf(second).tags;
    expect([tags.name, tags.group, tags.job_type, tags.tags]).toEqual([second.displayName, second.group, second.jobType, second.tags!.join(',')]);
    expect(tags.program?.endsWith('generate_sdk.py')).toBe(true);
    expect(tags.python?.startsWith('CPython 3.')).toBe(true);
    // A run under a second: wandb-core's exit record carries no runtime.
    expect(runOf(first).tags.runtime).toBeUndefined();
    expect(Number(tags.runtime)).toBeGreaterThanOrEqual(3);
  });

  it('reads system metrics (stats records) as system/* series by sample index, within the run’s time', () => {
    expect(Object.keys(runOf(first).series).filter((name) => name.startsWith('system/'))).toEqual([]);
    const run = runOf(second);
    const cpu = run.series['system/cpu']!;
    expect(cpu.steps.length).toBeGreaterThanOrEqual(1);
    expect(Array.from(cpu.steps)).toEqual(Array.from(cpu.steps, (_, i) => i));
    for (const wall of cpu.wallTimes) {
      expect(wall).toBeGreaterThanOrEqual(second.started);
      expect(wall).toBeLessThanOrEqual(second.finished);
    }
    expect(Array.from(cpu.values).every((v) => v >= 0 && v <= 100 * 64)).toBe(true);
  });
});
