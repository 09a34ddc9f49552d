import { describe, expect, it } from 'vitest';
import { minimizeLbfgs, type Objective } from '../../src/stats/lbfgs.js';

const rosenbrock: Objective = (x, g) => {
  let f = 0;
  g.fill(0);
  for (let i = 0; i + 1 < x.length; i++) {
    const a = x[i + 1]! - x[i]! * x[i]!;
    const b = 1 - x[i]!;
    f += 100 * a * a + b * b;
    g[i]! += -400 * x[i]! * a - 2 * b;
    g[i + 1]! += 200 * a;
  }
  return f;
};

describe('minimizeLbfgs', () => {
  it('finds the minimum (1, …, 1) of the 2-D and 10-D Rosenbrock functions from the textbook start', () => {
    for (const dims of [2, 10]) {
      const start = Array.from({ length: dims }, (_, i) => (i % 2 === 0 ? -1.2 : 1));
      const result = minimizeLbfgs(rosenbrock, start);
      expect(result.converged).toBe(true);
      for (const v of result.x) expect(v).toBeCloseTo(1, 6);
      expect(result.value).toBeLessThan(1e-12);
    }
  });

  it('solves an ill-conditioned quadratic exactly: minimum of Σ cᵢ(xᵢ − i)² at x = (0, 1, …)', () => {
    const scales = [1, 10, 100, 1000, 1e4];
    const quadratic: Objective = (x, g) => {
      let f = 0;
      for (let i = 0; i < x.length; i++) {
        const d = x[i]! - i;
        f += scales[i]! * d * d;
        g[i] = 2 * scales[i]! * d;
      }
      return f;
    };
    const result = minimizeLbfgs(quadratic, [5, 5, 5, 5, 5], { gradientTolerance: 1e-9 });
    expect(result.stop).toBe('gradient');
    result.x.forEach((v, i) => expect(v).toBeCloseTo(i, 8));
  });

  it('backs off from steps where the objective overflows', () => {
    // exp(x) − 2x has its minimum at ln 2; a long first step would make exp overflow.
    const f: Objective = (x, g) => {
      g[0] = Math.exp(x[0]!) - 2;
      return Math.exp(x[0]!) - 2 * x[0]!;
    };
    const result = minimizeLbfgs(f, [-800]);
    expect(result.x[0]).toBeCloseTo(Math.LN2, 8);
  });

  it('reports the iteration cap instead of claiming convergence', () => {
    const result = minimizeLbfgs(rosenbrock, [-1.2, 1], { maxIterations: 3 });
    expect(result.stop).toBe('iterations');
    expect(result.converged).toBe(false);
    expect(result.iterations).toBe(3);
  });

  it('refuses a start where the objective is not finite', () => {
    expect(() => minimizeLbfgs((x, g) => ((g[0] = 0), Number.NaN), [0])).toThrow(RangeError);
  });
});
