/**
 * The Playground in a real Chromium (Debian's `chromium`, driven by playwright-core): build the page
 * with Vite, serve it from a loopback server, choose a landscape, drop a start point by clicking the
 * map, play the race, and check that every drawn trajectory is, bit for bit, what the library computes
 * in Node for the same setup with `createOptimizer` directly. A screenshot is kept in
 * test/web/artifacts/.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openSite, type Site, watch } from "@momenta/browser-test";
import { type Landscape, landscapeById, noisyGradient } from "@momenta/landscapes";
import {
  adam,
  adamw,
  chain,
  clipByGlobalNorm,
  cosineAnnealingLr,
  createOptimizer,
  type GradientTransformation,
  rmsprop,
  sgd,
} from "momenta-optim";
import type { BrowserContext, Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ARTIFACTS = fileURLToPath(new URL("./artifacts/", import.meta.url));
const CONFIG = fileURLToPath(new URL("../vite.config.ts", import.meta.url));

type Point = [number, number, number];
interface DrawnRun {
  racer: number;
  start: number;
  kind: string;
  status: string;
  points: Point[];
}
interface Hook {
  step(): number;
  status(): string;
  setup(): { starts: [number, number][]; landscape: { id: string; params: Record<string, number> } };
  view(): { window: [number, number, number, number]; width: number; height: number };
  runs(): DrawnRun[];
}
declare global {
  interface Window {
    __playground: Hook;
  }
}

/** What the library computes in Node: createOptimizer on { p: [x, y] }, fed the landscape's gradient. */
function nodeTrajectory(
  l: Landscape,
  tx: GradientTransformation<unknown>,
  start: [number, number],
  steps: number,
  noise?: { sigma: number; seed: number },
): Point[] {
  const params = { p: new Float64Array(start) };
  const opt = createOptimizer(tx, params, { kernel: "reference" });
  const grad = noise ? noisyGradient(l, noise) : (x: number, y: number) => l.gradient(x, y);
  const out: Point[] = [[start[0], start[1], l.value(start[0], start[1])]];
  for (let t = 0; t < steps; t++) {
    const [x, y] = params.p as unknown as [number, number];
    opt.step({ p: grad(x, y) });
    out.push([params.p[0]!, params.p[1]!, l.value(params.p[0]!, params.p[1]!)]);
  }
  return out;
}

/**
 * The largest difference between two trajectories, relative to max(1, |value|). Chromium's V8 and
 * Node 20's V8 ship different libm implementations (exp, log, cos, pow — and so `β ** t` — differ in
 * the last bit for some arguments; +, −, ×, ÷ and √ are IEEE-exact in both), so a racer whose update
 * uses a power (Adam's bias corrections) or a landscape or noise stream using exp/log/cos can differ
 * by an ulp per step; everything else must match bit for bit.
 */
function maxRelDiff(a: Point[], b: Point[]): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    for (let k = 0; k < 3; k++) {
      const x = a[i]![k]!;
      const y = b[i]![k]!;
      if (Object.is(x, y)) continue;
      worst = Math.max(worst, Math.abs(x - y) / Math.max(1, Math.abs(y)));
    }
  }
  return worst;
}

const fragment = (setup: unknown) => `#${encodeURIComponent(JSON.stringify(setup))}`;

async function playToEnd(page: Page): Promise<void> {
  await page.click("#play");
  await page.waitForFunction(() => window.__playground.status() === "done", undefined, { timeout: 30_000 });
}

describe("the Playground in Chromium", () => {
  let site: Site | undefined;
  let context: BrowserContext | undefined;
  let base = "";

  beforeAll(async () => {
    site = await openSite(
      "momenta-playground-",
      (out) => build({ configFile: CONFIG, logLevel: "silent", build: { outDir: out, emptyOutDir: true } }),
      { viewport: { width: 1280, height: 1100 } },
    );
    ({ base, context } = site);
  }, 120_000);

  afterAll(async () => {
    await site?.close();
  });

  it("draws exactly the library's trajectories for a landscape chosen and a start clicked", async () => {
    const problems: string[] = [];
    const page = watch(await context!.newPage(), problems);
    const steps = 150;
    // The racers come from the URL; the landscape and the start from the UI.
    await page.goto(
      base +
        fragment({
          v: 1,
          landscape: { id: "ravine", params: {} },
          racers: [
            { kind: "momentum", hp: { lr: 0.0015, momentum: 0.9 } },
            { kind: "adam", hp: { lr: 0.05 } },
            { kind: "adamw", hp: { lr: 0.05, weightDecay: 0.1 } },
            { kind: "rmsprop", hp: { lr: 0.01 } },
          ],
          steps,
          speed: 600,
        }),
    );
    await page.waitForFunction(() => typeof window.__playground === "object");
    await page.selectOption("#landscape", "rosenbrock");
    await page.waitForFunction(() => window.__playground.setup().landscape.id === "rosenbrock");

    // Click at 25% across, 30% down the map; the start must land where that pixel is.
    const box = (await page.locator("#map").boundingBox())!;
    const px = box.width * 0.25;
    const py = box.height * 0.3;
    await page.mouse.click(box.x + px, box.y + py);
    await page.waitForFunction(() => window.__playground.setup().starts.length === 1);
    const { starts, landscape } = await page.evaluate(() => window.__playground.setup());
    const view = await page.evaluate(() => window.__playground.view());
    const [wx0, wx1, wy0, wy1] = view.window;
    const start = starts[0]!;
    const pixel = (wx1 - wx0) / view.width;
    expect(Math.abs(start[0] - (wx0 + (px * (wx1 - wx0)) / box.width))).toBeLessThan(pixel);
    expect(Math.abs(start[1] - (wy1 - (py * (wy1 - wy0)) / box.height))).toBeLessThan(pixel);

    await playToEnd(page);
    const runs = await page.evaluate(() => window.__playground.runs());
    expect(runs.map((r) => r.kind)).toEqual(["momentum", "adam", "adamw", "rmsprop"]);

    const l = landscapeById(landscape.id, landscape.params);
    const expected = [
      sgd({ lr: 0.0015, momentum: 0.9 }),
      adam({ lr: 0.05 }),
      adamw({ lr: 0.05, weightDecay: 0.1 }),
      rmsprop({ lr: 0.01 }),
    ].map((tx) => nodeTrajectory(l, tx, start, steps));
    for (const [i, run] of runs.entries()) {
      expect(run.status).toBe("done");
      expect(run.points).toHaveLength(steps + 1);
      // SGD with momentum and RMSprop on Rosenbrock use only +, −, ×, ÷, √: bit for bit. Adam and
      // AdamW raise β to the power t: to the last bit of each engine's pow.
      if (run.kind === "momentum" || run.kind === "rmsprop")
        expect(run.points, run.kind).toEqual(expected[i]);
      else expect(maxRelDiff(run.points, expected[i]!), run.kind).toBeLessThan(1e-13);
    }
    // The runs went somewhere: every racer moved away from the start.
    for (const run of runs) expect(run.points.at(-1)![0]).not.toBe(start[0]);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "playground.png"), fullPage: true });
    expect(problems).toEqual([]);

    // The URL now carries the whole setup: a fresh page from it draws the same race.
    const url = page.url();
    const again = watch(await context!.newPage(), problems);
    await again.goto(url);
    await again.waitForFunction(() => typeof window.__playground === "object");
    await playToEnd(again);
    expect(await again.evaluate(() => window.__playground.runs().map((r) => r.points))).toEqual(
      runs.map((r) => r.points),
    );
    expect(problems).toEqual([]);
    await again.close();
    await page.close();
  }, 120_000);

  it("schedules, clipping before the moments and seeded noise match the library too", async () => {
    const problems: string[] = [];
    const page = watch(await context!.newPage(), problems);
    const steps = 80;
    await page.goto(
      base +
        fragment({
          v: 1,
          landscape: { id: "saddle", params: { quartic: 0.5 } },
          starts: [[1, 0.001]],
          racers: [
            { kind: "adam", hp: { lr: 0.05 }, clip: { mode: "before", kind: "norm", threshold: 0.5 } },
          ],
          schedule: { kind: "cosine", params: { tMax: 60 } },
          noise: { sigma: 0.3, seed: 7 },
          steps,
          speed: 2000,
        }),
    );
    await page.waitForFunction(() => typeof window.__playground === "object");
    await playToEnd(page);
    const [run] = await page.evaluate(() => window.__playground.runs());
    const l = landscapeById("saddle", { quartic: 0.5 });
    const tx = chain(clipByGlobalNorm(0.5), adam({ lr: cosineAnnealingLr({ lr: 0.05, tMax: 60 }) }));
    const expected = nodeTrajectory(l, tx, [1, 0.001], steps, { sigma: 0.3, seed: 7 });
    // The noise is Box–Muller (log, cos) and Adam uses pow: equal to the engines' last bits.
    expect(maxRelDiff(run!.points, expected)).toBeLessThan(1e-13);
    expect(Math.abs(run!.points.at(-1)![1])).toBeGreaterThan(0.1); // it left the saddle
    expect(run!.points).toHaveLength(steps + 1);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it("is keyboard-operable, labels every control, and refuses a bad link without errors", async () => {
    const problems: string[] = [];
    const page = watch(await context!.newPage(), problems);
    await page.goto(
      `${base}#${encodeURIComponent('{"v":1,"landscape":{"id":"ravine"},"racers":[{"kind":"adam","hp":{"lr":"alert(1)"}}]}')}`,
    );
    await page.waitForFunction(() => typeof window.__playground === "object");
    await expect.poll(() => page.locator("#notice").textContent()).toContain("not usable");
    // Every form control has a label (or an aria-label).
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll("input, select, button")]
        .filter(
          (el) =>
            !(el as HTMLInputElement).labels?.length &&
            !el.getAttribute("aria-label") &&
            !el.textContent?.trim(),
        )
        .map((el) => el.id || el.outerHTML),
    );
    expect(unlabelled).toEqual([]);
    // Drop a start with the keyboard, play with Space, step with ".".
    const before = (await page.evaluate(() => window.__playground.setup())).starts.length;
    await page.focus("#map");
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("Enter");
    expect((await page.evaluate(() => window.__playground.setup())).starts.length).toBe(before + 1);
    await page.keyboard.press(".");
    await expect.poll(() => page.evaluate(() => window.__playground.step())).toBe(1);
    await page.keyboard.press("r");
    await expect.poll(() => page.evaluate(() => window.__playground.step())).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});
