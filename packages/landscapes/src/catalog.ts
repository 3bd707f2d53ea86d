import type { Landscape } from "./landscape.ts";
import { ljTrimer } from "./lj-trimer.ts";
import { multiBasin } from "./multi-basin.ts";
import { plateau } from "./plateau.ts";
import { ravine } from "./ravine.ts";
import { rosenbrock } from "./rosenbrock.ts";
import { saddle } from "./saddle.ts";
import { sharpWide } from "./sharp-wide.ts";

/** One knob of a landscape, as a UI slider: a value in [min, max] (on a log scale when `log`). */
export interface LandscapeParam {
  key: string;
  label: string;
  min: number;
  max: number;
  default: number;
  step?: number;
  log?: boolean;
}

export interface LandscapeEntry {
  id: string;
  name: string;
  params: readonly LandscapeParam[];
  /** Builds the landscape; expects every key of `params` (use `landscapeById` for checked input). */
  make(params: Readonly<Record<string, number>>): Landscape;
}

/** Every Lab landscape, with the parameter ranges the Lab and the Playground offer. */
export const LANDSCAPES: readonly LandscapeEntry[] = Object.freeze([
  {
    id: "ravine",
    name: "Ravine",
    params: [
      { key: "condition", label: "Condition number κ", min: 1, max: 1e4, default: 100, log: true },
      { key: "angle", label: "Angle (radians)", min: -Math.PI / 2, max: Math.PI / 2, default: 0, step: 0.01 },
    ],
    make: (p) => ravine({ condition: p.condition, angle: p.angle }),
  },
  {
    id: "rosenbrock",
    name: "Rosenbrock",
    params: [
      { key: "a", label: "a (minimum at (a, a²))", min: 0.25, max: 2, default: 1, step: 0.05 },
      { key: "b", label: "b (wall steepness)", min: 1, max: 1000, default: 100, log: true },
    ],
    make: (p) => rosenbrock({ a: p.a, b: p.b }),
  },
  {
    id: "saddle",
    name: "Saddle",
    params: [{ key: "quartic", label: "Quartic coefficient q", min: 0.05, max: 2, default: 0.25, log: true }],
    make: (p) => saddle({ quartic: p.quartic }),
  },
  {
    id: "plateau",
    name: "Plateau",
    params: [{ key: "slope", label: "Shelf slope |∇f|", min: 1e-5, max: 1e-2, default: 1e-3, log: true }],
    make: (p) => plateau({ slope: p.slope }),
  },
  {
    id: "sharp-wide",
    name: "Sharp vs wide",
    params: [
      { key: "sharpWidth", label: "Sharp basin width", min: 0.05, max: 0.4, default: 0.15, step: 0.01 },
      { key: "wideWidth", label: "Wide basin width", min: 0.6, max: 2, default: 1, step: 0.05 },
    ],
    make: (p) => sharpWide({ sharpWidth: p.sharpWidth, wideWidth: p.wideWidth }),
  },
  { id: "multi-basin", name: "Multi-basin", params: [], make: () => multiBasin() },
  { id: "lj-trimer", name: "Lennard-Jones trimer", params: [], make: () => ljTrimer() },
] satisfies LandscapeEntry[]);

// A plain decimal or exponent literal, so URL strings are parsed, never evaluated or coerced loosely.
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function parseValue(id: string, param: LandscapeParam, raw: unknown): number {
  const value = typeof raw === "string" && NUMBER.test(raw.trim()) ? Number(raw.trim()) : raw;
  if (typeof value !== "number" || !Number.isFinite(value) || value < param.min || value > param.max) {
    throw new RangeError(
      `landscape "${id}": ${param.key} must be a number in [${param.min}, ${param.max}], got ${JSON.stringify(raw) ?? String(raw)}`,
    );
  }
  return value;
}

/**
 * The landscape `id` with `params` (numbers, or numeric strings straight from a URL), checked first:
 * an unknown id, an unknown key or a value out of its range throws an Error naming what is allowed.
 * Missing keys take their defaults.
 */
export function landscapeById(id: string, params: Readonly<Record<string, unknown>> = {}): Landscape {
  const entry = LANDSCAPES.find((e) => e.id === id);
  if (!entry) {
    throw new RangeError(
      `unknown landscape ${JSON.stringify(id)}; known: ${LANDSCAPES.map((e) => e.id).join(", ")}`,
    );
  }
  if (typeof params !== "object" || params === null || Array.isArray(params)) {
    throw new TypeError(`landscape "${id}": params must be an object of numbers`);
  }
  for (const key of Object.keys(params)) {
    if (!entry.params.some((p) => p.key === key)) {
      const allowed = entry.params.map((p) => p.key).join(", ") || "none";
      throw new RangeError(
        `landscape "${id}": unknown parameter ${JSON.stringify(key)} (allowed: ${allowed})`,
      );
    }
  }
  const values: Record<string, number> = {};
  for (const p of entry.params) {
    const raw = Object.hasOwn(params, p.key) ? params[p.key] : undefined;
    values[p.key] = raw === undefined ? p.default : parseValue(id, p, raw);
  }
  return entry.make(values);
}
