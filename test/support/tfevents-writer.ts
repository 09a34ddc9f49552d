/**
 * A small TensorBoard event-file writer (TFRecord framing + Event/Summary protobufs) for
 * generating large files in tests and benchmarks: scalars every step, histograms and big
 * image summaries now and then, like a real run that logs images. Small fixtures come from
 * the real writer instead (test/fixtures/tensorboard/generate.py).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { maskedCrc32c } from '../../src/ingest/formats/crc32c.js';

function varint(value: number | bigint): Buffer {
  let v = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  while (v >= 0x80n) {
    bytes.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  bytes.push(Number(v));
  return Buffer.from(bytes);
}

const key = (field: number, wire: number) => varint(field * 8 + wire);

export function lengthField(field: number, bytes: Uint8Array | string): Buffer {
  const data = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes);
  return Buffer.concat([key(field, 2), varint(data.length), data]);
}

export function doubleField(field: number, value: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(value);
  return Buffer.concat([key(field, 1), b]);
}

export function floatField(field: number, value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeFloatLE(value);
  return Buffer.concat([key(field, 5), b]);
}

export function varintField(field: number, value: number | bigint): Buffer {
  return Buffer.concat([key(field, 0), varint(value)]);
}

export type SummaryValue =
  | { tag: string; simple: number }
  | { tag: string; image: Uint8Array }
  | { tag: string; histogram: number[] }
  | { tag: string; scalarTensor: number; plugin?: string };

function encodeValue(value: SummaryValue): Buffer {
  const parts = [lengthField(1, value.tag)];
  if ('simple' in value) parts.push(floatField(2, value.simple));
  else if ('image' in value) {
    // Summary.Image { height 1, width 2, colorspace 3, encoded_image_string 4 }
    parts.push(lengthField(4, Buffer.concat([varintField(1, 64), varintField(2, 64), varintField(3, 3), lengthField(4, value.image)])));
  } else if ('histogram' in value) {
    // HistogramProto { min 1, max 2, num 3, sum 4, sum_squares 5, bucket_limit 6 packed, bucket 7 packed }
    const packed = Buffer.alloc(value.histogram.length * 8);
    value.histogram.forEach((v, i) => packed.writeDoubleLE(v, i * 8));
    parts.push(lengthField(5, Buffer.concat([doubleField(1, 0), doubleField(2, 1), doubleField(3, value.histogram.length), lengthField(6, packed), lengthField(7, packed)])));
  } else {
    const plugin = lengthField(1, lengthField(1, value.plugin ?? 'scalars'));
    parts.push(lengthField(9, plugin));
    // TensorProto { dtype 1 = DT_FLOAT, tensor_shape 2 (rank 0: empty), float_val 5 }
    parts.push(lengthField(8, Buffer.concat([varintField(1, 1), lengthField(2, Buffer.alloc(0)), floatField(5, value.scalarTensor)])));
  }
  return Buffer.concat(parts);
}

export function encodeEvent(wallTime: number, step: number, values: SummaryValue[], fileVersion?: string): Buffer {
  const parts = [doubleField(1, wallTime)];
  if (step !== 0) parts.push(varintField(2, step));
  if (fileVersion !== undefined) parts.push(lengthField(3, fileVersion));
  if (values.length > 0) parts.push(lengthField(5, Buffer.concat(values.map((v) => lengthField(1, encodeValue(v))))));
  return Buffer.concat(parts);
}

export function frame(payload: Uint8Array): Buffer {
  const header = Buffer.alloc(12);
  header.writeBigUInt64LE(BigInt(payload.length));
  header.writeUInt32LE(maskedCrc32c(header.subarray(0, 8)), 8);
  const footer = Buffer.alloc(4);
  footer.writeUInt32LE(maskedCrc32c(payload));
  return Buffer.concat([header, payload, footer]);
}

export interface LargeRunShape {
  /** Approximate file size to reach. */
  bytes: number;
  /** Scalar tags written at every step. */
  scalarTags?: string[];
  histogramEvery?: number;
  imageEvery?: number;
  imageBytes?: number;
}

export interface LargeRunWritten {
  bytes: number;
  steps: number;
  records: number;
  scalarPoints: Record<string, number>;
  images: number;
  histograms: number;
}

/**
 * Writes an event file of about `shape.bytes` bytes, streaming (never the whole file in
 * memory). Values are deterministic so that runs are reproducible.
 */
export function writeLargeEventFile(filePath: string, shape: LargeRunShape): LargeRunWritten {
  const scalarTags = shape.scalarTags ?? ['train/loss', 'train/lr', 'train/grad_norm'];
  const histogramEvery = shape.histogramEvery ?? 10;
  const imageEvery = shape.imageEvery ?? 100;
  const imageBytes = shape.imageBytes ?? 512 * 1024;
  const image = Buffer.alloc(imageBytes);
  for (let i = 0; i < image.length; i++) image[i] = (i * 2654435761) >>> 24;
  const histogram = Array.from({ length: 30 }, (_, i) => i / 30);

  const fd = openSync(filePath, 'w');
  const written: LargeRunWritten = { bytes: 0, steps: 0, records: 0, scalarPoints: {}, images: 0, histograms: 0 };
  for (const tag of scalarTags) written.scalarPoints[tag] = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const put = (payload: Buffer) => {
    const record = frame(payload);
    pending.push(record);
    pendingBytes += record.length;
    written.bytes += record.length;
    written.records++;
    if (pendingBytes >= 4 * 1024 * 1024) flush();
  };
  const flush = () => {
    writeSync(fd, Buffer.concat(pending));
    pending = [];
    pendingBytes = 0;
  };
  try {
    const start = 1_700_000_000;
    put(encodeEvent(start, 0, [], 'brain.Event:2'));
    for (let step = 0; written.bytes < shape.bytes; step++) {
      const wall = start + step * 0.1;
      scalarTags.forEach((tag, i) => {
        put(encodeEvent(wall, step, [{ tag, simple: Math.exp(-step / 1e4) * (i + 1) }]));
        written.scalarPoints[tag]!++;
      });
      if (step % histogramEvery === 0) {
        put(encodeEvent(wall, step, [{ tag: 'weights/layer1', histogram }]));
        written.histograms++;
      }
      if (step % imageEvery === 0) {
        image[step % imageBytes] = step & 0xff;
        put(encodeEvent(wall, step, [{ tag: 'samples/image', image }]));
        written.images++;
      }
      written.steps = step + 1;
    }
    flush();
  } finally {
    closeSync(fd);
  }
  return written;
}
