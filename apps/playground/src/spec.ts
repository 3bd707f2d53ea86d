/** Editable settings, described once: the controls, the URL schema and the presets all read these. */

export interface NumberSpec {
  key: string;
  label: string;
  type: "number";
  min: number;
  max: number;
  default: number;
  /** The input's step; "any" for log-scaled values. */
  step?: number;
  /** Spans decades (lr, eps): the input accepts any value in range. */
  log?: boolean;
  /** Whole numbers only. */
  int?: boolean;
  hint?: string;
}

export interface BoolSpec {
  key: string;
  label: string;
  type: "bool";
  default: boolean;
  hint?: string;
}

export interface ChoiceSpec {
  key: string;
  label: string;
  type: "choice";
  options: readonly string[];
  default: string;
  hint?: string;
}

export type Spec = NumberSpec | BoolSpec | ChoiceSpec;

export type Values = Record<string, number | boolean | string>;

/** The defaults of a spec list. */
export function defaults(specs: readonly Spec[]): Values {
  return Object.fromEntries(specs.map((s) => [s.key, s.default]));
}

/** `values` completed with defaults (missing keys) — the values a builder reads. */
export function complete(specs: readonly Spec[], values: Values): Values {
  const out: Values = {};
  for (const s of specs) {
    const v = values[s.key];
    out[s.key] = v !== undefined && typeof v === typeof s.default ? v : s.default;
  }
  return out;
}

export const num = (v: Values, key: string): number => v[key] as number;
export const bool = (v: Values, key: string): boolean => v[key] as boolean;
export const str = (v: Values, key: string): string => v[key] as string;

/** Shortest faithful display of a number: what the URL and the code lines show. */
export function fmt(x: number): string {
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e5) return String(Number(x.toPrecision(6)));
  return x.toExponential().replace("e+", "e");
}
