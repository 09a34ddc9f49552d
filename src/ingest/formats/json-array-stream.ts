/**
 * Streams one big array out of a JSON document: `{"a": 1, "log_history": [{…}, {…}, …]}`.
 *
 * Logs like Hugging Face's trainer_state.json are one object whose bulk is a single list of
 * small records. Parsing the whole document at once holds the text and the full object tree
 * in memory together (and cannot go past V8's ~512 MB string limit); this scanner reads the
 * file in chunks, hands each element of the named top-level array to a callback as soon as
 * it is complete, and parses the rest of the document (with the array emptied) at the end.
 *
 * Only structural ASCII bytes are inspected, so UTF-8 text passes through untouched; each
 * element and the rest are parsed with `parseJsonLenient` semantics (NaN / Infinity
 * literals accepted). A document cut off inside an element loses only that element.
 */
import { createReadStream } from 'node:fs';
import { parseJsonLenient, type LenientJson } from './json.js';

export interface ArrayFieldScan {
  /** The document without the array's elements (`"field": []`), parsed leniently. */
  rest: unknown;
  /** Whether the named field was found as a top-level array. */
  found: boolean;
  /** Complete elements handed to the callback. */
  elements: number;
  nonStandardNumbers: number;
  /** The first damage, with its byte offset in the file. */
  damage?: { kind: 'truncated' | 'invalid'; offset: number; reason: string };
  bytes: number;
}

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_OBJECT = 123;
const CLOSE_OBJECT = 125;
const OPEN_ARRAY = 91;
const CLOSE_ARRAY = 93;
const COMMA = 44;

type Sink = 'rest' | 'element' | 'between';

/** Whitespace and commas between elements carry nothing; only scalar elements need keeping. */
function onlySeparators(chunk: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const byte = chunk[i]!;
    if (byte !== 32 && byte !== 10 && byte !== 13 && byte !== 9 && byte !== COMMA) return false;
  }
  return true;
}

export async function scanJsonArrayField(
  filePath: string,
  field: string,
  onElement: (value: unknown, index: number) => void,
  options: { onProgress?: (bytesDone: number) => void; chunkBytes?: number } = {},
): Promise<ArrayFieldScan> {
  const keyPattern = new RegExp(`"${field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\s*:\\s*$`);
  const restParts: Buffer[] = [];
  let restLength = 0;
  /** Where the rest resumes after the array: rest offset → bytes of the file left out before it. */
  const omitted: { restOffset: number; skipped: number }[] = [];
  let elementParts: Buffer[] = [];
  let betweenParts: Buffer[] = [];
  let sink: Sink = 'rest';
  let found = false;
  let inString = false;
  let escaped = false;
  let depth = 0;
  let arrayDepth = -1;
  let elements = 0;
  let nonStandard = 0;
  let damage: ArrayFieldScan['damage'];
  let position = 0;
  let elementStart = 0;

  const pushRest = (part: Buffer) => {
    if (part.length === 0) return;
    restParts.push(part);
    restLength += part.length;
  };
  const restTail = (): string => {
    const tail: Buffer[] = [];
    let length = 0;
    for (let k = restParts.length - 1; k >= 0 && length < 256; k--) {
      tail.unshift(restParts[k]!);
      length += restParts[k]!.length;
    }
    return Buffer.concat(tail).toString('utf8');
  };
  const parseOne = (text: string, at: number) => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      const lenient: LenientJson = parseJsonLenient(text);
      nonStandard += lenient.nonStandardNumbers;
      if (lenient.damage) {
        damage ??= { kind: 'invalid', offset: at + lenient.damage.offset, reason: lenient.damage.reason };
        return;
      }
      value = lenient.value;
    }
    onElement(value, elements++);
  };
  // Elements are parsed in batches of about 1 MB with one native JSON.parse call (a call per
  // small element costs more than the parse); a batch that fails is redone one by one.
  let pending: string[] = [];
  let pendingStarts: number[] = [];
  let pendingLength = 0;
  const flushPending = () => {
    if (pending.length === 0) return;
    const texts = pending;
    const starts = pendingStarts;
    pending = [];
    pendingStarts = [];
    pendingLength = 0;
    let values: unknown[] | undefined;
    try {
      values = JSON.parse(`[${texts.join(',')}]`) as unknown[];
    } catch {
      values = undefined;
    }
    if (values) for (const value of values) onElement(value, elements++);
    else for (let k = 0; k < texts.length; k++) parseOne(texts[k]!, starts[k]!);
  };
  const deliver = (text: string, at: number) => {
    pending.push(text);
    pendingStarts.push(at);
    pendingLength += text.length;
    if (pendingLength >= 1 << 20) flushPending();
  };
  /** A scalar element (not an object or array) sits between commas. */
  const flushBetween = () => {
    if (betweenParts.length === 0) return;
    const text = Buffer.concat(betweenParts).toString('utf8').replace(/^[\s,]+|[\s,]+$/g, '');
    betweenParts = [];
    if (text !== '') deliver(text, position);
  };

  const stream = createReadStream(filePath, { highWaterMark: options.chunkBytes ?? 1 << 20 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let segmentStart = 0;
    /** Index in this chunk where the open element began, or -1 when it began in an earlier chunk. */
    let elementIndex = -1;
    const emit = (end: number) => {
      if (sink === 'rest') pushRest(chunk.subarray(segmentStart, end));
      else if (sink === 'element') {
        if (elementIndex < 0) elementParts.push(chunk.subarray(segmentStart, end));
      } else if (inString || !onlySeparators(chunk, segmentStart, end)) betweenParts.push(chunk.subarray(segmentStart, end));
      segmentStart = end;
    };
    // Hot state lives in locals for the byte loop and is written back on the rare events
    // (a structural byte at the array's level) that call the helpers above.
    let str: boolean = inString;
    let esc: boolean = escaped;
    let d: number = depth;
    const length = chunk.length;
    for (let i = 0; i < length; i++) {
      let byte = chunk[i]!;
      if (str) {
        // Skip the string's body in a tight loop: most bytes of a log are keys and text.
        if (esc) {
          esc = false;
          continue;
        }
        while (byte !== QUOTE && byte !== BACKSLASH && ++i < length) byte = chunk[i]!;
        if (i >= length) break;
        if (byte === BACKSLASH) esc = true;
        else str = false;
        continue;
      }
      if (byte === QUOTE) {
        str = true;
      } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
        if (sink === 'rest' && d === 1 && byte === OPEN_ARRAY && !found) {
          emit(i);
          if (keyPattern.test(restTail())) {
            emit(i + 1);
            found = true;
            arrayDepth = d + 1;
            sink = 'between';
          }
          d++;
          continue;
        }
        d++;
        if (sink === 'between' && d === arrayDepth + 1) {
          emit(i);
          flushBetween();
          sink = 'element';
          elementStart = position + i;
          elementIndex = i;
        }
      } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
        if (sink === 'between' && d === arrayDepth && byte === CLOSE_ARRAY) {
          emit(i);
          flushBetween();
          sink = 'rest';
          omitted.push({ restOffset: restLength, skipped: position + i - restLength });
          d--;
          continue;
        }
        if (d > 0) d--;
        if (sink === 'element' && d === arrayDepth) {
          if (elementIndex >= 0) {
            // The common case: the whole element is in this chunk, decoded without copies.
            deliver(chunk.toString('utf8', elementIndex, i + 1), elementStart);
            segmentStart = i + 1;
          } else {
            emit(i + 1);
            deliver(Buffer.concat(elementParts).toString('utf8'), elementStart);
            elementParts = [];
          }
          elementIndex = -1;
          sink = 'between';
        }
      } else if (byte === COMMA && sink === 'between' && d === arrayDepth) {
        emit(i);
        flushBetween();
      }
    }
    inString = str;
    escaped = esc;
    depth = d;
    if (sink === 'element' && elementIndex >= 0) {
      // The element goes on in the next chunk: keep what this one holds of it.
      segmentStart = elementIndex;
      elementIndex = -1;
    }
    emit(length);
    position += length;
    options.onProgress?.(position);
  }

  if (sink === 'between') flushBetween();
  flushPending();
  const restText = Buffer.concat(restParts).toString('utf8');
  const parsed = restText.trim() === '' ? { value: undefined, nonStandardNumbers: 0 } : parseJsonLenient(restText);
  nonStandard += parsed.nonStandardNumbers;
  const restDamage = (parsed as LenientJson).damage;
  if (sink !== 'rest' || (restDamage && restDamage.kind === 'truncated')) {
    // The file ended inside the array (an element may have been cut) or inside the document.
    damage = { kind: 'truncated', offset: position, reason: 'unexpected end of input' };
  } else if (restDamage && !damage) {
    let skipped = 0;
    for (const o of omitted) if (o.restOffset <= restDamage.offset) skipped = o.skipped;
    damage = { kind: 'invalid', offset: restDamage.offset + skipped, reason: restDamage.reason };
  }
  const scan: ArrayFieldScan = { rest: parsed.value, found, elements, nonStandardNumbers: nonStandard, bytes: position };
  if (damage) scan.damage = damage;
  return scan;
}
