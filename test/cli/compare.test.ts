import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError as oneLineError, ladder } from '../support/cli.js';
import { HAS_CORPUS, REPO, corpusPath } from '../support/corpus.js';

interface CompareJson {
  schema: string;
  n: number;
  a: { value: number; ci: [number, number] };
  b: { value: number; ci: [number, number] };
  difference: { value: number; ci: [number, number]; pValue: number; test: string };
  mde: number;
  significant: boolean;
  metric: string;
  pairedBy: string;
  excluded: number;
  seed: number;
}

function compareJson(args: string[]): CompareJson {
  const result = ladder(['compare', ...args, '--json']);
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as CompareJson;
}

/** A refusal of `ladder compare args`: one line, exit 2, nothing on stdout. */
function expectOneLineError(args: string[], ...mentions: string[]): string {
  const result = oneLineError(['compare', ...args], ...mentions);
  expect(result.stdout).toBe('');
  return result.stderr;
}

let dir: string;
const file = (name: string) => path.join(dir, name);
const jsonl = (records: object[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** 0/1 outcomes with the four agreement cells, as ids 0…n−1. */
function cells(bothRight: number, onlyA: number, onlyB: number, bothWrong: number): { a: number[]; b: number[] } {
  const a: number[] = [];
  const b: number[] = [];
  for (const [count, x, y] of [[bothRight, 1, 1], [onlyA, 1, 0], [onlyB, 0, 1], [bothWrong, 0, 0]] as const) {
    for (let i = 0; i < count; i++) {
      a.push(x);
      b.push(y);
    }
  }
  return { a, b };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ladder-compare-'));
  // 200 items: 120 both right, 30 only A, 10 only B, 40 both wrong; B's lines in reverse
  // order with boolean outcomes, so pairing must go by id.
  const first = cells(120, 30, 10, 40);
  writeFileSync(file('a.jsonl'), jsonl(first.a.map((correct, id) => ({ id: `q${id}`, correct }))));
  writeFileSync(file('b.jsonl'), jsonl(first.b.map((correct, id) => ({ id: `q${id}`, correct: correct === 1 })).reverse()));
  // Same ids but one replaced: different item sets.
  writeFileSync(file('b-other-items.jsonl'), jsonl(first.b.map((correct, id) => ({ id: id === 7 ? 'q999' : `q${id}`, correct }))));
  // 60 items as label/pred without ids: A right on 45, B on 33, 16 only A, 4 only B.
  const second = cells(29, 16, 4, 11);
  writeFileSync(file('lp-a.jsonl'), jsonl(second.a.map((right, i) => ({ label: i % 3, pred: right ? i % 3 : (i + 1) % 3 }))));
  writeFileSync(file('lp-b.jsonl'), jsonl(second.b.map((right, i) => ({ label: i % 3, pred: right ? i % 3 : (i + 2) % 3 }))));
  writeFileSync(file('lp-short.jsonl'), jsonl(second.b.slice(0, 59).map((right, i) => ({ label: i % 3, pred: right ? i % 3 : 0 }))));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ladder compare on generated files with a known answer', () => {
  it('0/1 JSONL paired by id: Wilson intervals, exact McNemar, MDE', () => {
    const out = compareJson([file('a.jsonl'), file('b.jsonl')]);
    expect(out.schema).toBe('ladder.compare/v1');
    expect(out.n).toBe(200);
    expect(out.pairedBy).toBe('id');
    expect(out.seed).toBe(0);
    // References (scipy 1.10.1): Wilson closed form with norm.ppf(0.975); binomtest(10, 40).
    expect(out.a.value).toBe(0.75);
    expect(out.a.ci[0]).toBeCloseTo(0.6856590168795417, 12);
    expect(out.a.ci[1]).toBeCloseTo(0.8049183199318249, 12);
    expect(out.b.value).toBe(0.65);
    expect(out.b.ci[0]).toBeCloseTo(0.5816346433604008, 12);
    expect(out.b.ci[1]).toBeCloseTo(0.7127117587264192, 12);
    expect(out.difference.value).toBeCloseTo(0.1, 14);
    expect(out.difference.test).toBe('mcnemar-exact');
    expect(out.difference.pValue).toBeCloseTo(0.0022214337732293643, 12);
    expect(out.difference.ci[0]).toBeGreaterThan(0);
    expect(out.difference.ci[1]).toBeGreaterThan(0.1);
    // (z_0.975 + z_0.8)·√(40/200)/√200
    expect(out.mde).toBeCloseTo(0.08859390348296596, 12);
    expect(out.significant).toBe(true);
  });

  it('label/pred JSONL without ids is paired by position', () => {
    const out = compareJson([file('lp-a.jsonl'), file('lp-b.jsonl')]);
    expect(out.pairedBy).toBe('position');
    expect(out.n).toBe(60);
    expect(out.a.value).toBe(0.75);
    expect(out.b.value).toBe(0.55);
    expect(out.a.ci[0]).toBeCloseTo(0.6276792992295218, 12);
    expect(out.b.ci[1]).toBeCloseTo(0.6690634559324476, 12);
    expect(out.difference.pValue).toBeCloseTo(0.01181793212890625, 12); // binomtest(4, 20)
  });

  it('the same file against itself: no difference, p = 1, not significant', () => {
    const out = compareJson([file('a.jsonl'), file('a.jsonl')]);
    expect(out.difference.value).toBe(0);
    expect(out.difference.pValue).toBe(1);
    expect(out.difference.ci).toEqual([0, 0]);
    expect(out.significant).toBe(false);
  });

  it('.npy folders: a continuous metric uses the bootstrap; the seed makes it reproducible', () => {
    const a = path.join(REPO, 'test/fixtures/compare/system-a');
    const b = path.join(REPO, 'test/fixtures/compare/system-b');
    const out = compareJson([a, b, '--metric', 'bleu', '--seed', '3']);
    expect(out.pairedBy).toBe('position');
    expect(out.metric).toBe('bleu');
    // generate.py prints mean bleu A 0.556254, B 0.35354, difference 0.202714.
    expect(out.a.value).toBeCloseTo(0.556254, 12);
    expect(out.b.value).toBeCloseTo(0.35354, 12);
    expect(out.difference.value).toBeCloseTo(0.202714, 12);
    expect(out.difference.test).toBe('paired-bootstrap');
    expect(out.difference.pValue).toBe(1 / 10_001);
    expect(out.a.ci[0]).toBeLessThan(out.a.value);
    expect(out.a.ci[1]).toBeGreaterThan(out.a.value);
    expect(out.significant).toBe(true);
    expect(out.seed).toBe(3);
    expect(compareJson([a, b, '--metric', 'bleu', '--seed', '3'])).toEqual(out);
    expect(compareJson([a, b, '--metric', 'bleu', '--seed', '4']).a.ci).not.toEqual(out.a.ci);
    // The 0/1 column of the same folders: identical accuracies (0.72).
    const correct = compareJson([a, b]);
    expect(correct.a.value).toBe(0.72);
    expect(correct.difference.pValue).toBe(1);
  });

  it('prints a human summary', () => {
    const result = ladder(['compare', file('a.jsonl'), file('b.jsonl')]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('on 200 paired items');
    expect(result.stdout).toContain('exact McNemar; 30 item(s) only A got right, 10 only B');
    expect(result.stdout).toContain('The difference is significant');
    expect(result.stdout).toContain('seed 0');
  });
});

describe('ladder compare refuses bad input with one line and exit 2', () => {
  it('different item sets', () => {
    expectOneLineError([file('a.jsonl'), file('b-other-items.jsonl')], 'different items', 'a.jsonl', 'b-other-items.jsonl', 'q7', 'q999');
  });

  it('different counts without ids', () => {
    expectOneLineError([file('lp-a.jsonl'), file('lp-short.jsonl')], '60 in', '59 in', 'lp-a.jsonl', 'lp-short.jsonl');
  });

  it('a missing file', () => {
    expectOneLineError([file('a.jsonl'), file('nope.jsonl')], 'nope.jsonl');
  });

  it('an unknown metric names the available ones', () => {
    expectOneLineError([file('a.jsonl'), file('b.jsonl'), '--metric', 'bleu'], "'bleu'", 'available: correct');
  });

  it('a wrong number of paths', () => {
    expectOneLineError([file('a.jsonl')], 'exactly two paths');
  });
});

describe.skipIf(!HAS_CORPUS)('ladder compare on real lm-eval samples', () => {
  const data = corpusPath('real-logs/lm-eval/DanielKluev__pyFade/tests/data');
  const early = path.join(data, 'samples_gsm8k_2025-09-09T13-31-53.431753.jsonl');
  const late = path.join(data, 'samples_gsm8k_2025-09-09T13-42-42.857006.jsonl');

  /** exact_match by doc_id, read with plain JSON.parse (independent of ladder's reader). */
  function exactMatch(file: string): Map<number, number> {
    const byId = new Map<number, number>();
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const record = JSON.parse(line) as { doc_id: number; exact_match: number };
      byId.set(record.doc_id, record.exact_match);
    }
    return byId;
  }

  it('compares the two gsm8k runs item by item', () => {
    const a = exactMatch(early);
    const b = exactMatch(late);
    const mean = (m: Map<number, number>) => [...m.values()].reduce((s, x) => s + x, 0) / m.size;
    let onlyA = 0;
    let onlyB = 0;
    for (const [id, x] of a) {
      if (x === 1 && b.get(id) === 0) onlyA++;
      if (x === 0 && b.get(id) === 1) onlyB++;
    }
    const out = compareJson([early, late]);
    expect(out.n).toBe(a.size);
    expect(out.pairedBy).toBe('id');
    expect(out.a.value).toBeCloseTo(mean(a), 14);
    expect(out.b.value).toBeCloseTo(mean(b), 14);
    expect(out.difference.value).toBeCloseTo(mean(a) - mean(b), 14);
    expect(out.difference.test).toBe('mcnemar-exact');
    // Three items, one discordant pair (onlyA 0, onlyB 1): p = 2·P(X ≤ 0 | 1, ½) = 1.
    expect([onlyA, onlyB]).toEqual([0, 1]);
    expect(out.difference.pValue).toBeCloseTo(1, 12);
    expect(out.significant).toBe(false);
    // Wilson for 1/3 and 2/3 (scipy closed form as above).
    expect(out.a.ci[0]).toBeCloseTo(0.06149194472039615, 12);
    expect(out.b.ci[1]).toBeCloseTo(0.9385080552796037, 12);
    const text = ladder(['compare', early, late]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('not significant');
  });

  it('a folder holding several runs is refused with their ids', () => {
    expectOneLineError([path.join(data, 'eval_mmlu_pro_plus'), late], 'holds 2 runs', 'pass one run');
  });
});
