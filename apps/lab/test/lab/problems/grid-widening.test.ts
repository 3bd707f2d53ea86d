/** Tuning grids widened until their best is interior (the Lab's fair-comparison rule). */
import { type Landscape, multiBasin, ravine } from "@momenta/landscapes";
import { rmsprop, sgd } from "momenta-optim";
import { describe, expect, it } from "vitest";
import { onEdge } from "../../../src/lab/experiment.ts";
import { bestPeak, nextNice, uniformStarts } from "../../../src/lab/problems/basin-hopping.ts";
import { bestLr, bestLrInterior, geometricGrid, raceGrid } from "../../../src/lab/problems/landscape-race.ts";

describe("nextNice", () => {
  it("steps along 1–3–10 both ways", () => {
    expect(nextNice(0.03, -1)).toBe(0.01);
    expect(nextNice(0.01, -1)).toBe(0.003);
    expect(nextNice(0.003, -1)).toBe(0.001);
    expect(nextNice(10, 1)).toBe(30);
    expect(nextNice(3, 1)).toBe(10);
    expect(nextNice(0.1, 1)).toBe(0.3);
  });
});

describe("bestPeak", () => {
  const L: Landscape = multiBasin();
  const starts = uniformStarts(L, 20, 3);
  const o = { steps: 200, sigma: 0, noiseSeed: 1, settle: 0.5 };
  it("widens a grid whose best is alone on its edge until another value ties or beats it, running each value once", () => {
    let calls = 0;
    const make = (p: number) => {
      calls++;
      return sgd({ lr: p, momentum: 0.9 });
    };
    // SGD momentum over 20 starts: 0.001 → 20 %, 0.003 → 30 %, 0.01 → 30 % (measured)
    const narrow = bestPeak(L, [0.001, 0.003], make, starts, o, 0);
    expect(narrow.peak).toBe(0.003);
    calls = 0;
    const widened = bestPeak(L, [0.001, 0.003], make, starts, o, 3);
    expect(widened.byPeak.map((b) => b.peak)).toEqual([0.001, 0.003, 0.01]);
    expect(widened.peak).toBe(0.003); // the first on ties, now interior
    expect(calls).toBe(3 * starts.length);
  });
  it("leaves a grid whose best is interior as it is", () => {
    const r = bestPeak(L, [0.001, 0.003, 0.01], (p) => sgd({ lr: p, momentum: 0.9 }), starts, o, 3);
    expect(r.byPeak.map((b) => b.peak)).toEqual([0.001, 0.003, 0.01]);
  });
});

describe("bestLrInterior", () => {
  it("tied lrs are finished, so a plateau reaching inside the grid is not an edge", () => {
    const L = ravine({ condition: 100, angle: 0 });
    const starts: [number, number][] = [
      [-2.5, 0.8],
      [2.2, -1.2],
    ];
    const o = { maxSteps: 20000, done: (_x: number, _y: number, f: number) => f <= 1e-6, hold: 20 };
    const lrs = geometricGrid(0.01, 1, 2);
    const plain = bestLr(L, (lr) => sgd({ lr }), lrs, starts, o);
    const g = raceGrid("GD", plain)!;
    // every lr within 5 % of the best's steps is reported as tied with it
    for (const t of plain.trials)
      if (t.steps !== null && t.steps <= 1.05 * plain.steps!) expect(g.tied).toContain(t.lr);
    const { best, lrs: used } = bestLrInterior(L, (lr) => rmsprop({ lr }), [1e-3, 2e-3, 4e-3], 2, starts, o);
    const widened = raceGrid("RMSprop", best)!;
    expect(used.length).toBeGreaterThan(3);
    expect(onEdge(widened) && used.length < 3 + 3 * 4).toBe(false);
  });
});
