import {
  checkBoolean,
  checkHyper,
  checkNumber,
  checkOptions,
  type Hyper,
  hyperAt,
  ownerOption,
  valueAt,
} from "../hyper.js";
import { buffersLike, type GradientTransformation, updateLeaves } from "../transform.js";
import { type FloatArray, isFloatArray, type Tree } from "../tree.js";
import {
  blockwise,
  type CompactStateOptions,
  compactOptions,
  decodedView,
  type MomentBuffer,
  momentsLike,
  sized,
} from "./compact-state.js";

/** Options of `trace`. */
export interface TraceOptions extends CompactStateOptions {
  /** Momentum factor μ in [0, 1] (a number or a schedule). Required. */
  momentum: Hyper;
  /** Dampening of the momentum, in [0, 1] (the first update ignores it). Default 0. */
  dampening?: number;
  /** Output the Nesterov look-ahead `u + μ·b` instead of the buffer b. Default false. */
  nesterov?: boolean;
  /** Name used in error messages (the optimizer aliases pass theirs). Default "trace". */
  owner?: string;
  /**
   * Compact state: which of its leaf's four rounding streams the buffer draws from (0–3, default
   * 0). An alias that runs trace beside another moment transform with the same seed gives it a
   * stream of its own (rmsprop: 2, after its square and mean averages), so the two buffers' roundings
   * are independent draws rather than the same ones.
   */
  stateStream?: number;
}

/** State of `trace` (`B`: the buffers' storage, see `stateDtype`). */
export interface TraceState<B extends MomentBuffer = FloatArray> {
  /** Updates applied so far. */
  count: number;
  /** The momentum buffer b, one per leaf. */
  momentumBuffer: B[];
}

/**
 * Heavy-ball momentum, PyTorch's way:
 * `b ← u` on the first update, then `b ← μ_t·b + (1 − dampening)·u`;
 * output `u + μ_t·b` with Nesterov, else `b`.
 * (Starting from `b = u` rather than zero is why PyTorch's first step ignores dampening.)
 */
export function trace(options: TraceOptions & { stateDtype?: "float32" }): GradientTransformation<TraceState>;
export function trace(options: TraceOptions): GradientTransformation<TraceState<MomentBuffer>>;
export function trace(options: TraceOptions): GradientTransformation<TraceState<MomentBuffer>> {
  const owner = ownerOption(options, "trace");
  if (options === undefined) throw new TypeError(`${owner}: an options object with momentum is required`);
  checkOptions(owner, options, [
    "momentum",
    "dampening",
    "nesterov",
    "stateDtype",
    "stateSeed",
    "stateStream",
    "owner",
  ]);
  if (options.momentum === undefined) throw new TypeError(`${owner}: option 'momentum' is required`);
  const momentum = checkHyper(owner, "momentum", options.momentum, "[0, 1]");
  const dampening = checkNumber(owner, "dampening", options.dampening ?? 0, "[0, 1]");
  const nesterov = checkBoolean(owner, "nesterov", options.nesterov ?? false);
  const compact = compactOptions(owner, options);
  const stream = checkNumber(owner, "stateStream", options.stateStream ?? 0, "[0, 3]");
  if (!Number.isInteger(stream))
    throw new RangeError(`${owner}: stateStream must be 0, 1, 2 or 3, got ${stream}`);
  const store = compact.store("signed");
  return {
    config: (state) => ({
      momentum: hyperAt(momentum, state.count),
      dampening,
      nesterov,
      ...(compact.dtype ? { stateDtype: compact.dtype } : {}),
    }),
    init: (params) => ({
      count: 0,
      momentumBuffer: compact.dtype ? momentsLike(store, params) : buffersLike(params),
    }),
    buffers: (state) => ({ momentumBuffer: decodedView(store, state.momentumBuffer) }),
    update(updates: Tree, state) {
      const us = updateLeaves(owner, updates, sized(state.momentumBuffer));
      const mu = valueAt(owner, "momentum", momentum, state.count, "[0, 1]");
      const first = state.count === 0;
      const keep = 1 - dampening;
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const b = state.momentumBuffer[i]!;
        if (!isFloatArray(b)) {
          blockwise(
            [store],
            [b],
            { seed: compact.seed, step: state.count + 1, leaf: i, stream },
            u.length,
            (start, [bs]) => {
              for (let j = 0; j < bs!.length; j++) {
                const g = u[start + j]!;
                bs![j] = first ? g : mu * bs![j]! + keep * g;
              }
            },
            (start, [bs]) => {
              for (let j = 0; j < bs!.length; j++)
                u[start + j] = nesterov ? u[start + j]! + mu * bs![j]! : bs![j]!;
            },
          );
          continue;
        }
        for (let j = 0; j < u.length; j++) {
          const g = u[j]!;
          const bj = first ? g : mu * b[j]! + keep * g;
          b[j] = bj;
          u[j] = nesterov ? g + mu * b[j]! : b[j]!;
        }
      }
      state.count += 1;
      return updates;
    },
  };
}
