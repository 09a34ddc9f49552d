/**
 * An independent, deliberately plain way to count what a TensorBoard event file holds, for
 * checking the reader against: the whole file in memory, frames walked by their length
 * fields (no CRC), protobufs parsed into generic field lists. Shares no code with the
 * reader (src/ingest/formats/*), so a bug there cannot hide here.
 */
import { readFileSync } from 'node:fs';

interface Field {
  number: number;
  wire: number;
  /** varint and fixed values as numbers; length-delimited as the bytes. */
  value: number | Uint8Array;
}

function parseMessage(bytes: Uint8Array): Field[] {
  const fields: Field[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let i = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      const b = bytes[i++]!;
      result += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 128) return result;
    }
  };
  while (i < bytes.length) {
    const key = varint();
    const number = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) fields.push({ number, wire, value: varint() });
    else if (wire === 1) {
      fields.push({ number, wire, value: view.getFloat64(i, true) });
      i += 8;
    } else if (wire === 5) {
      fields.push({ number, wire, value: view.getFloat32(i, true) });
      i += 4;
    } else if (wire === 2) {
      const length = varint();
      fields.push({ number, wire, value: bytes.subarray(i, i + length) });
      i += length;
    } else throw new Error(`wire type ${wire}`);
  }
  return fields;
}

const sub = (fields: Field[], number: number) =>
  fields.filter((f) => f.number === number && f.value instanceof Uint8Array).map((f) => f.value as Uint8Array);
const text = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

export interface TagCounts {
  /** Scalar points per tag: simple_value, or a tensor under the "scalars" plugin. */
  scalars: Map<string, number>;
  /** Other values per tag. */
  others: Map<string, number>;
  records: number;
}

/** Frames of a TFRecord file, by their length fields alone. */
export function frames(file: Buffer): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at + 12 <= file.length) {
    const length = Number(file.readBigUInt64LE(at));
    if (at + 16 + length > file.length) break;
    out.push(file.subarray(at + 12, at + 12 + length));
    at += 16 + length;
  }
  return out;
}

export function countTags(filePath: string, pluginOfTag = new Map<string, string>()): TagCounts {
  const counts: TagCounts = { scalars: new Map(), others: new Map(), records: 0 };
  const add = (map: Map<string, number>, tag: string) => map.set(tag, (map.get(tag) ?? 0) + 1);
  for (const payload of frames(readFileSync(filePath))) {
    counts.records++;
    for (const summary of sub(parseMessage(payload), 5)) {
      for (const valueBytes of sub(parseMessage(summary), 1)) {
        const value = parseMessage(valueBytes);
        const tag = text(sub(value, 1)[0]) ?? '';
        const metadata = sub(value, 9)[0];
        if (metadata) {
          const pluginData = sub(parseMessage(metadata), 1)[0];
          const plugin = pluginData ? text(sub(parseMessage(pluginData), 1)[0]) ?? '' : '';
          pluginOfTag.set(tag, plugin);
        }
        const plugin = pluginOfTag.get(tag) ?? '';
        if (plugin === 'hparams') continue;
        const has = (n: number) => value.some((f) => f.number === n);
        if (has(2) || (has(8) && plugin === 'scalars')) add(counts.scalars, tag);
        else if (has(8) || has(5) || has(4) || has(6)) add(counts.others, tag);
      }
    }
  }
  return counts;
}
