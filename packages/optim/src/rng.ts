/**
 * Seeded randomness for the Lab and `momenta train`: mulberry32, with its whole state (one uint32)
 * readable and settable so a checkpoint can record exactly where a stream stands; Box–Muller normals.
 */
export class Mulberry32 {
  private a: number;

  /** A generator at `seed` (taken as a uint32), or at a saved `state`. */
  constructor(seed: number) {
    this.a = seed >>> 0;
  }

  /** The generator's position: restoring it with `new Mulberry32(state)` continues the same stream. */
  get state(): number {
    return this.a;
  }

  /** A uniform number in [0, 1). */
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A uniformly random order of 0..n−1 (Fisher–Yates; draws n − 1 numbers). */
  permutation(n: number): Int32Array {
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    return order;
  }
}

/** A seeded uniform generator in [0, 1). */
export function rng(seed: number): () => number {
  const g = new Mulberry32(seed);
  return () => g.next();
}

/** Standard normal numbers N(0, 1) from a uniform generator such as `rng(seed)` (Box–Muller, two draws each). */
export function normal(next: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}
