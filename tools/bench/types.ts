/** Shared vocabulary of the optimizer-step benchmark: cases, rows and anchor results. */

export const OPTIMIZERS = ["adamw", "adam", "sgd-momentum", "rmsprop", "adagrad"] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export const LAYOUTS = ["one", "many"] as const;
/** "one": a single tensor of n params; "many": {@link MANY_TENSORS} tensors of n / MANY_TENSORS each. */
export type Layout = (typeof LAYOUTS)[number];

export const SIZES = [1e5, 1e6, 1e7] as const;
/** `--quick` (smoke tests): the two smaller sizes only. */
export const QUICK_SIZES = [1e5, 1e6] as const;
export const MANY_TENSORS = 10_000;

/** Hyperparameters every implementation is timed with (PyTorch's names). */
export const HYPERPARAMS: Record<OptimizerName, string> = {
  adamw: "lr 1e-3, weight_decay 0.01",
  adam: "lr 1e-3",
  "sgd-momentum": "lr 0.01, momentum 0.9",
  rmsprop: "lr 0.01",
  adagrad: "lr 0.01",
};

/** One measured (or skipped) case. */
export interface Row {
  optimizer: OptimizerName;
  /** Number of float32 params. */
  n: number;
  layout: Layout;
  /** Median over `runs` of M params/s; null when the case was skipped. */
  mparams: number | null;
  /** M params/s of each timed run. */
  runs: number[];
  /** Steps taken by each timed run. */
  steps?: number[];
  /** Cores other processes kept busy during each timed run (null where unknown). */
  othersCores?: (number | null)[];
  /** Why the case was not measured. */
  skipped?: string;
  /** Anything that qualifies the number (fewer runs or steps than usual, a tensor leak…). */
  note?: string;
}

export interface AnchorResult {
  available: boolean;
  /** Why the anchor is not available. */
  reason?: string;
  rows: Row[];
  /** Remarks that apply to the whole anchor. */
  notes?: string[];
  /** Wall-clock seconds the anchor took, set-up included. */
  seconds?: number;
}

/** Label of a size in tables: 1e5, 1e6, 1e7 (or the plain number when not a power of ten). */
export function sizeLabel(n: number): string {
  const e = Math.log10(n);
  return Number.isInteger(e) ? `1e${e}` : String(n);
}

export function isOptimizerName(x: unknown): x is OptimizerName {
  return typeof x === "string" && (OPTIMIZERS as readonly string[]).includes(x);
}

export function isLayout(x: unknown): x is Layout {
  return typeof x === "string" && (LAYOUTS as readonly string[]).includes(x);
}
