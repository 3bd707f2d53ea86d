/**
 * The labelled form controls: landscape, start points, racers (kind, hyperparameters, clipping),
 * schedule, noise. Every control is a native input, select or button with a label and a stable id,
 * so keyboards, screen readers and tests can reach it; edits go through `change`.
 */
import { h } from "./dom.ts";
import { CATALOG, type Landscape, landscapeEntry } from "./landscapes.ts";
import { PALETTE } from "./map.ts";
import { OPTIMIZERS, optimizerKind } from "./optimizers.ts";
import { PRESETS } from "./presets.ts";
import { SCHEDULES, scheduleKind } from "./schedules.ts";
import { type ClipSetup, LIMITS, racer, type Setup } from "./setup.ts";
import { complete, fmt, type Spec, type Values } from "./spec.ts";

export interface ControlsHost {
  setup: Setup;
  landscape: Landscape;
  /** Racer index → the constructor's complaint. */
  errors: ReadonlyMap<number, string>;
  /** Applies an edit; `structural` edits rebuild the controls. */
  change(edit: (s: Setup) => void, options?: { structural?: boolean }): void;
  loadPreset(id: string): void;
  racerName(i: number): string;
}

/** One labelled input for a spec; calls `commit` with a valid value, flags invalid ones. */
export function specInput(
  id: string,
  spec: Spec,
  value: Values[string],
  commit: (v: Values[string]) => void,
): HTMLElement {
  const hint = spec.hint ? h("span", { class: "hint", id: `${id}-hint` }, spec.hint) : null;
  if (spec.type === "bool") {
    const input = h("input", {
      type: "checkbox",
      id,
      checked: value === true,
      "aria-describedby": hint ? `${id}-hint` : undefined,
    });
    input.addEventListener("change", () => commit(input.checked));
    return h("div", { class: "field check" }, input, h("label", { for: id }, spec.label), hint);
  }
  if (spec.type === "choice") {
    const select = h(
      "select",
      { id },
      ...spec.options.map((o) => h("option", { value: o, selected: o === value }, o)),
    );
    select.addEventListener("change", () => commit(select.value));
    return h("div", { class: "field" }, h("label", { for: id }, spec.label), select, hint);
  }
  const error = h("span", { class: "error", id: `${id}-error`, role: "status" });
  const input = h("input", {
    type: "number",
    id,
    inputmode: "decimal",
    min: spec.min,
    max: spec.max,
    step: spec.log ? "any" : (spec.step ?? "any"),
    value: fmt(value as number),
    "aria-describedby": [hint ? `${id}-hint` : "", `${id}-error`].filter(Boolean).join(" "),
  });
  input.addEventListener("change", () => {
    const v = input.valueAsNumber;
    const ok = Number.isFinite(v) && v >= spec.min && v <= spec.max && (!spec.int || Number.isInteger(v));
    input.setAttribute("aria-invalid", String(!ok));
    error.textContent = ok
      ? ""
      : `${spec.int ? "a whole number " : ""}in [${fmt(spec.min)}, ${fmt(spec.max)}]`;
    if (ok) commit(v);
  });
  return h("div", { class: "field" }, h("label", { for: id }, spec.label), input, hint, error);
}

function section(id: string, title: string, ...children: (Node | null)[]): HTMLElement {
  return h("fieldset", { id }, h("legend", {}, title), ...children);
}

export function presetControls(host: ControlsHost): HTMLElement {
  const select = h(
    "select",
    { id: "preset" },
    h("option", { value: "" }, "— your own setup —"),
    ...PRESETS.map((p) => h("option", { value: p.id, selected: host.setup.preset === p.id }, p.name)),
  );
  select.addEventListener("change", () => {
    if (select.value) host.loadPreset(select.value);
    else
      host.change(
        (s) => {
          s.preset = undefined;
        },
        { structural: true },
      );
  });
  return h("div", { class: "field preset" }, h("label", { for: "preset" }, "Story"), select);
}

export function landscapeControls(host: ControlsHost): HTMLElement {
  const { setup } = host;
  const entry = landscapeEntry(setup.landscape.id);
  const select = h(
    "select",
    { id: "landscape" },
    ...CATALOG.map((e) => h("option", { value: e.id, selected: e.id === setup.landscape.id }, e.name)),
  );
  select.addEventListener("change", () =>
    host.change(
      (s) => {
        s.landscape = { id: select.value, params: {} };
        s.starts = [];
        s.preset = undefined;
      },
      { structural: true },
    ),
  );
  const params = (entry?.params ?? []).map((p) =>
    specInput(
      `landscape-${p.key}`,
      { ...p, type: "number", step: p.log ? undefined : p.step },
      setup.landscape.params[p.key] ?? p.default,
      (v) =>
        host.change(
          (s) => {
            s.landscape.params[p.key] = v as number;
          },
          { structural: true },
        ),
    ),
  );
  return section(
    "landscape-controls",
    "Landscape",
    h("div", { class: "field" }, h("label", { for: "landscape" }, "Landscape"), select),
    ...params,
    h("p", { class: "hint" }, host.landscape.description),
  );
}

export function startControls(host: ControlsHost): HTMLElement {
  const { setup } = host;
  const items = setup.starts.map(([x, y], i) => {
    const remove = h("button", { type: "button", "aria-label": `Remove start ${i + 1}` }, "×");
    remove.addEventListener("click", () =>
      host.change(
        (s) => {
          s.starts.splice(i, 1);
          s.selected.start = Math.min(s.selected.start, Math.max(s.starts.length - 1, 0));
        },
        { structural: true },
      ),
    );
    return h(
      "li",
      {},
      `${i + 1}: (${fmt(Number(x.toPrecision(4)))}, ${fmt(Number(y.toPrecision(4)))}) `,
      remove,
    );
  });
  const useDefault = h("button", { type: "button", id: "start-default" }, "Add the landscape's start");
  useDefault.addEventListener("click", () =>
    host.change(
      (s) => {
        if (s.starts.length >= LIMITS.starts) s.starts.shift();
        s.starts.push([host.landscape.start[0], host.landscape.start[1]]);
      },
      { structural: true },
    ),
  );
  const clear = h(
    "button",
    { type: "button", id: "starts-clear", disabled: setup.starts.length === 0 },
    "Clear",
  );
  clear.addEventListener("click", () =>
    host.change(
      (s) => {
        s.starts = [];
      },
      { structural: true },
    ),
  );
  return section(
    "start-controls",
    "Start points",
    h(
      "p",
      { class: "hint", id: "map-help" },
      `Click the map to drop a start point (up to ${LIMITS.starts}), or focus the map, move the cursor with the arrow keys (Shift: faster) and press Enter.`,
    ),
    items.length
      ? h("ol", { class: "starts" }, ...items)
      : h("p", { class: "muted" }, "No start points yet."),
    h("div", { class: "row" }, useDefault, clear),
  );
}

function clipControls(host: ControlsHost, i: number, clip: ClipSetup): HTMLElement {
  const edit = (patch: Partial<ClipSetup>, structural = false) =>
    host.change(
      (s) => {
        s.racers[i]!.clip = { ...s.racers[i]!.clip, ...patch };
      },
      { structural },
    );
  const mode = specInput(
    `racer-${i}-clip`,
    {
      key: "clip",
      label: "gradient clipping",
      type: "choice",
      options: ["off", "before", "after"],
      default: "off",
    },
    clip.mode,
    (v) => edit({ mode: v as ClipSetup["mode"] }, true),
  );
  if (clip.mode === "off") return mode;
  return h(
    "div",
    { class: "clip" },
    mode,
    specInput(
      `racer-${i}-clip-kind`,
      { key: "kind", label: "clip by", type: "choice", options: ["norm", "value"], default: "norm" },
      clip.kind,
      (v) => edit({ kind: v as ClipSetup["kind"] }, true),
    ),
    specInput(
      `racer-${i}-clip-threshold`,
      {
        key: "threshold",
        label: clip.mode === "before" ? "max gradient norm" : "max step norm",
        type: "number",
        min: 1e-9,
        max: 1e6,
        default: 1,
        log: true,
        hint:
          clip.mode === "before"
            ? "before: the moments see the clipped gradient"
            : "after: clips the final step; the moments saw the raw gradient",
      },
      clip.threshold,
      (v) => edit({ threshold: v as number }),
    ),
  );
}

export function racerControls(host: ControlsHost): HTMLElement {
  const { setup } = host;
  const cards = setup.racers.map((r, i) => {
    const kind = optimizerKind(r.kind);
    const select = h(
      "select",
      { id: `racer-${i}-kind` },
      ...OPTIMIZERS.map((k) => h("option", { value: k.id, selected: k.id === r.kind }, k.name)),
    );
    select.addEventListener("change", () =>
      host.change(
        (s) => {
          s.racers[i] = racer(select.value, {}, s.racers[i]!.clip);
        },
        {
          structural: true,
        },
      ),
    );
    const remove = h(
      "button",
      {
        type: "button",
        id: `racer-${i}-remove`,
        "aria-label": `Remove ${host.racerName(i)}`,
        disabled: setup.racers.length <= 1,
      },
      "Remove",
    );
    remove.addEventListener("click", () =>
      host.change(
        (s) => {
          s.racers.splice(i, 1);
          s.selected.racer = Math.min(s.selected.racer, s.racers.length - 1);
        },
        { structural: true },
      ),
    );
    const hp = complete(kind.hp, r.hp);
    const error = host.errors.get(i);
    return h(
      "li",
      { class: "racer", style: `--racer: ${PALETTE[i % PALETTE.length]}` },
      h(
        "div",
        { class: "racer-head" },
        h("span", { class: "swatch", "aria-hidden": "true" }),
        h("label", { for: `racer-${i}-kind`, class: "visually-hidden" }, `Racer ${i + 1} optimizer`),
        select,
        remove,
      ),
      h("p", { class: "hint" }, kind.note),
      h(
        "div",
        { class: "grid" },
        ...kind.hp.map((spec) =>
          specInput(`racer-${i}-${spec.key}`, spec, hp[spec.key]!, (v) =>
            host.change((s) => {
              s.racers[i]!.hp[spec.key] = v;
            }),
          ),
        ),
      ),
      clipControls(host, i, r.clip),
      error ? h("p", { class: "error", role: "alert" }, error) : null,
    );
  });
  const add = h(
    "select",
    { id: "add-kind" },
    ...OPTIMIZERS.map((k) => h("option", { value: k.id, selected: k.id === "adamw" }, k.name)),
  );
  const addButton = h(
    "button",
    { type: "button", id: "add-racer", disabled: setup.racers.length >= LIMITS.racers },
    "Add racer",
  );
  addButton.addEventListener("click", () =>
    host.change((s) => void s.racers.push(racer(add.value)), { structural: true }),
  );
  return section(
    "racer-controls",
    "Racers",
    h("ol", { class: "racers" }, ...cards),
    h("div", { class: "row" }, h("label", { for: "add-kind" }, "New racer"), add, addButton),
  );
}

export function scheduleControls(host: ControlsHost): HTMLElement {
  const { setup } = host;
  const kind = scheduleKind(setup.schedule.kind);
  const select = h(
    "select",
    { id: "schedule" },
    ...SCHEDULES.map((k) => h("option", { value: k.id, selected: k.id === kind.id }, k.name)),
  );
  select.addEventListener("change", () =>
    host.change(
      (s) => {
        s.schedule = { kind: select.value, params: complete(scheduleKind(select.value).params, {}) };
      },
      {
        structural: true,
      },
    ),
  );
  const p = complete(kind.params, setup.schedule.params);
  return section(
    "schedule-controls",
    "Learning-rate schedule",
    h(
      "div",
      { class: "field" },
      h("label", { for: "schedule" }, "Schedule (every racer, around its own lr)"),
      select,
    ),
    h(
      "div",
      { class: "grid" },
      ...kind.params.map((spec) =>
        specInput(`schedule-${spec.key}`, spec, p[spec.key]!, (v) =>
          host.change((s) => {
            s.schedule.params[spec.key] = v;
          }),
        ),
      ),
    ),
    h("p", { class: "hint" }, kind.fn ? `${kind.fn}: ${kind.note}` : kind.note),
  );
}

export function noiseControls(host: ControlsHost): HTMLElement {
  const { setup } = host;
  return section(
    "noise-controls",
    "Gradient noise and spikes",
    h(
      "div",
      { class: "grid" },
      specInput(
        "noise-sigma",
        {
          key: "sigma",
          label: "noise σ",
          type: "number",
          min: 0,
          max: 100,
          default: 0,
          step: 0.01,
          hint: "N(0, σ²) per coordinate",
        },
        setup.noise.sigma,
        (v) =>
          host.change((s) => {
            s.noise.sigma = v as number;
          }),
      ),
      specInput(
        "noise-seed",
        {
          key: "seed",
          label: "noise seed",
          type: "number",
          min: 0,
          max: 2 ** 32 - 1,
          default: 1,
          step: 1,
          int: true,
        },
        setup.noise.seed,
        (v) =>
          host.change((s) => {
            s.noise.seed = v as number;
          }),
      ),
      specInput(
        "spike-at",
        {
          key: "at",
          label: "spike at update",
          type: "number",
          min: 0,
          max: LIMITS.steps,
          default: 0,
          step: 1,
          int: true,
          hint: "0: no spike",
        },
        setup.spike.at,
        (v) =>
          host.change((s) => {
            s.spike.at = v as number;
          }),
      ),
      specInput(
        "spike-factor",
        {
          key: "factor",
          label: "spike × gradient",
          type: "number",
          min: -1e6,
          max: 1e6,
          default: 1000,
          step: 1,
        },
        setup.spike.factor,
        (v) =>
          host.change((s) => {
            s.spike.factor = v as number;
          }),
      ),
    ),
  );
}
