/** Play/pause, step, reset, speed and race length; Space, "." and "r" work anywhere outside a form field. */

import { specInput } from "./controls.ts";
import { h } from "./dom.ts";
import { LIMITS } from "./setup.ts";

export interface PlaybackHost {
  toggle(): void;
  stepOnce(): void;
  reset(): void;
  setSpeed(stepsPerSecond: number): void;
  setSteps(steps: number): void;
}

export interface Playback {
  readonly element: HTMLElement;
  update(state: { playing: boolean; step: number; steps: number; finished: boolean; speed: number }): void;
}

export function createPlayback(host: PlaybackHost, initial: { speed: number; steps: number }): Playback {
  const play = h(
    "button",
    { type: "button", id: "play", "aria-pressed": "false", "aria-keyshortcuts": "Space" },
    "Play",
  );
  const step = h("button", { type: "button", id: "step", "aria-keyshortcuts": "." }, "Step");
  const reset = h("button", { type: "button", id: "reset", "aria-keyshortcuts": "R" }, "Reset");
  const speed = h("input", {
    type: "range",
    id: "speed",
    min: 0,
    max: 3,
    step: 0.01,
    value: Math.log10(initial.speed),
  });
  const speedOut = h("output", { for: "speed", id: "speed-out" }, `${initial.speed} / s`);
  const status = h("span", { id: "status", role: "status", "aria-live": "polite" });
  play.addEventListener("click", () => host.toggle());
  step.addEventListener("click", () => host.stepOnce());
  reset.addEventListener("click", () => host.reset());
  speed.addEventListener("input", () => {
    const v = Math.round(10 ** speed.valueAsNumber);
    speedOut.textContent = `${v} / s`;
    host.setSpeed(v);
  });
  const steps = specInput(
    "steps",
    {
      key: "steps",
      label: "updates",
      type: "number",
      min: 1,
      max: LIMITS.steps,
      default: 300,
      step: 10,
      int: true,
    },
    initial.steps,
    (v) => host.setSteps(v as number),
  );
  const element = h(
    "div",
    { class: "playback", role: "group", "aria-label": "Playback" },
    play,
    step,
    reset,
    h("label", { for: "speed" }, "speed"),
    speed,
    speedOut,
    steps,
    status,
  );
  document.addEventListener("keydown", (e) => {
    const t = e.target as HTMLElement | null;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (t && (t.closest("input, select, textarea, button, summary") || t.isContentEditable)) return;
    if (e.key === " ") {
      e.preventDefault();
      host.toggle();
    } else if (e.key === ".") host.stepOnce();
    else if (e.key === "r" || e.key === "R") host.reset();
  });
  return {
    element,
    update(s) {
      play.textContent = s.playing ? "Pause" : "Play";
      play.setAttribute("aria-pressed", String(s.playing));
      status.textContent = `update ${s.step} / ${s.steps}${s.finished ? " · finished" : ""}`;
      const stepsInput = steps.querySelector("input")!;
      if (document.activeElement !== stepsInput && stepsInput.valueAsNumber !== s.steps)
        stepsInput.value = String(s.steps);
      const v = Math.round(10 ** speed.valueAsNumber);
      if (v !== s.speed) {
        speed.value = String(Math.log10(s.speed));
        speedOut.textContent = `${s.speed} / s`;
      }
    },
  };
}
