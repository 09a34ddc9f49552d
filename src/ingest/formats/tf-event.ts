/**
 * TensorBoard's `Event` and `Summary` protobufs (tensorflow/core/util/event.proto,
 * tensorflow/core/framework/summary.proto, tensor.proto, and the hparams plugin's
 * plugin_data.proto), decoded field by field into reused views so that a file of millions
 * of events allocates little beyond the tag strings.
 *
 * Only what ladder keeps is decoded: wall time, step, file version, and per summary value
 * its tag, which kind of value it holds, the plugin metadata and, for tensors, enough to
 * read a rank-0 number. Malformed input throws ProtobufError.
 */
import type { HValue } from '../../model/run.js';
import { ProtoReader, ProtobufError, WIRE_FIXED32, WIRE_FIXED64, WIRE_LENGTH, WIRE_VARINT } from './protobuf.js';

/** Which field of `Summary.Value`'s oneof was set. */
export type ValueKind = 'none' | 'simple' | 'tensor' | 'histogram' | 'image' | 'audio';

export interface EventView {
  wallTime: number;
  step: number;
  /** Set only on the event that carries it (the first of a file). */
  fileVersion: string | undefined;
  summaryStart: number;
  summaryEnd: number;
}

export interface SummaryValueView {
  tag: string;
  /** A small integer per distinct tag of the decoder, for per-tag state in arrays. */
  tagId: number;
  kind: ValueKind;
  simpleValue: number;
  /** Whether this value carries SummaryMetadata (usually only a tag's first occurrence). */
  hasMetadata: boolean;
  pluginName: string;
  /** SummaryMetadata.data_class: 1 scalar, 2 tensor, 3 blob sequence; 0 unknown. */
  dataClass: number;
  /** plugin_data.content as [start, end) in the event buffer; -1 when absent. */
  contentStart: number;
  contentEnd: number;
  tensorStart: number;
  tensorEnd: number;
}

export interface TensorView {
  dtype: number;
  /** Number of dimensions; -1 for an unknown rank. */
  rank: number;
  elements: number;
  /** The value of a one-element numeric tensor, else NaN (see `numeric`). */
  value: number;
  numeric: boolean;
}

export function newEventView(): EventView {
  return { wallTime: Number.NaN, step: 0, fileVersion: undefined, summaryStart: -1, summaryEnd: -1 };
}

export function newSummaryValueView(): SummaryValueView {
  return {
    tag: '',
    tagId: -1,
    kind: 'none',
    simpleValue: Number.NaN,
    hasMetadata: false,
    pluginName: '',
    dataClass: 0,
    contentStart: -1,
    contentEnd: -1,
    tensorStart: -1,
    tensorEnd: -1,
  };
}

export function newTensorView(): TensorView {
  return { dtype: 0, rank: 0, elements: 1, value: Number.NaN, numeric: false };
}

/** tensorflow/core/framework/types.proto DataType values ladder reads as numbers. */
export const DTYPE = {
  float: 1,
  double: 2,
  int32: 3,
  uint8: 4,
  int16: 5,
  int8: 6,
  string: 7,
  int64: 9,
  bool: 10,
  bfloat16: 14,
  uint16: 17,
  half: 19,
  uint32: 22,
  uint64: 23,
} as const;

function fieldOf(key: number): number {
  const field = Math.floor(key / 8);
  if (field === 0) throw new ProtobufError('field number 0');
  return field;
}

function textOf(buf: Buffer, start: number, end: number): string {
  return buf.toString('utf8', start, end);
}

function lengthDelimited(reader: ProtoReader, wire: number): number {
  if (wire !== WIRE_LENGTH) throw new ProtobufError(`expected a length-delimited field, got wire type ${wire}`);
  const length = reader.varint();
  const start = reader.pos;
  if (start + length > reader.end) throw new ProtobufError('length-delimited field runs past the end');
  reader.pos = start + length;
  return start;
}

/**
 * Tag strings by their bytes: a run repeats a few tags millions of times, so each distinct
 * tag is decoded once and found again by hash and byte comparison, without a new string,
 * and numbered so that a reader can keep per-tag state in an array instead of a map.
 */
class TagTable {
  private readonly byHash = new Map<number, { bytes: Buffer; id: number }[]>();
  private readonly idByText = new Map<string, number>();
  readonly texts: string[] = [];

  /** The id of the tag in `buf[start, end)`; its text is `texts[id]`. */
  intern(buf: Buffer, start: number, end: number): number {
    let hash = 0x811c9dc5;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ buf[i]!, 0x01000193);
    const bucket = this.byHash.get(hash);
    if (bucket) {
      for (const entry of bucket) {
        const bytes = entry.bytes;
        if (bytes.length !== end - start) continue;
        let same = true;
        for (let i = 0; i < bytes.length; i++) {
          if (bytes[i] !== buf[start + i]) {
            same = false;
            break;
          }
        }
        if (same) return entry.id;
      }
    }
    // Different invalid UTF-8 byte strings can decode to the same text: one id per text.
    const text = textOf(buf, start, end);
    let id = this.idByText.get(text);
    if (id === undefined) {
      id = this.texts.length;
      this.texts.push(text);
      this.idByText.set(text, id);
    }
    const entry = { bytes: Buffer.from(buf.subarray(start, end)), id };
    if (bucket) bucket.push(entry);
    else this.byHash.set(hash, [entry]);
    return id;
  }
}

const EVENT = 0;
const SUMMARY = 1;
const VALUE = 2;
const METADATA = 3;
const PLUGIN_DATA = 4;
const TENSOR = 5;
const SHAPE = 6;
const DIM = 7;
const LEVELS = 8;

/**
 * Decodes events of one stream. One ProtoReader per nesting level is reused for as long as
 * the records come from the same buffer, and the views are overwritten event after event:
 * read what you need from them inside the visit.
 */
export class EventDecoder {
  readonly event: EventView = newEventView();
  readonly value: SummaryValueView = newSummaryValueView();
  readonly tensor: TensorView = newTensorView();
  private buf: Buffer = Buffer.alloc(0);
  private readers: ProtoReader[] = [];
  private readonly tags = new TagTable();

  private reader(level: number, start: number, end: number): ProtoReader {
    return this.readers[level]!.reset(start, end);
  }

  /** Decodes the top-level fields of an Event (the summary is left as a range). */
  decodeEvent(buf: Buffer, start: number, end: number): EventView {
    if (buf !== this.buf) {
      this.buf = buf;
      this.readers = Array.from({ length: LEVELS }, () => new ProtoReader(buf, 0, 0));
    }
    const event = this.event;
    event.wallTime = Number.NaN;
    event.step = 0;
    event.fileVersion = undefined;
    event.summaryStart = -1;
    event.summaryEnd = -1;
    const reader = this.reader(EVENT, start, end);
    while (reader.pos < end) {
      const key = reader.varint();
      const wire = key & 7;
      const field = fieldOf(key);
      if (field === 1 && wire === WIRE_FIXED64) event.wallTime = reader.double();
      else if (field === 2 && wire === WIRE_VARINT) event.step = reader.int64();
      else if (field === 3 && wire === WIRE_LENGTH) {
        const from = lengthDelimited(reader, wire);
        event.fileVersion = textOf(buf, from, reader.pos);
      } else if (field === 5 && wire === WIRE_LENGTH) {
        event.summaryStart = lengthDelimited(reader, wire);
        event.summaryEnd = reader.pos;
      } else reader.skip(wire);
    }
    return event;
  }

  /** Calls `visit` for each `Summary.value` of the last decoded event. */
  forEachSummaryValue(visit: (value: SummaryValueView) => void): void {
    const event = this.event;
    if (event.summaryStart < 0) return;
    const reader = this.reader(SUMMARY, event.summaryStart, event.summaryEnd);
    while (reader.pos < reader.end) {
      const key = reader.varint();
      const wire = key & 7;
      if (fieldOf(key) === 1 && wire === WIRE_LENGTH) {
        const from = lengthDelimited(reader, wire);
        this.decodeValue(from, reader.pos);
        visit(this.value);
      } else reader.skip(wire);
    }
  }

  private decodeValue(start: number, end: number): void {
    const buf = this.buf;
    const value = this.value;
    value.tag = '';
    value.tagId = -1;
    value.kind = 'none';
    value.simpleValue = Number.NaN;
    value.hasMetadata = false;
    value.pluginName = '';
    value.dataClass = 0;
    value.contentStart = -1;
    value.contentEnd = -1;
    value.tensorStart = -1;
    value.tensorEnd = -1;
    let nodeNameId = -1;
    const reader = this.reader(VALUE, start, end);
    while (reader.pos < end) {
      const key = reader.varint();
      const wire = key & 7;
      switch (fieldOf(key)) {
        case 1: {
          const from = lengthDelimited(reader, wire);
          value.tagId = this.tags.intern(buf, from, reader.pos);
          break;
        }
        case 2:
          if (wire !== WIRE_FIXED32) throw new ProtobufError(`simple_value with wire type ${wire}`);
          value.simpleValue = reader.float();
          value.kind = 'simple';
          break;
        case 3: // obsolete_old_style_histogram
        case 5:
          lengthDelimited(reader, wire);
          value.kind = 'histogram';
          break;
        case 4:
          lengthDelimited(reader, wire);
          value.kind = 'image';
          break;
        case 6:
          lengthDelimited(reader, wire);
          value.kind = 'audio';
          break;
        case 7: {
          // node_name: what TF 1 wrote before tags existed.
          const from = lengthDelimited(reader, wire);
          nodeNameId = this.tags.intern(buf, from, reader.pos);
          break;
        }
        case 8:
          value.tensorStart = lengthDelimited(reader, wire);
          value.tensorEnd = reader.pos;
          value.kind = 'tensor';
          break;
        case 9: {
          const from = lengthDelimited(reader, wire);
          this.decodeMetadata(from, reader.pos);
          break;
        }
        default:
          reader.skip(wire);
      }
    }
    if (value.tagId < 0 || (nodeNameId >= 0 && this.tags.texts[value.tagId] === '')) value.tagId = nodeNameId;
    if (value.tagId < 0) value.tagId = this.tags.intern(buf, 0, 0);
    value.tag = this.tags.texts[value.tagId]!;
  }

  private decodeMetadata(start: number, end: number): void {
    const value = this.value;
    value.hasMetadata = true;
    const reader = this.reader(METADATA, start, end);
    while (reader.pos < end) {
      const key = reader.varint();
      const wire = key & 7;
      const field = fieldOf(key);
      if (field === 1 && wire === WIRE_LENGTH) {
        const from = lengthDelimited(reader, wire);
        this.decodePluginData(from, reader.pos);
      } else if (field === 4 && wire === WIRE_VARINT) value.dataClass = reader.varint();
      else reader.skip(wire);
    }
  }

  private decodePluginData(start: number, end: number): void {
    const value = this.value;
    const reader = this.reader(PLUGIN_DATA, start, end);
    while (reader.pos < end) {
      const key = reader.varint();
      const wire = key & 7;
      const field = fieldOf(key);
      if (field === 1 && wire === WIRE_LENGTH) {
        const from = lengthDelimited(reader, wire);
        value.pluginName = this.tags.texts[this.tags.intern(this.buf, from, reader.pos)]!;
      } else if (field === 2 && wire === WIRE_LENGTH) {
        value.contentStart = lengthDelimited(reader, wire);
        value.contentEnd = reader.pos;
      } else reader.skip(wire);
    }
  }

  /**
   * Decodes the current value's TensorProto: dtype, shape and, for a one-element numeric
   * tensor, its value, from `tensor_content` (raw little-endian) or the typed `*_val` fields.
   */
  decodeTensor(): TensorView {
    const buf = this.buf;
    const tensor = this.tensor;
    const end = this.value.tensorEnd;
    tensor.dtype = 0;
    tensor.rank = 0;
    tensor.elements = 1;
    tensor.value = Number.NaN;
    tensor.numeric = false;
    let first = Number.NaN;
    let valueCount = 0;
    let contentStart = -1;
    let contentEnd = -1;
    const reader = this.reader(TENSOR, this.value.tensorStart, end);
    while (reader.pos < end) {
      const key = reader.varint();
      const wire = key & 7;
      const field = fieldOf(key);
      if (field === 1 && wire === WIRE_VARINT) {
        tensor.dtype = reader.varint();
        continue;
      }
      if (field === 2) {
        const from = lengthDelimited(reader, wire);
        this.decodeShape(from, reader.pos);
        continue;
      }
      if (field === 4) {
        contentStart = lengthDelimited(reader, wire);
        contentEnd = reader.pos;
        continue;
      }
      // float_val 5, double_val 6, int_val 7 (int32/16/8, uint8/16), int64_val 10, bool_val 11,
      // half_val 13 (float16/bfloat16 bits), uint32_val 16, uint64_val 17: packed or not.
      const elementWire = field === 5 ? WIRE_FIXED32 : field === 6 ? WIRE_FIXED64 : WIRE_VARINT;
      const numericField = field === 5 || field === 6 || field === 7 || field === 10 || field === 11 || field === 13 || field === 16 || field === 17;
      if (!numericField || (wire !== WIRE_LENGTH && wire !== elementWire)) {
        reader.skip(wire);
        continue;
      }
      if (wire === WIRE_LENGTH) {
        const from = lengthDelimited(reader, wire);
        const valuesEnd = reader.pos;
        reader.pos = from;
        while (reader.pos < valuesEnd) {
          const element = this.element(reader, field);
          if (valueCount++ === 0) first = element;
        }
        if (reader.pos !== valuesEnd) throw new ProtobufError('packed field overruns its length');
      } else {
        const element = this.element(reader, field);
        if (valueCount++ === 0) first = element;
      }
    }
    const width = BYTES_PER_ELEMENT[tensor.dtype];
    if (width === undefined || tensor.elements !== 1) return tensor;
    if (contentStart >= 0) {
      if (contentEnd - contentStart < width) return tensor;
      tensor.value = readRaw(buf, contentStart, tensor.dtype);
    } else {
      // proto3 elides default values: a tensor without any holds its dtype's zero.
      tensor.value = valueCount >= 1 ? first : 0;
    }
    tensor.numeric = true;
    return tensor;
  }

  private element(reader: ProtoReader, field: number): number {
    if (field === 5) return reader.float();
    if (field === 6) return reader.double();
    if (field === 7 || field === 10) return reader.int64();
    if (field === 13) {
      const bits = reader.varint();
      return this.tensor.dtype === DTYPE.bfloat16 ? bfloat16ToNumber(bits) : halfToNumber(bits);
    }
    return reader.varint();
  }

  private decodeShape(start: number, end: number): void {
    const reader = this.reader(SHAPE, start, end);
    let rank = 0;
    let elements = 1;
    while (reader.pos < end) {
      const key = reader.varint();
      const wire = key & 7;
      const field = fieldOf(key);
      if (field === 2 && wire === WIRE_LENGTH) {
        const from = lengthDelimited(reader, wire);
        const dim = this.reader(DIM, from, reader.pos);
        let size = 0;
        while (dim.pos < dim.end) {
          const dimKey = dim.varint();
          if (fieldOf(dimKey) === 1 && (dimKey & 7) === WIRE_VARINT) size = dim.int64();
          else dim.skip(dimKey & 7);
        }
        rank++;
        elements *= size;
      } else if (field === 3 && wire === WIRE_VARINT) {
        if (reader.varint() !== 0) rank = -1;
      } else reader.skip(wire);
    }
    this.tensor.rank = rank;
    this.tensor.elements = rank < 0 ? Number.NaN : elements;
  }
}

const BYTES_PER_ELEMENT: Partial<Record<number, number>> = {
  [DTYPE.float]: 4,
  [DTYPE.double]: 8,
  [DTYPE.int32]: 4,
  [DTYPE.uint8]: 1,
  [DTYPE.int16]: 2,
  [DTYPE.int8]: 1,
  [DTYPE.int64]: 8,
  [DTYPE.bool]: 1,
  [DTYPE.bfloat16]: 2,
  [DTYPE.uint16]: 2,
  [DTYPE.half]: 2,
  [DTYPE.uint32]: 4,
  [DTYPE.uint64]: 8,
};

function readRaw(buf: Buffer, at: number, dtype: number): number {
  switch (dtype) {
    case DTYPE.float:
      return buf.readFloatLE(at);
    case DTYPE.double:
      return buf.readDoubleLE(at);
    case DTYPE.int32:
      return buf.readInt32LE(at);
    case DTYPE.uint8:
    case DTYPE.bool:
      return buf[at]!;
    case DTYPE.int16:
      return buf.readInt16LE(at);
    case DTYPE.int8:
      return buf.readInt8(at);
    case DTYPE.int64:
      return Number(buf.readBigInt64LE(at));
    case DTYPE.uint16:
      return buf.readUInt16LE(at);
    case DTYPE.uint32:
      return buf.readUInt32LE(at);
    case DTYPE.uint64:
      return Number(buf.readBigUInt64LE(at));
    case DTYPE.half:
      return halfToNumber(buf.readUInt16LE(at));
    case DTYPE.bfloat16:
      return bfloat16ToNumber(buf.readUInt16LE(at));
    default:
      return Number.NaN;
  }
}

function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : Number.NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const BFLOAT = new DataView(new ArrayBuffer(4));
function bfloat16ToNumber(bits: number): number {
  BFLOAT.setUint32(0, (bits & 0xffff) << 16);
  return BFLOAT.getFloat32(0);
}

/**
 * The hyperparameters of an hparams-plugin `session_start_info` (HParamsPluginData field 3,
 * SessionStartInfo.hparams: map<string, google.protobuf.Value>), or undefined when the
 * content holds no session start (the experiment and session end summaries).
 */
export function decodeHParamsSessionStart(buf: Buffer, start: number, end: number): Record<string, HValue> | undefined {
  const reader = new ProtoReader(buf, start, end);
  let hparams: Record<string, HValue> | undefined;
  while (reader.pos < end) {
    const key = reader.varint();
    const wire = key & 7;
    if (fieldOf(key) === 3 && wire === WIRE_LENGTH) {
      const from = lengthDelimited(reader, wire);
      const session = new ProtoReader(buf, from, reader.pos);
      hparams ??= {};
      while (session.pos < session.end) {
        const sessionKey = session.varint();
        const sessionWire = sessionKey & 7;
        if (fieldOf(sessionKey) === 1 && sessionWire === WIRE_LENGTH) {
          const entryStart = lengthDelimited(session, sessionWire);
          const [name, value] = decodeMapEntry(buf, entryStart, session.pos);
          hparams[name] = value;
        } else session.skip(sessionWire);
      }
    } else reader.skip(wire);
  }
  return hparams;
}

function decodeMapEntry(buf: Buffer, start: number, end: number): [string, HValue] {
  const reader = new ProtoReader(buf, start, end);
  let name = '';
  let value: HValue = null;
  while (reader.pos < end) {
    const key = reader.varint();
    const wire = key & 7;
    const field = fieldOf(key);
    if (field === 1 && wire === WIRE_LENGTH) {
      const from = lengthDelimited(reader, wire);
      name = textOf(buf, from, reader.pos);
    } else if (field === 2 && wire === WIRE_LENGTH) {
      const from = lengthDelimited(reader, wire);
      value = decodeProtobufValue(buf, from, reader.pos);
    } else reader.skip(wire);
  }
  return [name, value];
}

/** google.protobuf.Value (struct.proto) as plain data. */
function decodeProtobufValue(buf: Buffer, start: number, end: number): HValue {
  const reader = new ProtoReader(buf, start, end);
  let value: HValue = null;
  while (reader.pos < end) {
    const key = reader.varint();
    const wire = key & 7;
    switch (fieldOf(key)) {
      case 1:
        reader.skip(wire);
        value = null;
        break;
      case 2:
        if (wire !== WIRE_FIXED64) throw new ProtobufError(`number_value with wire type ${wire}`);
        value = reader.double();
        break;
      case 3: {
        const from = lengthDelimited(reader, wire);
        value = textOf(buf, from, reader.pos);
        break;
      }
      case 4:
        value = reader.varint() !== 0;
        break;
      case 5: {
        // Struct { map<string, Value> fields = 1; }
        const from = lengthDelimited(reader, wire);
        const struct: Record<string, HValue> = {};
        const fields = new ProtoReader(buf, from, reader.pos);
        while (fields.pos < fields.end) {
          const fieldKey = fields.varint();
          if (fieldOf(fieldKey) === 1 && (fieldKey & 7) === WIRE_LENGTH) {
            const entryStart = lengthDelimited(fields, WIRE_LENGTH);
            const [name, entry] = decodeMapEntry(buf, entryStart, fields.pos);
            struct[name] = entry;
          } else fields.skip(fieldKey & 7);
        }
        value = struct;
        break;
      }
      case 6: {
        // ListValue { repeated Value values = 1; }
        const from = lengthDelimited(reader, wire);
        const list: HValue[] = [];
        const items = new ProtoReader(buf, from, reader.pos);
        while (items.pos < items.end) {
          const itemKey = items.varint();
          if (fieldOf(itemKey) === 1 && (itemKey & 7) === WIRE_LENGTH) {
            const itemStart = lengthDelimited(items, WIRE_LENGTH);
            list.push(decodeProtobufValue(buf, itemStart, items.pos));
          } else items.skip(itemKey & 7);
        }
        value = list;
        break;
      }
      default:
        reader.skip(wire);
    }
  }
  return value;
}
