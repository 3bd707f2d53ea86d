import { chain } from "../transform.js";
import { scaleBySoap } from "../transforms/scale-by-soap.js";
import { ascent, common, type Optimizer } from "./common.js";
import { bool, choice, declareOptimizer, nullable, num, type OptionsOf, tuple } from "./declaration.js";

const options = {
  ...common(3e-3, 0.01),
  /** (β1, β2) of the Adam run in the eigenbasis, each in [0, 1). Default [0.95, 0.95]. */
  betas: tuple<readonly [number, number]>("a pair [beta1, beta2]", [
    num(0.95, "[0, 1)"),
    num(0.95, "[0, 1)"),
  ]),
  /** Decay of the preconditioner matrices' running average, in [0, 1); null: β2 (the authors' −1). Default null. */
  shampooBeta: nullable(num(0.95, "[0, 1)")),
  /** Added to √v, ≥ 0. Default 1e-8. */
  eps: num(1e-8, "[0, inf)"),
  /** Refresh the eigenbases every this many updates, ≥ 1. Default 10. */
  preconditionFrequency: num(10, "[1, inf)", { integer: true }),
  /** Dimensions longer than this get no preconditioner, ≥ 1. Default 10000. */
  maxPrecondDim: num(10000, "[1, inf)", { integer: true }),
  /** Merge consecutive dimensions while their product stays ≤ maxPrecondDim. Default false. */
  mergeDims: bool(false),
  /** Precondition 1-D leaves too. Default false. */
  precondition1d: bool(false),
  /** Divide each leaf's step by its RMS. Default false. */
  normalizeGrads: bool(false),
  /** The layout of 4-D leaves when merging: "channels_first" (NCHW) or "channels_last" (NHWC). Default "channels_first". */
  dataFormat: choice(["channels_first", "channels_last"], "channels_first"),
  /** Adam's bias correction. Default true. */
  correctBias: bool(true),
};

/** Options of `soap`: the authors' `SOAP`'s, in camelCase. */
export type SoapOptions = OptionsOf<typeof options>;

/**
 * SOAP (Vyas et al. 2025, "SOAP: Improving and Stabilizing Shampoo using Adam", ICLR; the authors'
 * nikhilvyas/SOAP `soap.py`, step for step): `[±] → scaleBySoap` — Adam run in the eigenbasis of
 * Shampoo's preconditioner, refreshed every `preconditionFrequency` updates. The first update only
 * builds the preconditioners. Weight decay is decoupled and applied after the step, as the authors
 * do. Reads the leaves' shapes (`{ data, shape }`; a plain typed array is 1-D).
 * Defaults (the authors'): lr 3e-3, betas [0.95, 0.95], shampooBeta β2, eps 1e-8, weightDecay 0.01,
 * preconditionFrequency 10, maxPrecondDim 10000.
 */
export const soap = declareOptimizer({
  name: "soap",
  title: "SOAP",
  decay: "decoupled",
  reference: { code: "nikhilvyas/SOAP soap.py" },
  options,
  build: (o) =>
    // one transform: the decay follows the step, and the bases move after it
    chain(
      ...ascent(o.maximize),
      scaleBySoap({
        lr: o.lr,
        betas: o.betas,
        shampooBeta: o.shampooBeta,
        eps: o.eps,
        weightDecay: o.weightDecay,
        mask: o.mask,
        preconditionFrequency: o.preconditionFrequency,
        maxPrecondDim: o.maxPrecondDim,
        mergeDims: o.mergeDims,
        precondition1d: o.precondition1d,
        normalizeGrads: o.normalizeGrads,
        dataFormat: o.dataFormat,
        correctBias: o.correctBias,
        owner: "soap",
      }),
    ) as Optimizer,
});
