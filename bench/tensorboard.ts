/**
 * TensorBoard event-file reading speed and memory.
 *
 * Inputs, generated into the scratch folder with test/support/tfevents-writer.ts:
 *   - a 200 MB run with image and histogram summaries besides its scalars (most bytes are
 *     images: the case where streaming and CRC speed matter);
 *   - a 50 MB run of scalars only (the case where per-event decoding matters: points/s).
 * Each is read in a child process (peak RSS is the kernel's high-water mark of that read
 * alone) by the tensorboard reader and, as the reference, by the bare TFRecord framing with
 * every CRC checked and nothing decoded. The corpus event files are read in-process the same
 * two ways. Where a Python with the `tensorboard` package is available, its EventAccumulator
 * (size_guidance 0 for scalars and tensors: keep them all) reads the 200 MB file too.
 *
 * Speeds are computed from CPU time (user + system) of the reading, not wall time: the
 * machines this runs on are shared, and the files are in the page cache by the second pass
 * anyway. Wall times are printed beside them.
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ingest } from '../src/ingest/ingest.js';
import { readTfRecords } from '../src/ingest/formats/tfrecord.js';
import { tensorboardReader } from '../src/ingest/readers/tensorboard.js';
import { writeLargeEventFile } from '../test/support/tfevents-writer.js';
import { bestOf, figure, MB, runCommand, type Benchmark, type BenchContext, type Figure } from './harness.js';
import type { ReadMeasurement } from './tensorboard-read.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const READ_SCRIPT = path.join(HERE, 'tensorboard-read.js');
const REPEATS = 3;

const EVENT_ACCUMULATOR_SCRIPT = `
import json, sys, time
from tensorboard.backend.event_processing import event_accumulator as ea
started, cpu_started = time.perf_counter(), time.process_time()
acc = ea.EventAccumulator(sys.argv[1], size_guidance={ea.SCALARS: 0, ea.TENSORS: 0})
acc.Reload()
seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
tags = acc.Tags()
points = sum(len(acc.Scalars(t)) for t in tags["scalars"]) + sum(len(acc.Tensors(t)) for t in tags["tensors"])
print(json.dumps({"seconds": seconds, "cpuSeconds": cpu_seconds, "points": points}))
`;

async function readInChild(mode: 'ladder' | 'crc', file: string): Promise<ReadMeasurement> {
  const stdout = await runCommand(process.execPath, ['--expose-gc', READ_SCRIPT, mode, file]);
  return JSON.parse(stdout) as ReadMeasurement;
}

/** Alternates reader and baseline runs so that both see the same page-cache and CPU state. */
async function compareOnFile(file: string, context: BenchContext): Promise<{ ladder: ReadMeasurement; crc: ReadMeasurement }> {
  let ladder: ReadMeasurement | undefined;
  let crc: ReadMeasurement | undefined;
  for (let i = 0; i < REPEATS; i++) {
    const c = await readInChild('crc', file);
    const l = await readInChild('ladder', file);
    if (!crc || c.cpuSeconds < crc.cpuSeconds) crc = c;
    if (!ladder || l.cpuSeconds < ladder.cpuSeconds) ladder = l;
    context.log(
      `  pass ${i + 1}: ladder ${l.cpuSeconds.toFixed(3)} s CPU (${l.seconds.toFixed(3)} s wall), ` +
        `CRC-only ${c.cpuSeconds.toFixed(3)} s CPU (${c.seconds.toFixed(3)} s wall)`,
    );
  }
  return { ladder: ladder!, crc: crc! };
}

function fileFigures(label: string, ladder: ReadMeasurement, crc: ReadMeasurement): Figure[] {
  const megabytes = ladder.bytes / MB;
  const baseline = 'framing with every CRC checked, nothing decoded';
  return [
    figure(
      `${label}.throughput`,
      { value: megabytes / ladder.cpuSeconds, unit: 'MB/s' },
      { name: baseline, value: megabytes / crc.cpuSeconds, unit: 'MB/s' },
      'share of the bare CRC-checking speed the full reader keeps (1 = decoding is free)',
    ),
    figure(
      `${label}.points-per-second`,
      { value: ladder.points / ladder.cpuSeconds, unit: 'points/s' },
      { name: `${baseline}, same points over its time`, value: ladder.points / crc.cpuSeconds, unit: 'points/s' },
      'as throughput: reader time against CRC-only time',
    ),
    figure(
      `${label}.peak-rss`,
      { value: ladder.peakRssBytes / MB, unit: 'MB' },
      { name: 'file size', value: ladder.bytes / MB, unit: 'MB' },
      'peak resident memory of the reading process over the file size (< 1: streamed); on scalar-only ' +
        'files the points kept (3 × 8 bytes each, plus growth headroom) dominate',
    ),
  ];
}

function findEventFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findEventFiles(full));
    else if (entry.name.startsWith('events.out.tfevents.')) out.push(full);
  }
  return out;
}

async function corpusFigures(context: BenchContext, notes: string[]): Promise<Figure[]> {
  const corpus = path.resolve(HERE, '../../../shared/corpus/real-logs/tensorboard');
  const root = process.env.LADDER_CORPUS ? path.join(process.env.LADDER_CORPUS, 'real-logs/tensorboard') : corpus;
  const files = findEventFiles(root);
  if (files.length === 0) {
    notes.push(`corpus not found at ${root}: corpus figures skipped`);
    return [];
  }
  const bytes = files.reduce((sum, file) => sum + statSync(file).size, 0);
  const repeats = 20;
  const ladder = await bestOf(repeats, () => ingest([root], { readers: [tensorboardReader] }));
  const crc = await bestOf(repeats, async () => {
    for (const file of files) await readTfRecords(file, { record: () => {} });
  });
  let points = 0;
  for (const run of ladder.result.runs) for (const series of Object.values(run.series)) points += series.steps.length;
  notes.push(`corpus: ${files.length} event files, ${(bytes / MB).toFixed(2)} MB, ${points} scalar points (best of ${repeats}, in-process)`);
  context.log(`  corpus: ladder ${ladder.cpuSeconds.toFixed(4)} s CPU, CRC-only ${crc.cpuSeconds.toFixed(4)} s CPU`);
  const baseline = 'framing with every CRC checked, nothing decoded';
  return [
    figure(
      'corpus.throughput',
      { value: bytes / MB / ladder.cpuSeconds, unit: 'MB/s' },
      { name: baseline, value: bytes / MB / crc.cpuSeconds, unit: 'MB/s' },
      'share of the bare CRC-checking speed the full reader keeps, on real small files (includes claiming)',
    ),
    figure(
      'corpus.points-per-second',
      { value: points / ladder.cpuSeconds, unit: 'points/s' },
      { name: `${baseline}, same points over its time`, value: points / crc.cpuSeconds, unit: 'points/s' },
      'as throughput',
    ),
  ];
}

function benchPython(): string | undefined {
  const configured = process.env.LADDER_BENCH_PYTHON;
  if (configured) return configured;
  const fallback = '/work/.venv-fixtures/bin/python';
  return existsSync(fallback) ? fallback : undefined;
}

async function eventAccumulatorFigure(
  file: string,
  ladder: ReadMeasurement,
  context: BenchContext,
  notes: string[],
): Promise<Figure[]> {
  const python = benchPython();
  if (!python) {
    notes.push('EventAccumulator comparison skipped: no Python (set LADDER_BENCH_PYTHON to one with tensorboard installed)');
    return [];
  }
  try {
    await runCommand(python, ['-c', 'import tensorboard'], 60_000);
  } catch {
    notes.push(`EventAccumulator comparison skipped: ${python} cannot import tensorboard`);
    return [];
  }
  context.log(`  EventAccumulator (${python}) on the same file…`);
  const version = (await runCommand(python, ['-c', 'import tensorboard; print(tensorboard.__version__)'])).trim();
  const stdout = await runCommand(python, ['-c', EVENT_ACCUMULATOR_SCRIPT, file]);
  const python_ = JSON.parse(stdout.trim().split('\n').at(-1)!) as { seconds: number; cpuSeconds: number; points: number };
  context.log(
    `  EventAccumulator ${python_.cpuSeconds.toFixed(2)} s CPU (${python_.seconds.toFixed(2)} s wall), ${python_.points} points`,
  );
  if (python_.points !== ladder.points) {
    notes.push(`EventAccumulator kept ${python_.points} scalar points, ladder ${ladder.points}`);
  }
  let recordReader = "TensorFlow's C++ record reader";
  try {
    await runCommand(python, ['-c', 'import tensorflow'], 120_000);
  } catch {
    recordReader = 'its pure-Python TensorFlow stub (no TensorFlow installed; CRCs computed in Python)';
  }
  notes.push(`EventAccumulator: tensorboard ${version} reading through ${recordReader}; one run (it takes long)`);
  const megabytes = ladder.bytes / MB;
  return [
    figure(
      'read-200MB.vs-event-accumulator',
      { value: megabytes / ladder.cpuSeconds, unit: 'MB/s' },
      {
        name: `tensorboard ${version} EventAccumulator, size_guidance 0 (keep all scalars)`,
        value: megabytes / python_.cpuSeconds,
        unit: 'MB/s',
      },
      'how many times faster ladder reads the same file (goal ≥ 10)',
    ),
  ];
}

export const tensorboardBenchmark: Benchmark = {
  name: 'tensorboard',
  description: 'TensorBoard event files: reader speed against bare CRC-checked framing, peak memory, EventAccumulator',
  async run(context) {
    const notes: string[] = [];
    const figures: Figure[] = [];

    const mixed = path.join(context.scratch, 'mixed', 'events.out.tfevents.1700000000.bench.1.0');
    const scalars = path.join(context.scratch, 'scalars', 'events.out.tfevents.1700000000.bench.2.0');
    mkdirSync(path.dirname(mixed), { recursive: true });
    mkdirSync(path.dirname(scalars), { recursive: true });

    context.log('  writing a 200 MB event file with images and histograms…');
    const mixedShape = writeLargeEventFile(mixed, { bytes: 200 * MB });
    notes.push(
      `read-200MB: ${(mixedShape.bytes / MB).toFixed(0)} MB, ${mixedShape.records} records, ` +
        `${Object.values(mixedShape.scalarPoints).reduce((a, b) => a + b, 0)} scalar points, ` +
        `${mixedShape.images} images of 512 kB, ${mixedShape.histograms} histograms; best of ${REPEATS} child-process runs`,
    );
    const onMixed = await compareOnFile(mixed, context);
    figures.push(...fileFigures('read-200MB', onMixed.ladder, onMixed.crc));

    context.log('  writing a 50 MB event file of scalars only…');
    const scalarShape = writeLargeEventFile(scalars, {
      bytes: 50 * MB,
      imageEvery: Number.POSITIVE_INFINITY,
      histogramEvery: Number.POSITIVE_INFINITY,
    });
    notes.push(
      `read-50MB-scalars: ${(scalarShape.bytes / MB).toFixed(0)} MB, ${scalarShape.records} records, one scalar per event`,
    );
    const onScalars = await compareOnFile(scalars, context);
    figures.push(...fileFigures('read-50MB-scalars', onScalars.ladder, onScalars.crc));

    figures.push(...(await corpusFigures(context, notes)));
    figures.push(...(await eventAccumulatorFigure(mixed, onMixed.ladder, context, notes)));
    return { figures, notes };
  },
};
