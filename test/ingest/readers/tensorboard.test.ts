import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingest } from '../../../src/ingest/ingest.js';
import { tensorboardReader } from '../../../src/ingest/readers/tensorboard.js';
import type { Run } from '../../../src/model/run.js';
import { CORPUS_SKIP_REASON, HAS_CORPUS, REPO, corpusPath } from '../../support/corpus.js';
import { countTags, frames } from '../../support/tfevents-count.js';
import { encodeEvent, frame, writeLargeEventFile } from '../../support/tfevents-writer.js';
import type { ReadMeasurement } from '../../../bench/tensorboard-read.js';

const FIXTURES = path.join(REPO, 'test/fixtures/tensorboard');
const TB_CORPUS = corpusPath('real-logs/tensorboard');

const readTensorboard = (paths: string[]) => ingest(paths, { readers: [tensorboardReader] });

const temporary: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ladder-tb-'));
  temporary.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

function findFiles(dir: string, match: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findFiles(full, match));
    else if (match(entry.name)) out.push(full);
  }
  return out.sort();
}

const isEventFile = (name: string) => name.startsWith('events.out.tfevents.');
const pointCounts = (run: Run) => Object.fromEntries(Object.entries(run.series).map(([tag, s]) => [tag, s.steps.length]));
const codes = (issues: { code: string }[]) => issues.map((issue) => issue.code);

type Expected = Record<
  string,
  {
    files: string[];
    scalars: Record<string, [number, number | string, number][]>;
    nonScalar: Record<string, number>;
    eventHparams: Record<string, string | number | boolean | null>;
  }
>;
const fromJson = (value: number | string) =>
  value === 'NaN' ? Number.NaN : value === 'Infinity' ? Infinity : value === '-Infinity' ? -Infinity : (value as number);

describe('tensorboard reader on files from the real writers (torch, Lightning, tensorboard protos)', () => {
  const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as Expected;

  it('reads every run folder with the points tensorboard itself decodes', async () => {
    const { runs, issues } = await readTensorboard([FIXTURES]);
    expect(issues.filter((issue) => issue.severity === 'error')).toEqual([]);
    expect(runs.map((run) => run.id).sort()).toEqual(Object.keys(expected).sort());
    for (const run of runs) {
      const want = expected[run.id]!;
      expect(Object.keys(run.series).sort(), run.id).toEqual(Object.keys(want.scalars).sort());
      for (const [tag, points] of Object.entries(want.scalars)) {
        const series = run.series[tag]!;
        expect([...series.steps], `${run.id} ${tag} steps`).toEqual(points.map((p) => p[0]));
        expect([...series.values], `${run.id} ${tag} values`).toEqual(points.map((p) => fromJson(p[1])));
        expect([...series.wallTimes], `${run.id} ${tag} wall times`).toEqual(points.map((p) => p[2]));
      }
      const nonScalar = Object.fromEntries(Object.entries(run.nonScalar).map(([tag, s]) => [tag, s.count]));
      expect(nonScalar, run.id).toEqual(want.nonScalar);
    }
  });

  it('keeps NaN, ±Infinity, a negative step and steps up to 2^53 − 1', async () => {
    const { runs, issues } = await readTensorboard([path.join(FIXTURES, 'torch')]);
    const run = runs.find((r) => r.id === 'torch')!;
    expect([...run.series['train/loss']!.values.subarray(5, 8)]).toEqual([Number.NaN, Infinity, -Infinity]);
    expect([...run.series['odd/steps']!.steps]).toEqual([-3, 2 ** 40, 2 ** 53 - 1]);
    expect(issues.find((i) => i.code === 'series.non-finite')?.data).toMatchObject({ series: 'train/loss', count: 3 });
  });

  it('reads TF 2 tensor scalars whose plugin is named on the first value only', async () => {
    const { runs } = await readTensorboard([path.join(FIXTURES, 'torch')]);
    const run = runs.find((r) => r.id === 'torch')!;
    expect([...run.series['tf2/loss']!.values]).toEqual([0.5, 0.25, 0.5 / 3, 0.125].map(Math.fround));
    expect([...run.series['tf2/acc']!.values]).toEqual([0, 0.25, 0.5, 0.75]);
  });

  it('counts text, histogram and image summaries once per tag as non-scalar', async () => {
    const { runs, issues } = await readTensorboard([path.join(FIXTURES, 'torch')]);
    const run = runs.find((r) => r.id === 'torch')!;
    expect(run.nonScalar).toEqual({
      'notes/text_summary': { kind: 'text', count: 2 },
      weights: { kind: 'histogram', count: 3 },
      sample: { kind: 'image', count: 1 },
    });
    const nonScalarIssues = issues.filter((issue) => issue.code === 'tensorboard.non-scalar');
    expect(nonScalarIssues.map((issue) => issue.location).sort()).toEqual(['notes/text_summary', 'sample', 'weights']);
  });

  it('reads hparams plugin summaries, and lets hparams.yaml win over their flattened copies', async () => {
    const { runs, issues } = await readTensorboard([FIXTURES]);
    const byId = new Map(runs.map((run) => [run.id, run]));
    expect(byId.get('torch')!.hparams).toEqual(expected.torch!.eventHparams);
    expect(byId.get('torch/hp')!.hparams).toEqual({ lr: 0.1, layers: 3 });
    const lightning = byId.get('lightning/version_0')!;
    // The events hold "optimizer/name", "optimizer/betas" (a string) and loss_fn as a repr;
    // the YAML's nested, typed values are kept instead.
    expect(Object.keys(expected['lightning/version_0']!.eventHparams).sort()).toEqual([
      'loss_fn',
      'lr',
      'optimizer/betas',
      'optimizer/name',
    ]);
    expect(lightning.hparams).toEqual({
      lr: 0.001,
      optimizer: { name: 'adam', betas: [0.9, 0.999] },
      loss_fn: { $opaque: '!!python/name:__main__.lightning_loss', source: "''" },
    });
    expect(issues.filter((issue) => issue.code === 'yaml.python-tag').map((issue) => issue.file)).toEqual([
      'lightning/version_0/hparams.yaml',
    ]);
  });

  it('reads a run resumed in a second file after the first, and the restart is reported', async () => {
    const { runs, issues } = await readTensorboard([path.join(FIXTURES, 'resumed')]);
    expect(runs).toHaveLength(1);
    expect([...runs[0]!.series.loss!.steps]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 6, 7, 8, 9, 10, 11]);
    expect(runs[0]!.segments.loss).toEqual({ restarts: [10] });
    expect(codes(issues)).toEqual(['series.restart']);
  });

  it('reports reading progress per event file up to its size', async () => {
    const calls: [string, number, number][] = [];
    await ingest([path.join(FIXTURES, 'resumed')], {
      readers: [tensorboardReader],
      progress: (file, done, total) => calls.push([file, done, total]),
    });
    const files = expected.resumed!.files;
    expect([...new Set(calls.map((c) => c[0]))]).toEqual(files);
    for (const file of files) {
      const last = calls.filter((c) => c[0] === file).at(-1)!;
      expect(last[1]).toBe(last[2]);
    }
  });

  it('claims an event file by content when it was renamed', async () => {
    const dir = tempDir();
    const source = path.join(FIXTURES, 'torch/group_a', expected['torch/group_a']!.files[0]!);
    copyFileSync(source, path.join(dir, 'renamed-log'));
    const { runs } = await readTensorboard([dir]);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.series.group!.steps.length).toBe(3);
  });
});

describe('tensorboard reader: sub-folders written by the same process', () => {
  // examples/runs/torch-tensorboard-stall was written by torch's SummaryWriter, whose
  // add_hparams(run_name='hparams') puts the hyperparameters in a sub-folder.
  const example = path.join(REPO, 'examples/runs/torch-tensorboard-stall');

  it('folds the add_hparams sub-folder into the run: its hyperparameters and final metrics', async () => {
    const result = await ingest([example], { readers: [tensorboardReader] });
    expect(result.runs.map((run) => run.id)).toEqual(['torch-tensorboard-stall']);
    const run = result.runs[0]!;
    expect(run.hparams).toMatchObject({ lr: 0.00001, optimizer: 'SGD', steps: 2000, batch_size: 64 });
    expect(run.series['hparam/val_loss']?.steps.length).toBe(1);
    expect(run.series['train/loss']?.steps.length).toBeGreaterThan(100);
    expect(run.paths.some((p) => p.startsWith('hparams/events.out.tfevents.'))).toBe(true);
  });

  it('keeps a sub-folder of another process as a run of its own', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ladder-tb-children-'));
    try {
      const files = readdirSync(example).filter((name) => name.startsWith('events.out.tfevents.'));
      copyFileSync(path.join(example, files[0]!), path.join(dir, files[0]!));
      mkdirSync(path.join(dir, 'other'));
      const child = readdirSync(path.join(example, 'hparams'))[0]!;
      copyFileSync(path.join(example, 'hparams', child), path.join(dir, 'other', child.replace(/\.vm\.\d+\./, '.elsewhere.1.')));
      const result = await ingest([dir], { readers: [tensorboardReader] });
      expect(result.runs).toHaveLength(2);
      expect(result.runs[0]!.hparams).toEqual({});
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!HAS_CORPUS)('tensorboard reader on the real-log corpus', () => {
  if (!HAS_CORPUS) console.warn(CORPUS_SKIP_REASON);

  it('reads all 14 event files with per-tag point counts matching an independent count, and no error', async () => {
    const files = findFiles(TB_CORPUS, isEventFile);
    expect(files).toHaveLength(14);
    const { runs, issues } = await readTensorboard([TB_CORPUS]);
    expect(issues.filter((issue) => issue.severity === 'error')).toEqual([]);

    const byFolder = new Map<string, string[]>();
    for (const file of files) byFolder.set(path.dirname(file), [...(byFolder.get(path.dirname(file)) ?? []), file]);
    expect(runs).toHaveLength(byFolder.size);

    let totalPoints = 0;
    for (const [folder, folderFiles] of byFolder) {
      const run = runs.find((r) => r.id === path.relative(TB_CORPUS, folder).split(path.sep).join('/'));
      expect(run, folder).toBeDefined();
      const expectedScalars: Record<string, number> = {};
      const expectedOthers: Record<string, number> = {};
      const plugins = new Map<string, string>();
      for (const file of folderFiles) {
        const counts = countTags(file, plugins);
        for (const [tag, n] of counts.scalars) expectedScalars[tag] = (expectedScalars[tag] ?? 0) + n;
        for (const [tag, n] of counts.others) expectedOthers[tag] = (expectedOthers[tag] ?? 0) + n;
      }
      expect(pointCounts(run!), folder).toEqual(expectedScalars);
      const nonScalarCounts = Object.fromEntries(Object.entries(run!.nonScalar).map(([tag, s]) => [tag, s.count]));
      expect(nonScalarCounts, folder).toEqual(expectedOthers);
      totalPoints += Object.values(expectedScalars).reduce((a, b) => a + b, 0);
    }
    expect(totalPoints).toBeGreaterThan(1000);
  });

  it('takes hyperparameters from hparams.yaml, keeping Python object tags opaque', async () => {
    const folder = path.join(TB_CORPUS, 'CarlSchader__labeled-contrastive-framework/lightning_logs/version_0');
    const { runs, issues } = await readTensorboard([folder]);
    expect(runs).toHaveLength(1);
    const hparams = runs[0]!.hparams;
    expect(hparams.learning_rate).toBe(0.0001);
    expect(hparams.num_classes).toBe(91354);
    expect(hparams.loss_fn).toMatchObject({ $opaque: '!!python/name:__main__.arcface_loss' });
    expect(codes(issues)).toContain('yaml.python-tag');
  });

  it('reads a run resumed in a second event file as one run, in file-creation order', async () => {
    const folder = path.join(TB_CORPUS, 'BullsEye268__da6401_assignment3/lightning_logs/version_20');
    const { runs } = await readTensorboard([folder]);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.paths.filter((p) => p.includes('tfevents'))).toHaveLength(2);
    const files = findFiles(folder, isEventFile);
    const first = countTags(files[0]!);
    const total = [...first.scalars.values()].reduce((a, b) => a + b, 0);
    const read = Object.values(pointCounts(runs[0]!)).reduce((a, b) => a + b, 0);
    expect(read).toBeGreaterThan(total);
  });
});

describe('tensorboard reader on bad input', () => {
  /** A small valid event file: file version + 50 steps of two scalars. */
  function validEventFile(): { bytes: Buffer; recordOffsets: number[] } {
    const records = [frame(encodeEvent(1.7e9, 0, [], 'brain.Event:2'))];
    for (let step = 0; step < 50; step++) {
      records.push(frame(encodeEvent(1.7e9 + step, step, [{ tag: 'loss', simple: 1 / (step + 1) }])));
      records.push(frame(encodeEvent(1.7e9 + step, step, [{ tag: 'acc', simple: step / 50 }])));
    }
    const recordOffsets: number[] = [];
    let at = 0;
    for (const record of records) {
      recordOffsets.push(at);
      at += record.length;
    }
    return { bytes: Buffer.concat(records), recordOffsets };
  }

  it('reports binary garbage with an event-file name as not a TFRecord, and goes on', async () => {
    const dir = tempDir();
    const garbage = Buffer.alloc(100_000);
    let seed = 12345;
    for (let i = 0; i < garbage.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      garbage[i] = seed >>> 24;
    }
    mkdirSync(path.join(dir, 'bad'));
    mkdirSync(path.join(dir, 'good'));
    writeFileSync(path.join(dir, 'bad/events.out.tfevents.1.host.1.0'), garbage);
    writeFileSync(path.join(dir, 'good/events.out.tfevents.1.host.1.0'), validEventFile().bytes);
    const { runs, issues } = await readTensorboard([dir]);
    expect(codes(issues)).toEqual(['tfrecord.not-tfrecord']);
    expect(issues[0]!.file).toBe('bad/events.out.tfevents.1.host.1.0');
    expect(runs.map((run) => run.id)).toEqual(['good']);
    expect(pointCounts(runs[0]!)).toEqual({ loss: 50, acc: 50 });
  });

  it('reports an empty event file', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'events.out.tfevents.1.host.1.0'), '');
    writeFileSync(path.join(dir, 'events.out.tfevents.2.host.1.0'), validEventFile().bytes);
    const { runs, issues } = await readTensorboard([dir]);
    expect(codes(issues)).toEqual(['file.empty']);
    expect(pointCounts(runs[0]!)).toEqual({ loss: 50, acc: 50 });
  });

  it('reports a truncated last record as info and keeps every complete record', async () => {
    const dir = tempDir();
    const { bytes, recordOffsets } = validEventFile();
    const lastStart = recordOffsets.at(-1)!;
    const cut = bytes.subarray(0, lastStart + 15);
    writeFileSync(path.join(dir, 'events.out.tfevents.1.host.1.0'), cut);
    const { runs, issues } = await readTensorboard([dir]);
    expect(codes(issues)).toEqual(['tfrecord.truncated-tail']);
    expect(issues[0]!.severity).toBe('info');
    expect(issues[0]!.data).toMatchObject({ offset: lastStart, bytes: 15 });
    expect(pointCounts(runs[0]!)).toEqual({ loss: 50, acc: 49 });
  });

  it('reports a corrupt record in the middle with its offset, then resyncs and reads the rest', async () => {
    const dir = tempDir();
    const { bytes, recordOffsets } = validEventFile();
    const damaged = Buffer.from(bytes);
    // Record 41 is step 20's "loss" (record 0 is the file version): flip a payload byte.
    damaged[recordOffsets[41]! + 14]! ^= 0xff;
    writeFileSync(path.join(dir, 'events.out.tfevents.1.host.1.0'), damaged);
    const { runs, issues } = await readTensorboard([dir]);
    expect(codes(issues)).toEqual(['tfrecord.corrupt-record']);
    expect(issues[0]!.data).toMatchObject({
      offset: recordOffsets[41],
      skipped: recordOffsets[42]! - recordOffsets[41]!,
      reason: 'data CRC mismatch',
    });
    expect(pointCounts(runs[0]!)).toEqual({ loss: 49, acc: 50 });
  });

  it('resyncs after a corrupt length field', async () => {
    const dir = tempDir();
    const { bytes, recordOffsets } = validEventFile();
    const damaged = Buffer.from(bytes);
    damaged[recordOffsets[10]! + 1]! ^= 0x10;
    writeFileSync(path.join(dir, 'events.out.tfevents.1.host.1.0'), damaged);
    const { runs, issues } = await readTensorboard([dir]);
    expect(codes(issues)).toEqual(['tfrecord.corrupt-record']);
    expect(issues[0]!.data).toMatchObject({ offset: recordOffsets[10], reason: 'length CRC mismatch' });
    expect(pointCounts(runs[0]!)).toEqual({ loss: 50, acc: 49 });
  });

  it('reports a CRC-valid record that is not an Event and reads the others', async () => {
    const dir = tempDir();
    const { bytes } = validEventFile();
    // Field 1 with wire type 3 (a group start) is not something an Event holds.
    const notEvent = frame(Buffer.from([0x0b, 0x01, 0x02]));
    writeFileSync(path.join(dir, 'events.out.tfevents.1.host.1.0'), Buffer.concat([bytes, notEvent, bytes.subarray(0)]));
    const { runs, issues } = await readTensorboard([dir]);
    expect(codes(issues).filter((code) => code.startsWith('tensorboard') || code.startsWith('tfrecord'))).toEqual([
      'tensorboard.bad-event',
    ]);
    expect(issues.find((issue) => issue.code === 'tensorboard.bad-event')!.data).toMatchObject({ record: 101 });
    expect(pointCounts(runs[0]!)).toEqual({ loss: 100, acc: 100 });
  });

  async function readsPastFlippedByte(source: string): Promise<void> {
    const original = readFileSync(source);
    const payloads = frames(original);
    // Find the record holding the middle byte; flip it.
    const middle = Math.floor(original.length / 2);
    let at = 0;
    let hit = -1;
    for (let i = 0; i < payloads.length; i++) {
      const size = 16 + payloads[i]!.length;
      if (middle >= at && middle < at + size) hit = i;
      if (hit >= 0) break;
      at += size;
    }
    const damaged = Buffer.from(original);
    damaged[middle]! ^= 0x5a;
    const dir = tempDir();
    writeFileSync(path.join(dir, path.basename(source)), damaged);

    const before = countTags(source);
    const { runs, issues } = await readTensorboard([dir]);
    expect(codes(issues).filter((code) => code.startsWith('tfrecord'))).toEqual(['tfrecord.corrupt-record']);
    const corrupt = issues.find((issue) => issue.code === 'tfrecord.corrupt-record')!;
    expect(corrupt.data!.offset).toBe(at);
    expect(corrupt.data!.skipped).toBe(16 + payloads[hit]!.length);
    // The damaged record carried one summary value (Lightning logs one scalar per event).
    const originalPoints = [...before.scalars.values()].reduce((a, b) => a + b, 0);
    const readPoints = Object.values(pointCounts(runs[0]!)).reduce((a, b) => a + b, 0);
    const originalOthers = [...before.others.values()].reduce((a, b) => a + b, 0);
    const readOthers = Object.values(runs[0]!.nonScalar).reduce((a, s) => a + s.count, 0);
    expect(originalPoints + originalOthers - (readPoints + readOthers)).toBe(1);
  }

  it('reads past a flipped byte in the middle of a real event file (torch fixture)', () =>
    readsPastFlippedByte(findFiles(path.join(FIXTURES, 'torch'), isEventFile)[0]!));

  it.skipIf(!HAS_CORPUS)('reads past a flipped byte in the middle of a real event file (corpus Lightning run)', () =>
    readsPastFlippedByte(
      path.join(
        TB_CORPUS,
        'MostafaKhaled2017__fashion-mnist-classification/lightning_logs/version_1/events.out.tfevents.1679944252.LAPTOP-OB7OKTBA.7812.1',
      ),
    ));
});

describe('tensorboard reader streams a 500 MB event file in bounded memory', () => {
  it('reads every point with peak RSS far below the file size', { timeout: 180_000 }, () => {
    const dir = tempDir();
    const file = path.join(dir, 'events.out.tfevents.1700000000.bench.1.0');
    const started = performance.now();
    const written = writeLargeEventFile(file, { bytes: 500 * 1024 * 1024 });
    const generated = (performance.now() - started) / 1000;
    // A child process so that its peak RSS (VmHWM) is the reader's alone.
    const script = path.join(REPO, 'dist/bench/tensorboard-read.js');
    const output = execFileSync(process.execPath, ['--expose-gc', script, 'ladder', file], {
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    });
    const result = JSON.parse(output) as ReadMeasurement;
    console.log(
      `500 MB event file (${(written.bytes / 2 ** 20).toFixed(0)} MiB, generated in ${generated.toFixed(1)} s): ` +
        `read in ${result.seconds.toFixed(2)} s (${(written.bytes / 2 ** 20 / result.seconds).toFixed(0)} MiB/s), ` +
        `peak RSS ${(result.peakRssBytes / 2 ** 20).toFixed(0)} MiB (${(result.startRssBytes / 2 ** 20).toFixed(0)} MiB at start)`,
    );
    expect(written.bytes).toBeGreaterThanOrEqual(500 * 1024 * 1024);
    expect(result.errors).toBe(0);
    expect(result.series).toEqual(written.scalarPoints);
    expect(result.nonScalar).toEqual({ 'samples/image': written.images, 'weights/layer1': written.histograms });
    expect(result.peakRssBytes).toBeLessThan(300 * 1024 * 1024);
  });
});
