import type { GradientTransformation } from "../transform.js";
import { NS_COEFFICIENTS } from "../transforms/orthogonalize.js";
import { type MuonAdjustLr, type MuonOutputAxis, scaleByMuon } from "../transforms/scale-by-muon.js";
import { isLeaf, type Leaf, leafShape, type Mask, showPath } from "../tree.js";
import { type PartitionState, partition } from "../wrappers/partition.js";
import { type AdamwOptions, adamw } from "./adamw.js";
import { common, decoupled } from "./common.js";
import {
  bool,
  choice,
  declareOptimizer,
  mask,
  num,
  type OptionsOf,
  optionsOf,
  tuple,
} from "./declaration.js";

const options = {
  ...common(1e-3, 0.1),
  /** Momentum μ in [0, 1] (may follow a schedule). Default 0.95. */
  momentum: num(0.95, "[0, 1]", { schedulable: true }),
  /** Orthogonalize the Nesterov look-ahead `(1−μ)g + μB` instead of the buffer B. Default true. */
  nesterov: bool(true),
  /** (a, b, c) of the quintic Newton–Schulz step. Default [3.4445, −4.775, 2.0315] (`NS_COEFFICIENTS`). */
  nsCoefficients: tuple<readonly [number, number, number]>("three numbers [a, b, c]", [
    num(NS_COEFFICIENTS[0], "(-inf, inf)"),
    num(NS_COEFFICIENTS[1], "(-inf, inf)"),
    num(NS_COEFFICIENTS[2], "(-inf, inf)"),
  ]),
  /** Floor (> 0) on the norm the momentum is divided by before Newton–Schulz. Default 1e-7. */
  eps: num(1e-7, "(0, inf)"),
  /** Newton–Schulz iterations, an integer in [0, 100). Default 5. */
  nsSteps: num(5, "[0, 100)", { integer: true }),
  /**
   * How the step is scaled by the matrix shape [A, B]: null or "original" (Keller Jordan's
   * √max(1, A/B)), or "match_rms_adamw" (Moonshot's 0.2·√max(A, B), reusing AdamW's lr). Default null.
   */
  adjustLrFn: choice<MuonAdjustLr | null>(["original", "match_rms_adamw", null], null),
  /**
   * Where each weight keeps its output dimension: "first" (PyTorch's `[out, in, kh, kw]`, the
   * default) or "last" (TF.js's `[in, out]`, `[kh, kw, in, out]`); a leaf of more than 2 dims is
   * flattened around it into a matrix. Default "first".
   */
  outputAxis: choice<MuonOutputAxis>(["first", "last"], "first"),
  /** Which leaves Muon trains: a predicate or a tree of booleans (default: leaves whose shape has 2 or more dims). */
  muonMask: mask(),
  /**
   * Options of the `adamw` that trains every other leaf. AdamW's own defaults apply (weightDecay
   * 0.01, betas [0.9, 0.999], eps 1e-8), except `lr`, `maximize` and `mask`, which default to muon's.
   */
  adamw: optionsOf<AdamwOptions>(() => adamw.declaration),
};

/** Options of `muon`: `torch.optim.Muon`'s, which matrix leaves it trains, and the AdamW for the rest. */
export type MuonOptions = OptionsOf<typeof options>;

/** A mask as a function of the leaf's full path, so that it works inside `partition` (which regroups leaves). */
function byPath(
  owner: string,
  name: string,
  mask: Mask | undefined,
): ((path: string, leaf: Leaf) => boolean) | undefined {
  if (mask === undefined || typeof mask === "function") return mask;
  return (path) => {
    let node: unknown = mask;
    for (const key of path === "" ? [] : path.split(".")) {
      if (typeof node === "boolean" || node === null || typeof node !== "object" || isLeaf(node)) break;
      node = (node as Record<string, unknown>)[key];
    }
    if (typeof node !== "boolean")
      throw new TypeError(`${owner}: ${name} has no boolean for ${showPath(path)}`);
    return node;
  };
}

/**
 * Muon (Keller Jordan 2024) as `torch.optim.Muon` (PyTorch 2.9) computes it for matrices —
 * `B ← μB + (1−μ)g`, `B̃ = (1−μ)g + μB` (Nesterov) or `B`, `O = NS₅(B̃)`,
 * `p ← p·(1 − lr_t·λ_t) − lr_t·ratio·O` with ratio `√max(1, A/B)` for a [A, B] weight
 * (`adjustLrFn: "match_rms_adamw"`: `0.2·√max(A, B)`) — and, like Optax's `contrib.muon`, AdamW for
 * every other leaf: through `partition`, the leaves `muonMask` selects (default: 2 or more dims)
 * train with `scaleByMuon → +λp → −lr`, all others with `adamw({ lr, maximize, mask, ...adamw })`.
 * A leaf of more than 2 dims (a convolution's filters) is orthogonalized as the matrix its
 * `outputAxis` gives (`[out, in·kh·kw]` for PyTorch's layout, the default; pass `outputAxis: "last"`
 * for TF.js's `[kh, kw, in, out]`) — PyTorch refuses such params, Keller Jordan's Muon and Optax
 * flatten them. Give weights as `{ data, shape }`; a plain typed array is 1-D and goes to AdamW.
 * Embeddings and output heads are 2-D but usually belong to AdamW: say so with `muonMask`.
 * Defaults (PyTorch's): lr 1e-3, weightDecay 0.1, momentum 0.95, nesterov true, nsCoefficients
 * [3.4445, −4.775, 2.0315], eps 1e-7, nsSteps 5, adjustLrFn null ("original"), outputAxis "first".
 */
export const muon = declareOptimizer({
  name: "muon",
  title: "Muon",
  decay: "decoupled",
  reference: { pytorch: "torch.optim.Muon", optax: "optax.contrib.muon" },
  options,
  build: (o): GradientTransformation<PartitionState> => {
    const owner = "muon";
    const selected = byPath(owner, "muonMask", o.muonMask);
    const isMuon = (path: string, leaf: Leaf): boolean => {
      if (!selected) return leafShape(leaf).length >= 2;
      const v = selected(path, leaf);
      if (typeof v !== "boolean")
        throw new TypeError(`${owner}: muonMask gave a non-boolean for ${showPath(path)}`);
      return v;
    };
    const pre = scaleByMuon({
      momentum: o.momentum,
      nesterov: o.nesterov,
      nsCoefficients: o.nsCoefficients,
      eps: o.eps,
      nsSteps: o.nsSteps,
      adjustLrFn: o.adjustLrFn,
      outputAxis: o.outputAxis,
      owner,
    });
    const muonPart = decoupled(owner, { ...o, mask: byPath(owner, "mask", o.mask) }, [pre]);
    const a = o.adamw ?? {};
    let adamwPart: GradientTransformation;
    try {
      adamwPart = adamw({
        lr: o.lr,
        maximize: o.maximize,
        ...a,
        mask: byPath(owner, "adamw.mask", a.mask ?? o.mask),
      });
    } catch (e) {
      // "adamw: eps = -1 is outside…" → "muon: adamw: eps = -1 is outside…": the error names muon's option
      if (e instanceof RangeError) throw new RangeError(`${owner}: ${e.message}`);
      if (e instanceof TypeError) throw new TypeError(`${owner}: ${e.message}`);
      throw e;
    }
    return partition({ muon: muonPart, adamw: adamwPart }, (path, leaf) =>
      isMuon(path, leaf) ? "muon" : "adamw",
    );
  },
});
