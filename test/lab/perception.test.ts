/**
 * The lab's perception case end to end (issue 7): learned absolute positions trained at
 * length 16 on an order-2 Markov language fail at 2L and 4L, while ALiBi keeps its accuracy,
 * and ladder, from the concept study alone, names perception. About two minutes of training
 * on two cores.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faultByName } from '../../src/lab/faults.js';
import { healthyConfig, Lab, type LabCase } from '../../src/lab/lab.js';

describe('the perception case: learned positions on length extrapolation', () => {
  let lab: Lab;
  let found: LabCase;
  beforeAll(async () => {
    lab = await Lab.start();
    found = await lab.runCase('markov2-extrapolate', 'learned-positions', 0);
  }, 600_000);
  afterAll(() => lab?.close());

  it('learned positions lose their accuracy beyond the training length; ALiBi keeps most of it', async () => {
    const learned = found.probes;
    expect(learned.map((p) => p.length)).toEqual([32, 64]);
    // The healthy ALiBi run is one of the concept study's runs: the session returns it without training.
    const trainedBefore = lab.trained;
    const alibi = await lab.trial(healthyConfig('markov2-extrapolate', 0));
    expect(lab.trained).toBe(trainedBefore);
    const alibiAt4L = alibi.probes.find((p) => p.length === 64)!.accuracy;
    expect(alibiAt4L).toBeGreaterThan(0.9 * alibi.evalAccuracy);
    expect(learned[1]!.accuracy).toBeLessThan(alibiAt4L - 0.1);
    // The learned-positions run itself fits the training length well and falls apart beyond it.
    const own = await lab.trial(faultByName('learned-positions').apply(healthyConfig('markov2-extrapolate', 0)));
    expect(lab.trained).toBe(trainedBefore);
    expect(learned[1]!.accuracy).toBeLessThan(0.8 * own.evalAccuracy);
  });

  it('ladder names perception, and its perception estimate is within 20 % of the total gap of the true term', () => {
    expect(found.verdict).toBe('perception');
    expect(found.diagnosis.layers.find((l) => l.layer === 'reachability')!.status).toBe('pass');
    expect(Math.abs(found.budget.estimated.perception.estimate! - found.budget.true.perception)).toBeLessThan(0.2 * found.budget.total);
  });
});
