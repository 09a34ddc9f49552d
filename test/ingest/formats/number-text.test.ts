import { describe, expect, it } from 'vitest';
import { toNumber } from '../../../src/ingest/formats/json.js';
import { numberOrString } from '../../../src/ingest/formats/number-text.js';

describe('toNumber on text', () => {
  it('reads decimals and the Python and Java spellings of non-finite values', () => {
    expect(['0.5', '-3', '1e-3', '0', ' 2 '].map((text) => toNumber(text))).toEqual([0.5, -3, 0.001, 0, 2]);
    expect(['nan', 'NaN', 'inf', '-inf', 'Infinity', '-Infinity'].map((text) => toNumber(text))).toEqual([NaN, NaN, Infinity, -Infinity, Infinity, -Infinity]);
  });

  it('answers undefined for text and blanks instead of NaN or 0', () => {
    expect(['oops', '', '   ', '1.2.3'].map((text) => toNumber(text))).toEqual([undefined, undefined, undefined, undefined]);
  });
});

describe('numberOrString', () => {
  it('parses plain decimals and non-finite spellings, keeps everything else verbatim', () => {
    expect(['0.001', '10', '-2.5e3', 'inf', 'nan'].map(numberOrString)).toEqual([0.001, 10, -2500, Infinity, NaN]);
    expect(['007', '0x1f', 'True', '1_000', '[1, 2]', 'adam', ' 3 x'].map(numberOrString)).toEqual([
      '007',
      '0x1f',
      'True',
      '1_000',
      '[1, 2]',
      'adam',
      ' 3 x',
    ]);
    expect(numberOrString('0')).toBe(0);
    expect(numberOrString('0.5')).toBe(0.5);
  });
});
