import { describe, expect, it } from 'vitest';
import { looksLikeJsonObject, parseJsonLenient, toNumber } from '../../../src/ingest/formats/json.js';

describe('parseJsonLenient', () => {
  it('reads standard JSON with the native parser', () => {
    const r = parseJsonLenient('{"a": [1, 2.5e-3, "x"], "b": null}');
    expect(r.value).toEqual({ a: [1, 0.0025, 'x'], b: null });
    expect(r.damage).toBeUndefined();
    expect(r.nonStandardNumbers).toBe(0);
  });

  it('reads Python NaN / Infinity / -Infinity literals in every position', () => {
    const r = parseJsonLenient('{"loss": NaN, "grad_norm": Infinity, "x": [-Infinity, NaN, 1], "best_metric": NaN}');
    const v = r.value as Record<string, unknown>;
    expect(Number.isNaN(v.loss)).toBe(true);
    expect(v.grad_norm).toBe(Number.POSITIVE_INFINITY);
    const x = v.x as number[];
    expect(x[0]).toBe(Number.NEGATIVE_INFINITY);
    expect(Number.isNaN(x[1]!)).toBe(true);
    expect(x[2]).toBe(1);
    expect(r.nonStandardNumbers).toBe(5);
    expect(r.damage).toBeUndefined();
  });

  it('does not mistake NaN inside strings for a literal', () => {
    const r = parseJsonLenient('{"s": "NaN Infinity", "n": NaN}');
    expect((r.value as Record<string, unknown>).s).toBe('NaN Infinity');
    expect(r.nonStandardNumbers).toBe(1);
  });

  it('keeps the complete prefix of a truncated document', () => {
    const text = '{"global_step": 30, "log_history": [{"loss": 1.5, "step": 10}, {"loss": 1.2, "step": 20}, {"loss": 1.';
    const r = parseJsonLenient(text);
    expect(r.damage?.kind).toBe('truncated');
    const v = r.value as { global_step: number; log_history: Array<Record<string, number>> };
    expect(v.global_step).toBe(30);
    expect(v.log_history.slice(0, 2)).toEqual([
      { loss: 1.5, step: 10 },
      { loss: 1.2, step: 20 },
    ]);
    // the third entry was cut inside a number: its incomplete value is not invented
    expect(v.log_history[2]).toEqual({});
  });

  it('does not complete a number cut at the end of input', () => {
    const r = parseJsonLenient('{"a": [1, 23');
    expect(r.damage?.kind).toBe('truncated');
    expect((r.value as { a: number[] }).a).toEqual([1]);
  });

  it('reports invalid JSON with its offset and keeps what came before', () => {
    const r = parseJsonLenient('{"a": 1, "b": tru, "c": 3}');
    expect(r.damage?.kind).toBe('invalid');
    expect(r.damage?.offset).toBe(14);
    expect(r.value).toEqual({ a: 1 });
  });

  it('handles escapes and a byte-order mark', () => {
    const r = parseJsonLenient('\ufeff{"k\\"ey": "a\\u00e9\\n", "v": NaN}');
    expect(Object.keys(r.value as object)).toEqual(['k"ey', 'v']);
    expect((r.value as Record<string, string>)['k"ey']).toBe('aé\n');
  });
});

describe('looksLikeJsonObject', () => {
  it('accepts objects after whitespace and a BOM, rejects others', () => {
    expect(looksLikeJsonObject(Buffer.from('  \n{"a":1}'))).toBe(true);
    expect(looksLikeJsonObject(Buffer.from('\ufeff{'))).toBe(true);
    expect(looksLikeJsonObject(Buffer.from('[1,2]'))).toBe(false);
    expect(looksLikeJsonObject(Buffer.from([0x93, 0x4e, 0x55]))).toBe(false);
    expect(looksLikeJsonObject(Buffer.alloc(0))).toBe(false);
  });
});

describe('toNumber', () => {
  it('parses numbers, numeric strings and Python float spellings', () => {
    expect(toNumber(3)).toBe(3);
    expect(toNumber(' 1e-3 ')).toBe(0.001);
    expect(Number.isNaN(toNumber('nan')!)).toBe(true);
    expect(toNumber('inf')).toBe(Number.POSITIVE_INFINITY);
    expect(toNumber('-Infinity')).toBe(Number.NEGATIVE_INFINITY);
    expect(toNumber('abc')).toBeUndefined();
    expect(toNumber('')).toBeUndefined();
    expect(toNumber(null)).toBeUndefined();
  });
});
