import { base, en, Faker } from '@faker-js/faker';

/** FNV-1a over the text: turns a seed and a stream name into 32 bits. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The 32-bit seed of one named stream, e.g. `streamSeed(7, 'enrollments', 1234)`. */
export function streamSeed(seed: number, ...stream: (string | number)[]): number {
  return hash32(`${seed}/${stream.join('/')}`);
}

const hex = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * A small seeded PRNG (sfc32). Every value the seed writes comes from one of these, each on its own
 * named stream, so one table's rows do not shift when another table's generator draws more numbers,
 * and a session's enrollments can be generated again, identically, from the session's number alone.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed32: number) {
    // splitmix32 spreads one 32-bit seed over the four words of state.
    let s = seed32 >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.uint32();
  }

  static of(seed: number, ...stream: (string | number)[]): Random {
    return new Random(streamSeed(seed, ...stream));
  }

  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1). */
  float(): number {
    return this.uint32() / 4_294_967_296;
  }

  /** An integer from min to max, both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('cannot pick from an empty list');
    return items[Math.floor(this.float() * items.length)] as T;
  }

  /** Picks a value with probability proportional to its weight. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = this.float() * total;
    for (const [value, weight] of choices) {
      roll -= weight;
      if (roll < 0) return value;
    }
    return (choices.at(-1) as readonly [T, number])[0];
  }

  /** `count` distinct integers from [0, size), in the order drawn. */
  sample(size: number, count: number): number[] {
    const wanted = Math.min(size, count);
    if (wanted * 2 > size) return this.shuffle(Array.from({ length: size }, (_, i) => i)).slice(0, wanted);
    const chosen = new Set<number>();
    while (chosen.size < wanted) chosen.add(Math.floor(this.float() * size));
    return [...chosen];
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1));
      [items[i], items[j]] = [items[j] as T, items[i] as T];
    }
    return items;
  }

  /** A version 4 UUID drawn from this stream (so ids are as reproducible as everything else). */
  uuid(): string {
    const a = this.uint32();
    const b = ((this.uint32() & 0xffff0fff) | 0x00004000) >>> 0; // version 4
    const c = ((this.uint32() & 0x3fffffff) | 0x80000000) >>> 0; // variant 10
    const d = this.uint32();
    const h = (x: number) => (hex[x >>> 24] as string) + hex[(x >>> 16) & 0xff] + hex[(x >>> 8) & 0xff] + hex[x & 0xff];
    const hb = h(b);
    const hc = h(c);
    return `${h(a)}-${hb.slice(0, 4)}-${hb.slice(4)}-${hc.slice(0, 4)}-${hc.slice(4)}${h(d)}`;
  }

  /** A score in [min, max] in steps of 0.25 (numeric(5,2) stores it exactly). */
  score(min: number, max: number): number {
    return this.int(min * 4, max * 4) / 4;
  }
}

/**
 * A Faker instance of its own (never the shared global one), seeded for one stream. Faker draws only
 * from its own seeded randomizer; the reference date is pinned too, though no generator here uses
 * Faker's relative dates.
 */
export function seededFaker(seed: number, stream: string, referenceDate: Date): Faker {
  const faker = new Faker({ locale: [en, base] });
  faker.seed(streamSeed(seed, 'faker', stream));
  faker.setDefaultRefDate(referenceDate);
  return faker;
}
