import { checkNumber, showValue } from "../hyper.js";
import { copyStateInto, decodeStateLike, type Encoded, encodeState } from "../state-dict.js";
import { type BaseSchedule, checkLr, checkNonNegativeInteger, scheduleOptions, withBase } from "./base.js";

/** Options of `reduceLrOnPlateau`: `ReduceLROnPlateau`'s. */
export interface ReduceLrOnPlateauOptions {
  /** The initial learning rate, ≥ 0. Required. */
  lr: number;
  /** "min": the metric should fall (a loss); "max": rise (an accuracy). Default "min". */
  mode?: "min" | "max";
  /** The factor lr is multiplied by on a plateau, in [0, 1). Default 0.1. */
  factor?: number;
  /** Evaluations without improvement tolerated before reducing, an integer ≥ 0. Default 10. */
  patience?: number;
  /** The smallest change that counts as an improvement, ≥ 0. Default 1e-4. */
  threshold?: number;
  /** "rel": threshold relative to the best value; "abs": absolute. Default "rel". */
  thresholdMode?: "rel" | "abs";
  /** Evaluations to wait after a reduction before counting again, an integer ≥ 0. Default 0. */
  cooldown?: number;
  /** The lower bound on lr, ≥ 0. Default 0. */
  minLr?: number;
  /** Reductions smaller than eps (≥ 0) are skipped. Default 1e-8. */
  eps?: number;
}

/** The state of a `reduceLrOnPlateau` scheduler (PyTorch's names, in camelCase). */
export interface PlateauState {
  /** The current learning rate. */
  lr: number;
  /** The best metric seen so far. */
  best: number;
  /** Evaluations since the last improvement. */
  numBadEpochs: number;
  /** Evaluations of cooldown left. */
  cooldownCounter: number;
  /** Evaluations so far. */
  lastEpoch: number;
}

/** What `reduceLrOnPlateau` returns: an lr to give the optimizer, and the metric-driven scheduler behind it. */
export interface PlateauScheduler {
  /** The current lr, whatever the count: pass it as an optimizer's `lr`. */
  readonly lr: BaseSchedule;
  /** Feed the metric measured after an epoch (or any evaluation period). */
  step(metric: number): void;
  /** The live state. */
  readonly state: Readonly<PlateauState>;
  /** The state as plain, JSON-safe data, to save beside the optimizer's. */
  stateDict(): Encoded;
  /** Restores a saved state; throws and changes nothing if it does not fit. */
  loadStateDict(saved: unknown): void;
}

/**
 * `ReduceLROnPlateau`: multiply lr by `factor` when the metric has not improved for more than
 * `patience` evaluations (improved = below best·(1 − threshold) in rel/min mode, below
 * best − threshold in abs/min mode, mirrored for max), then wait `cooldown` evaluations; never below
 * `minLr`, and reductions smaller than `eps` are skipped. Defaults: min, 0.1, 10, 1e-4, rel, 0, 0, 1e-8.
 */
export function reduceLrOnPlateau(options: ReduceLrOnPlateauOptions): PlateauScheduler {
  const owner = "reduceLrOnPlateau";
  const o = scheduleOptions(
    owner,
    options,
    ["lr", "mode", "factor", "patience", "threshold", "thresholdMode", "cooldown", "minLr", "eps"],
    ["lr"],
  );
  const base = checkLr(owner, o.lr);
  const mode = o.mode ?? "min";
  if (mode !== "min" && mode !== "max")
    throw new RangeError(`${owner}: mode must be "min" or "max", got ${showValue(mode)}`);
  const factor = checkNumber(owner, "factor", o.factor ?? 0.1, "[0, 1)");
  const patience = checkNonNegativeInteger(owner, "patience", o.patience ?? 10);
  const threshold = checkNumber(owner, "threshold", o.threshold ?? 1e-4, "[0, inf)");
  const thresholdMode = o.thresholdMode ?? "rel";
  if (thresholdMode !== "rel" && thresholdMode !== "abs") {
    throw new RangeError(`${owner}: thresholdMode must be "rel" or "abs", got ${showValue(thresholdMode)}`);
  }
  const cooldown = checkNonNegativeInteger(owner, "cooldown", o.cooldown ?? 0);
  const minLr = checkNumber(owner, "minLr", o.minLr ?? 0, "[0, inf)");
  const eps = checkNumber(owner, "eps", o.eps ?? 1e-8, "[0, inf)");

  const state: PlateauState = {
    lr: base,
    best: mode === "min" ? Infinity : -Infinity,
    numBadEpochs: 0,
    cooldownCounter: 0,
    lastEpoch: 0,
  };
  const better = (a: number, best: number) => {
    if (mode === "min") return thresholdMode === "rel" ? a < best * (1 - threshold) : a < best - threshold;
    return thresholdMode === "rel" ? a > best * (threshold + 1) : a > best + threshold;
  };
  return {
    lr: withBase(() => state.lr, base),
    state,
    step(metric) {
      if (typeof metric !== "number" || Number.isNaN(metric)) {
        throw new RangeError(`${owner}: the metric must be a number, got ${showValue(metric)}`);
      }
      state.lastEpoch += 1;
      if (better(metric, state.best)) {
        state.best = metric;
        state.numBadEpochs = 0;
      } else state.numBadEpochs += 1;
      if (state.cooldownCounter > 0) {
        state.cooldownCounter -= 1;
        state.numBadEpochs = 0;
      }
      if (state.numBadEpochs > patience) {
        const next = Math.max(state.lr * factor, minLr);
        if (state.lr - next > eps) state.lr = next;
        state.cooldownCounter = cooldown;
        state.numBadEpochs = 0;
      }
    },
    stateDict: () => encodeState(state),
    loadStateDict(saved) {
      const decoded = decodeStateLike(state, saved, owner) as PlateauState;
      if (!(decoded.lr >= 0) || !Number.isFinite(decoded.lr))
        throw new RangeError(`${owner}: saved lr ${decoded.lr} is not a valid lr`);
      // what no run produces: a NaN best (metrics are checked), counters that are not whole numbers
      if (Number.isNaN(decoded.best)) throw new RangeError(`${owner}: saved best is NaN`);
      for (const k of ["numBadEpochs", "cooldownCounter", "lastEpoch"] as const) {
        if (!Number.isSafeInteger(decoded[k]) || decoded[k] < 0)
          throw new RangeError(`${owner}: saved ${k} ${decoded[k]} is not a whole number ≥ 0`);
      }
      copyStateInto(state, decoded);
    },
  };
}
