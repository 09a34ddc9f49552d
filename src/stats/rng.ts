/**
 * A small seeded pseudo-random generator: xoshiro128** (Blackman & Vigna 2018, "Scrambled
 * linear pseudorandom number generators"), 128-bit state, period 2^128 − 1, passes BigCrush.
 *
 * Every random procedure in ladder takes an `Rng` (or a seed) so that a report can be
 * reproduced exactly from the seed it prints. The state is seeded from one integer through
 * SplitMix64 (Steele, Lea & Flood 2014), as the xoshiro authors recommend, so that nearby
 * seeds (0, 1, 2…) give unrelated streams.
 *
 * Why not Math.random: it cannot be seeded. Why not mulberry32: its 2^32 period and 32-bit
 * state are short for bootstraps that draw millions of indices.
 */

export interface Rng {
  /** The seed this generator was created from (report it next to any random result). */
  readonly seed: number;
  /** The next raw 32-bit output, an integer in [0, 2^32). */
  nextUint32(): number;
  /** A double uniform in [0, 1) with 53 random bits. */
  uniform(): number;
  /** A standard normal deviate (Box & Muller 1958, both values of each pair used). */
  normal(): number;
  /** An integer uniform in [low, highExclusive), without modulo bias. */
  integer(low: number, highExclusive: number): number;
}

const MASK64 = (1n << 64n) - 1n;

function splitMix64(state: bigint): [next: bigint, output: bigint] {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return [next, z ^ (z >> 31n)];
}

/**
 * Creates a generator from a non-negative safe integer seed. Throws a RangeError for any
 * other seed: a fractional or negative seed is a programming error, and silently rounding
 * it would make two different printed seeds give the same stream.
 */
export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
  }
  const [afterFirst, first] = splitMix64(BigInt(seed));
  const [, second] = splitMix64(afterFirst);
  const state = new Uint32Array([
    Number(first & 0xffffffffn),
    Number(first >> 32n),
    Number(second & 0xffffffffn),
    Number(second >> 32n),
  ]);
  if (state[0] === 0 && state[1] === 0 && state[2] === 0 && state[3] === 0) state[0] = 1;

  const nextUint32 = (): number => {
    const s0 = state[0]!;
    const s1 = state[1]!;
    const s2 = state[2]!;
    const s3 = state[3]!;
    const scrambled = Math.imul(s1, 5);
    const result = Math.imul((scrambled << 7) | (scrambled >>> 25), 9) >>> 0;
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    state[1] = s1 ^ n2;
    state[0] = s0 ^ n3;
    state[2] = n2 ^ t;
    state[3] = (n3 << 11) | (n3 >>> 21);
    return result;
  };

  const uniform = (): number => {
    const high = nextUint32() >>> 5; // 27 bits
    const low = nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  };

  let spareNormal = Number.NaN;
  const normal = (): number => {
    if (!Number.isNaN(spareNormal)) {
      const value = spareNormal;
      spareNormal = Number.NaN;
      return value;
    }
    // 1 − uniform() lies in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
    const angle = 2 * Math.PI * uniform();
    spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };

  const integer = (low: number, highExclusive: number): number => {
    const range = highExclusive - low;
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(range) || range <= 0 || range > 2 ** 32) {
      throw new RangeError(`integer(${low}, ${highExclusive}): need integers with 0 < range ≤ 2^32`);
    }
    // Rejection of the top partial block keeps every value equally likely.
    const limit = 2 ** 32 - (2 ** 32 % range);
    let draw = nextUint32();
    while (draw >= limit) draw = nextUint32();
    return low + (draw % range);
  };

  return { seed, nextUint32, uniform, normal, integer };
}
