import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readTfRecords, startsWithTfRecord } from '../../../src/ingest/formats/tfrecord.js';
import { REPO } from '../../support/corpus.js';
import { frames } from '../../support/tfevents-count.js';
import { frame } from '../../support/tfevents-writer.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ladder-tfrecord-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TORCH_FIXTURE_DIR = path.join(REPO, 'test/fixtures/tensorboard/torch');

function torchFixture(): string {
  const name = readFileSync(path.join(REPO, 'test/fixtures/tensorboard/expected.json'), 'utf8');
  const files = (JSON.parse(name) as Record<string, { files: string[] }>).torch!.files;
  return path.join(TORCH_FIXTURE_DIR, files[0]!);
}

async function payloads(file: string, chunkBytes: number) {
  const out: Buffer[] = [];
  const offsets: number[] = [];
  const summary = await readTfRecords(
    file,
    {
      record: (buffer, start, end, offset) => {
        out.push(Buffer.from(buffer.subarray(start, end)));
        offsets.push(offset);
      },
    },
    { chunkBytes },
  );
  return { out, offsets, summary };
}

describe('readTfRecords', () => {
  it.each([16, 64, 1000, 8 * 1024 * 1024])(
    'yields the same records whatever the chunk size (%i bytes), growing for records larger than a chunk',
    async (chunkBytes) => {
      const file = torchFixture();
      const expected = frames(readFileSync(file));
      const { out, offsets, summary } = await payloads(file, chunkBytes);
      expect(out.map((b) => b.toString('hex'))).toEqual(expected.map((b) => Buffer.from(b).toString('hex')));
      expect(summary).toMatchObject({ records: expected.length, corruptRegions: 0, truncatedTailBytes: 0 });
      expect(offsets[0]).toBe(0);
      expect(offsets[1]).toBe(16 + expected[0]!.length);
    },
  );

  it('reports progress up to the file size', async () => {
    const file = torchFixture();
    const seen: number[] = [];
    await readTfRecords(file, { record: () => {}, progress: (done, total) => seen.push(done / total) }, { chunkBytes: 1024 });
    expect(seen.length).toBeGreaterThan(5);
    expect(seen.at(-1)).toBe(1);
  });

  it('finds the next record after garbage inserted between records, across chunk boundaries', async () => {
    const records = Array.from({ length: 20 }, (_, i) => frame(Buffer.from(`payload number ${i}`)));
    const garbage = Buffer.alloc(333, 0xab);
    const file = path.join(dir, 'inserted');
    writeFileSync(file, Buffer.concat([...records.slice(0, 7), garbage, ...records.slice(7)]));
    const corrupt: [number, number][] = [];
    const { out } = await payloads(file, 50);
    const summary = await readTfRecords(file, { record: () => {}, corrupt: (offset, skipped) => corrupt.push([offset, skipped]) }, { chunkBytes: 50 });
    expect(out.map(String)).toEqual(records.map((_, i) => `payload number ${i}`));
    const garbageAt = records.slice(0, 7).reduce((sum, r) => sum + r.length, 0);
    expect(corrupt).toEqual([[garbageAt, 333]]);
    expect(summary.corruptRegions).toBe(1);
  });

  it('stops at a valid length that runs past the end without allocating for it', async () => {
    const header = Buffer.from(frame(Buffer.alloc(0)).subarray(0, 12));
    // A 1 GB length with a correct CRC: the writer was stopped right after the header of a big record.
    header.writeBigUInt64LE(1_000_000_000n);
    const { maskedCrc32c } = await import('../../../src/ingest/formats/crc32c.js');
    header.writeUInt32LE(maskedCrc32c(header.subarray(0, 8)), 8);
    const file = path.join(dir, 'huge-tail');
    writeFileSync(file, Buffer.concat([frame(Buffer.from('one')), header, Buffer.from('partial')]));
    const tails: [number, number][] = [];
    const summary = await readTfRecords(file, { record: () => {}, truncatedTail: (offset, bytes) => tails.push([offset, bytes]) });
    expect(summary.records).toBe(1);
    expect(tails).toEqual([[19, 19]]);
  });
});

describe('startsWithTfRecord', () => {
  it('accepts a real event file head and rejects text', () => {
    expect(startsWithTfRecord(readFileSync(torchFixture()).subarray(0, 4096))).toBe(true);
    expect(startsWithTfRecord(Buffer.from('step,loss\n1,0.5\n2,0.4\n'))).toBe(false);
  });
});
