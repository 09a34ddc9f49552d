/**
 * A minimal protocol-buffers wire-format reader for the few message types ladder decodes
 * (TensorBoard's Event/Summary, W&B's Record). It walks fields without building objects,
 * so the hot loop of a multi-GB event file allocates almost nothing. Malformed input
 * throws ProtobufError, which readers turn into issues.
 */

export class ProtobufError extends Error {}

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH = 2;
export const WIRE_FIXED32 = 5;

const TEXT = new TextDecoder('utf-8', { fatal: false });

export class ProtoReader {
  pos: number;
  end: number;
  private readonly view: DataView;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = end;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Points the reader at another range of the same buffer: hot loops reuse one reader per nesting level. */
  reset(start: number, end: number): this {
    this.pos = start;
    this.end = end;
    return this;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** Reads a field key; returns [fieldNumber, wireType]. */
  key(): [number, number] {
    const k = this.varint();
    return [Math.floor(k / 8), k % 8];
  }

  /** A varint as a JS number (exact below 2^53; larger values lose low bits, which step counts never reach). */
  varint(): number {
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufError('varint runs past the end');
      const byte = this.buf[this.pos++]!;
      result += (byte & 0x7f) * multiplier;
      if (byte < 0x80) return result;
      multiplier *= 128;
    }
    throw new ProtobufError('varint longer than 10 bytes');
  }

  /** A signed int64 varint (two's complement), e.g. a negative step. */
  int64(): number {
    const start = this.pos;
    const value = this.varint();
    if (value < 2 ** 63) return value;
    // 2^64 − |x| is not exact in a double (step −5 would come out as 0): redo it in BigInt.
    let bits = 0n;
    for (let p = start, shift = 0n; p < this.pos; p++, shift += 7n) bits |= BigInt(this.buf[p]! & 0x7f) << shift;
    return Number(BigInt.asIntN(64, bits));
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new ProtobufError('double runs past the end');
    const value = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return value;
  }

  float(): number {
    if (this.pos + 4 > this.end) throw new ProtobufError('float runs past the end');
    const value = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return value;
  }

  /** A length-delimited field; returns [start, end) offsets into `buf`. */
  bytes(): [number, number] {
    const length = this.varint();
    const start = this.pos;
    const end = start + length;
    if (end > this.end) throw new ProtobufError('length-delimited field runs past the end');
    this.pos = end;
    return [start, end];
  }

  string(): string {
    const [start, end] = this.bytes();
    return TEXT.decode(this.buf.subarray(start, end));
  }

  /** A sub-reader over a length-delimited field. */
  message(): ProtoReader {
    const [start, end] = this.bytes();
    return new ProtoReader(this.buf, start, end);
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.pos += 8;
        break;
      case WIRE_LENGTH:
        this.bytes();
        return;
      case WIRE_FIXED32:
        this.pos += 4;
        break;
      default:
        throw new ProtobufError(`unsupported wire type ${wireType}`);
    }
    if (this.pos > this.end) throw new ProtobufError('field runs past the end');
  }

  /** Packed repeated doubles/floats or a single value, appended to `out`. */
  packedFloats(wireType: number, width: 4 | 8, out: number[]): void {
    if (wireType === WIRE_LENGTH) {
      const [start, end] = this.bytes();
      for (let p = start; p + width <= end; p += width) {
        out.push(width === 8 ? this.view.getFloat64(p, true) : this.view.getFloat32(p, true));
      }
    } else {
      out.push(width === 8 ? this.double() : this.float());
    }
  }
}
