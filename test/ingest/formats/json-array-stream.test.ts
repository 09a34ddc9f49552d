/**
 * The streaming array scanner must give exactly what a whole-document parse gives, whatever
 * the chunk size, and locate damage in file bytes.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanJsonArrayField } from '../../../src/ingest/formats/json-array-stream.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ladder-jas-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

let counter = 0;
async function scan(text: string, chunkBytes?: number) {
  const file = path.join(tmp, `f${counter++}.json`);
  writeFileSync(file, text);
  const elements: unknown[] = [];
  const result = await scanJsonArrayField(file, 'log_history', (value) => elements.push(value), chunkBytes ? { chunkBytes } : {});
  return { ...result, elements };
}

describe('scanJsonArrayField', () => {
  const doc = {
    a: 'x "log_history": [ not this one',
    list: [1, [2, 3], { log_history: [9] }],
    log_history: [{ loss: 1, note: 'brace } and ] and \\" quote', step: 1 }, 42, 'text, with comma', [1, 2], { nested: { deep: [1] }, step: 2 }, 'é✓'],
    z: { b: 2 },
  };
  const text = JSON.stringify(doc, null, 2);

  it.each([undefined, 1, 2, 3, 7, 64])('gives the elements and the rest of a whole parse with %s-byte chunks', async (chunkBytes) => {
    const result = await scan(text, chunkBytes);
    expect(result.found).toBe(true);
    expect(result.elements).toEqual(doc.log_history);
    expect(result.rest).toEqual({ ...doc, log_history: [] });
    expect(result.damage).toBeUndefined();
    expect(result.bytes).toBe(Buffer.byteLength(text));
  });

  it('reads NaN and Infinity in elements and in the rest', async () => {
    const result = await scan('{"best": NaN, "log_history": [{"loss": Infinity}, {"loss": -Infinity, "g": NaN}]}', 5);
    expect(result.elements).toEqual([{ loss: Infinity }, { loss: -Infinity, g: Number.NaN }]);
    expect((result.rest as { best: number }).best).toBeNaN();
    expect(result.nonStandardNumbers).toBe(4);
  });

  it('drops only the element a truncation cut, and reports the end of the file', async () => {
    const full = '{"log_history": [{"step": 1}, {"step": 2}, {"step": 3}], "global_step": 3}';
    const cut = full.indexOf('{"step": 3') + 5;
    const result = await scan(full.slice(0, cut), 4);
    expect(result.elements).toEqual([{ step: 1 }, { step: 2 }]);
    expect(result.damage).toMatchObject({ kind: 'truncated', offset: cut });
    const afterList = await scan(full.slice(0, full.indexOf('"global_step"') + 5));
    expect(afterList.elements).toHaveLength(3);
    expect(afterList.damage).toMatchObject({ kind: 'truncated' });
  });

  it('locates invalid JSON in file bytes, in an element or after the list', async () => {
    const inElement = '{"log_history": [{"step": 1}, {"step": 2 oops}, {"step": 3}]}';
    const bad = await scan(inElement, 3);
    expect(bad.elements).toEqual([{ step: 1 }, { step: 3 }]);
    expect(bad.damage).toMatchObject({ kind: 'invalid', offset: inElement.indexOf('oops') });
    const afterList = '{"log_history": [{"step": 1}], "x": oops}';
    const after = await scan(afterList);
    expect(after.elements).toHaveLength(1);
    expect(after.damage).toMatchObject({ kind: 'invalid', offset: afterList.indexOf('oops') });
    const garbage = await scan('not json at all');
    expect(garbage.damage).toMatchObject({ kind: 'invalid', offset: 0 });
    expect(garbage.found).toBe(false);
  });

  it('says when the field is absent or not a list', async () => {
    expect((await scan('{"log_history": {"a": 1}}')).found).toBe(false);
    expect((await scan('{"other": [1]}')).found).toBe(false);
  });
});
