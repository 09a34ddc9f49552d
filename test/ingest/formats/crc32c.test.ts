import { describe, expect, it } from 'vitest';
import { crc32c, crc32cRange, maskedCrc32c } from '../../../src/ingest/formats/crc32c.js';

describe('crc32c', () => {
  it('matches the CRC-32C check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('computes a range in place the same as over a subarray, for short and long ranges', () => {
    const data = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37 + 11) & 0xff));
    for (const [start, end] of [[0, 0], [3, 11], [0, 64], [1, 66], [17, 300]] as const) {
      expect(crc32cRange(data, start, end), `${start}..${end}`).toBe(crc32c(data.subarray(start, end)));
    }
    expect(crc32cRange(Buffer.from('xx123456789'), 2, 11)).toBe(0xe3069283);
  });

  it('masks as TFRecord does (values from the masked_crc32c of the tensorboard package)', () => {
    expect(maskedCrc32c(Buffer.alloc(8))).toBe(0x07980329);
    expect(maskedCrc32c(Buffer.from('brain.Event:2'))).toBe(0x7c0601ee);
  });
});
