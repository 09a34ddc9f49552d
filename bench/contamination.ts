/**
 * Contamination: throughput of the streaming scan (tokenize with lm-eval's normalization,
 * 13- and 8-gram lookups, record hashes, shingle prefilter for MinHash) over a generated
 * ~200 MB plain-text training file with 1,000 eval items, against reading the same file
 * line by line without any hashing (same buffer size, same newline search) in the same run.
 */
import { closeSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createReadStream } from 'node:fs';
import { detectContamination } from '../src/observation/contamination-files.js';
import { createRng } from '../src/stats/rng.js';
import { bestOf, figure, MB, type Benchmark } from './harness.js';

const VOCABULARY = ['river', 'stone', 'light', 'paper', 'winter', 'cloud', 'engine', 'garden', 'silver', 'market', 'forest', 'signal'];

function sentence(rng: ReturnType<typeof createRng>, words: number): string {
  return Array.from({ length: words }, () => `${VOCABULARY[rng.integer(0, VOCABULARY.length)]}${rng.integer(0, 100000)}`).join(' ');
}

/** Counts lines with the scan's own read loop minus the scan: the floor of any line-based reader. */
async function countLines(file: string): Promise<number> {
  const buffer = Buffer.allocUnsafe(1 << 20);
  const handle = await open(file, 'r');
  let lines = 0;
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      let start = 0;
      for (;;) {
        const newline = buffer.indexOf(10, start);
        if (newline < 0 || newline >= bytesRead) break;
        lines++;
        start = newline + 1;
      }
    }
  } finally {
    await handle.close();
  }
  return lines;
}

async function countReadlineLines(file: string): Promise<number> {
  let lines = 0;
  for await (const _line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) lines++;
  return lines;
}

export const contaminationBenchmark: Benchmark = {
  name: 'contamination',
  description: 'streaming n-gram/duplicate scan of a ~200 MB training file vs reading it line by line without hashing',
  async run(context) {
    const rng = createRng(4);
    const items = Array.from({ length: 1000 }, () => sentence(rng, 40));
    const evalFile = path.join(context.scratch, 'eval.jsonl');
    writeFileSync(evalFile, items.map((text, i) => JSON.stringify({ id: `item-${i}`, text })).join('\n') + '\n');
    const trainFile = path.join(context.scratch, 'train.txt');
    const lines: string[] = [];
    let blockBytes = 0;
    while (blockBytes < MB) {
      const line = `${sentence(rng, 20)}.`;
      lines.push(line);
      blockBytes += line.length + 1;
    }
    const block = lines.join('\n') + '\n';
    const fd = openSync(trainFile, 'w');
    for (let i = 0; i < 200; i++) {
      writeSync(fd, block);
      // every 10th MB, one eval item leaks (upper-cased, with punctuation)
      if (i % 10 === 0) writeSync(fd, `${items[i]!.toUpperCase().replaceAll(' ', ', ')}!\n`);
    }
    closeSync(fd);
    const bytes = statSync(trainFile).size;
    context.log(`  generated ${(bytes / MB).toFixed(0)} MiB training file, 1,000 eval items`);

    const reference = await bestOf(2, () => countLines(trainFile));
    const scan = await bestOf(2, () => detectContamination([trainFile], evalFile));
    const readline = await bestOf(1, () => countReadlineLines(trainFile));
    const report = scan.result.report;
    const mbPerSecond = (seconds: number) => bytes / MB / seconds;
    return {
      figures: [
        figure(
          'scan-200MB.throughput',
          { value: mbPerSecond(scan.cpuSeconds), unit: 'MiB/s (CPU time)' },
          { name: 'same file read line by line (1 MiB buffer, newline search), no hashing', value: mbPerSecond(reference.cpuSeconds), unit: 'MiB/s (CPU time)' },
          'scan throughput over bare line reading (the cost of tokenizing and hashing; 1 would be free)',
        ),
      ],
      notes: [
        `${(bytes / MB).toFixed(0)} MiB, ${reference.result} lines; ${report.training.tokens} tokens; ${report.contaminated} of 1,000 items flagged (20 leaked)`,
        `wall time: scan ${scan.seconds.toFixed(2)} s, bare line reading ${reference.seconds.toFixed(2)} s`,
        `node:readline over the same file (decodes every line to a string): ${mbPerSecond(readline.cpuSeconds).toFixed(0)} MiB/s CPU time`,
      ],
    };
  },
};
