/**
 * Internals of the selected run, read from the optimizer's own state: Adam's bias-corrected moments
 * m̂ and v̂, the effective per-coordinate learning rate lr/(√v̂ + ε), and the two ways weight decay
 * pulls a weight — decoupled (lr·λ·p, the same for every coordinate) and L2 (λp through the brake,
 * ≈ lr·λ·p/(√v̂ + ε)). Every other optimizer shows its state buffers as they are.
 */
import { h } from "./dom.ts";
import { optimizerKind } from "./optimizers.ts";
import type { Run } from "./race.ts";
import type { RacerSetup } from "./setup.ts";
import { bool, complete, fmt, num } from "./spec.ts";

type Row = [label: string, x: number | string, y: number | string, note?: string];

const show = (v: number | string) =>
  typeof v === "number" ? (Number.isFinite(v) ? fmt(Number(v.toPrecision(4))) : String(v)) : v;

/** Every array and every number in a state, with its path: the raw dump under the table. */
export function rawState(state: unknown, path = ""): { path: string; values: number[] }[] {
  const out: { path: string; values: number[] }[] = [];
  const walk = (node: unknown, p: string) => {
    if (node === null || node === undefined) return;
    if (typeof node === "number") out.push({ path: p, values: [node] });
    else if (ArrayBuffer.isView(node)) out.push({ path: p, values: Array.from(node as Float64Array) });
    else if (Array.isArray(node)) {
      for (const [i, c] of node.entries()) walk(c, `${p}[${i}]`);
    } else if (typeof node === "object")
      for (const [k, v] of Object.entries(node)) walk(v, p ? `${p}.${k}` : k);
  };
  walk(state, path);
  return out;
}

const pair = (a: ArrayLike<number> | undefined): [number, number] => [
  a?.[0] ?? Number.NaN,
  a?.[1] ?? Number.NaN,
];

function derived(run: Run, racer: RacerSetup): { rows: Row[]; caption: string } {
  const kind = optimizerKind(racer.kind);
  const hp = complete(kind.hp, racer.hp);
  const t = run.optimizer.stepCount;
  const rows: Row[] = [];
  if (t === 0) return { rows, caption: "Step once to see the state." };
  const lr = run.built.lrAt(t - 1);
  const p = [run.xs[run.length - 1]!, run.ys[run.length - 1]!];
  // the optimizer's buffers by name (the library's typed view: one array per leaf, here the one leaf)
  const b = run.optimizer.buffers;
  let caption = "";
  if (kind.internals === "adam") {
    if (b.expAvg && b.expAvgSq) {
      const b1 = num(hp, "beta1");
      const b2 = num(hp, "beta2");
      const eps = num(hp, "eps");
      const m = pair(b.expAvg[0]);
      const v = pair((bool(hp, "amsgrad") && b.maxExpAvgSq ? b.maxExpAvgSq : b.expAvgSq)[0]);
      const mh = m.map((x) => x / (1 - b1 ** t));
      const vh = v.map((x) => x / (1 - b2 ** t));
      const eff = vh.map((x) => lr / (Math.sqrt(x) + eps));
      rows.push(["m̂ = m/(1−β1ᵗ)", mh[0]!, mh[1]!, "momentum: the smoothed gradient"]);
      rows.push(["v̂ = v/(1−β2ᵗ)", vh[0]!, vh[1]!, "the brake: smoothed g²"]);
      rows.push(["lr/(√v̂+ε)", eff[0]!, eff[1]!, "effective per-coordinate lr"]);
      const lambda = kind.decay === "none" ? 0 : num(hp, "weightDecay");
      if (lambda > 0) {
        const dec = p.map((x) => lr * lambda * x);
        const l2 = p.map((x, i) => eff[i]! * lambda * x);
        if (kind.decay === "l2") {
          rows.push(["L2 pull ≈ lr·λ·p/(√v̂+ε)", l2[0]!, l2[1]!, "this racer: λp goes through the brake"]);
          rows.push(["decoupled pull lr·λ·p", dec[0]!, dec[1]!, "what AdamW would pull here"]);
        } else {
          rows.push(["decoupled pull lr·λ·p", dec[0]!, dec[1]!, "this racer: outside the brake"]);
          rows.push(["L2 pull", "—", "—", "L2 would mix λp into v̂ itself: race an Adam + L2 to compare"]);
        }
        caption =
          "Decoupled decay shrinks every coordinate by the same fraction lr·λ; L2 decay passes through the brake, " +
          "so a coordinate with a small v̂ (a silent one) is pulled far harder.";
      } else caption = "A coordinate with a large v̂ takes small steps: that is the per-direction brake.";
    }
  } else if (kind.internals === "rmsprop") {
    if (b.squareAvg) {
      const v = pair(b.squareAvg[0]);
      const g = b.gradAvg ? pair(b.gradAvg[0]) : [0, 0];
      const denom = v.map((x, i) => x - g[i]! * g[i]!);
      const eff = denom.map((x) => lr / (Math.sqrt(x) + num(hp, "eps")));
      rows.push(["v (no bias correction)", v[0]!, v[1]!, "smoothed g²"]);
      rows.push(["lr/(√v+ε)", eff[0]!, eff[1]!, "effective per-coordinate lr"]);
      caption = "Without Adam's bias correction the early v is small, so the first steps are large.";
    }
  } else if (kind.internals === "adagrad") {
    if (b.sum) {
      const v = pair(b.sum[0]);
      const eff = v.map((x) => lr / (Math.sqrt(x) + num(hp, "eps")));
      rows.push(["Σ g²", v[0]!, v[1]!, "never forgets"]);
      rows.push(["lr/(√Σg²+ε)", eff[0]!, eff[1]!, "effective per-coordinate lr"]);
      caption = "The accumulated sum only grows, so Adagrad's steps only shrink.";
    }
  }
  return { rows, caption };
}

export function renderInspector(
  el: HTMLElement,
  run: Run | undefined,
  racer: RacerSetup | undefined,
  name: string,
): void {
  const rawOpen = el.querySelector("details")?.open ?? false;
  el.replaceChildren();
  if (!run || !racer) {
    el.append(h("p", { class: "muted" }, "Drop a start point on the map to inspect a run."));
    return;
  }
  const t = run.optimizer.stepCount;
  const last = run.length - 1;
  const g = run.lastGrad;
  const lrUsed = t > 0 ? run.built.lrAt(t - 1) : Number.NaN;
  const base: Row[] = [
    ["position p", run.xs[last]!, run.ys[last]!],
    [
      "gradient g (last)",
      t > 0 ? g[0]! : "—",
      t > 0 ? g[1]! : "—",
      t > 0 ? `‖g‖ = ${show(Math.hypot(g[0]!, g[1]!))}` : "",
    ],
  ];
  const { rows, caption } = derived(run, racer);
  const table = h(
    "table",
    { class: "internals" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, "quantity"),
        h("th", { scope: "col" }, "x"),
        h("th", { scope: "col" }, "y"),
        h("th", { scope: "col" }, ""),
      ),
    ),
    h(
      "tbody",
      {},
      ...[...base, ...rows].map(([label, x, y, note]) =>
        h(
          "tr",
          {},
          h("th", { scope: "row" }, label),
          h("td", {}, show(x)),
          h("td", {}, show(y)),
          h("td", { class: "muted" }, note ?? ""),
        ),
      ),
    ),
  );
  const buffers = rawState(run.optimizer.state).map((b) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, b.path || "state"),
      h("td", { colspan: 3 }, b.values.map(show).join(", ")),
    ),
  );
  el.append(
    h(
      "p",
      { class: "run-head" },
      h("strong", {}, name),
      ` · start ${run.start + 1} · update ${t} · f = ${show(run.fs[last]!)} · lr used ${Number.isNaN(lrUsed) ? "—" : show(lrUsed)} · ${run.status}${run.error ? `: ${run.error}` : ""}`,
    ),
    h("pre", { class: "code" }, h("code", {}, run.built.code)),
    table,
    caption ? h("p", { class: "caption" }, caption) : "",
    h(
      "details",
      { open: rawOpen },
      h("summary", {}, "Raw optimizer state"),
      h("table", { class: "internals" }, h("tbody", {}, ...buffers)),
    ),
  );
}
