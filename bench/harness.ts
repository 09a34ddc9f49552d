/**
 * What a benchmark module is and what it reports. Every figure is measured against a
 * reference measured in the same run on the same machine (a baseline doing less work, or
 * another tool doing the same work), so that results.json compares like with like even
 * when machines differ: the ratio is the number to watch, the absolute value is context.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export interface Measured {
  /** What was measured, e.g. "CRC-checked framing only". */
  name: string;
  value: number;
  unit: string;
}

export interface Figure {
  /** Unique within its benchmark, e.g. "read-200MB.throughput". */
  name: string;
  value: number;
  unit: string;
  reference: Measured;
  /** value / reference.value. */
  ratio: number;
  /** How to read the ratio (e.g. "> 1 means ladder is faster"). */
  meaning: string;
}

export interface BenchmarkResult {
  figures: Figure[];
  /** Context: sizes, skipped comparisons and why. */
  notes: string[];
}

export interface BenchContext {
  /** A scratch folder for generated inputs, removed after the run. */
  scratch: string;
  /** Progress line for the terminal. */
  log(message: string): void;
}

export interface Benchmark {
  name: string;
  description: string;
  run(context: BenchContext): Promise<BenchmarkResult>;
}

export function figure(name: string, measured: Omit<Measured, 'name'>, reference: Measured, meaning: string): Figure {
  return { name, ...measured, reference, ratio: measured.value / reference.value, meaning };
}

const execFileAsync = promisify(execFile);

/** Runs a command and returns its stdout; throws with stderr on failure. */
export async function runCommand(command: string, args: string[], timeoutMs = 30 * 60 * 1000): Promise<string> {
  const { stdout } = await execFileAsync(command, args, { maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs });
  return stdout;
}

export interface Timed<T> {
  /** Wall-clock seconds. */
  seconds: number;
  /** CPU seconds (user + system) of this process. */
  cpuSeconds: number;
  result: T;
}

/** The run of `task` with the least CPU time among `repeats`, in-process. */
export async function bestOf<T>(repeats: number, task: () => Promise<T>): Promise<Timed<T>> {
  let best: Timed<T> | undefined;
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    const result = await task();
    const cpu = process.cpuUsage(cpuStarted);
    const timed = { seconds: (performance.now() - started) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, result };
    if (!best || timed.cpuSeconds < best.cpuSeconds) best = timed;
  }
  return best!;
}

export const MB = 1024 * 1024;
