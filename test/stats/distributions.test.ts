import { describe, expect, it } from 'vitest';
import {
  binomialCdf,
  binomialPmf,
  binomialSurvival,
  chiSquareCdf,
  chiSquareSurvival,
  logGamma,
  normalCdf,
  normalQuantile,
  normalSurvival,
  regularizedBeta,
  regularizedGammaP,
  regularizedGammaQ,
  studentTCdf,
  studentTQuantile,
} from '../../src/stats/distributions.js';

// Every reference number below was printed by Debian's python3-scipy 1.17.1 (numpy 2.4.6):
// scipy.special.gammaln / gammainc / gammaincc / betainc and scipy.stats.norm / t / chi2 /
// binom (.cdf, .sf, .ppf, .pmf), with repr() so all 17 significant digits are kept.

function expectRelative(actual: number, expected: number, tolerance = 1e-12): void {
  if (expected === 0) {
    expect(Math.abs(actual)).toBeLessThan(1e-300);
    return;
  }
  const relative = Math.abs(actual - expected) / Math.abs(expected);
  if (!(relative <= tolerance)) {
    throw new Error(`expected ${expected}, got ${actual} (relative error ${relative.toExponential(2)} > ${tolerance})`);
  }
}

describe('special functions', () => {
  it('logGamma matches scipy.special.gammaln', () => {
    const cases: [number, number][] = [
      [0.1, 2.252712651734206],
      [0.5, 0.5723649429247],
      [2.5, 0.2846828704729192],
      [10, 12.801827480081469],
      [171.3, 708.1149470389971],
      [1e5, 1051287.7089736569],
    ];
    for (const [x, expected] of cases) expectRelative(logGamma(x), expected, 1e-13);
    expect(Math.abs(logGamma(1))).toBeLessThan(1e-15);
    expect(logGamma(0)).toBeNaN();
  });

  it('regularized incomplete gamma P and Q match scipy.special.gammainc / gammaincc', () => {
    const cases: [number, number, number, number][] = [
      [0.5, 0.1, 0.34527915398142317, 0.6547208460185768],
      [3, 2, 0.32332358381693654, 0.6766764161830634],
      [3, 10, 0.9972306042844884, 0.0027693957155115775],
      [50, 40, 0.07033506665939494, 0.9296649333406051],
    ];
    for (const [a, x, p, q] of cases) {
      expectRelative(regularizedGammaP(a, x), p);
      expectRelative(regularizedGammaQ(a, x), q);
    }
    expectRelative(regularizedGammaQ(0.5, 400), 5.395865611607819e-176);
  });

  it('regularized incomplete beta matches scipy.special.betainc', () => {
    const cases: [number, number, number, number][] = [
      [0.3, 2, 5, 0.5798250000000003],
      [0.9, 0.5, 0.5, 0.7951672353008665],
      [0.01, 50, 3, 1.3001275000000013e-97],
      [0.5, 200, 300, 0.9999964565197356],
      [0.999, 10, 1, 0.9900448802097482],
    ];
    for (const [x, a, b, expected] of cases) expectRelative(regularizedBeta(x, a, b), expected);
    expect(regularizedBeta(0, 2, 3)).toBe(0);
    expect(regularizedBeta(1, 2, 3)).toBe(1);
  });
});

describe('normal distribution', () => {
  it('CDF and upper tail match scipy.stats.norm, deep tails included', () => {
    const cases: [number, number][] = [
      [-37.5, 4.605353009581954e-308],
      [-10, 7.61985302416047e-24],
      [-3, 0.0013498980316300933],
      [-1.5, 0.06680720126885807],
      [0, 0.5],
      [0.3, 0.6179114221889526],
      [2, 0.9772498680518208],
    ];
    for (const [z, expected] of cases) expectRelative(normalCdf(z), expected);
    expectRelative(normalSurvival(5), 2.866515718791933e-7);
    expectRelative(normalSurvival(20), 2.7536241186061556e-89);
  });

  it('quantile matches scipy.stats.norm.ppf (Acklam + Halley refinement)', () => {
    const cases: [number, number][] = [
      [1e-300, -37.0470962993612],
      [1e-10, -6.361340902404056],
      [0.001, -3.090232306167813],
      [0.02, -2.053748910631823],
      [0.025, -1.9599639845400545],
      [0.3, -0.5244005127080409],
      [0.8, 0.8416212335729143],
      [0.975, 1.959963984540054],
      [0.99, 2.3263478740408408],
      [1 - 1e-12, 7.0344869100478356],
    ];
    for (const [p, expected] of cases) expectRelative(normalQuantile(p), expected, 1e-12);
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalQuantile(1.2)).toBeNaN();
  });
});

describe('Student t distribution', () => {
  it('CDF matches scipy.stats.t.cdf', () => {
    const cases: [number, number, number][] = [
      [-3, 1, 0.10241638234956672],
      [2.5, 3, 0.9561466764959672],
      [1.2, 10.5, 0.8717427148351611],
      [-40, 4, 1.1670081613006339e-6],
      [0.1, 1000, 0.539817815488198],
      [6, 2, 0.9866642633922876],
    ];
    for (const [t, nu, expected] of cases) expectRelative(studentTCdf(t, nu), expected);
  });

  it('quantile matches scipy.stats.t.ppf', () => {
    const cases: [number, number, number][] = [
      [0.975, 1, 12.706204736174694],
      [0.975, 2, 4.302652729749462],
      [0.975, 10, 2.228138851986274],
      [0.995, 30, 2.7499956535672254],
      [0.01, 4.5, -3.5270508906260924],
      [1e-8, 3, -479.5250695797382],
      [0.6, 1e4, 0.253353843445727],
    ];
    for (const [p, nu, expected] of cases) expectRelative(studentTQuantile(p, nu), expected, 1e-11);
    expect(studentTQuantile(0.5, 3)).toBe(0);
  });
});

describe('chi-square distribution', () => {
  it('CDF and upper tail match scipy.stats.chi2', () => {
    const cases: [number, number, number, number][] = [
      [3.84, 1, 0.9499564787512949, 0.05004352124870519],
      [10, 4, 0.9595723180054873, 0.04042768199451279],
      [0.5, 7, 0.000553518609575035, 0.9994464813904249],
      [300, 200, 0.9999940754596646, 5.924540335483916e-6],
    ];
    for (const [x, k, cdf, sf] of cases) {
      expectRelative(chiSquareCdf(x, k), cdf);
      expectRelative(chiSquareSurvival(x, k), sf, 1e-11);
    }
  });
});

describe('binomial distribution', () => {
  it('exact tails and pmf match scipy.stats.binom', () => {
    // [k, n, p, P(X ≤ k), P(X ≥ k), P(X = k)]
    const cases: [number, number, number, number, number, number][] = [
      [3, 10, 0.5, 0.171875, 0.9453125, 0.1171875],
      [40, 100, 0.5, 0.028443966820490444, 0.9823998998911476, 0.010843866711637978],
      [180, 1000, 0.25, 7.496183309079217e-8, 0.9999999512915665, 2.6253399634685045e-8],
      [0, 20, 0.1, 0.12157665459056925, 1, 0.12157665459056922],
    ];
    for (const [k, n, p, cdf, sf, pmf] of cases) {
      expectRelative(binomialCdf(k, n, p), cdf);
      expectRelative(binomialSurvival(k, n, p), sf);
      expectRelative(binomialPmf(k, n, p), pmf, 1e-11);
    }
    expectRelative(binomialCdf(300, 1000, 0.5), 8.832839003974784e-38, 1e-11);
    expectRelative(binomialSurvival(999, 1000, 0.5), 9.341968821217221e-299, 1e-10);
  });

  it('agrees with a direct sum of the pmf and handles the edges', () => {
    const n = 57;
    const p = 0.37;
    let cumulative = 0;
    for (let k = 0; k < n; k++) {
      cumulative += binomialPmf(k, n, p);
      expectRelative(binomialCdf(k, n, p), cumulative, 1e-11);
    }
    expect(binomialCdf(n, n, p)).toBe(1);
    expect(binomialCdf(-1, n, p)).toBe(0);
    expect(binomialSurvival(0, n, p)).toBe(1);
    expect(binomialCdf(3, 10, 0)).toBe(1);
    expect(binomialCdf(3, 10, 1)).toBe(0);
    expect(binomialCdf(3, 10.5, 0.5)).toBeNaN();
  });
});
