/**
 * The Adam configurations every kernel test runs — plain, AMSGrad with L2 and maximize, scheduled
 * lr/decay/β1 with a mask, clipped — with storage options spread into each (float, bfloat16 or
 * 8-bit state), so each kernel is held to the same cases.
 */
import * as m from "momenta-optim";

export type Make = () => m.GradientTransformation<unknown>;

/** A schedule that moves every step (0.02 down to 0 and back over ~44 steps). */
export const cosine = (c: number) => 0.02 * (0.5 + 0.5 * Math.cos(c / 7));

export function adamConfigs(storage: m.CompactStateOptions = {}): [string, Make][] {
  return [
    ["adamw", () => m.adamw({ lr: 0.01, weightDecay: 0.1, ...storage })],
    ["adam", () => m.adam({ lr: 0.01, ...storage })],
    [
      "adam amsgrad L2 maximize",
      () => m.adam({ lr: 0.01, amsgrad: true, weightDecay: 0.05, maximize: true, ...storage }),
    ],
    [
      "adamw scheduled lr, wd, β1; masked",
      () =>
        m.adamw({
          lr: cosine,
          weightDecay: (c) => 0.1 / (1 + c),
          betas: [(c) => 0.8 + 0.1 * Math.sin(c), 0.99],
          mask: (p) => !p.includes("b"),
          ...storage,
        }),
    ],
    [
      "clip → adamw amsgrad",
      () => m.chain(m.clipByGlobalNorm(0.5), m.adamw({ lr: 0.01, amsgrad: true, ...storage })),
    ],
  ];
}
