/**
 * A racer's transform, composed from library pieces only: the optimizer (with the schedule as its
 * lr) and, when asked, gradient clipping chained before it (the moments see clipped gradients) or
 * after it (the final step is clipped; the moments saw the raw gradient).
 */
import { type AnyTransformation, chain, clipByGlobalNorm, clipByValue, type Hyper } from "momenta-optim";
import { callText, optimizerKind } from "./optimizers.ts";
import { scheduleKind } from "./schedules.ts";
import type { RacerSetup, Setup } from "./setup.ts";
import { complete, fmt, num } from "./spec.ts";

export interface BuiltRacer {
  tx: AnyTransformation;
  /** The library calls that built it, as source text. */
  code: string;
  /** The lr the update at `count` uses (0-based). */
  lrAt(count: number): number;
  /** The base lr (the racer's lr setting). */
  lr: number;
}

export function buildRacer(r: RacerSetup, s: Pick<Setup, "schedule" | "steps">): BuiltRacer {
  const kind = optimizerKind(r.kind);
  const hp = complete(kind.hp, r.hp);
  const base = num(hp, "lr");
  const sk = scheduleKind(s.schedule.kind);
  const sp = complete(sk.params, s.schedule.params);
  // an lr that is not schedulable (Rprop, ASGD) stays the base value under any schedule
  const lr: Hyper = kind.lrSchedulable ? sk.build(base, sp, s.steps) : base;
  const options = kind.options(hp, lr);
  let tx = kind.build(options);
  let code = kind.code ? kind.code(options) : callText(kind.fn, options);
  if (typeof lr === "function") code = `const schedule = ${sk.text(base, sp, s.steps)};\n${code}`;
  if (r.clip.mode !== "off") {
    const clip = r.clip.kind === "norm" ? clipByGlobalNorm(r.clip.threshold) : clipByValue(r.clip.threshold);
    const clipCode = `${r.clip.kind === "norm" ? "clipByGlobalNorm" : "clipByValue"}(${fmt(r.clip.threshold)})`;
    tx = r.clip.mode === "before" ? chain(clip, tx) : chain(tx, clip);
    code = code.replace(/[^\n]+$/, (call) =>
      r.clip.mode === "before" ? `chain(${clipCode}, ${call})` : `chain(${call}, ${clipCode})`,
    );
  }
  return { tx, code, lr: base, lrAt: (count) => (typeof lr === "function" ? lr(count) : lr) };
}
