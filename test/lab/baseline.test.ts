import { describe, expect, it } from 'vitest';
import { ngramBaseline } from '../../src/lab/baseline.js';
import { healthyConfig } from '../../src/lab/lab.js';
import { budgetLength } from '../../src/lab/trial.js';
import { worldEntry } from '../../src/lab/worlds/index.js';

const bayes = (world: string) => worldEntry(world).create(0).bayesLoss(budgetLength(worldEntry(world)));

describe('the n-gram baseline', () => {
  it("on an order-2 Markov language, picks a window of two tokens and comes within 0.01 nat of the Bayes loss from the healthy run's data", () => {
    const baseline = ngramBaseline(healthyConfig('markov2', 0));
    expect(baseline.order).toBe(3);
    expect(baseline.heldoutLoss).toBeGreaterThan(bayes('markov2') - 3 * baseline.heldoutError);
    expect(baseline.heldoutLoss - bayes('markov2')).toBeLessThan(0.01);
  });

  it('cannot copy: on the copy task it stays far above the Bayes loss', () => {
    const baseline = ngramBaseline({ ...healthyConfig('copy', 0), steps: 100 });
    expect(baseline.heldoutLoss).toBeGreaterThan(bayes('copy') + 0.5);
  });

  it('reads the run’s own training data: 30 % corrupted tokens make it worse, and a seed reproduces it exactly', () => {
    const recipe = { ...healthyConfig('markov1', 0), steps: 100 };
    const clean = ngramBaseline(recipe);
    expect(ngramBaseline(recipe)).toEqual(clean);
    expect(ngramBaseline({ ...recipe, corruption: 0.3 }).heldoutLoss).toBeGreaterThan(clean.heldoutLoss + 0.02);
  });

  it("reports the frequency baseline: the order-1 model's held-out loss (ln 16 on copy's uniform tokens, the stationary entropy on markov1)", () => {
    const copy = ngramBaseline({ ...healthyConfig('copy', 0), steps: 100 });
    expect(Math.abs(copy.frequenciesLoss - Math.log(16))).toBeLessThan(0.01);
    const markov = ngramBaseline({ ...healthyConfig('markov1', 0), steps: 100 });
    // Above the Bayes loss (it ignores the previous token), and no better than the chosen order.
    expect(markov.frequenciesLoss).toBeGreaterThan(bayes('markov1') + 0.1);
    expect(markov.frequenciesLoss).toBeGreaterThanOrEqual(markov.heldoutLoss);
  });
});
