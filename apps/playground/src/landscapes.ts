/**
 * The Playground's landscapes: the Lab's catalog, plus one adapter the seed stories need and the Lab
 * does not have — a "silent" parameter that the loss never touches, where only weight decay moves it.
 */
import { LANDSCAPES, type Landscape, type LandscapeEntry, landscapeById } from "@momenta/landscapes";

/** f = ½·s·(x − 1)²: x is loud (curvature s), y is silent (∂f/∂y = 0 everywhere). */
function silent(s: number): Landscape {
  return {
    id: "silent",
    name: `Silent parameter (s = ${s})`,
    description:
      "The loss depends on x only; y gets no gradient at all, so whatever moves y is weight decay. " +
      "Adam + L2 divides that decay by a brake built from the decay itself; AdamW does not.",
    bounds: [-1, 4, -1, 4],
    minima: [{ point: [1, 0], value: 0, label: "x = 1 (any y); decay picks y = 0" }],
    start: [3, 3],
    value: (x) => 0.5 * s * (x - 1) * (x - 1),
    gradient(x, _y, out = new Float64Array(2)) {
      out[0] = s * (x - 1);
      out[1] = 0;
      return out;
    },
    hessian: () => [s, 0, 0],
  };
}

const SILENT: LandscapeEntry = {
  id: "silent",
  name: "Silent parameter",
  params: [{ key: "scale", label: "Curvature s of the loud x", min: 0.01, max: 100, default: 1, log: true }],
  make: (p) => silent(p.scale ?? 1),
};

export const CATALOG: readonly LandscapeEntry[] = [...LANDSCAPES, SILENT];

export function landscapeEntry(id: string): LandscapeEntry | undefined {
  return CATALOG.find((e) => e.id === id);
}

/** The landscape `id` with checked params (throws, naming the problem, like `landscapeById`). */
export function makeLandscape(id: string, params: Readonly<Record<string, number>>): Landscape {
  if (id !== SILENT.id) return landscapeById(id, params);
  for (const key of Object.keys(params)) {
    if (key !== "scale") throw new RangeError(`landscape "silent": unknown parameter ${JSON.stringify(key)}`);
  }
  const spec = SILENT.params[0]!;
  const v = params.scale ?? spec.default;
  if (!Number.isFinite(v) || v < spec.min || v > spec.max) {
    throw new RangeError(`landscape "silent": scale must be in [${spec.min}, ${spec.max}], got ${v}`);
  }
  return SILENT.make({ scale: v });
}

export type { Landscape, LandscapeEntry };
