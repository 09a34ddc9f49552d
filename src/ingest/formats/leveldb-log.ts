/**
 * The LevelDB log format (leveldb's doc/log_format.md), which W&B uses for its `.wandb`
 * transaction logs: the file is a sequence of 32 KiB blocks; a block holds chunks that
 * never cross its end, each a 7-byte header (uint32 LE checksum, uint16 LE length, type
 * byte: FULL, FIRST, MIDDLE, LAST) and a payload; a record is one FULL chunk or a FIRST,
 * MIDDLE…, LAST run of chunks; fewer than 7 bytes left at a block end are zero padding.
 *
 * The checksum covers the type byte and the payload. LevelDB itself stores a masked
 * CRC-32C; W&B (datastore.py's `zlib.crc32`, wandb-core's `CRCAlgoIEEE`) stores the plain
 * IEEE CRC-32, unmasked — hence the `checksum` option.
 *
 * Scanning streams the file block by block. On a bad chunk the rest of its block is
 * skipped and scanning resumes at the next block, as LevelDB's own reader recovers; a
 * file that ends inside a chunk or inside a multi-chunk record (a run still writing, or a
 * killed process) ends with a `truncated` report instead of a corruption.
 */
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import { maskedCrc32c } from './crc32c.js';

export const LOG_BLOCK_SIZE = 32 * 1024;
export const CHUNK_HEADER_SIZE = 7;

const FULL = 1;
const FIRST = 2;
const MIDDLE = 3;
const LAST = 4;

interface Crc32Module {
  buf(data: Uint8Array, seed?: number): number;
}
// crc-32 ships CommonJS without typed ESM exports.
const require = createRequire(import.meta.url);
const CRC32 = require('crc-32') as Crc32Module;

export type LogChecksum = 'crc32-ieee' | 'crc32c-masked';

export type LogProblem =
  /** A chunk failed its checksum or framing; the rest of the block was skipped. */
  | { kind: 'corrupt'; offset: number; reason: string; skipped: number }
  /** The file ends inside a chunk or a multi-chunk record. */
  | { kind: 'truncated'; offset: number; bytes: number };

export interface LogScanOptions {
  checksum: LogChecksum;
  /** Bytes at the start of the first block that belong to a file header, not to chunks. */
  headerBytes: number;
  /** Bytes read per I/O call (rounded up to whole blocks). */
  readSize?: number;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

export interface LogScanResult {
  records: number;
  bytes: number;
}

/** IEEE CRC-32 of the type byte followed by the payload, without concatenating them. */
const IEEE_TYPE_SEEDS = [0, 1, 2, 3, 4].map((type) => CRC32.buf(Uint8Array.of(type)));

function checksumOf(algorithm: LogChecksum, block: Buffer, typeAt: number, payload: Buffer): number {
  if (algorithm === 'crc32-ieee') {
    const seed = IEEE_TYPE_SEEDS[block[typeAt]!];
    if (seed !== undefined) return CRC32.buf(payload, seed) >>> 0;
    return CRC32.buf(block.subarray(typeAt, typeAt + 1 + payload.length)) >>> 0;
  }
  return maskedCrc32c(block.subarray(typeAt, typeAt + 1 + payload.length));
}

/**
 * Calls `onRecord` with each complete record's payload (valid only during the call: copy
 * what must outlive it) and its file offset, and `onProblem` for damage. Throws only on
 * I/O errors.
 */
export async function scanLevelDbLog(
  filePath: string,
  options: LogScanOptions,
  onRecord: (payload: Buffer, offset: number) => void,
  onProblem: (problem: LogProblem) => void,
): Promise<LogScanResult> {
  const handle = await fs.open(filePath, 'r');
  try {
    const { size } = await handle.stat();
    const scanner = new LogScanner(options, size, onRecord, onProblem);
    const readSize = Math.max(1, Math.ceil((options.readSize ?? 1 << 20) / LOG_BLOCK_SIZE)) * LOG_BLOCK_SIZE;
    const buffer = Buffer.alloc(Math.min(readSize, Math.max(size, 1)));
    let position = 0;
    while (position < size) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, size - position), position);
      if (bytesRead === 0) break;
      for (let at = 0; at < bytesRead; at += LOG_BLOCK_SIZE) {
        scanner.block(buffer.subarray(at, Math.min(at + LOG_BLOCK_SIZE, bytesRead)), position + at);
      }
      position += bytesRead;
      options.onProgress?.(position, size);
    }
    scanner.finish(position);
    return { records: scanner.records, bytes: position };
  } finally {
    await handle.close();
  }
}

/** The block-level state machine, separate from I/O so that it can run over any bytes. */
export class LogScanner {
  records = 0;
  /** Chunks of the record being assembled (FIRST, MIDDLE…), copied out of their blocks. */
  private parts: Buffer[] = [];
  private partsStart = -1;
  /** After damage, MIDDLE/LAST chunks of the broken record are expected and skipped quietly. */
  private recovering = false;
  private ended = false;

  constructor(
    private readonly options: LogScanOptions,
    private readonly fileSize: number,
    private readonly onRecord: (payload: Buffer, offset: number) => void,
    private readonly onProblem: (problem: LogProblem) => void,
  ) {}

  /** One block (the last may be short) starting at file offset `blockStart`. */
  block(block: Buffer, blockStart: number): void {
    if (this.ended) return;
    const isFileEnd = blockStart + block.length >= this.fileSize;
    let pos = blockStart === 0 ? Math.min(this.options.headerBytes, block.length) : 0;
    while (pos + CHUNK_HEADER_SIZE <= block.length) {
      const checksum = (block[pos]! | (block[pos + 1]! << 8) | (block[pos + 2]! << 16) | (block[pos + 3]! << 24)) >>> 0;
      const length = block[pos + 4]! | (block[pos + 5]! << 8);
      const type = block[pos + 6]!;
      const end = pos + CHUNK_HEADER_SIZE + length;
      if (checksum === 0 && length === 0 && type === 0) {
        if (isZero(block, pos)) return;
        this.corrupt(blockStart + pos, 'zero chunk header followed by data', block.length - pos);
        return;
      }
      if (end > block.length) {
        if (isFileEnd && end <= LOG_BLOCK_SIZE) {
          this.truncated(blockStart + pos);
          return;
        }
        this.corrupt(blockStart + pos, `chunk length ${length} runs past the block end`, block.length - pos);
        return;
      }
      const payload = block.subarray(pos + CHUNK_HEADER_SIZE, end);
      if (checksumOf(this.options.checksum, block, pos + 6, payload) !== checksum) {
        this.corrupt(blockStart + pos, 'checksum mismatch', block.length - pos);
        return;
      }
      this.chunk(type, payload, blockStart + pos, block.length - pos);
      if (this.ended) return;
      pos = end;
    }
    if (pos < block.length && !isZero(block, pos)) {
      if (isFileEnd) this.truncated(blockStart + pos);
      else this.corrupt(blockStart + pos, 'non-zero bytes in block trailer', block.length - pos);
    }
  }

  private chunk(type: number, payload: Buffer, offset: number, restOfBlock: number): void {
    switch (type) {
      case FULL:
        if (this.parts.length > 0) this.interrupted(offset);
        this.recovering = false;
        this.records++;
        this.onRecord(payload, offset);
        return;
      case FIRST:
        if (this.parts.length > 0) this.interrupted(offset);
        this.recovering = false;
        this.parts = [Buffer.from(payload)]; // a copy: the read buffer is reused
        this.partsStart = offset;
        return;
      case MIDDLE:
      case LAST:
        if (this.parts.length === 0) {
          if (!this.recovering) this.corrupt(offset, `${type === LAST ? 'last' : 'middle'} chunk without a first chunk`, 0);
          return;
        }
        this.parts.push(Buffer.from(payload));
        if (type === LAST) {
          const record = Buffer.concat(this.parts);
          const start = this.partsStart;
          this.parts = [];
          this.records++;
          this.onRecord(record, start);
        }
        return;
      default:
        this.corrupt(offset, `unknown chunk type ${type}`, restOfBlock);
    }
  }

  private interrupted(offset: number): void {
    this.onProblem({
      kind: 'corrupt',
      offset: this.partsStart,
      reason: `record started at byte ${this.partsStart} has no last chunk before byte ${offset}`,
      skipped: offset - this.partsStart,
    });
    this.parts = [];
  }

  private corrupt(offset: number, reason: string, skipped: number): void {
    // A record whose chunks were partly before the damage is lost with it.
    const start = this.parts.length > 0 ? this.partsStart : offset;
    this.parts = [];
    this.recovering = true;
    this.onProblem({ kind: 'corrupt', offset: start, reason, skipped: skipped + (offset - start) });
  }

  private truncated(offset: number): void {
    const start = this.parts.length > 0 ? this.partsStart : offset;
    this.parts = [];
    this.ended = true;
    this.onProblem({ kind: 'truncated', offset: start, bytes: this.fileSize - start });
  }

  /** Call once after the last block: a record still missing its last chunk is a cut-off tail. */
  finish(bytesRead: number): void {
    if (this.ended) return;
    this.ended = true;
    if (this.parts.length > 0) {
      const start = this.partsStart;
      this.parts = [];
      this.onProblem({ kind: 'truncated', offset: start, bytes: bytesRead - start });
    }
  }
}

function isZero(block: Uint8Array, from: number): boolean {
  for (let i = from; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}
