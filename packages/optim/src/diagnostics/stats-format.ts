/**
 * Writing `OptimizerStats` out: `formatStats` gives the compact one-line summary a training loop
 * prints (e.g. once per epoch), `toJsonl` the full record, one JSON object per line.
 *
 * The line, fields in this order, each present only when its statistic is (see `stats.ts`):
 *
 *     step 100  ‖g‖ 5.85  ‖u‖ 0.0323  u/p 0.0111  clip ×0.171 (100% of steps)
 *     lrEff 0.0793…[0.0795 0.08 0.556]…0.609  decay/step 0.0845  nonfinite g 3 u 0
 *     v-scars 1 (b.weight[7] ×94.2, recovers in ~458 steps)  lr 0.01  wd 0.1
 *
 * (one line in practice). Numbers have 3 significant digits; `clip –` means this step was not
 * clipped; `lrEff min…[p10 p50 p90]…max`, with `≈` before the bracket when the percentiles are
 * sampled; the non-finite counts appear only when one is non-zero.
 */
import type { OptimizerStats } from "./stats.js";

/** 3 significant digits; exponent form below 1e-3 and from 1e4. */
export function formatNumber(x: number): string {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a < 1e-3 || a >= 1e4) return x.toExponential(2).replace(/\.?0+e/, "e");
  return String(Number(x.toPrecision(3)));
}

/** The one-line summary described above. */
export function formatStats(stats: OptimizerStats): string {
  const f = formatNumber;
  const parts = [`step ${stats.step}`, `‖g‖ ${f(stats.gradNorm)}`, `‖u‖ ${f(stats.updateNorm)}`];
  if (stats.updateToParam !== null) parts.push(`u/p ${f(stats.updateToParam)}`);
  const c = stats.clip;
  if (c) {
    parts.push(
      `clip ${c.clipped ? `×${f(c.scale)}` : "–"} (${Math.round(100 * c.clippedFraction)}% of steps)`,
    );
  }
  const e = stats.effectiveLr;
  if (e) {
    const mid = `${e.sampled === null ? "" : "≈"}[${f(e.p10)} ${f(e.p50)} ${f(e.p90)}]`;
    parts.push(`lrEff ${f(e.min)}…${mid}…${f(e.max)}`);
  }
  const d = stats.decay;
  if (d && d.ratio !== null) parts.push(`decay/step ${f(d.ratio)}`);
  const nf = stats.nonFinite;
  if (nf.grads > 0 || nf.updates > 0 || (nf.params ?? 0) > 0) {
    parts.push(`nonfinite g ${nf.grads} u ${nf.updates}${nf.params ? ` p ${nf.params}` : ""}`);
  }
  const v = stats.vScar;
  if (v) {
    const w = v.scars[0];
    const worst = w
      ? ` (${w.path}[${w.index}] ×${f(w.ratio)}, ${w.recoverySteps === null ? "does not recover" : `recovers in ~${w.recoverySteps} steps`})`
      : "";
    parts.push(`v-scars ${v.count}${worst}`);
  }
  const h = stats.hyperparams;
  if (h) {
    if (h.lr !== undefined) parts.push(`lr ${f(h.lr)}`);
    if (h.weightDecay !== undefined) parts.push(`wd ${f(h.weightDecay)}`);
  }
  return parts.join("  ");
}

/**
 * JSON Lines: one `JSON.stringify`d object per report, each line ending in "\n". NaN and ±Infinity,
 * which JSON cannot hold (and `JSON.stringify` would silently turn into null), are written as the
 * strings "NaN", "Infinity" and "-Infinity".
 */
export function toJsonl(stats: OptimizerStats | readonly OptimizerStats[]): string {
  const list = Array.isArray(stats) ? stats : [stats as OptimizerStats];
  return list.map((s) => `${JSON.stringify(s, nonFinite)}\n`).join("");
}

function nonFinite(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isFinite(value) ? String(value) : value;
}
