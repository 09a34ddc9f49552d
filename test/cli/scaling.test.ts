import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasStackTrace, ladder } from '../support/cli.js';
import { HAS_CORPUS, corpusPath } from '../support/corpus.js';
import { scratch } from '../support/files.js';

const dir = scratch('scaling-');
const at = (name: string) => path.join(dir, name);
// 36 runs on a grid of N and D, exactly on L = 1.69 + 406.4/N^0.34 + 410.7/D^0.28.
const law = (n: number, d: number) => 1.69 + 406.4 * Math.pow(n, -0.34) + 410.7 * Math.pow(d, -0.28);
const rows: string[] = ['params,tokens,flop,final loss'];
for (let i = 0; i < 6; i++) {
  for (let j = 0; j < 6; j++) {
    const n = 1e7 * Math.pow(4, i);
    const d = 1e9 * Math.pow(4, j);
    rows.push(`${n},${d},${6 * n * d},${law(n, d)}`);
  }
}
writeFileSync(at('runs.csv'), `${rows.join('\n')}\n`);
writeFileSync(at('bad-loss.csv'), `${rows.slice(0, 5).join('\n')}\n1e8,1e10,6e18,n/a\n`);

describe('ladder scaling', () => {
  it('fits a known law from --d and from --flop and prints ladder.scaling/v1', () => {
    for (const dFlag of [['--d', 'tokens'], ['--flop', 'flop']]) {
      const result = ladder(['scaling', at('runs.csv'), '--n', 'params', ...dFlag, '--loss', 'final loss', '--json', '--resamples', '20', '--seed', '3']);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      const report = JSON.parse(result.stdout);
      expect(report.schema).toBe('ladder.scaling/v1');
      expect(report.n).toBe(36);
      expect(report.seed).toBe(3);
      expect(report.resamples).toBe(20);
      expect(report.E).toBeCloseTo(1.69, 3);
      expect(report.alpha).toBeCloseTo(0.34, 3);
      expect(report.beta).toBeCloseTo(0.28, 3);
      for (const key of ['E', 'A', 'B', 'alpha', 'beta']) expect(report.intervals[key]).toHaveLength(2);
      expect(report.marginal.data.estimate).toBeLessThan(0);
    }
  });

  it('prints a table with the floor and the value of 2× data and parameters', () => {
    const result = ladder(['scaling', at('runs.csv'), '--n', 'params', '--d', 'tokens', '--loss', 'final loss', '--resamples', '10']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/lowest reachable loss \(E\): 1\.69/);
    expect(result.stdout).toMatch(/2× data +changes the loss by -/);
    expect(result.stdout).toMatch(/10 resamples of the rows, seed 0/);
  });

  it('names the file and column on bad input, in one line, exit 2', () => {
    const cases: [string[], RegExp][] = [
      [['--n', 'params', '--d', 'tokens', '--loss', 'loss'], /runs\.csv: no column "loss" \(--loss\); the columns are "params", "tokens", "flop", "final loss"/],
      [['--n', 'params', '--d', 'tokens', '--flop', 'flop', '--loss', 'final loss'], /exactly one of --d COL .* or --flop COL/],
      [['--n', 'params', '--loss', 'final loss'], /exactly one of --d COL/],
      [['--n', 'params', '--d', 'tokens', '--loss', 'final loss', '--drop-highest', '36'], /--drop-highest 36 would leave none of the 36 rows/],
      [['--n', 'params', '--d', 'tokens', '--loss', 'final loss', '--resamples', '0'], /--resamples takes an integer of at least 1/],
    ];
    for (const [args, message] of cases) {
      const result = ladder(['scaling', at('runs.csv'), ...args]);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(hasStackTrace(result.stderr)).toBe(false);
    }
    const badValue = ladder(['scaling', at('bad-loss.csv'), '--n', 'params', '--d', 'tokens', '--loss', 'final loss']);
    expect(badValue.status).toBe(2);
    expect(badValue.stderr).toMatch(/bad-loss\.csv: row 6, column "final loss" \(--loss\) is "n\/a", not a positive number/);
    const missing = ladder(['scaling', at('nope.csv'), '--n', 'params', '--d', 'tokens', '--loss', 'final loss']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/nope\.csv: cannot read the file \(ENOENT\)/);
  });

  it.skipIf(!HAS_CORPUS)('reproduces Epoch AI\'s refit of Chinchilla approach 3 on the corpus CSV', () => {
    const file = corpusPath('scaling/chinchilla-epoch-svg-extracted.csv');
    const result = ladder(['scaling', file, '--n', 'Model Size', '--flop', 'Training FLOP', '--loss', 'loss', '--drop-highest', '5', '--json', '--resamples', '100']);
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.n).toBe(240);
    expect(report.rows).toBe(245);
    expect(report.dropped).toBe(5);
    expect(Math.abs(report.E - 1.817)).toBeLessThan(0.01);
    expect(Math.abs(report.alpha - 0.347)).toBeLessThan(0.005);
    expect(Math.abs(report.beta - 0.367)).toBeLessThan(0.005);
    for (const key of ['E', 'A', 'B', 'alpha', 'beta']) {
      expect(report.intervals[key][0]).toBeLessThan(report[key]);
      expect(report.intervals[key][1]).toBeGreaterThan(report[key]);
    }
  });
});
