import { spawnSync } from 'node:child_process';
import { closeSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/corpus.js';
import { hasStackTrace, ladder } from '../support/cli.js';
import { scratch } from '../support/files.js';

const dir = scratch('contamination-cli');
const LEAKED = 'The quick brown fox jumps over the lazy dog near the riverbank while the farmer watches from his old wooden porch.';
const CLEAN = 'An entirely novel sentence that nobody wrote in any training corpus, about purple giraffes debating tax law at dawn.';
const evalFile = path.join(dir, 'eval.jsonl');
writeFileSync(evalFile, [JSON.stringify({ id: 'leaked', text: LEAKED }), JSON.stringify({ id: 'clean', text: CLEAN })].join('\n') + '\n');
const trainFile = path.join(dir, 'train.txt');
writeFileSync(trainFile, `cooking pasta with salt\nTHE QUICK BROWN FOX -- jumps over the lazy dog, near the riverbank; while the farmer watches from his old wooden porch!!\n`);

describe('ladder overlap', () => {
  it('prints ladder.contamination/v1 with one entry per item', () => {
    const result = ladder(['overlap', '--train', trainFile, '--eval', evalFile, '--json']);
    expect(result.status, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.schema).toBe('ladder.contamination/v1');
    expect(json.n).toBe(13);
    expect(json.contaminated).toBe(1);
    expect(json.items).toHaveLength(2);
    for (const item of json.items) {
      expect(Object.keys(item)).toEqual(expect.arrayContaining(['id', 'ngram13Overlap', 'ngram8Share', 'contaminated', 'exactDuplicate', 'nearDuplicate']));
    }
    expect(json.items[0]).toMatchObject({ id: 'leaked', ngram13Overlap: 1, ngram8Share: 1, contaminated: true, exactDuplicate: true, nearDuplicate: true, duplicateOf: { file: trainFile, line: 2 } });
    expect(json.items[1]).toMatchObject({ id: 'clean', ngram13Overlap: 0, ngram8Share: 0, contaminated: false, exactDuplicate: false, nearDuplicate: false });
    expect(json.training.files[0]).toMatchObject({ format: 'text', records: 2 });
  });

  it('takes --n and prints a table with a summary line in human mode', () => {
    const json = JSON.parse(ladder(['overlap', '--train', trainFile, '--eval', evalFile, '--n', '20', '--json']).stdout);
    expect(json.n).toBe(20);
    const result = ladder(['overlap', '--train', trainFile, '--eval', evalFile]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^leaked +100\.0% +100\.0% +13-gram, 8-gram≥70%, exact /m);
    expect(result.stdout).toMatch(/^clean +0\.0% +0\.0% +clean$/m);
    expect(result.stdout).toMatch(/1 of 2 items contaminated/);
  });

  it('fails with one line and exit 2 on missing files, bad eval records and bad flags', () => {
    const cases = [
      ['--train', path.join(dir, 'nope.txt'), '--eval', evalFile],
      ['--train', trainFile, '--eval', path.join(dir, 'nope.jsonl')],
      ['--train', trainFile],
      ['--eval', evalFile],
      ['--train', trainFile, '--eval', evalFile, '--n', 'x'],
    ];
    const badEval = path.join(dir, 'bad.jsonl');
    writeFileSync(badEval, '{"text": "fine"}\n{"txt": "no text"}\n');
    cases.push(['--train', trainFile, '--eval', badEval]);
    for (const args of cases) {
      const result = ladder(['overlap', ...args]);
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n'), result.stderr).toHaveLength(1);
      expect(result.stderr).toMatch(/^ladder: /);
      expect(hasStackTrace(result.stderr)).toBe(false);
    }
    expect(ladder(['overlap', '--train', path.join(dir, 'nope.txt'), '--eval', evalFile]).stderr).toMatch(/nope\.txt.*no such file/);
    expect(ladder(['overlap', '--train', trainFile, '--eval', badEval]).stderr).toMatch(/line 2/);
  });

  it('streams a ~200 MB training file in bounded memory (peak RSS measured in a child process)', () => {
    const big = path.join(dir, 'big.txt');
    const vocabulary = ['river', 'stone', 'light', 'paper', 'winter', 'cloud', 'engine', 'garden', 'silver', 'market', 'forest', 'signal'];
    let state = 1;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
    const lines: string[] = [];
    let blockBytes = 0;
    while (blockBytes < 1 << 20) {
      const line = Array.from({ length: 20 }, () => `${vocabulary[next() % 12]}${next() % 100000}`).join(' ') + '.';
      lines.push(line);
      blockBytes += line.length + 1;
    }
    const block = lines.join('\n') + '\n';
    const fd = openSync(big, 'w');
    for (let i = 0; i < 200; i++) {
      writeSync(fd, block);
      if (i === 100) writeSync(fd, `${LEAKED.toUpperCase()}\n`);
    }
    closeSync(fd);
    const bytes = statSync(big).size;
    expect(bytes).toBeGreaterThan(200e6);
    const script = `
      import { main } from ${JSON.stringify(path.join(REPO, 'dist/src/cli/main.js'))};
      const code = await main(process.argv.slice(1));
      process.stderr.write('MAXRSS ' + process.resourceUsage().maxRSS * 1024 + '\\n');
      process.exitCode = code;`;
    const peakRss = (train: string) => {
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script, 'overlap', '--train', train, '--eval', evalFile, '--json'], {
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      });
      expect(child.status, child.stderr).toBe(0);
      return { json: JSON.parse(child.stdout), peak: Number(/MAXRSS (\d+)/.exec(child.stderr)![1]) };
    };
    const { json, peak } = peakRss(big);
    expect(json.items.map((i: { contaminated: boolean }) => i.contaminated)).toEqual([true, false]);
    expect(json.items[0].duplicateOf.line).toBe(101 * lines.length + 1);
    const { peak: tinyPeak } = peakRss(trainFile);
    console.log(
      `contamination scan of ${(bytes / 1e6).toFixed(0)} MB: peak RSS ${(peak / 1e6).toFixed(0)} MB (${(peak / bytes).toFixed(2)}× the file); ` +
        `${(tinyPeak / 1e6).toFixed(0)} MB for a 2-line training file`,
    );
    expect(peak).toBeLessThan(0.6 * bytes);
    // what the scan adds over the process's own footprint does not grow with the corpus
    expect(peak - tinyPeak).toBeLessThan(40e6);
  }, 180_000);
});
