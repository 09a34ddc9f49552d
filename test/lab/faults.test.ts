import { describe, expect, it } from 'vitest';
import { faultApplies, faultByName, FAULT_NAMES, FAULTS } from '../../src/lab/faults.js';
import { healthyConfig } from '../../src/lab/lab.js';
import { WORLD_NAMES } from '../../src/lab/worlds/index.js';

const healthy = healthyConfig('markov1', 0);

describe('lab faults', () => {
  it('each layer has its faults, as issue 7 lists them', () => {
    const byLayer = (layer: string) => FAULT_NAMES.filter((name) => FAULTS[name].layer === layer).sort();
    expect(byLayer('observation')).toEqual(['leak', 'shifted-labels', 'small-eval']);
    expect(byLayer('reachability')).toEqual(['corrupt', 'lr-high', 'lr-low', 'no-warmup', 'short']);
    expect(byLayer('instantiation')).toEqual(['mlp-mixer', 'width4']);
    expect(byLayer('perception')).toEqual(['learned-positions']);
    expect(byLayer('none')).toEqual(['none']);
  });

  it('each fault changes the healthy configuration as described, and nothing else', () => {
    const changed = (name: string) => {
      const faulty = faultByName(name).apply(healthy) as unknown as Record<string, unknown>;
      return Object.fromEntries(Object.entries(faulty).filter(([key, value]) => JSON.stringify(value) !== JSON.stringify((healthy as unknown as Record<string, unknown>)[key])));
    };
    expect(changed('none')).toEqual({});
    expect(changed('small-eval')).toEqual({ evalSize: 50 });
    expect(changed('shifted-labels')).toEqual({ labelShift: 1 });
    expect(changed('lr-high')).toEqual({ lr: healthy.lr * 30 });
    expect(changed('lr-low')).toEqual({ lr: healthy.lr / 100 });
    expect(changed('short')).toEqual({ steps: healthy.steps / 10, warmup: healthy.warmup / 10 });
    expect(changed('corrupt')).toEqual({ corruption: 0.3 });
    expect(changed('no-warmup')).toEqual({ lr: healthy.lr * 10, warmup: 0, schedule: 'constant' });
    expect(changed('mlp-mixer')).toEqual({ spec: { ...healthy.spec, mixer: 'mlp' } });
    expect(changed('width4')).toEqual({ spec: { ...healthy.spec, width: 4, heads: 1 } });
    expect(changed('leak')).toEqual({ leakRows: 4, evalSize: 64 });
  });

  it('learned positions apply to the extrapolation worlds only, whose healthy model uses ALiBi', () => {
    const fault = faultByName('learned-positions');
    expect(WORLD_NAMES.filter((w) => faultApplies(fault, w))).toEqual(['markov2-extrapolate', 'copy-extrapolate', 'dyck-extrapolate']);
    const base = healthyConfig('markov2-extrapolate', 0);
    expect(base.spec.positional).toBe('alibi');
    expect(base.spec.maxLength).toBe(64);
    expect(fault.apply(base).spec.positional).toBe('learned');
  });

  it('the MLP over positions is injected on the copy worlds and the three lookup worlds, which host nothing else', () => {
    expect(WORLD_NAMES.filter((w) => faultApplies(faultByName('mlp-mixer'), w))).toEqual(['copy', 'copy-noisy', 'induction', 'recall', 'lookup']);
    for (const world of ['lookup', 'induction', 'recall']) expect(FAULT_NAMES.filter((f) => faultApplies(faultByName(f), world))).toEqual(['none', 'mlp-mixer']);
    // The copy worlds keep every ordinary fault.
    expect(FAULT_NAMES.filter((f) => faultApplies(faultByName(f), 'copy'))).toEqual(FAULT_NAMES.filter((f) => f !== 'learned-positions'));
  });

  it('an unknown fault fails with the list of known ones', () => {
    expect(() => faultByName('typo')).toThrow(/unknown fault: typo \(known: none, small-eval/);
  });
});
