import { describe, expect, it } from 'vitest';
import { normalizedTokens, PairTable, RollingNgram, tokenHashes, Tokenizer } from '../../src/stats/ngrams.js';

// Produced with Debian's python3, the normalization of lm-evaluation-harness's Janitor:
//   t = str.maketrans(string.ascii_lowercase + string.ascii_uppercase, string.ascii_lowercase * 2, string.punctuation)
//   s.translate(t).split()
const TRICKY = "Don't STOP\u2014believing!  \u00c9\u00a0caf\u00e9\u3000x\u001cy \u0085z; (a-b) ... \u2009q \u200br";
const TRICKY_TOKENS = ['dont', 'stop\u2014believing', '\u00c9', 'caf\u00e9', 'x', 'y', 'z', 'ab', 'q', '\u200br'];

const hashesOf = (text: string) => {
  const { a, b } = tokenHashes(text);
  return [...a].map((x, i) => `${x}:${b[i]}`);
};

describe('lm-eval normalization', () => {
  it('lowercases ASCII, deletes ASCII punctuation and splits on Python whitespace, as the Janitor does', () => {
    expect(normalizedTokens(TRICKY)).toEqual(TRICKY_TOKENS);
  });

  it('gives equal token hashes exactly when the normalized tokens are equal', () => {
    const fromTricky = hashesOf(TRICKY);
    expect(fromTricky).toHaveLength(TRICKY_TOKENS.length);
    expect(fromTricky).toEqual(hashesOf(TRICKY_TOKENS.join(' ')));
    expect(hashesOf('Hello, WORLD!')).toEqual(hashesOf('hello world'));
    expect(hashesOf('hello world')).not.toEqual(hashesOf('hello worlds'));
    // non-ASCII letters are not case-folded (as in lm-eval)
    expect(hashesOf('\u00c9t\u00e9')).not.toEqual(hashesOf('\u00e9t\u00e9'));
    expect(new Set(hashesOf('a b c d e f g h')).size).toBe(8);
  });

  it('tokenizes the same whether a record is fed whole or in pieces cut at character boundaries', () => {
    const bytes = Buffer.from(TRICKY.repeat(3), 'utf8');
    const whole = tokenHashes(bytes);
    const boundaries = [...bytes.keys()].filter((i) => (bytes[i]! & 0xc0) !== 0x80);
    for (let step = 1; step <= 7; step++) {
      const tokenizer = new Tokenizer();
      const cuts = boundaries.filter((_, k) => k % step === 0);
      let start = 0;
      for (const cut of [...cuts, bytes.length]) {
        tokenizer.feed(bytes, start, cut);
        start = cut;
      }
      tokenizer.endRecord();
      expect([...tokenizer.tokensA.slice(0, tokenizer.count)]).toEqual([...whole.a]);
      expect([...tokenizer.tokensB.slice(0, tokenizer.count)]).toEqual([...whole.b]);
    }
  });
});

describe('RollingNgram', () => {
  it('hashes a window the same wherever it occurs, and differently when one token differs', () => {
    const windowHashes = (text: string, n: number) => {
      const { a, b } = tokenHashes(text);
      const rolling = new RollingNgram(n);
      const out: string[] = [];
      for (let i = 0; i < a.length; i++) if (rolling.push(a[i]!, b[i]!)) out.push(`${rolling.hashA}:${rolling.hashB}`);
      return out;
    };
    const target = windowHashes('one two three four five', 5);
    expect(target).toHaveLength(1);
    const inLonger = windowHashes('x y z one two three four five q r', 5);
    expect(inLonger).toHaveLength(6);
    expect(inLonger[3]).toBe(target[0]);
    expect(inLonger.filter((h) => h === target[0])).toHaveLength(1);
    expect(windowHashes('one two three four fives', 5)[0]).not.toBe(target[0]);
    expect(windowHashes('two one three four five', 5)[0]).not.toBe(target[0]);
  });
});

describe('PairTable', () => {
  it('keeps dense ids through growth and finds every key it holds and none it does not', () => {
    const table = new PairTable(4);
    const ids: number[] = [];
    for (let i = 0; i < 5000; i++) ids.push(table.add(i * 2654435761, i ^ 0x5bd1e995));
    expect(ids).toEqual([...Array(5000).keys()]);
    expect(table.add(7 * 2654435761, 7 ^ 0x5bd1e995)).toBe(7);
    for (let i = 0; i < 5000; i++) expect(table.find(i * 2654435761, i ^ 0x5bd1e995)).toBe(i);
    for (let i = 5000; i < 6000; i++) expect(table.find(i * 2654435761, i ^ 0x5bd1e995)).toBe(-1);
    expect(table.find(0, 0x5bd1e995)).toBe(0);
    expect(table.find(0, 0)).toBe(-1);
  });
});
