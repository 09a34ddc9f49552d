import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContaminationScanner, type EvalItem } from '../../src/observation/contamination.js';
import { detectContamination, scanTrainingFile } from '../../src/observation/contamination-files.js';
import { jaccard } from '../../src/stats/minhash.js';
import { normalizedTokens } from '../../src/stats/ngrams.js';
import { createRng } from '../../src/stats/rng.js';
import { scratch } from '../support/files.js';

const VOCABULARY = ['river', 'stone', 'light', 'paper', 'winter', 'cloud', 'engine', 'garden', 'silver', 'market', 'forest', 'signal'];

/** `count` words, unique enough that no n-gram repeats by chance: each is a vocabulary word plus a number. */
function words(seed: number, count: number): string[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, () => `${VOCABULARY[rng.integer(0, VOCABULARY.length)]}${rng.integer(0, 100000)}`);
}

function scanLines(items: EvalItem[], lines: string[], options = {}) {
  const scanner = new ContaminationScanner(items, options);
  lines.forEach((line, index) => {
    scanner.feed(Buffer.from(line, 'utf8'));
    scanner.endRecord({ file: 'train.txt', line: index + 1 });
  });
  return scanner.report();
}

/** Distinct n-grams of the normalized text, as strings: an independent, slow path. */
function ngramSet(text: string, n: number): Set<string> {
  const tokens = normalizedTokens(text);
  const out = new Set<string>();
  for (let i = 0; i + n <= tokens.length; i++) out.add(tokens.slice(i, i + n).join(' '));
  return out;
}

describe('contamination by n-gram overlap', () => {
  const item = words(1, 30);
  const itemText = item.join(' ');

  it('catches an eval item copied into training text with its case and punctuation changed', () => {
    const disguised = item.map((w, i) => (i % 3 === 0 ? w.toUpperCase() : i % 3 === 1 ? `"${w},` : `${w}!?`)).join('  ');
    const training = [...words(2, 50), ...disguised.split(' '), ...words(3, 50)].join(' ');
    const report = scanLines([{ id: 'q', text: itemText }], ['unrelated line of text', training]);
    const result = report.items[0]!;
    expect(result.ngramOverlap).toBe(1);
    expect(result.ngramShare).toBe(1);
    expect(result.overlapFlag).toBe(true);
    expect(result.shareFlag).toBe(true);
    expect(result.exactDuplicate).toBe(false); // embedded in a longer record
    expect(result.contaminated).toBe(true);
    expect(report.contaminated).toBe(1);
  });

  it('finds text wrapped over several plain-text lines', () => {
    const lines = [item.slice(0, 10).join(' '), item.slice(10, 20).join(' '), item.slice(20).join(' ')];
    const result = scanLines([{ id: 'q', text: itemText }], lines).items[0]!;
    expect(result.ngramOverlap).toBe(1);
    expect(result.ngramShare).toBe(1);
  });

  it('does not flag a paraphrase sharing fewer than 70 % of its 8-grams and no 13-gram', () => {
    // the first 12 words kept, the other 18 reworded: 5 of the 23 8-grams survive, no 13-gram does
    const paraphrase = [...item.slice(0, 12), ...words(4, 18)].join(' ');
    const result = scanLines([{ id: 'q', text: itemText }], [paraphrase]).items[0]!;
    const evalGrams = ngramSet(itemText, 8);
    const shared = [...evalGrams].filter((g) => ngramSet(paraphrase, 8).has(g)).length;
    expect(shared / evalGrams.size).toBeCloseTo(5 / 23, 12);
    expect(result.ngramShare).toBeCloseTo(5 / 23, 12);
    expect(result.ngramOverlap).toBe(0);
    expect(result.shareFlag).toBe(false);
    expect(result.contaminated).toBe(false);
  });

  it('applies the 70 % rule at its boundary, counting distinct 8-grams', () => {
    // keep the first 23 words: 16 of 23 8-grams (69.6 %) survive; keep 24: 17 of 23 (73.9 %)
    const share = (kept: number) => scanLines([{ id: 'q', text: itemText }], [[...item.slice(0, kept), ...words(5, 30 - kept)].join(' ')]).items[0]!;
    const below = share(23);
    expect(below.ngramShare).toBeCloseTo(16 / 23, 12);
    expect(below.shareFlag).toBe(false);
    const above = share(24);
    expect(above.ngramShare).toBeCloseTo(17 / 23, 12);
    expect(above.shareFlag).toBe(true);
    // the 13-gram rule flags both (any overlap), as in GPT-3
    expect(below.overlapFlag && above.overlapFlag).toBe(true);
  });

  it('uses --n for the overlap length and leaves items shorter than n undecided by it', () => {
    const short = 'just seven words in this eval item';
    const report = scanLines([{ id: 's', text: short }], [`prefix ${short} suffix`], { n: 13 });
    expect(report.items[0]!.ngramOverlap).toBeNull();
    expect(report.items[0]!.ngramShare).toBeNull();
    expect(report.counts.tooShort).toBe(1);
    const withFive = scanLines([{ id: 's', text: short }], [`prefix ${short} suffix`], { n: 5 });
    expect(withFive.items[0]!.ngramOverlap).toBe(1);
  });
});

describe('duplicates', () => {
  it('marks an exact duplicate (same normalized text) and where it is', () => {
    const text = words(6, 20).join(' ');
    const report = scanLines([{ id: 'a', text }, { id: 'b', text: words(7, 20).join(' ') }], ['other', text.toUpperCase() + ' ...']);
    expect(report.items[0]).toMatchObject({ exactDuplicate: true, nearDuplicate: true, jaccard: 1, duplicateOf: { file: 'train.txt', line: 2 } });
    expect(report.items[1]).toMatchObject({ exactDuplicate: false, nearDuplicate: false, duplicateOf: null });
  });

  it('finds a near duplicate by MinHash-LSH, with the estimated Jaccard close to the true one', () => {
    const item = words(8, 240);
    const edited = [...item];
    edited[120] = 'replaced';
    const truth = jaccard([...ngramSet(item.join(' '), 5)].map(hashString), [...ngramSet(edited.join(' '), 5)].map(hashString));
    expect(truth).toBeCloseTo(231 / 241, 12);
    const estimates: number[] = [];
    for (let seed = 0; seed < 20; seed++) {
      const result = scanLines([{ id: 'q', text: item.join(' ') }], [words(9, 40).join(' '), edited.join(' ')], { seed }).items[0]!;
      expect(result.exactDuplicate).toBe(false);
      // LSH with 9 bands × 13 rows misses a J = 0.96 pair with probability < 0.002
      expect(result.jaccard).not.toBeNull();
      expect(Math.abs(result.jaccard! - truth)).toBeLessThan(4.5 * Math.sqrt((truth * (1 - truth)) / 128));
      expect(result.nearDuplicate).toBe(true);
      expect(result.duplicateOf).toEqual({ file: 'train.txt', line: 2 });
      estimates.push(result.jaccard!);
    }
    expect(Math.abs(estimates.reduce((s, x) => s + x, 0) / 20 - truth)).toBeLessThan(0.02);
  });

  it('does not call a half-rewritten record a near duplicate', () => {
    const item = words(10, 100);
    const half = [...item.slice(0, 50), ...words(11, 50)].join(' ');
    const result = scanLines([{ id: 'q', text: item.join(' ') }], [half]).items[0]!;
    expect(result.nearDuplicate).toBe(false);
  });
});

function hashString(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return h;
}

describe('training files', () => {
  const dir = scratch('contamination');
  const item = `${words(12, 30).join(' ')} caf\u00e9\u00a0na\u00efve \u4e2d\u6587\u3000end`;

  it('gives the same result whatever the chunk size (records and characters cut across chunks)', async () => {
    const file = path.join(dir, 'train.txt');
    const lines = [...Array(200).keys()].map((i) => (i === 120 ? item.replace(/[a-z]/g, (c) => c.toUpperCase()) : words(100 + i, 25).join(' \u00a0')));
    writeFileSync(file, lines.join('\n'));
    const results = [];
    for (const chunkBytes of [8, 13, 64, 4096, 1 << 20]) {
      const scanner = new ContaminationScanner([{ id: 'q', text: item }]);
      const summary = await scanTrainingFile(file, scanner, { chunkBytes });
      expect(summary).toMatchObject({ format: 'text', records: 200, skipped: 0 });
      results.push(scanner.report());
    }
    expect(results[0]!.items[0]).toMatchObject({ ngramOverlap: 1, exactDuplicate: true, duplicateOf: { line: 121 } });
    for (const report of results) expect(report).toEqual(results[0]);
  });

  it('reads JSONL training records by their text field and reports records without one', async () => {
    const file = path.join(dir, 'train.jsonl');
    writeFileSync(
      file,
      [JSON.stringify({ text: 'hello there' }), '{"content": "no text field"}', 'not json', JSON.stringify({ text: item, meta: 1 }), ''].join('\n'),
    );
    const evalFile = path.join(dir, 'eval.txt');
    writeFileSync(evalFile, `${item}\n\n${words(13, 30).join(' ')}\n`);
    const { report, training, evalFormat } = await detectContamination([dir + '/train.jsonl'], evalFile);
    expect(evalFormat).toBe('text');
    expect(training[0]).toMatchObject({ format: 'jsonl', records: 2, skipped: 2, firstSkippedLine: 2 });
    expect(report.items.map((i) => [i.id, i.exactDuplicate])).toEqual([
      ['1', true],
      ['3', false],
    ]);
    expect(report.items[0]!.duplicateOf).toEqual({ file, line: 4 });
  });

  it('does not let n-grams run across JSONL records', async () => {
    const file = path.join(dir, 'split.jsonl');
    const tokens = words(14, 30);
    writeFileSync(file, [JSON.stringify({ text: tokens.slice(0, 15).join(' ') }), JSON.stringify({ text: tokens.slice(15).join(' ') })].join('\n'));
    const scanner = new ContaminationScanner([{ id: 'q', text: tokens.join(' ') }]);
    await scanTrainingFile(file, scanner);
    // 13-grams inside either half: 3 + 3 of the 18
    expect(scanner.report().items[0]!.ngramOverlap).toBeCloseTo(6 / 18, 12);
  });
});
