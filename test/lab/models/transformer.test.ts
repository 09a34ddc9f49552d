/**
 * Gradients of every transformer variant against finite differences.
 *
 * The check runs in float64 (jax-js supports it on wasm), but jax-js 0.1.25 evaluates exp,
 * log and tanh in float64 to only about 1e-8–1e-7 relative accuracy (measured: exp(2.5) is
 * off by 2e-7, log(2.5) by 3e-8), so the loss carries noise of ≈ 1e-6 that a small step
 * amplifies (h = 1e-5 gives gradient errors of 1e-3, h = 3e-3 still 1e-4). Hence a large
 * step, h = 0.04, with Richardson extrapolation of two central differences,
 * (4·D(h/2) − D(h))/3, whose truncation error is O(h⁴) ≈ 1e-7 for this smooth loss. The
 * error then halves as h doubles (noise-dominated): measured worst over all variants 2.6e-5
 * at h = 0.04 (5.0e-5 at h = 0.02). Tolerance 1e-4 + 1e-3·|g|: a missing or wrong term
 * changes a gradient by a fraction of itself, and every variant must have sampled entries
 * ≥ 1e-2.
 *
 * Float32 is then checked against the float64 gradient of the same parameters: float32
 * rounding (ε ≈ 6e-8) through a few hundred operations gives relative errors of order 1e-6,
 * so 1e-4 of the largest gradient entry is a safe bound.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { JaxEngine } from '../../../src/lab/engine/jax.js';
import { MIXERS, POSITIONAL_ENCODINGS, parameterLayout, resolveSpec, sizeOf, type ModelSpec } from '../../../src/lab/models/spec.js';
import { alibiSlopes, attentionBias, sinusoidTable } from '../../../src/lab/models/transformer.js';
import { createRng } from '../../../src/stats/rng.js';

const engine = new JaxEngine();
beforeAll(async () => {
  await engine.init();
});

const STEP = 4e-2;
const LENGTH = 6;
const TOLERANCE = { absolute: 1e-4, relative: 1e-3 };

function tinySpec(positional: ModelSpec['positional'], mixer: ModelSpec['mixer'], depth: number): ModelSpec {
  return { vocabSize: 5, maxLength: 8, width: 8, depth, heads: 2, mlpRatio: 2, positional, mixer, precision: 'float64' };
}

function batch(seed: number): Int32Array[] {
  const rng = createRng(seed);
  return Array.from({ length: 3 }, () => Int32Array.from({ length: LENGTH }, () => rng.integer(0, 5)));
}

/** Moves every parameter off its initial value (gains off 1, biases off 0) so that no path is trivially zero. */
async function jitter(model: ReturnType<JaxEngine['createModel']>, seed: number): Promise<Map<string, Float64Array>> {
  const rng = createRng(seed);
  const values = await engine.parameters(model);
  for (const value of values.values()) for (let i = 0; i < value.length; i++) value[i]! += 0.3 * rng.normal();
  engine.setParameters(model, values);
  return values;
}

describe('transformer gradients against central finite differences (float64)', () => {
  const variants = POSITIONAL_ENCODINGS.flatMap((positional) => MIXERS.flatMap((mixer) => [1, 2].map((depth) => ({ positional, mixer, depth }))));

  it.each(variants)('$positional positions, $mixer mixer, depth $depth', async ({ positional, mixer, depth }) => {
    const spec = tinySpec(positional, mixer, depth);
    const model = engine.createModel(spec, 11);
    const base = await jitter(model, 5);
    const data = batch(3);
    const { gradients } = await engine.lossAndGradients(model, data);
    const rng = createRng(17);
    let largest = 0;
    let compared = 0;
    for (const { name, shape } of parameterLayout(resolveSpec(spec))) {
      const size = sizeOf(shape);
      const indices = new Set([rng.integer(0, size), rng.integer(0, size)]);
      if (name === 'embedding.position') indices.add((LENGTH - 1) * spec.width + 3); // a row no input reaches
      for (const index of indices) {
        const original = base.get(name)![index]!;
        const lossAt = async (offset: number): Promise<number> => {
          const perturbed = Float64Array.from(base.get(name)!);
          perturbed[index] = original + offset;
          engine.setParameters(model, new Map([[name, perturbed]]));
          return (await engine.lossAndGradients(model, data)).loss;
        };
        const central = async (h: number): Promise<number> => ((await lossAt(h)) - (await lossAt(-h))) / (2 * h);
        const numeric = (4 * (await central(STEP / 2)) - (await central(STEP))) / 3;
        engine.setParameters(model, new Map([[name, base.get(name)!]]));
        const analytic = gradients.get(name)![index]!;
        expect(Math.abs(numeric - analytic), `${name}[${index}]: finite difference ${numeric}, gradient ${analytic}`).toBeLessThanOrEqual(TOLERANCE.absolute + TOLERANCE.relative * Math.abs(analytic));
        largest = Math.max(largest, Math.abs(analytic));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(20);
    expect(largest).toBeGreaterThan(1e-2);
    if (positional === 'learned') {
      // Rows LENGTH−1.. of the table are never read by a sequence of LENGTH tokens (LENGTH − 1 inputs).
      const rows = gradients.get('embedding.position')!.subarray((LENGTH - 1) * spec.width);
      expect(rows.every((g) => g === 0)).toBe(true);
      const used = gradients.get('embedding.position')!.subarray(0, (LENGTH - 1) * spec.width);
      expect(used.some((g) => g !== 0)).toBe(true);
    }
    if (mixer === 'mlp') {
      // Above the diagonal the position-mixing weights would let position 0 read position 1.
      const weights = gradients.get('layer0.mix.in')!;
      expect(weights[0 * spec.maxLength + 1] === 0).toBe(true);
      expect(weights[1 * spec.maxLength + 0] !== 0).toBe(true);
    }
    model.dispose();
  });

  it('float32 gradients agree with float64 ones on the same parameters', async () => {
    const spec = tinySpec('alibi', 'attention', 2);
    const model64 = engine.createModel(spec, 2);
    const values = await jitter(model64, 9);
    const model32 = engine.createModel({ ...spec, precision: 'float32' }, 2);
    // The float32 model gets the float32-rounded values, and so does the float64 one.
    const rounded = new Map([...values].map(([name, v]) => [name, Float64Array.from(new Float32Array(v))]));
    engine.setParameters(model32, rounded);
    engine.setParameters(model64, rounded);
    const data = batch(4);
    const exact = await engine.lossAndGradients(model64, data);
    const single = await engine.lossAndGradients(model32, data);
    expect(Math.abs(single.loss - exact.loss)).toBeLessThan(1e-5);
    let largest = 0;
    let worst = 0;
    for (const [name, g] of exact.gradients) {
      const h = single.gradients.get(name)!;
      for (let i = 0; i < g.length; i++) {
        largest = Math.max(largest, Math.abs(g[i]!));
        worst = Math.max(worst, Math.abs(g[i]! - h[i]!));
      }
    }
    expect(largest).toBeGreaterThan(1e-2);
    expect(worst).toBeLessThan(1e-4 * largest);
    model64.dispose();
    model32.dispose();
  });
});

describe('position signals', () => {
  it('sinusoid table: sin at even columns, cos at odd, frequency 10000^(−2i/d)', () => {
    const table = sinusoidTable(4, 6);
    expect(table[0]).toBe(0);
    expect(table[1]).toBe(1);
    expect(table[3 * 6 + 0]).toBeCloseTo(Math.sin(3), 15);
    expect(table[3 * 6 + 3]).toBeCloseTo(Math.cos(3 / Math.pow(10000, 2 / 6)), 15);
  });

  it('ALiBi: slopes 2^(−8(h+1)/H), bias −m·(i − j) below the diagonal, masked above', () => {
    expect(Array.from(alibiSlopes(4))).toEqual([0.25, 0.0625, 0.015625, 0.00390625]);
    const spec = resolveSpec({ vocabSize: 3, maxLength: 8, width: 4, depth: 1, heads: 2, positional: 'alibi', mixer: 'attention' });
    const bias = attentionBias(spec, 3);
    // head 1 (slope 2^-8), query 2, key 0: −2·2^−8
    expect(bias[(1 * 3 + 2) * 3 + 0]).toBe(-2 / 256);
    expect(bias[(0 * 3 + 0) * 3 + 1]).toBe(-1e9);
    const plain = attentionBias({ ...spec, positional: 'none' }, 3);
    expect(plain[(1 * 3 + 2) * 3 + 0]).toBe(-0);
  });

  it('an unknown positional encoding or mixer fails with the known ones', () => {
    const spec = tinySpec('learned', 'attention', 1);
    expect(() => resolveSpec({ ...spec, positional: 'rotary' as never })).toThrow('unknown positional encoding: rotary (known: learned, sinusoidal, alibi, none)');
    expect(() => resolveSpec({ ...spec, mixer: 'conv' as never })).toThrow('unknown mixer: conv (known: attention, mlp)');
    expect(() => resolveSpec({ ...spec, heads: 3 })).toThrow(RangeError);
  });
});
