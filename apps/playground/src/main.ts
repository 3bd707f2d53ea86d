/**
 * The Playground: wires the setup (from the URL), the race, the map, the controls, the lr curve and
 * the inspector, and exposes a read-only `window.__playground` for tests and the curious.
 */
import { buildRacer } from "./build.ts";
import {
  type ControlsHost,
  landscapeControls,
  noiseControls,
  presetControls,
  racerControls,
  scheduleControls,
  startControls,
} from "./controls.ts";
import { fill, h } from "./dom.ts";
import { renderInspector } from "./inspector.ts";
import { type Landscape, makeLandscape } from "./landscapes.ts";
import { createLrCurve } from "./lr-curve.ts";
import { createMap, PALETTE } from "./map.ts";
import { optimizerKind } from "./optimizers.ts";
import { createPlayback } from "./playback.ts";
import { presetById } from "./presets.ts";
import { createRace, type Race } from "./race.ts";
import {
  cloneSetup,
  decodeFragment,
  defaultSetup,
  encodeFragment,
  LIMITS,
  type Setup,
  setupData,
} from "./setup.ts";

const DEFAULT_LANDSCAPE = "rosenbrock";

function initialSetup(): { setup: Setup; notice?: string } {
  const d = decodeFragment(location.hash, DEFAULT_LANDSCAPE);
  if (d.ok) return { setup: d.setup };
  const preset = presetById("ravine");
  const setup = preset ? cloneSetup(preset.setup) : defaultSetup(DEFAULT_LANDSCAPE);
  return {
    setup,
    ...(d.error === "empty"
      ? {}
      : { notice: `The link's setup was not usable (${d.error}); showing a preset instead.` }),
  };
}

function checkedLandscape(s: Setup): { landscape: Landscape; error?: string } {
  try {
    return { landscape: makeLandscape(s.landscape.id, s.landscape.params) };
  } catch (e) {
    s.landscape = { id: DEFAULT_LANDSCAPE, params: {} };
    return { landscape: makeLandscape(DEFAULT_LANDSCAPE, {}), error: (e as Error).message };
  }
}

const init = initialSetup();
let setup = init.setup;
let { landscape, error: landscapeError } = checkedLandscape(setup);
let race: Race = createRace(landscape, setup);
let playing = false;
let pending = 0;
let lastTime = 0;
let dirty = true;

const app = document.getElementById("app")!;
const notice = h("p", { id: "notice", role: "alert", class: "notice" });
const caption = h("p", { id: "caption", class: "caption" });
const announcer = h("p", { class: "visually-hidden", "aria-live": "polite" });
const map = createMap(
  (x, y) => {
    change(
      (s) => {
        if (s.starts.length >= LIMITS.starts) s.starts.shift();
        s.starts.push([x, y]);
        s.selected.start = s.starts.length - 1;
      },
      { structural: true },
    );
    announcer.textContent = `Start ${setup.starts.length} dropped at x ${x.toFixed(2)}, y ${y.toFixed(2)}`;
  },
  (m) => {
    announcer.textContent = m;
  },
);
const lrCurve = createLrCurve();
const inspector = h("div", { id: "inspector" });
const inspectPick = h("div", { class: "row inspect-pick" });
const sidebar = h("div", { class: "sidebar" });
const playback = createPlayback(
  {
    toggle() {
      if (race.finished && !playing) restart();
      playing = !playing;
      lastTime = performance.now();
      dirty = true;
    },
    stepOnce() {
      playing = false;
      race.advance(1);
      dirty = true;
    },
    reset() {
      playing = false;
      restart();
    },
    setSpeed(v) {
      setup.speed = v;
      writeUrl();
    },
    setSteps(v) {
      change((s) => {
        s.steps = v;
      });
    },
  },
  setup,
);

function restart(keepStep = 0): void {
  race = createRace(landscape, setup);
  if (keepStep > 0) race.advance(Math.min(keepStep, setup.steps));
  pending = 0;
  dirty = true;
}

function racerName(i: number): string {
  const r = setup.racers[i];
  if (!r) return "";
  const base = optimizerKind(r.kind).name;
  const clip = r.clip.mode === "off" ? "" : `, clip ${r.clip.mode}`;
  return `${i + 1}. ${base}${clip}`;
}

function writeUrl(): void {
  const fragment = `#${encodeFragment(setup)}`;
  if (location.hash !== fragment) history.replaceState(null, "", fragment);
}

const host: ControlsHost = {
  get setup() {
    return setup;
  },
  get landscape() {
    return landscape;
  },
  get errors() {
    return race.errors;
  },
  change: (edit, options) => change(edit, options),
  loadPreset(id) {
    const p = presetById(id);
    if (p) apply(cloneSetup(p.setup), { structural: true });
  },
  racerName,
};

/** Applies an edit to a copy of the setup; the race restarts and replays to the current update. */
function change(edit: (s: Setup) => void, options: { structural?: boolean } = {}): void {
  const next = cloneSetup(setup);
  edit(next);
  apply(next, { ...options, keepStep: race.step });
}

function apply(next: Setup, options: { structural?: boolean; keepStep?: number } = {}): void {
  const landscapeChanged =
    next.landscape.id !== setup.landscape.id ||
    JSON.stringify(next.landscape.params) !== JSON.stringify(setup.landscape.params);
  setup = next;
  if (landscapeChanged) {
    const r = checkedLandscape(setup);
    landscape = r.landscape;
    landscapeError = r.error;
    map.setLandscape(landscape, mapWidth());
  }
  playing = playing && !landscapeChanged;
  restart(landscapeChanged ? 0 : (options.keepStep ?? 0));
  if (options.structural) renderSidebar();
  else refreshErrors();
  writeUrl();
}

function mapWidth(): number {
  return Math.min(720, (document.getElementById("map-wrap")?.clientWidth || 640) - 2);
}

/** Rebuilds the controls, keeping keyboard focus on the control that had it (same id). */
function renderSidebar(): void {
  const focusId = document.activeElement?.id;
  fill(
    sidebar,
    presetControls(host),
    landscapeControls(host),
    startControls(host),
    racerControls(host),
    scheduleControls(host),
    noiseControls(host),
  );
  const preset = presetById(setup.preset);
  caption.textContent = preset ? preset.caption : "";
  caption.hidden = !preset;
  notice.textContent = landscapeError ?? init.notice ?? "";
  notice.hidden = !notice.textContent;
  init.notice = undefined;
  renderInspectPick();
  if (focusId) document.getElementById(focusId)?.focus();
  dirty = true;
}

function refreshErrors(): void {
  document.querySelectorAll<HTMLElement>(".racer").forEach((card, i) => {
    card.querySelector(".racer-error")?.remove();
    const e = race.errors.get(i);
    if (e) card.append(h("p", { class: "error racer-error", role: "alert" }, e));
  });
}

function renderInspectPick(): void {
  const racerSel = h(
    "select",
    { id: "inspect-racer" },
    ...setup.racers.map((_, i) =>
      h("option", { value: i, selected: i === setup.selected.racer }, racerName(i)),
    ),
  );
  const startSel = h(
    "select",
    { id: "inspect-start", disabled: setup.starts.length === 0 },
    ...setup.starts.map((_, i) =>
      h("option", { value: i, selected: i === setup.selected.start }, `start ${i + 1}`),
    ),
  );
  const pick = () => {
    setup.selected = { racer: Number(racerSel.value), start: Number(startSel.value) || 0 };
    writeUrl();
    dirty = true;
  };
  racerSel.addEventListener("change", pick);
  startSel.addEventListener("change", pick);
  fill(
    inspectPick,
    h("label", { for: "inspect-racer" }, "Inspect"),
    racerSel,
    h("label", { for: "inspect-start", class: "visually-hidden" }, "Start point"),
    startSel,
  );
}

function draw(): void {
  const sel = setup.selected;
  map.draw(race, setup.starts, sel);
  map.canvas.dataset.step = String(race.step);
  map.canvas.dataset.status = playing ? "playing" : race.finished ? "done" : "paused";
  lrCurve.draw(lrOf(sel.racer), setup.steps, race.step, PALETTE[sel.racer % PALETTE.length]!);
  const run = race.runs.find((r) => r.racer === sel.racer && r.start === sel.start);
  renderInspector(inspector, run, setup.racers[sel.racer], racerName(sel.racer));
  playback.update({
    playing,
    step: race.step,
    steps: setup.steps,
    finished: race.finished,
    speed: setup.speed,
  });
}

// The selected racer's lr schedule, built once per setup (the lr curve caches by function identity).
let lrMemo: { setup: Setup; racer: number; fn: ((c: number) => number) | undefined } | undefined;
function lrOf(i: number): ((c: number) => number) | undefined {
  if (lrMemo?.setup !== setup || lrMemo.racer !== i) {
    let fn: ((c: number) => number) | undefined;
    try {
      const r = setup.racers[i];
      fn = r ? buildRacer(r, setup).lrAt : undefined;
    } catch {
      fn = undefined;
    }
    lrMemo = { setup, racer: i, fn };
  }
  return lrMemo.fn;
}

function frame(now: number): void {
  if (playing) {
    pending += (setup.speed * Math.min(now - lastTime, 250)) / 1000;
    lastTime = now;
    const n = Math.min(Math.floor(pending), 5000);
    if (n > 0) {
      pending -= n;
      race.advance(n);
      dirty = true;
    }
    if (race.finished) {
      playing = false;
      dirty = true;
    }
  }
  if (dirty) {
    dirty = false;
    draw();
  }
  requestAnimationFrame(frame);
}

/** Read-only: copies of the setup and of every drawn trajectory, for tests and the console. */
const hook = Object.freeze({
  version: 1,
  step: () => race.step,
  status: () => (playing ? "playing" : race.finished ? "done" : "paused"),
  setup: () => JSON.parse(JSON.stringify(setupData(setup))) as unknown,
  view: () => ({ window: [...map.view.window], width: map.view.width, height: map.view.height }),
  runs: () =>
    race.runs.map((r) => ({
      racer: r.racer,
      start: r.start,
      kind: setup.racers[r.racer]!.kind,
      name: racerName(r.racer),
      status: r.status,
      code: r.built.code,
      points: Array.from(
        { length: r.length },
        (_, i) => [r.xs[i]!, r.ys[i]!, r.fs[i]!] as [number, number, number],
      ),
    })),
});
Object.defineProperty(window, "__playground", { value: hook, writable: false, configurable: false });

window.addEventListener("hashchange", () => {
  const d = decodeFragment(location.hash, DEFAULT_LANDSCAPE);
  if (d.ok && JSON.stringify(setupData(d.setup)) !== JSON.stringify(setupData(setup))) {
    playing = false;
    apply(d.setup, { structural: true });
  }
});
let resizeTimer = 0;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(() => {
    map.setLandscape(landscape, mapWidth());
    dirty = true;
  }, 150);
});

const share = h("button", { type: "button", id: "share" }, "Copy link");
share.addEventListener("click", async () => {
  writeUrl();
  try {
    await navigator.clipboard.writeText(location.href);
    announcer.textContent = "Link copied.";
  } catch {
    announcer.textContent = "Copy the address bar: it holds the whole setup.";
  }
});

fill(
  app,
  h(
    "header",
    {},
    h("h1", {}, "momenta Playground"),
    h(
      "p",
      { class: "muted" },
      "Optimizers from the momenta library racing across 2-D loss landscapes. The address bar holds the whole setup.",
    ),
    share,
    h("a", { href: "./mnist.html" }, "MNIST on the GPU →"),
  ),
  notice,
  caption,
  h(
    "main",
    {},
    h(
      "section",
      { class: "stage", "aria-label": "Race" },
      h("div", { id: "map-wrap" }, map.canvas),
      playback.element,
      h("h2", {}, "Learning rate"),
      lrCurve.element,
      h("h2", {}, "Inside the optimizer"),
      inspectPick,
      inspector,
    ),
    h("section", { class: "controls", "aria-label": "Setup" }, sidebar),
  ),
  announcer,
);
map.setLandscape(landscape, mapWidth());
renderSidebar();
writeUrl();
requestAnimationFrame((t) => {
  lastTime = t;
  frame(t);
});
