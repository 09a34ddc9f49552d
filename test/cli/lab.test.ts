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
});
