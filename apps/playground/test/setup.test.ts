/** The Playground's setup: URL schema, presets, and that every racer builds and steps (in Node, no browser). */
import * as momenta from "momenta-optim";
import { describe, expect, it } from "vitest";
import { buildRacer } from "../src/build.ts";
import { makeLandscape } from "../src/landscapes.ts";
import { OPTIMIZERS } from "../src/optimizers.ts";
import { PRESETS } from "../src/presets.ts";
import { createRace } from "../src/race.ts";
import { SCHEDULES } from "../src/schedules.ts";
import { decodeFragment, defaultSetup, encodeFragment, racer, setupData } from "../src/setup.ts";

const bad = (data: unknown) => decodeFragment(`#${encodeURIComponent(JSON.stringify(data))}`, "ravine");
const minimal = { v: 1, landscape: { id: "ravine" }, racers: [{ kind: "adam" }] };

describe("Playground setup", () => {
  it("round-trips every preset through the URL fragment", () => {
    for (const p of PRESETS) {
      const d = decodeFragment(encodeFragment(p.setup), "ravine");
      expect(d.ok, p.id).toBe(true);
      if (d.ok) expect(setupData(d.setup)).toEqual(setupData(p.setup));
    }
  });

  it("fills defaults for a minimal link", () => {
    const d = bad(minimal);
    expect(d.ok).toBe(true);
    if (d.ok) {
      expect(d.setup.racers[0]!.hp).toEqual(racer("adam").hp);
      expect(d.setup.steps).toBe(defaultSetup("ravine").steps);
    }
  });

  it("refuses anything outside the schema", () => {
    const cases: unknown[] = [
      { ...minimal, v: 2 },
      { ...minimal, racers: [{ kind: "adam", hp: { lr: "alert(1)" } }] },
      { ...minimal, racers: [{ kind: "adam", hp: { lr: 1e9 } }] },
      { ...minimal, racers: [{ kind: "adam", hp: { weightDecay: 0.1 } }] }, // adam (no decay) has no weightDecay
      { ...minimal, racers: [{ kind: "eval" }] },
      { ...minimal, racers: [] },
      { ...minimal, extra: 1 },
      { ...minimal, landscape: { id: "../../etc" } },
      { ...minimal, starts: [[0, 1e300]] },
      { ...minimal, steps: 2.5 },
      { ...minimal, schedule: { kind: "cosine", params: { tMax: 0 } } },
      { ...minimal, racers: Array(9).fill({ kind: "sgd" }) },
      JSON.parse('{"v":1,"landscape":{"id":"ravine"},"racers":[{"kind":"adam","__proto__":{"x":1}}]}'),
    ];
    for (const c of cases) expect(bad(c).ok, JSON.stringify(c)).toBe(false);
    expect(decodeFragment("#not json", "ravine").ok).toBe(false);
    expect(decodeFragment(`#${"x".repeat(20_000)}`, "ravine").ok).toBe(false);
  });

  it("races every optimizer the library declares, its controls inside the declared ranges", () => {
    for (const [name, f] of Object.entries(momenta)) {
      const d = momenta.declarationOf(f);
      if (!d) continue;
      const kinds = OPTIMIZERS.filter((k) => k.fn === name);
      expect(kinds.length, name).toBeGreaterThan(0);
      for (const k of kinds) {
        for (const c of k.hp) {
          const declared = (d.options as Record<string, momenta.OptionSpec>)[c.key];
          if (c.type !== "number" || declared?.type !== "number") continue;
          for (const v of [c.min, c.max, c.default])
            expect(momenta.inInterval(v, declared.range), `${k.id}.${c.key} ${v}`).toBe(true);
        }
        // its controls at their extremes build (the constructor's own checks accept them)
        for (const pick of ["min", "max"] as const) {
          const hp = Object.fromEntries(k.hp.map((c) => [c.key, c.type === "number" ? c[pick] : c.default]));
          expect(() => k.build(k.options(hp, 0.1)), `${k.id} at ${pick}`).not.toThrow();
        }
      }
    }
  });

  it("builds every optimizer under every schedule and races it", () => {
    const l = makeLandscape("rosenbrock", {});
    for (const s of SCHEDULES) {
      const setup = defaultSetup("rosenbrock");
      setup.starts = [[-1.2, 1]];
      setup.steps = 30;
      setup.schedule = { kind: s.id, params: {} };
      setup.racers = OPTIMIZERS.map((k) => racer(k.id));
      for (const r of setup.racers) expect(buildRacer(r, setup).code).toMatch(/\(\{/);
      // Up to 8 racers per race.
      for (let i = 0; i < setup.racers.length; i += 8) {
        const race = createRace(l, { ...setup, racers: setup.racers.slice(i, i + 8) });
        expect(race.errors.size, s.id).toBe(0);
        race.advance(30);
        for (const run of race.runs)
          expect(run.status, `${setup.racers[i + run.racer]!.kind} ${s.id}`).not.toBe("error");
      }
    }
  });

  it("offers every declared choice, null as its fallback: Adam with bfloat16 or 8-bit state races", () => {
    const adam = OPTIMIZERS.find((k) => k.id === "adam")!;
    const control = adam.hp.find((c) => c.key === "stateDtype");
    expect(control).toMatchObject({
      type: "choice",
      options: ["default", "float32", "bfloat16", "int8"],
      default: "default",
    });
    const setup = defaultSetup("rosenbrock");
    setup.starts = [[-1.2, 1]];
    setup.steps = 50;
    // "default" is left out of the call, as a user would write it
    expect(buildRacer(racer("adam"), setup).code).not.toMatch(/stateDtype/);
    setup.racers = (["default", "float32", "bfloat16", "int8"] as const).map((stateDtype) => ({
      ...racer("adam"),
      hp: { ...racer("adam").hp, stateDtype },
    }));
    expect(buildRacer(setup.racers[3]!, setup).code).toMatch(/stateDtype: "int8"/);
    const race = createRace(makeLandscape("rosenbrock", {}), setup);
    expect(race.errors.size).toBe(0);
    race.advance(50);
    const ends = race.runs.map((r) => {
      expect(r.status).not.toBe("error");
      return [r.xs[50]!, r.ys[50]!];
    });
    // float32 moments on the landscape's float64 point move it a little differently; all stay close
    for (const e of ends.slice(1))
      expect(Math.hypot(e[0]! - ends[0]![0]!, e[1]! - ends[0]![1]!)).toBeLessThan(0.05);
    expect(ends[3]).not.toEqual(ends[0]);
  });

  it("races the closure optimizers: L-BFGS (both line searches) and SAM, whose code shows the wrapper", () => {
    for (const id of ["lbfgs", "lbfgsWolfe", "samMomentum", "rprop", "asgd"])
      expect(OPTIMIZERS.map((k) => k.id)).toContain(id);
    const setup = defaultSetup("rosenbrock");
    setup.starts = [[-1.2, 1]];
    setup.steps = 40;
    expect(buildRacer(racer("samMomentum"), setup).code).toMatch(
      /^sam\(sgd\(\{ lr: 0\.01, momentum: 0\.9 \}\), \{ rho: 0\.1 \}\)$/,
    );
    setup.racers = [racer("lbfgsWolfe"), racer("lbfgs")];
    const race = createRace(makeLandscape("rosenbrock", {}), setup);
    race.advance(40);
    // one L-BFGS iteration per step with the line search reaches Rosenbrock's minimum in 40
    const [wolfe] = race.runs;
    expect(wolfe!.status).not.toBe("error");
    expect(wolfe!.fs[40]!).toBeLessThan(1e-6);
  });

  it("stages each preset's story", () => {
    const finals = (id: string) => {
      const p = PRESETS.find((x) => x.id === id)!;
      const race = createRace(makeLandscape(p.setup.landscape.id, p.setup.landscape.params), p.setup);
      race.advance(p.setup.steps);
      return race.runs.map((r) => [r.xs[r.length - 1]!, r.ys[r.length - 1]!, r.fs[r.length - 1]!] as const);
    };
    // Plateau: Adam reaches the basin, SGD barely moves.
    const [sgdP, , adamP] = finals("plateau");
    expect(adamP![2]).toBeLessThan(-0.4);
    expect(sgdP![0]).toBeLessThan(-6);
    // The scar: unclipped and clipped-after Adam stall on the shelf, clipped-before reaches the basin.
    const [plain, before, after] = finals("v-scar");
    expect(plain![0]).toBeLessThan(-4);
    expect(after![0]).toBeLessThan(-4);
    expect(before![2]).toBeLessThan(-0.4);
    // Silent weight: Adam + L2 collapses y; AdamW shrinks it gently.
    const [l2, w] = finals("silent");
    expect(Math.abs(l2![1])).toBeLessThan(0.05);
    expect(w![1]).toBeGreaterThan(0.5);
  });
});
