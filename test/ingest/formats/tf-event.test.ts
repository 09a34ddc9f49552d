import { describe, expect, it } from 'vitest';
import { decodeHParamsSessionStart, DTYPE, EventDecoder } from '../../../src/ingest/formats/tf-event.js';
import { ProtobufError } from '../../../src/ingest/formats/protobuf.js';
import { doubleField, encodeEvent, floatField, lengthField, varintField } from '../../support/tfevents-writer.js';

function tensorProto(dtype: number, shape: number[], ...values: Buffer[]): Buffer {
  const dims = Buffer.concat(shape.map((size) => lengthField(2, varintField(1, size))));
  return Buffer.concat([varintField(1, dtype), lengthField(2, dims), ...values]);
}

/** An Event at `step` with one tensor value under the "scalars" plugin. */
function tensorEvent(step: number, tensor: Buffer): Buffer {
  const metadata = lengthField(9, lengthField(1, lengthField(1, 'scalars')));
  const value = Buffer.concat([lengthField(1, 'x'), metadata, lengthField(8, tensor)]);
  return Buffer.concat([doubleField(1, 1.5), varintField(2, step), lengthField(5, lengthField(1, value))]);
}

function decodeFirstTensor(event: Buffer) {
  const decoder = new EventDecoder();
  decoder.decodeEvent(event, 0, event.length);
  let result: { value: number; numeric: boolean; elements: number; dtype: number; rank: number } | undefined;
  decoder.forEachSummaryValue(() => {
    const t = decoder.decodeTensor();
    result = { value: t.value, numeric: t.numeric, elements: t.elements, dtype: t.dtype, rank: t.rank };
  });
  return result!;
}

const le = (write: (b: Buffer) => void, bytes: number) => {
  const b = Buffer.alloc(bytes);
  write(b);
  return b;
};

describe('EventDecoder', () => {
  it('decodes wall time, a negative step and the file version', () => {
    const decoder = new EventDecoder();
    const first = encodeEvent(1700000000.25, 0, [], 'brain.Event:2');
    expect(decoder.decodeEvent(first, 0, first.length)).toMatchObject({ wallTime: 1700000000.25, step: 0, fileVersion: 'brain.Event:2' });
    const negative = encodeEvent(1, -5, [{ tag: 'loss', simple: 0.5 }]);
    expect(decoder.decodeEvent(negative, 0, negative.length)).toMatchObject({ step: -5, fileVersion: undefined });
  });

  it.each([
    ['float_val', tensorProto(DTYPE.float, [], floatField(5, 0.25)), 0.25],
    ['packed double_val', tensorProto(DTYPE.double, [], lengthField(6, le((b) => b.writeDoubleLE(-2.5), 8))), -2.5],
    ['int_val', tensorProto(DTYPE.int32, [], varintField(7, -7)), -7],
    ['int64_val', tensorProto(DTYPE.int64, [], varintField(10, -(2 ** 40))), -(2 ** 40)],
    ['half_val', tensorProto(DTYPE.half, [], varintField(13, 0x3c00)), 1],
    ['bfloat16 tensor_content', tensorProto(DTYPE.bfloat16, [], lengthField(4, le((b) => b.writeUInt16LE(0x4049), 2))), 3.140625],
    ['double tensor_content', tensorProto(DTYPE.double, [], lengthField(4, le((b) => b.writeDoubleLE(Math.PI), 8))), Math.PI],
    ['int64 tensor_content', tensorProto(DTYPE.int64, [], lengthField(4, le((b) => b.writeBigInt64LE(-3n), 8))), -3],
    ['bool_val', tensorProto(DTYPE.bool, [], varintField(11, 1)), 1],
    ['shape [1, 1]', tensorProto(DTYPE.float, [1, 1], floatField(5, 4)), 4],
    ['no values (proto3 default zero)', tensorProto(DTYPE.float, []), 0],
  ])('reads a one-element %s tensor', (_name, tensor, expected) => {
    expect(decodeFirstTensor(tensorEvent(3, tensor))).toMatchObject({ value: expected, numeric: true, elements: 1 });
  });

  it('does not read a vector or a string tensor as a number', () => {
    const vector = tensorProto(DTYPE.float, [3], lengthField(5, Buffer.alloc(12)));
    expect(decodeFirstTensor(tensorEvent(0, vector))).toMatchObject({ numeric: false, rank: 1, elements: 3 });
    const text = tensorProto(DTYPE.string, [], lengthField(8, 'hello'));
    expect(decodeFirstTensor(tensorEvent(0, text))).toMatchObject({ numeric: false, dtype: DTYPE.string });
  });

  it('takes the tag from node_name when an old TF value has no tag', () => {
    const value = Buffer.concat([lengthField(7, 'old/node'), floatField(2, 1.5)]);
    const event = Buffer.concat([varintField(2, 1), lengthField(5, lengthField(1, value))]);
    const decoder = new EventDecoder();
    decoder.decodeEvent(event, 0, event.length);
    const seen: [string, string, number][] = [];
    decoder.forEachSummaryValue((v) => seen.push([v.tag, v.kind, v.simpleValue]));
    expect(seen).toEqual([['old/node', 'simple', 1.5]]);
  });

  it('throws ProtobufError on a payload that is not an Event', () => {
    const decoder = new EventDecoder();
    expect(() => decoder.decodeEvent(Buffer.from([0x0b, 1, 2]), 0, 3)).toThrow(ProtobufError);
    expect(() => decoder.decodeEvent(Buffer.from([0x2a, 0x10, 1]), 0, 3)).toThrow(ProtobufError);
  });
});

describe('decodeHParamsSessionStart', () => {
  it('reads google.protobuf.Value numbers, strings, bools, lists and structs', () => {
    const entry = (key: string, value: Buffer) => lengthField(1, Buffer.concat([lengthField(1, key), lengthField(2, value)]));
    const list = lengthField(6, Buffer.concat([lengthField(1, doubleField(2, 1)), lengthField(1, lengthField(3, 'b'))]));
    const struct = lengthField(5, entry('inner', doubleField(2, 2)));
    const session = Buffer.concat([
      entry('lr', doubleField(2, 0.01)),
      entry('optimizer', lengthField(3, 'adam')),
      entry('nesterov', varintField(4, 1)),
      entry('none', varintField(1, 0)),
      entry('list', list),
      entry('nested', struct),
    ]);
    const content = Buffer.concat([varintField(1, 0), lengthField(3, session)]);
    expect(decodeHParamsSessionStart(content, 0, content.length)).toEqual({
      lr: 0.01,
      optimizer: 'adam',
      nesterov: true,
      none: null,
      list: [1, 'b'],
      nested: { inner: 2 },
    });
    const experimentOnly = lengthField(2, Buffer.alloc(0));
    expect(decodeHParamsSessionStart(experimentOnly, 0, experimentOnly.length)).toBeUndefined();
  });
});
