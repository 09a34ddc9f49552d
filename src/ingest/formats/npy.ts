/**
 * NumPy `.npy` arrays (format versions 1.0, 2.0 and 3.0), as `numpy.save` writes them:
 *
 *   "\x93NUMPY" major minor  header-length (uint16 LE for 1.x, uint32 LE for 2.x/3.x)
 *   header: a Python dict literal, e.g. {'descr': '<f8', 'fortran_order': False, 'shape': (10000, 10), }
 *   data:   prod(shape) items of `descr`, in C (row-major) or Fortran (column-major) order
 *
 * The header is read by a small literal parser (strings, numbers, booleans, tuples, lists,
 * dicts), never evaluated. Numeric and boolean dtypes of either byte order are decoded into
 * one Float64Array in row-major order, so callers index `data[i * shape[1] + j]` whatever
 * the file's layout. 64-bit integers beyond ±2^53 lose precision in that conversion (labels
 * and counts never come near it). Structured, object (pickled), string and complex dtypes
 * are refused with a reason: they are not per-example numbers.
 *
 * Damage never throws: `parseNpy` returns `{ error }` with a reason (and where), and
 * `readNpyFile` does the same for I/O errors.
 */
import { promises as fs } from 'node:fs';

export const NPY_MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

/** 'f' float, 'i' signed integer, 'u' unsigned integer, 'b' boolean. */
export type NpyKind = 'f' | 'i' | 'u' | 'b';

export interface NpyArray {
  /** The dtype as written in the header, e.g. '<f8', '|u1', '>i4'. */
  descr: string;
  kind: NpyKind;
  /** Bytes per item. */
  itemSize: number;
  /** Empty for a 0-d array (one item). */
  shape: number[];
  /** Whether the file stored the data column-major; `data` is row-major either way. */
  fortranOrder: boolean;
  data: Float64Array;
  /** Format version of the file, e.g. '1.0'. */
  version: string;
  /** Bytes after the data that belong to no item (numpy.load ignores them too). */
  trailingBytes: number;
}

export interface NpyError {
  reason: string;
  /** Byte offset in the file where the problem was found, when it is a place. */
  offset?: number;
}

export type NpyResult = { array: NpyArray; error?: undefined } | { array?: undefined; error: NpyError };

/** True when the bytes start with the .npy magic string. */
export function hasNpyMagic(head: Uint8Array): boolean {
  if (head.length < NPY_MAGIC.length) return false;
  for (let i = 0; i < NPY_MAGIC.length; i++) if (head[i] !== NPY_MAGIC[i]) return false;
  return true;
}

export function itemCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) count *= dim;
  return count;
}

export async function readNpyFile(file: string): Promise<NpyResult> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (error) {
    return { error: { reason: `cannot read the file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` } };
  }
  return parseNpy(bytes);
}

export interface NpyHeader {
  version: string;
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Offset of the first data byte. */
  dataOffset: number;
}

export function parseNpyHeader(bytes: Uint8Array): { header: NpyHeader; error?: undefined } | { header?: undefined; error: NpyError } {
  if (!hasNpyMagic(bytes)) return { error: { reason: 'does not start with the \\x93NUMPY magic string', offset: 0 } };
  if (bytes.length < 10) return { error: { reason: 'file ends inside the preamble', offset: bytes.length } };
  const major = bytes[6]!;
  const minor = bytes[7]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) return { error: { reason: 'file ends inside the preamble', offset: bytes.length } };
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    return { error: { reason: `unsupported format version ${major}.${minor}`, offset: 6 } };
  }
  const dataOffset = headerStart + headerLength;
  if (dataOffset > bytes.length) {
    return { error: { reason: `header of ${headerLength} bytes runs past the end of the file`, offset: headerStart } };
  }
  // Versions 1 and 2 use latin-1 headers; version 3 allows UTF-8 (field names in structured dtypes).
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + headerStart, headerLength).toString(major === 3 ? 'utf8' : 'latin1');
  let dict: unknown;
  try {
    dict = new LiteralParser(text).parseDocument();
  } catch (error) {
    return { error: { reason: `header is not a Python dict literal (${(error as Error).message})`, offset: headerStart } };
  }
  if (typeof dict !== 'object' || dict === null || Array.isArray(dict)) {
    return { error: { reason: 'header is not a dict', offset: headerStart } };
  }
  const fields = dict as Record<string, unknown>;
  const { descr, fortran_order: fortranOrder, shape } = fields;
  if (typeof descr !== 'string') {
    const what = Array.isArray(descr) ? 'a structured dtype (record fields)' : "no 'descr' string";
    return { error: { reason: `header has ${what}; only numeric and boolean arrays are read`, offset: headerStart } };
  }
  if (typeof fortranOrder !== 'boolean') return { error: { reason: "header has no boolean 'fortran_order'", offset: headerStart } };
  if (!Array.isArray(shape) || !shape.every((dim) => Number.isSafeInteger(dim) && (dim as number) >= 0)) {
    return { error: { reason: "header has no 'shape' tuple of non-negative integers", offset: headerStart } };
  }
  return { header: { version: `${major}.${minor}`, descr, fortranOrder, shape: shape as number[], dataOffset } };
}

interface Dtype {
  kind: NpyKind;
  itemSize: number;
  littleEndian: boolean;
}

const SUPPORTED_SIZES: Record<NpyKind, number[]> = { f: [2, 4, 8], i: [1, 2, 4, 8], u: [1, 2, 4, 8], b: [1] };

function parseDescr(descr: string): Dtype | string {
  const match = /^([<>|=]?)([a-zA-Z])(\d+)$/.exec(descr);
  if (!match) return `dtype '${descr}' is not a numeric type`;
  const [, order, kindChar, size] = match;
  const kind = kindChar as string;
  const itemSize = Number(size);
  if (!(kind in SUPPORTED_SIZES) || !SUPPORTED_SIZES[kind as NpyKind].includes(itemSize)) {
    return `dtype '${descr}' is not supported (numbers and booleans only: f2/f4/f8, i1–i8, u1–u8, b1)`;
  }
  // '=' is the writer's native order; every machine numpy runs on in practice is little-endian.
  return { kind: kind as NpyKind, itemSize, littleEndian: order !== '>' };
}

export function parseNpy(bytes: Uint8Array): NpyResult {
  const parsed = parseNpyHeader(bytes);
  if (parsed.error) return { error: parsed.error };
  const { header } = parsed;
  const dtype = parseDescr(header.descr);
  if (typeof dtype === 'string') return { error: { reason: dtype, offset: 0 } };
  const count = itemCount(header.shape);
  const needed = count * dtype.itemSize;
  const available = bytes.length - header.dataOffset;
  if (available < needed) {
    return {
      error: {
        reason: `data is truncated: ${available} bytes where shape (${header.shape.join(', ')}) of ${header.descr} needs ${needed}`,
        offset: bytes.length,
      },
    };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + header.dataOffset, needed);
  const stored = decode(view, dtype, count);
  const data = header.fortranOrder && header.shape.length > 1 ? toRowMajor(stored, header.shape) : stored;
  return {
    array: {
      descr: header.descr,
      kind: dtype.kind,
      itemSize: dtype.itemSize,
      shape: header.shape,
      fortranOrder: header.fortranOrder,
      data,
      version: header.version,
      trailingBytes: available - needed,
    },
  };
}

function decode(view: DataView, { kind, itemSize, littleEndian }: Dtype, count: number): Float64Array {
  const out = new Float64Array(count);
  const le = littleEndian;
  switch (`${kind}${itemSize}`) {
    case 'f8':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, le);
      break;
    case 'f4':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, le);
      break;
    case 'f2':
      for (let i = 0; i < count; i++) out[i] = halfToNumber(view.getUint16(i * 2, le));
      break;
    case 'i8':
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(i * 8, le));
      break;
    case 'i4':
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, le);
      break;
    case 'i2':
      for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, le);
      break;
    case 'i1':
      for (let i = 0; i < count; i++) out[i] = view.getInt8(i);
      break;
    case 'u8':
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigUint64(i * 8, le));
      break;
    case 'u4':
      for (let i = 0; i < count; i++) out[i] = view.getUint32(i * 4, le);
      break;
    case 'u2':
      for (let i = 0; i < count; i++) out[i] = view.getUint16(i * 2, le);
      break;
    case 'u1':
      for (let i = 0; i < count; i++) out[i] = view.getUint8(i);
      break;
    case 'b1':
      // numpy writes booleans as 0/1 bytes; any non-zero byte reads as True there too.
      for (let i = 0; i < count; i++) out[i] = view.getUint8(i) === 0 ? 0 : 1;
      break;
  }
  return out;
}

/** IEEE 754 binary16 → number (numpy's float16). */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** Column-major (first index fastest) → row-major (last index fastest), any number of dims. */
function toRowMajor(stored: Float64Array, shape: readonly number[]): Float64Array {
  const ndim = shape.length;
  const out = new Float64Array(stored.length);
  if (stored.length === 0) return out;
  const fortranStrides = new Array<number>(ndim);
  let stride = 1;
  for (let d = 0; d < ndim; d++) {
    fortranStrides[d] = stride;
    stride *= shape[d]!;
  }
  // Walk row-major order with an odometer over the indices, tracking the Fortran offset.
  const index = new Array<number>(ndim).fill(0);
  let source = 0;
  for (let target = 0; target < out.length; target++) {
    out[target] = stored[source]!;
    for (let d = ndim - 1; d >= 0; d--) {
      index[d]!++;
      source += fortranStrides[d]!;
      if (index[d]! < shape[d]!) break;
      source -= fortranStrides[d]! * shape[d]!;
      index[d] = 0;
    }
  }
  return out;
}

/**
 * The subset of Python literal syntax that numpy writes in headers (`repr` of a dict of
 * str, bool, int tuples and, for structured dtypes, lists of tuples). Python 2 writers
 * may add an `L` suffix to integers (`(10L, 3L)`).
 */
class LiteralParser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parseDocument(): unknown {
    const value = this.value();
    this.skipSpace();
    if (this.pos < this.text.length) throw new Error(`unexpected ${JSON.stringify(this.text[this.pos])} at ${this.pos}`);
    return value;
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  private value(): unknown {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === undefined) throw new Error('unexpected end of header');
    if (c === '{') return this.dict();
    if (c === '(') return this.sequence(')');
    if (c === '[') return this.sequence(']');
    if (c === "'" || c === '"') return this.string(c);
    const word = /^(True|False|None)\b/.exec(this.text.slice(this.pos));
    if (word) {
      this.pos += word[0].length;
      return word[0] === 'True' ? true : word[0] === 'False' ? false : null;
    }
    const number = /^[+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?[lL]?/.exec(this.text.slice(this.pos));
    if (number) {
      this.pos += number[0].length;
      return Number(number[0].replace(/[lL]$/, ''));
    }
    throw new Error(`unexpected ${JSON.stringify(c)} at ${this.pos}`);
  }

  private expect(char: string): void {
    this.skipSpace();
    if (this.text[this.pos] !== char) throw new Error(`expected ${JSON.stringify(char)} at ${this.pos}`);
    this.pos++;
  }

  /** After an item: true when the container closes, false when a comma leads to another item. */
  private endOrComma(close: string): boolean {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === ',') {
      this.pos++;
      this.skipSpace();
      if (this.text[this.pos] === close) {
        this.pos++;
        return true;
      }
      return false;
    }
    if (c === close) {
      this.pos++;
      return true;
    }
    throw new Error(`expected "," or ${JSON.stringify(close)} at ${this.pos}`);
  }

  private dict(): Record<string, unknown> {
    this.expect('{');
    const out: Record<string, unknown> = {};
    this.skipSpace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      const key = this.value();
      if (typeof key !== 'string') throw new Error(`dict key is not a string at ${this.pos}`);
      this.expect(':');
      out[key] = this.value();
      if (this.endOrComma('}')) return out;
    }
  }

  private sequence(close: string): unknown[] {
    this.pos++;
    const out: unknown[] = [];
    this.skipSpace();
    if (this.text[this.pos] === close) {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      if (this.endOrComma(close)) return out;
    }
  }

  private string(quote: string): string {
    const start = ++this.pos;
    const end = this.text.indexOf(quote, start);
    if (end < 0) throw new Error('unterminated string');
    // Escapes only occur in field names of structured dtypes, which are refused anyway.
    if (this.text.slice(start, end).includes('\\')) throw new Error(`escape sequence in a header string at ${start}`);
    this.pos = end + 1;
    return this.text.slice(start, end);
  }
}
