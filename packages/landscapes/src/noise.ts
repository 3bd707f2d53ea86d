import { normal, rng } from "momenta-optim";
import type { Landscape } from "./landscape.ts";

export interface NoiseOptions {
  /** Standard deviation of the noise added to each gradient coordinate (≥ 0). */
  sigma: number;
  /** Seed of the noise stream (an integer; equal seeds give equal streams). */
  seed: number;
}

/** A gradient oracle: ∇f at (x, y) (plus whatever noise it adds), written into `out` when given. */
export type GradientOracle = (x: number, y: number, out?: Float64Array) => Float64Array;

/**
 * The exact gradient plus independent N(0, σ²) noise per coordinate: a stand-in for minibatch
 * gradients, so the Lab can ask how an optimizer copes with noise on a landscape whose truth is
 * known. Stateful: each call draws the next two normals (x first) of the seeded stream, so two oracles
 * with the same seed, called at the same points, return the same gradients.
 */
export function noisyGradient(landscape: Landscape, options: NoiseOptions): GradientOracle {
  const { sigma, seed } = options;
  if (typeof sigma !== "number" || !Number.isFinite(sigma) || sigma < 0) {
    throw new RangeError(`noisyGradient: sigma must be a finite number ≥ 0, got ${String(sigma)}`);
  }
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`noisyGradient: seed must be an integer, got ${String(seed)}`);
  }
  const gauss = normal(rng(seed));
  return (x, y, out = new Float64Array(2)) => {
    landscape.gradient(x, y, out);
    out[0]! += sigma * gauss();
    out[1]! += sigma * gauss();
    return out;
  };
}
