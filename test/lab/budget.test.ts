import { describe, expect, it } from 'vitest';
import { makeBudget, relativeErrors, termEstimate, trueTerms } from '../../src/lab/budget.js';

const losses = { observed: 2.0, reachable: 1.9, instantiated: 1.6, perceived: 1.5, bayes: 1.2 };

describe('lab budget', () => {
  it('true terms telescope to L_O − L_D', () => {
    const terms = trueTerms(losses);
    expect(terms.observation).toBeCloseTo(0.1, 12);
    expect(terms.reachability).toBeCloseTo(0.3, 12);
    expect(terms.instantiation).toBeCloseTo(0.1, 12);
    expect(terms.perception).toBeCloseTo(0.3, 12);
    expect(terms.observation + terms.reachability + terms.instantiation + terms.perception).toBeCloseTo(losses.observed - losses.bayes, 12);
  });

  it('an estimate carries a normal 95% interval from the errors it subtracts; unknown stays null', () => {
    const e = termEstimate(0.5, [0.03, 0.04]);
    expect(e.estimate).toBe(0.5);
    expect(e.low).toBeCloseTo(0.5 - 1.96 * 0.05, 12);
    expect(e.high).toBeCloseTo(0.5 + 1.96 * 0.05, 12);
    expect(termEstimate(null)).toEqual({ estimate: null, low: null, high: null });
    expect(termEstimate(Number.NaN)).toEqual({ estimate: null, low: null, high: null });
  });

  it('relative errors are |estimate − true| over the total gap, an unknown estimate counting as 0', () => {
    const budget = makeBudget(losses, {
      observation: termEstimate(0.1),
      reachability: termEstimate(0.2),
      instantiation: termEstimate(0.1),
      perception: termEstimate(null),
    });
    expect(budget.total).toBeCloseTo(0.8, 12);
    const errors = relativeErrors(budget);
    expect(errors.observation).toBeCloseTo(0, 12);
    expect(errors.reachability).toBeCloseTo(0.1 / 0.8, 12);
    expect(errors.perception).toBeCloseTo(0.3 / 0.8, 12);
  });
});
