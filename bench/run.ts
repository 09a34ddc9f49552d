/**
 * `npm run bench`: builds, then runs every benchmark of bench/benchmarks.ts (or those named
 * on the command line) and writes bench/results.json: machine, date, and per benchmark its
 * figures, each {value, unit, reference, ratio} against a reference measured in the same run.
 *
 *   npm run bench                      # all
 *   npm run bench -- tensorboard       # only these: their entries are replaced, the others
 *                                      # kept from the last run (each entry carries its date)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCHMARKS } from './benchmarks.js';
import type { Benchmark, BenchmarkResult } from './harness.js';

/** dist/bench/run.js → the repository root. */
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RESULTS = path.join(REPO, 'bench', 'results.json');

function selected(names: string[]): Benchmark[] {
  const all = BENCHMARKS as readonly Benchmark[];
  if (names.length === 0) return [...all];
  return names.map((name) => {
    const found = all.find((benchmark) => benchmark.name === name);
    if (!found) throw new Error(`unknown benchmark: ${name} (known: ${all.map((b) => b.name).join(', ')})`);
    return found;
  });
}

function formatNumber(value: number): string {
  return Math.abs(value) >= 100 ? Math.round(value).toLocaleString('en-US') : value.toPrecision(3);
}

async function main(): Promise<void> {
  const benchmarks = selected(process.argv.slice(2));
  type Entry = BenchmarkResult & { description: string; seconds: number; date: string };
  // A partial run keeps the other benchmarks' last results (with their own dates).
  const previous: Record<string, Entry> =
    process.argv.length > 2 && existsSync(RESULTS) ? ((JSON.parse(readFileSync(RESULTS, 'utf8')) as { benchmarks?: Record<string, Entry> }).benchmarks ?? {}) : {};
  const results: Record<string, Entry> = { ...previous };
  for (const benchmark of benchmarks) {
    const scratch = mkdtempSync(path.join(os.tmpdir(), `ladder-bench-${benchmark.name}-`));
    console.log(`${benchmark.name}: ${benchmark.description}`);
    const started = performance.now();
    try {
      const result = await benchmark.run({ scratch, log: (message) => console.log(message) });
      results[benchmark.name] = { description: benchmark.description, seconds: (performance.now() - started) / 1000, date: new Date().toISOString(), ...result };
      for (const f of result.figures) {
        console.log(
          `  ${f.name}: ${formatNumber(f.value)} ${f.unit} vs ${formatNumber(f.reference.value)} ${f.reference.unit} ` +
            `(${f.reference.name}) → ratio ${f.ratio.toFixed(3)}`,
        );
      }
      for (const note of result.notes) console.log(`  note: ${note}`);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  const cpus = os.cpus();
  const report = {
    date: new Date().toISOString(),
    machine: {
      cpu: cpus[0]?.model ?? 'unknown',
      cores: cpus.length,
      memoryBytes: os.totalmem(),
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      node: process.version,
    },
    benchmarks: results,
  };
  writeFileSync(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), RESULTS) || RESULTS}`);
}

main().catch((error: unknown) => {
  console.error(`bench: ${(error as Error).message}`);
  process.exit(1);
});
