/**
 * JSON as ML tools actually write it: Python's `json.dumps` emits bare `NaN`, `Infinity`
 * and `-Infinity` (Hugging Face's `grad_norm` after an overflow), and files are sometimes
 * cut off by a crash or a copy. `parseJsonLenient` reads standard JSON with the fast native
 * parser and falls back to a small recursive-descent parser that accepts those literals and,
 * on a truncated or broken document, returns everything that was complete before the
 * damage: containers open at the cut are closed where they were cut (so a cut record keeps
 * its complete members), and a scalar cut mid-way is left out, never completed.
 */

export interface LenientJson {
  value: unknown;
  /** Count of NaN / Infinity / -Infinity literals read. */
  nonStandardNumbers: number;
  /** Present when the document is damaged; `value` then holds what came before. */
  damage?: { kind: 'truncated' | 'invalid'; offset: number; reason: string };
}

class Damage extends Error {
  constructor(
    readonly kind: 'truncated' | 'invalid',
    readonly offset: number,
    reason: string,
  ) {
    super(reason);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Partial results are built in place: when a Damage is thrown deep inside, the containers
 * already hold every complete element, so the root object is the best prefix.
 */
class Parser {
  pos = 0;
  nonStandard = 0;
  root: unknown = undefined;

  constructor(private readonly text: string) {}

  parseDocument(): unknown {
    this.skipWs();
    const value = this.parseValue((v) => (this.root = v));
    this.root = value;
    this.skipWs();
    if (this.pos < this.text.length) throw new Damage('invalid', this.pos, 'unexpected text after the document');
    return value;
  }

  private fail(reason: string): never {
    if (this.pos >= this.text.length) throw new Damage('truncated', this.pos, 'unexpected end of input');
    throw new Damage('invalid', this.pos, reason);
  }

  private skipWs(): void {
    const t = this.text;
    let p = this.pos;
    while (p < t.length) {
      const c = t.charCodeAt(p);
      if (c === 32 || c === 10 || c === 13 || c === 9) p++;
      else break;
    }
    this.pos = p;
  }

  /** `attach` publishes a container as soon as it exists, so partial contents survive a Damage. */
  private parseValue(attach: (v: unknown) => void): unknown {
    const t = this.text;
    const c = t.charCodeAt(this.pos);
    switch (c) {
      case 123 /* { */: {
        const obj: Record<string, unknown> = {};
        attach(obj);
        this.pos++;
        this.skipWs();
        if (t.charCodeAt(this.pos) === 125) {
          this.pos++;
          return obj;
        }
        for (;;) {
          this.skipWs();
          if (t.charCodeAt(this.pos) !== 34) this.fail('expected a property name');
          const key = this.parseString();
          this.skipWs();
          if (t.charCodeAt(this.pos) !== 58) this.fail('expected ":"');
          this.pos++;
          this.skipWs();
          // Containers attach themselves as soon as they open; scalars only once complete.
          obj[key] = this.parseValue((v) => (obj[key] = v));
          this.skipWs();
          const next = t.charCodeAt(this.pos);
          if (next === 44) {
            this.pos++;
            continue;
          }
          if (next === 125) {
            this.pos++;
            return obj;
          }
          this.fail('expected "," or "}"');
        }
      }
      case 91 /* [ */: {
        const arr: unknown[] = [];
        attach(arr);
        this.pos++;
        this.skipWs();
        if (t.charCodeAt(this.pos) === 93) {
          this.pos++;
          return arr;
        }
        for (;;) {
          this.skipWs();
          const index = arr.length;
          arr[index] = this.parseValue((v) => (arr[index] = v));
          this.skipWs();
          const next = t.charCodeAt(this.pos);
          if (next === 44) {
            this.pos++;
            continue;
          }
          if (next === 93) {
            this.pos++;
            return arr;
          }
          this.fail('expected "," or "]"');
        }
      }
      case 34 /* " */:
        return this.parseString();
      case 116 /* t */:
        return this.literal('true', true);
      case 102 /* f */:
        return this.literal('false', false);
      case 110 /* n */:
        return this.literal('null', null);
      case 78 /* N */:
        this.nonStandard++;
        return this.literal('NaN', Number.NaN);
      case 73 /* I */:
        this.nonStandard++;
        return this.literal('Infinity', Number.POSITIVE_INFINITY);
      default: {
        if (c === 45 /* - */ && t.startsWith('-Infinity', this.pos)) {
          this.nonStandard++;
          this.pos += 9;
          return Number.NEGATIVE_INFINITY;
        }
        NUMBER.lastIndex = this.pos;
        const m = NUMBER.exec(t);
        if (!m) this.fail(`unexpected character ${JSON.stringify(t[this.pos] ?? '')}`);
        this.pos += m[0].length;
        // A number cut by the end of input is incomplete ("0.12" of "0.1234", or "1." of
        // "1.5"): never complete it, treat it as the truncation point.
        let p = this.pos;
        while (p < t.length && /[0-9.eE+-]/.test(t[p]!)) p++;
        if (p >= t.length) {
          this.pos = t.length;
          this.fail('number at end of input');
        }
        return Number(m[0]);
      }
    }
  }

  private literal<T>(word: string, value: T): T {
    if (this.text.startsWith(word, this.pos)) {
      this.pos += word.length;
      return value;
    }
    if (word.startsWith(this.text.slice(this.pos))) this.pos = this.text.length;
    this.fail(`unexpected token (expected ${word})`);
  }

  private parseString(): string {
    const t = this.text;
    const start = this.pos + 1;
    let p = start;
    let hasEscape = false;
    for (;;) {
      if (p >= t.length) {
        this.pos = p;
        this.fail('unterminated string');
      }
      const c = t.charCodeAt(p);
      if (c === 34) break;
      if (c === 92) {
        hasEscape = true;
        p += 2;
        continue;
      }
      p++;
    }
    this.pos = p + 1;
    const raw = t.slice(start, p);
    if (!hasEscape) return raw;
    try {
      return JSON.parse(`"${raw}"`) as string;
    } catch {
      this.pos = start;
      this.fail('bad escape in string');
    }
  }
}

export function parseJsonLenient(text: string): LenientJson {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return { value: JSON.parse(body), nonStandardNumbers: 0 };
  } catch {
    // fall through to the lenient parser
  }
  const parser = new Parser(body);
  try {
    const value = parser.parseDocument();
    return { value, nonStandardNumbers: parser.nonStandard };
  } catch (error) {
    if (!(error instanceof Damage)) throw error;
    return {
      value: parser.root,
      nonStandardNumbers: parser.nonStandard,
      damage: { kind: error.kind, offset: error.offset, reason: error.message },
    };
  }
}

/** True when the bytes look like the start of a JSON object (after a BOM and whitespace). */
export function looksLikeJsonObject(head: Buffer): boolean {
  let i = 0;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) i = 3;
  while (i < head.length && (head[i] === 32 || head[i] === 10 || head[i] === 13 || head[i] === 9)) i++;
  return head[i] === 123;
}

/**
 * Converts a logged scalar to a number: numbers as is, booleans as 0/1, numeric text parsed,
 * including the spellings of non-finite values tools write (`nan`, `inf`, `-inf` from Python's
 * str(float); `NaN`, `Infinity` from JSON writers), so that they are kept, not taken for text.
 * Hot in every text reader: the common case (a non-zero decimal) needs no regular expression.
 */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') {
    const fast = +value;
    if (fast === fast && (fast !== 0 || value.trim() !== '')) return fast;
    const s = value.trim();
    if (s === '') return undefined;
    if (/^[+-]?(nan)$/i.test(s)) return Number.NaN;
    if (/^\+?inf(inity)?$/i.test(s)) return Number.POSITIVE_INFINITY;
    if (/^-inf(inity)?$/i.test(s)) return Number.NEGATIVE_INFINITY;
    const x = Number(s);
    return Number.isNaN(x) ? undefined : x;
  }
  return undefined;
}
