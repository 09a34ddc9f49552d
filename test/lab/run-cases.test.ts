import { describe, expect, it } from 'vitest';
import type { Lab, LabCase } from '../../src/lab/lab.js';
import { runCases } from '../../src/lab/tour.js';

/** A stand-in lab whose cases take `delays[i]` ms, recording how many run at once. */
function standIn(delays: number[]) {
  let running = 0;
  const seen = { peak: 0, started: [] as number[] };
  const lab = {
    async runCase(world: string, fault: string, seed: number) {
      seen.started.push(seed);
      running++;
      seen.peak = Math.max(seen.peak, running);
      await new Promise((resolve) => setTimeout(resolve, delays[seed]));
      running--;
      if (fault === 'boom') throw new Error(`case ${seed} failed`);
      return { world, fault, seed } as unknown as LabCase;
    },
  } as unknown as Lab;
  return { lab, seen };
}

describe('runCases', () => {
  const specs = (n: number, fault = 'none') => Array.from({ length: n }, (_, seed) => ({ world: 'w', fault, seed }));

  it('keeps at most `concurrency` cases in flight, reports in the order given and each as it finishes', async () => {
    const { lab, seen } = standIn([60, 10, 10, 10, 10, 10]);
    const finished: number[] = [];
    const reported: number[] = [];
    const out = await runCases(lab, specs(6), (_, c) => reported.push(c.seed), (c) => finished.push(c.seed), 2);
    expect(seen.peak).toBe(2);
    expect(out.map((c) => c.seed)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(reported).toEqual([0, 1, 2, 3, 4, 5]);
    // The slow first case does not hold the others back: they finish (and are recorded) first.
    expect(finished.indexOf(0)).toBeGreaterThan(finished.indexOf(1));
    expect(finished).toHaveLength(6);
  });

  it('runs every case at once by default, and a failed case rejects without stopping the others', async () => {
    const { lab, seen } = standIn([5, 5, 5, 5]);
    await runCases(lab, specs(4));
    expect(seen.peak).toBe(4);
    const failing = standIn([5, 5, 5, 5]);
    await expect(runCases(failing.lab, specs(4, 'boom'), undefined, undefined, 1)).rejects.toThrow('case 0 failed');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(failing.seen.started).toEqual([0, 1, 2, 3]);
  });
});
