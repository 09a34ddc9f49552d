/**
 * CRC-32C (Castagnoli), as used by TFRecord framing and LevelDB-format logs (W&B's .wandb
 * files), through SheetJS's `crc-32` package (slicing-by-16 tables), plus the "masked" form
 * both formats store: ((crc >>> 15) | (crc << 17)) + 0xa282ead8, to make CRCs of data that
 * itself contains CRCs less fragile.
 */
import { createRequire } from 'node:module';

interface Crc32cModule {
  buf(data: Uint8Array, seed?: number): number;
  /** The byte-wise table (signed 32-bit entries). */
  table: Int32Array;
}
// crc-32 ships CommonJS with a `crc32c.js` entry that has no typed ESM export.
const require = createRequire(import.meta.url);
const CRC32C = require('crc-32/crc32c.js') as Crc32cModule;

/** CRC-32C of `data` as an unsigned 32-bit integer. */
export function crc32c(data: Uint8Array): number {
  return CRC32C.buf(data, 0) >>> 0;
}

const TABLE = CRC32C.table;
/** Below this many bytes a byte-wise loop beats making a subarray for slicing-by-16. */
const SHORT_RANGE = 64;

/**
 * CRC-32C of `data[start, end)`. Short ranges (record headers, small records) are summed
 * in place: a subarray per record is what a reader of millions of records spends its time
 * allocating and collecting.
 */
export function crc32cRange(data: Uint8Array, start: number, end: number): number {
  if (end - start > SHORT_RANGE) return crc32c(data.subarray(start, end));
  let crc = -1;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ TABLE[(crc ^ data[i]!) & 0xff]!;
  return (crc ^ -1) >>> 0;
}

const MASK_DELTA = 0xa282ead8;

export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

export function maskedCrc32c(data: Uint8Array): number {
  return maskCrc(crc32c(data));
}
