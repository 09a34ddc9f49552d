/**
 * Reads one TensorBoard event file in a process of its own and prints one JSON line of
 * measurements, so that peak RSS (the kernel's high-water mark) belongs to this read alone.
 *
 *   node --expose-gc dist/bench/tensorboard-read.js ladder <file>   # the tensorboard reader
 *   node --expose-gc dist/bench/tensorboard-read.js crc <file>      # framing + CRCs only
 *
 * Used by bench/tensorboard.ts and by the 500 MB streaming test.
 */
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ingest } from '../src/ingest/ingest.js';
import { readTfRecords } from '../src/ingest/formats/tfrecord.js';
import { tensorboardReader } from '../src/ingest/readers/tensorboard.js';

export interface ReadMeasurement {
  mode: 'ladder' | 'crc';
  bytes: number;
  /** Wall-clock seconds of the read. */
  seconds: number;
  /** CPU seconds (user + system) of the read: steadier than wall time on a shared machine. */
  cpuSeconds: number;
  records: number;
  points: number;
  series: Record<string, number>;
  nonScalar: Record<string, number>;
  errors: number;
  startRssBytes: number;
  peakRssBytes: number;
}

/** Peak resident set size so far (Linux VmHWM); the current RSS elsewhere. */
export function peakRss(): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // not Linux: fall through
  }
  return process.memoryUsage.rss();
}

export async function measureRead(mode: 'ladder' | 'crc', file: string): Promise<ReadMeasurement> {
  (globalThis as { gc?: () => void }).gc?.();
  const startRssBytes = process.memoryUsage.rss();
  const bytes = statSync(file).size;
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const result: ReadMeasurement = {
    mode,
    bytes,
    seconds: 0,
    cpuSeconds: 0,
    records: 0,
    points: 0,
    series: {},
    nonScalar: {},
    errors: 0,
    startRssBytes,
    peakRssBytes: 0,
  };
  if (mode === 'crc') {
    const summary = await readTfRecords(file, { record: () => {} });
    result.records = summary.records;
    result.errors = summary.corruptRegions;
  } else {
    const { runs, issues } = await ingest([file], { readers: [tensorboardReader] });
    for (const run of runs) {
      for (const [tag, series] of Object.entries(run.series)) {
        result.series[tag] = series.steps.length;
        result.points += series.steps.length;
      }
      for (const [tag, tally] of Object.entries(run.nonScalar)) result.nonScalar[tag] = tally.count;
    }
    result.errors = issues.filter((issue) => issue.severity === 'error').length;
  }
  result.seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  result.cpuSeconds = (cpu.user + cpu.system) / 1e6;
  result.peakRssBytes = peakRss();
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [mode, file] = process.argv.slice(2);
  if ((mode !== 'ladder' && mode !== 'crc') || !file) {
    console.error('usage: tensorboard-read.js ladder|crc <event file>');
    process.exit(2);
  }
  process.stdout.write(JSON.stringify(await measureRead(mode, file)));
}
