/**
 * Word n-grams of text, normalized as lm-evaluation-harness's decontamination does
 * (`lm_eval/decontamination/janitor.py`: ASCII letters lowercased, the ASCII punctuation of
 * Python's `string.punctuation` deleted, then `str.split()` on whitespace), hashed so that
 * a multi-gigabyte training corpus can be matched against the n-grams of an eval set
 * without ever holding the corpus: the eval side is hashed into a table first, the training
 * side is streamed through the same tokenizer and looked up token by token.
 *
 * The tokenizer works on UTF-8 bytes, not decoded strings. That is the same normalization
 * as lm-eval's on text (UTF-8 is injective, ASCII bytes never occur inside a multi-byte
 * character, and non-ASCII letters are left as they are there too), and it skips decoding
 * the corpus, which would cost more than the hashing. Whitespace is Python's `str.isspace`
 * set, multi-byte spaces (U+00A0, U+2000…U+200A, U+3000, …) included.
 *
 * Identity is a pair of independent 32-bit hashes (64 bits): with a million eval n-grams
 * and a billion training n-grams, the expected number of false matches is about
 * 10^6·10^9 / 2^64 ≈ 5·10^-5.
 */

const ASCII_KEEP = 0;
const ASCII_SPACE = 1;
const ASCII_DELETE = 2;
const ASCII_UPPER = 3;

const ASCII_CLASS = (() => {
  const table = new Uint8Array(128);
  for (const code of [9, 10, 11, 12, 13, 28, 29, 30, 31, 32]) table[code] = ASCII_SPACE;
  for (const ch of '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~') table[ch.charCodeAt(0)] = ASCII_DELETE;
  for (let code = 65; code <= 90; code++) table[code] = ASCII_UPPER;
  return table;
})();

/** MurmurHash3's 32-bit finalizer: a bijection that spreads every input bit over the output. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A shingle's 32-bit identity for MinHash from its n-gram hash pair. No finalizer: the
 * MinHash permutations mix it (fmix32 of an affine map), and the pair is already uniform.
 */
export function shingleOf(a: number, b: number): number {
  return (a ^ Math.imul(b, 0x9e3779b1)) >>> 0;
}

/**
 * Length in bytes of the Unicode whitespace character starting at `i` (Python's
 * `str.isspace` beyond ASCII: U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029,
 * U+202F, U+205F, U+3000), or 0.
 */
function unicodeSpaceLength(bytes: Uint8Array, i: number, end: number): number {
  const lead = bytes[i]!;
  if (lead === 0xc2) {
    if (i + 1 >= end) return 0;
    const next = bytes[i + 1]!;
    return next === 0x85 || next === 0xa0 ? 2 : 0;
  }
  if (i + 2 >= end) return 0;
  const second = bytes[i + 1]!;
  const third = bytes[i + 2]!;
  if (lead === 0xe1) return second === 0x9a && third === 0x80 ? 3 : 0;
  if (lead === 0xe3) return second === 0x80 && third === 0x80 ? 3 : 0;
  // lead 0xe2
  if (second === 0x80) return third <= 0x8a || third === 0xa8 || third === 0xa9 || third === 0xaf ? 3 : 0;
  if (second === 0x81) return third === 0x9f ? 3 : 0;
  return 0;
}

/**
 * Splits UTF-8 bytes into normalized tokens, each kept only as its two 32-bit hashes.
 * Feed a record in as many pieces as convenient (each piece must end on a character
 * boundary); completed tokens accumulate in `tokensA`/`tokensB[0, count)` until the caller
 * consumes them and calls `clear()`. `endRecord()` completes a token cut by the record end.
 */
export class Tokenizer {
  tokensA = new Uint32Array(1024);
  tokensB = new Uint32Array(1024);
  count = 0;
  private hashA = 0x811c9dc5;
  private hashB = 0x2545f491;
  private length = 0;

  feed(bytes: Uint8Array, start = 0, end = bytes.length): void {
    let hashA = this.hashA;
    let hashB = this.hashB;
    let length = this.length;
    for (let i = start; i < end; i++) {
      let byte = bytes[i]!;
      if (byte < 0x80) {
        const kind = ASCII_CLASS[byte]!;
        if (kind === ASCII_SPACE) {
          if (length > 0) {
            this.emit(hashA, hashB, length);
            hashA = 0x811c9dc5;
            hashB = 0x2545f491;
            length = 0;
          }
          continue;
        }
        if (kind === ASCII_DELETE) continue;
        if (kind === ASCII_UPPER) byte += 32;
      } else if (byte === 0xc2 || (byte >= 0xe1 && byte <= 0xe3)) {
        const space = unicodeSpaceLength(bytes, i, end);
        if (space > 0) {
          if (length > 0) {
            this.emit(hashA, hashB, length);
            hashA = 0x811c9dc5;
            hashB = 0x2545f491;
            length = 0;
          }
          i += space - 1;
          continue;
        }
      }
      // FNV-1a and a rotate-multiply hash: two unrelated 32-bit streams over the same bytes
      hashA = Math.imul(hashA ^ byte, 0x01000193);
      hashB = Math.imul(hashB ^ byte, 0x9e3779b1);
      hashB = (hashB << 13) | (hashB >>> 19);
      length++;
    }
    this.hashA = hashA;
    this.hashB = hashB;
    this.length = length;
  }

  endRecord(): void {
    if (this.length > 0) this.emit(this.hashA, this.hashB, this.length);
    this.hashA = 0x811c9dc5;
    this.hashB = 0x2545f491;
    this.length = 0;
  }

  clear(): void {
    this.count = 0;
  }

  private emit(hashA: number, hashB: number, length: number): void {
    if (this.count === this.tokensA.length) {
      const grownA = new Uint32Array(this.count * 2);
      grownA.set(this.tokensA);
      this.tokensA = grownA;
      const grownB = new Uint32Array(this.count * 2);
      grownB.set(this.tokensB);
      this.tokensB = grownB;
    }
    this.tokensA[this.count] = fmix32((hashA ^ length) >>> 0);
    this.tokensB[this.count] = fmix32((hashB + Math.imul(length, 0x27d4eb2d)) >>> 0);
    this.count++;
  }
}

/**
 * The normalized tokens of a text as strings, exactly what the hashed tokenizer sees
 * (for display and tests; the scan itself never builds strings).
 */
export function normalizedTokens(text: string): string[] {
  const tokens: string[] = [];
  let current = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code < 0x80) {
      const kind = ASCII_CLASS[code]!;
      if (kind === ASCII_DELETE) continue;
      if (kind !== ASCII_SPACE) {
        current += kind === ASCII_UPPER ? String.fromCharCode(code + 32) : ch;
        continue;
      }
    } else if (!/^[\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/u.test(ch)) {
      current += ch;
      continue;
    }
    if (current.length > 0) tokens.push(current);
    current = '';
  }
  if (current.length > 0) tokens.push(current);
  return tokens;
}

const BASE_A = 0x01000193;
const BASE_B = 0x5bd1e995;

function power(base: number, exponent: number): number {
  let result = 1;
  for (let i = 0; i < exponent; i++) result = Math.imul(result, base);
  return result;
}

/**
 * The hash of the last `n` tokens, updated in O(1) per token: a polynomial rolling hash
 * (Karp & Rabin 1987) modulo 2^32 over the token hashes, once per hash word.
 */
export class RollingNgram {
  hashA = 0;
  hashB = 0;
  /** Tokens seen since the last reset; the window is full once this reaches n. */
  filled = 0;
  private readonly ringA: Uint32Array;
  private readonly ringB: Uint32Array;
  private position = 0;
  private readonly dropA: number;
  private readonly dropB: number;

  constructor(readonly n: number) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`n-gram length must be a positive integer, got ${n}`);
    this.ringA = new Uint32Array(n);
    this.ringB = new Uint32Array(n);
    this.dropA = power(BASE_A, n);
    this.dropB = power(BASE_B, n);
  }

  /** Adds a token; returns true when the window holds n tokens. */
  push(tokenA: number, tokenB: number): boolean {
    const position = this.position;
    const outA = this.ringA[position]!;
    const outB = this.ringB[position]!;
    this.ringA[position] = tokenA;
    this.ringB[position] = tokenB;
    this.position = position + 1 === this.n ? 0 : position + 1;
    this.hashA = (Math.imul(this.hashA, BASE_A) + tokenA - Math.imul(outA, this.dropA)) | 0;
    this.hashB = (Math.imul(this.hashB, BASE_B) + tokenB - Math.imul(outB, this.dropB)) | 0;
    if (this.filled < this.n) this.filled++;
    return this.filled === this.n;
  }

  reset(): void {
    this.ringA.fill(0);
    this.ringB.fill(0);
    this.position = 0;
    this.hashA = 0;
    this.hashB = 0;
    this.filled = 0;
  }
}

/** The hash of a whole token sequence (a record's normalized text), for exact duplicates. */
export class SequenceHash {
  hashA = 0x6a09e667;
  hashB = 0x3c6ef372;
  tokens = 0;

  add(tokenA: number, tokenB: number): void {
    this.hashA = Math.imul(this.hashA ^ tokenA, 0x01000193);
    this.hashB = Math.imul((this.hashB << 7) | (this.hashB >>> 25), 0x5bd1e995) ^ tokenB;
    this.tokens++;
  }

  /** A 53-bit number (usable as a Map key) from both words and the length. */
  key(): number {
    const high = fmix32((this.hashA ^ this.tokens) >>> 0) & 0x1fffff;
    return high * 0x100000000 + fmix32(this.hashB >>> 0);
  }

  reset(): void {
    this.hashA = 0x6a09e667;
    this.hashB = 0x3c6ef372;
    this.tokens = 0;
  }
}

/**
 * A set of 64-bit keys (two 32-bit words) with dense ids, by open addressing with linear
 * probing in typed arrays: no per-entry objects, and a lookup that misses (the common case
 * when streaming a training corpus) touches one or two slots.
 */
export class PairTable {
  size = 0;
  private keysA: Uint32Array;
  private keysB: Uint32Array;
  private ids: Int32Array;
  private mask: number;
  private shift: number;

  constructor(expected = 1024) {
    let capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    this.keysA = new Uint32Array(capacity);
    this.keysB = new Uint32Array(capacity);
    this.ids = new Int32Array(capacity).fill(-1);
    this.mask = capacity - 1;
    this.shift = 32 - Math.log2(capacity);
  }

  /**
   * Home slot: Fibonacci hashing (Knuth, TAOCP 6.4), the top bits of a multiplicative hash;
   * one multiplication instead of a full finalizer on the hot path.
   */
  private slotOf(a: number, b: number): number {
    return Math.imul(a ^ Math.imul(b, 0x85ebca6b), 0x9e3779b1) >>> this.shift;
  }

  /** The id of the key, or -1. */
  find(a: number, b: number): number {
    a >>>= 0;
    b >>>= 0;
    let slot = this.slotOf(a, b);
    for (;;) {
      const id = this.ids[slot]!;
      if (id < 0) return -1;
      if (this.keysA[slot] === a && this.keysB[slot] === b) return id;
      slot = (slot + 1) & this.mask;
    }
  }

  /** The id of the key, added with the next id if absent. */
  add(a: number, b: number): number {
    const found = this.find(a, b);
    if (found >= 0) return found;
    if ((this.size + 1) * 2 > this.ids.length) this.grow();
    a >>>= 0;
    b >>>= 0;
    let slot = this.slotOf(a, b);
    while (this.ids[slot]! >= 0) slot = (slot + 1) & this.mask;
    this.keysA[slot] = a;
    this.keysB[slot] = b;
    this.ids[slot] = this.size;
    return this.size++;
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.ids.length * 12;
  }

  private grow(): void {
    const { keysA, keysB, ids } = this;
    const capacity = ids.length * 2;
    this.keysA = new Uint32Array(capacity);
    this.keysB = new Uint32Array(capacity);
    this.ids = new Int32Array(capacity).fill(-1);
    this.mask = capacity - 1;
    this.shift = 32 - Math.log2(capacity);
    for (let slot = 0; slot < ids.length; slot++) {
      const id = ids[slot]!;
      if (id < 0) continue;
      let target = this.slotOf(keysA[slot]!, keysB[slot]!);
      while (this.ids[target]! >= 0) target = (target + 1) & this.mask;
      this.keysA[target] = keysA[slot]!;
      this.keysB[target] = keysB[slot]!;
      this.ids[target] = id;
    }
  }
}

/** Tokens of one text (bytes or string) as hash pairs, copied out of a tokenizer. */
export function tokenHashes(text: string | Uint8Array): { a: Uint32Array; b: Uint32Array } {
  const tokenizer = new Tokenizer();
  tokenizer.feed(typeof text === 'string' ? Buffer.from(text, 'utf8') : text);
  tokenizer.endRecord();
  return { a: tokenizer.tokensA.slice(0, tokenizer.count), b: tokenizer.tokensB.slice(0, tokenizer.count) };
}
