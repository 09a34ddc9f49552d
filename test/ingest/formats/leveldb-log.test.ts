import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { maskedCrc32c } from '../../../src/ingest/formats/crc32c.js';
import { scanLevelDbLog, type LogChecksum, type LogProblem } from '../../../src/ingest/formats/leveldb-log.js';

const BLOCK = 32768;

const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/**
 * A small LevelDB-log writer for the tests, with Node's own zlib CRC-32 (not the crc-32
 * package the reader uses) so that a wrong checksum in either would show.
 */
function writeLog(records: Uint8Array[], checksum: LogChecksum = 'crc32-ieee', header = Buffer.from(':W&B\xe1\xbe\x00', 'latin1')): Buffer {
  const parts: Buffer[] = [header];
  let length = header.length;
  const put = (bytes: Buffer) => {
    parts.push(bytes);
    length += bytes.length;
  };
  const chunk = (type: number, payload: Uint8Array) => {
    const typed = Buffer.concat([Buffer.of(type), payload]);
    const crc = checksum === 'crc32-ieee' ? zlib.crc32(typed) : maskedCrc32c(typed);
    const head = Buffer.alloc(7);
    head.writeUInt32LE(crc >>> 0, 0);
    head.writeUInt16LE(payload.length, 4);
    head[6] = type;
    put(Buffer.concat([head, payload]));
  };
  for (const record of records) {
    let rest = record;
    let first = true;
    for (;;) {
      const left = BLOCK - (length % BLOCK);
      if (left < 7) {
        put(Buffer.alloc(left));
        continue;
      }
      const piece = rest.subarray(0, left - 7);
      rest = rest.subarray(piece.length);
      const type = first ? (rest.length === 0 ? 1 : 2) : rest.length === 0 ? 4 : 3;
      chunk(type, piece);
      first = false;
      if (rest.length === 0) break;
    }
  }
  return Buffer.concat(parts);
}

function record(index: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (index * 31 + i) & 0xff;
  return bytes;
}

async function scan(bytes: Buffer, checksum: LogChecksum = 'crc32-ieee', readSize?: number) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ladder-ldb-'));
  temporary.push(dir);
  const file = path.join(dir, 'log.wandb');
  writeFileSync(file, bytes);
  const records: { payload: Uint8Array; offset: number }[] = [];
  const problems: LogProblem[] = [];
  const options = readSize === undefined ? { checksum, headerBytes: 7 } : { checksum, headerBytes: 7, readSize };
  await scanLevelDbLog(file, options, (payload, offset) => records.push({ payload: new Uint8Array(payload), offset }), (p) => problems.push(p));
  return { records, problems };
}

describe('scanLevelDbLog', () => {
  it('reads FULL records and records split into FIRST/MIDDLE/LAST chunks across blocks', async () => {
    const input = [record(1, 100), record(2, 80_000), record(3, 5), record(4, 40_000)];
    const { records, problems } = await scan(writeLog(input), 'crc32-ieee', BLOCK);
    expect(problems).toEqual([]);
    expect(records.map((r) => r.payload.length)).toEqual(input.map((r) => r.length));
    records.forEach((r, i) => expect(Buffer.compare(r.payload, input[i]!)).toBe(0));
    expect(records[0]!.offset).toBe(7);
  });

  it('skips the zero padding a block ends with when fewer than 7 bytes are left', async () => {
    // 7 (header) + 7 + 32750 = 32764: four bytes left in block 0, which must be padding.
    const input = [record(1, 32750), record(2, 10)];
    const bytes = writeLog(input);
    expect(bytes.subarray(32764, BLOCK)).toEqual(Buffer.alloc(4));
    const { records, problems } = await scan(bytes);
    expect(problems).toEqual([]);
    expect(records.map((r) => r.payload)).toEqual(input);
    expect(records[1]!.offset).toBe(BLOCK);
  });

  it('verifies LevelDB’s masked CRC-32C when asked to', async () => {
    const input = [record(1, 10), record(2, 50_000)];
    expect((await scan(writeLog(input, 'crc32c-masked'), 'crc32c-masked')).records.map((r) => r.payload)).toEqual(input);
    const wrongAlgorithm = await scan(writeLog(input, 'crc32c-masked'), 'crc32-ieee');
    expect(wrongAlgorithm.records).toEqual([]);
    expect(wrongAlgorithm.problems[0]).toMatchObject({ kind: 'corrupt', offset: 7, reason: 'checksum mismatch' });
  });

  it('reports a corrupt chunk with its offset and resumes at the next block', async () => {
    // Block 0 holds records 0-4 and the first chunk of record 5.
    const input = Array.from({ length: 12 }, (_, i) => record(i, 6000));
    const bytes = writeLog(input);
    bytes[7 + 7 + 6000 + 7 + 10] = bytes[7 + 7 + 6000 + 7 + 10]! ^ 0xff; // inside the payload of record 1
    const { records, problems } = await scan(bytes);
    expect(problems).toEqual([{ kind: 'corrupt', offset: 7 + 7 + 6000, reason: 'checksum mismatch', skipped: BLOCK - (7 + 7 + 6000) }]);
    // Records 1-5 are lost with the rest of block 0 (5's tail in block 1 is skipped quietly).
    expect(records.map((r) => r.payload)).toEqual([0, 6, 7, 8, 9, 10, 11].map((i) => input[i]));
  });

  it('drops a multi-chunk record whose first chunk is corrupt, without a second report for its tail', async () => {
    const input = [record(0, 100), record(1, 70_000), record(2, 100)];
    const bytes = writeLog(input);
    bytes[7 + 7 + 100 + 7 + 3] = bytes[7 + 7 + 100 + 7 + 3]! ^ 0x01; // FIRST chunk of record 1
    const { records, problems } = await scan(bytes);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ kind: 'corrupt', offset: 7 + 7 + 100 });
    expect(records.map((r) => r.payload)).toEqual([input[0], input[2]]);
  });

  it('treats a file cut inside a chunk as a truncated tail, not corruption', async () => {
    const input = [record(0, 100), record(1, 200), record(2, 300)];
    const bytes = writeLog(input);
    const cut = bytes.length - 150;
    const { records, problems } = await scan(bytes.subarray(0, cut));
    expect(records.map((r) => r.payload)).toEqual([input[0], input[1]]);
    const start = 7 + 107 + 207;
    expect(problems).toEqual([{ kind: 'truncated', offset: start, bytes: cut - start }]);
  });

  it('treats a file cut between the chunks of one record as a truncated tail', async () => {
    const input = [record(0, 100), record(1, 70_000)];
    const bytes = writeLog(input);
    const { records, problems } = await scan(bytes.subarray(0, BLOCK * 2));
    expect(records.map((r) => r.payload)).toEqual([input[0]]);
    expect(problems).toEqual([{ kind: 'truncated', offset: 114, bytes: BLOCK * 2 - 114 }]);
  });

  it('treats a cut inside a chunk header as a truncated tail', async () => {
    const bytes = writeLog([record(0, 100), record(1, 100)]);
    const { records, problems } = await scan(bytes.subarray(0, 7 + 107 + 3));
    expect(records).toHaveLength(1);
    expect(problems).toEqual([{ kind: 'truncated', offset: 114, bytes: 3 }]);
  });
});
