/**
 * Streaming TFRecord framing, as TensorBoard event files use it:
 *
 *   uint64 length (little-endian) | uint32 masked CRC-32C of those 8 bytes |
 *   length bytes of payload       | uint32 masked CRC-32C of the payload
 *
 * The file is read through one fixed-size buffer (records that do not fit grow it to the
 * record's size, never to the file's), so memory stays bounded whatever the file size.
 * Every CRC is verified. A record whose CRC fails in the middle of the file is reported
 * and skipped by scanning forward, byte by byte, to the next offset where a length, its
 * CRC and the payload's CRC all agree; an incomplete record at the very end (a run still
 * being written) is reported as a truncated tail, not as corruption.
 */
import { promises as fs } from 'node:fs';
import { crc32cRange, maskCrc } from './crc32c.js';

export const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;

const HEADER_BYTES = 12;
const FOOTER_BYTES = 4;

export interface TfRecordHandlers {
  /** A verified record: `payload[start, end)` is valid only during the call. */
  record(payload: Buffer, start: number, end: number, offset: number, index: number): void;
  /** Bytes `[offset, offset + skipped)` held no valid record. */
  corrupt?(offset: number, skipped: number, reason: CorruptReason): void;
  /** The file ends inside a record that started at `offset`. */
  truncatedTail?(offset: number, bytes: number): void;
  progress?(bytesDone: number, bytesTotal: number): void;
}

export type CorruptReason = 'length CRC mismatch' | 'data CRC mismatch';

export interface TfRecordSummary {
  records: number;
  bytes: number;
  corruptRegions: number;
  truncatedTailBytes: number;
}

export interface TfRecordOptions {
  chunkBytes?: number;
}

/** Whether the first bytes of a file are a complete, CRC-valid TFRecord. */
export function startsWithTfRecord(head: Uint8Array): boolean {
  if (head.length < HEADER_BYTES + FOOTER_BYTES) return false;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (view.getUint32(4, true) !== 0) return false;
  if (maskCrc(crc32cRange(head, 0, 8)) !== view.getUint32(8, true)) return false;
  const length = view.getUint32(0, true);
  const end = HEADER_BYTES + length;
  if (end + FOOTER_BYTES > head.length) return false;
  return maskCrc(crc32cRange(head, HEADER_BYTES, end)) === view.getUint32(end, true);
}

/** Reads every record of a TFRecord file in order; never throws for bad content. */
export async function readTfRecords(
  filePath: string,
  handlers: TfRecordHandlers,
  options: TfRecordOptions = {},
): Promise<TfRecordSummary> {
  const handle = await fs.open(filePath, 'r');
  try {
    const { size } = await handle.stat();
    const stream = new RecordStream(handle, size, options.chunkBytes ?? DEFAULT_CHUNK_BYTES, handlers);
    await stream.run();
    return stream.summary;
  } finally {
    await handle.close();
  }
}

/** Little-endian uint32 without Buffer's bounds-checking wrapper (callers ensured the bytes). */
function uint32At(buffer: Buffer, at: number): number {
  return (buffer[at]! | (buffer[at + 1]! << 8) | (buffer[at + 2]! << 16) | (buffer[at + 3]! << 24)) >>> 0;
}

class RecordStream {
  private buffer: Buffer;
  /** File offset of buffer[0]. */
  private bufferOffset = 0;
  /** Bytes of the buffer holding file data. */
  private filled = 0;
  /** Read cursor within the buffer. */
  private pos = 0;
  private eof = false;
  readonly summary: TfRecordSummary = { records: 0, bytes: 0, corruptRegions: 0, truncatedTailBytes: 0 };

  constructor(
    private readonly handle: fs.FileHandle,
    private readonly size: number,
    private readonly chunkBytes: number,
    private readonly handlers: TfRecordHandlers,
  ) {
    this.buffer = Buffer.allocUnsafe(Math.max(chunkBytes, HEADER_BYTES + FOOTER_BYTES));
    this.summary.bytes = size;
  }

  async run(): Promise<void> {
    while (true) {
      // The buffer usually holds the next record already: test that before awaiting, since an
      // await per record (a promise and a microtask each) costs more than the record itself.
      if (this.filled - this.pos < HEADER_BYTES && !(await this.ensure(HEADER_BYTES))) {
        this.tail();
        return;
      }
      const length = this.verifiedLength(this.pos);
      if (length < 0) {
        await this.resync('length CRC mismatch');
        continue;
      }
      const recordBytes = HEADER_BYTES + length + FOOTER_BYTES;
      // A valid length that runs past the end is a record still being written: never
      // allocate for it.
      if (recordBytes > this.size - (this.bufferOffset + this.pos)) {
        this.tail();
        return;
      }
      if (this.filled - this.pos < recordBytes && !(await this.ensure(recordBytes))) {
        this.tail();
        return;
      }
      if (!this.payloadValid(this.pos, length)) {
        await this.resync('data CRC mismatch');
        continue;
      }
      this.emit(length);
    }
  }

  private emit(length: number): void {
    const start = this.pos + HEADER_BYTES;
    this.handlers.record(this.buffer, start, start + length, this.bufferOffset + this.pos, this.summary.records);
    this.summary.records++;
    this.pos = start + length + FOOTER_BYTES;
  }

  /**
   * The record length at `at` when its CRC matches and the record can fit in the file;
   * -1 otherwise. The cheap plausibility test first keeps a resync scan through garbage fast.
   */
  private verifiedLength(at: number): number {
    const buffer = this.buffer;
    const high = uint32At(buffer, at + 4);
    const low = uint32At(buffer, at);
    const length = high * 0x1_0000_0000 + low;
    // Above 4 GiB only in files that large: rejects almost any garbage before computing a CRC.
    if (high !== 0 && length > this.size - (this.bufferOffset + at)) return -1;
    if (maskCrc(crc32cRange(buffer, at, at + 8)) !== uint32At(buffer, at + 8)) return -1;
    return length;
  }

  private payloadValid(at: number, length: number): boolean {
    const start = at + HEADER_BYTES;
    const stored = uint32At(this.buffer, start + length);
    return maskCrc(crc32cRange(this.buffer, start, start + length)) === stored;
  }

  /** Scans forward from the byte after the bad record for the next fully valid record. */
  private async resync(reason: CorruptReason): Promise<void> {
    const badOffset = this.bufferOffset + this.pos;
    this.pos++;
    while (await this.ensure(HEADER_BYTES)) {
      const length = this.verifiedLength(this.pos);
      const fits = length >= 0 && HEADER_BYTES + length + FOOTER_BYTES <= this.size - (this.bufferOffset + this.pos);
      if (fits) {
        if ((await this.ensure(HEADER_BYTES + length + FOOTER_BYTES)) && this.payloadValid(this.pos, length)) {
          this.report(badOffset, this.bufferOffset + this.pos - badOffset, reason);
          return;
        }
      }
      this.pos++;
    }
    // Nothing valid follows: the rest of the file is the corrupt region.
    this.report(badOffset, this.size - badOffset, reason);
    this.pos = this.filled;
  }

  private report(offset: number, skipped: number, reason: CorruptReason): void {
    this.summary.corruptRegions++;
    this.handlers.corrupt?.(offset, skipped, reason);
  }

  private tail(): void {
    const remaining = this.size - (this.bufferOffset + this.pos);
    if (remaining > 0) {
      this.summary.truncatedTailBytes = remaining;
      this.handlers.truncatedTail?.(this.bufferOffset + this.pos, remaining);
    }
    this.pos = this.filled;
  }

  /**
   * Makes `bytes` bytes from `pos` available in the buffer, moving the unread part to the
   * front and reading more (growing the buffer only for a record larger than it). False
   * when the file ends first.
   */
  private async ensure(bytes: number): Promise<boolean> {
    if (this.filled - this.pos >= bytes) return true;
    if (this.eof) return false;
    if (this.pos > 0) {
      this.buffer.copy(this.buffer, 0, this.pos, this.filled);
      this.bufferOffset += this.pos;
      this.filled -= this.pos;
      this.pos = 0;
    }
    if (bytes > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(bytes, this.chunkBytes));
      this.buffer.copy(grown, 0, 0, this.filled);
      this.buffer = grown;
    } else if (this.buffer.length > this.chunkBytes && bytes <= this.chunkBytes) {
      // Give back the memory of a past oversized record.
      const shrunk = Buffer.allocUnsafe(this.chunkBytes);
      this.buffer.copy(shrunk, 0, 0, this.filled);
      this.buffer = shrunk;
    }
    while (this.filled < bytes && !this.eof) {
      const { bytesRead } = await this.handle.read(
        this.buffer,
        this.filled,
        this.buffer.length - this.filled,
        this.bufferOffset + this.filled,
      );
      if (bytesRead === 0) this.eof = true;
      this.filled += bytesRead;
      this.handlers.progress?.(this.bufferOffset + this.filled, this.size);
    }
    return this.filled >= bytes;
  }
}
