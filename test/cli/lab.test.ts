import { appendFileSync, chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ladder } from '../support/cli.js';

describe('ladder lab (command line)', () => {
  it('--list names every world and fault with its layer', () => {
    const result = ladder(['lab', '--list']);
    expect(result.status).toBe(0);
    for (const name of ['markov1', 'copy-extrapolate', 'small-eval', 'lr-high', 'width4', 'learned-positions']) expect(result.stdout).toContain(name);
    expect(result.stdout).toMatch(/learned-positions\s+perception/);
  });

  it('refuses unknown names and faults that do not apply, in one line with exit 2', () => {
    for (const args of [['--world', 'nope'], ['--fault', 'nope'], ['--world', 'markov1', '--fault', 'learned-positions'], ['--seed', '-1'], ['--bogus']]) {
      const result = ladder(['lab', ...args]);
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('--html refuses a folder that does not exist before training anything', () => {
    const result = ladder(['lab', '--world', 'markov1', '--html', '/nonexistent-dir/x.html']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/does not exist/);
  });

  it('--record refuses a file it cannot read in one line, before training anything', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ladder-lab-record-')), 'locked.jsonl');
    writeFileSync(file, '');
    chmodSync(file, 0o000);
    const result = ladder(['lab', '--world', 'markov1', '--record', file], {}, true);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/cannot read it \(EACCES\)/);
  });

  it('--record keeps each finished case and a second run resumes from it without training', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ladder-lab-record-'));
    const file = path.join(dir, 'grade.jsonl');
    const args = ['lab', '--world', 'markov1', '--fault', 'lr-high', '--quick', '--record', file];
    const first = ladder([...args, '--json']);
    expect(first.status, first.stderr).toBe(0);
    const fresh = JSON.parse(first.stdout);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ world: 'markov1', fault: 'lr-high', seed: 0, quick: true, verdict: fresh.cases[0].verdict });

    // A line cut short by a killed run is reported and skipped; the recorded case is not retrained.
    appendFileSync(file, '{"world": "markov1", "fau');
    const second = ladder(args);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/line 2 is not a lab case/);
    expect(second.stderr).toMatch(/1 of 1 cases read from/);
    expect(second.stderr).not.toMatch(/training /);
    expect(second.stdout).toMatch(/[01]\/1 verdicts right;/);
    const resumed = ladder([...args, '--json']);
    expect(JSON.parse(resumed.stdout).cases).toEqual(fresh.cases);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2);

    // Another seed is another case: it is trained and appended.
    const full = ladder([...args, '--seed', '1', '--json']);
    expect(full.status, full.stderr).toBe(0);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(3);
    // Two `--quick` cases trained through the command line: on a 2-core machine shared with
    // other training, the test took 313 s and timed out at 300.
  }, 600_000);
});
