/** `momenta train --compare adam-l2,adamw`: both recipes on the same seed, side by side. */
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-core/dist/register_all_gradients.js";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { capture, tempDir } from "./io.ts";

const SHARED = [
  "--epochs",
  "1",
  "--train-size",
  "2000",
  "--test-size",
  "1000",
  "--backend",
  "wasm",
  "--no-progress",
];

describe("momenta train --compare", () => {
  it("trains adam-l2 and adamw on the same seed and prints their test accuracies side by side", async () => {
    const out = tempDir("compare");
    const c = capture();
    expect(await main(["train", "--compare", "adam-l2,adamw", ...SHARED, "--out", out], c.io)).toBe(0);
    const table = c.stdout().trim().split("\n");
    const header = table.findIndex((l) => l.startsWith("recipe"));
    expect(table[header]).toMatch(/^recipe\s+optimizer\s+test acc\s+test loss\s+train loss\s+seconds$/);
    const rows = table.slice(header + 1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^adam-l2\s+adam lr=0\.001 weightDecay=0\.01\s+\d+\.\d\d%\s+\d\.\d{4}/);
    expect(rows[1]).toMatch(/^adamw\s+adamw lr=0\.001 weightDecay=0\.01\s+\d+\.\d\d%\s+\d\.\d{4}/);

    const saved = JSON.parse(readFileSync(join(out, "compare.json"), "utf8")) as {
      recipe: string;
      testAccuracy: number;
    }[];
    expect(saved.map((r) => r.recipe)).toEqual(["adam-l2", "adamw"]);
    for (const r of saved) expect(r.testAccuracy).toBeGreaterThan(0.8);
    expect(rows[1]).toContain(`${(100 * saved[1]!.testAccuracy).toFixed(2)}%`);
    expect(existsSync(join(out, "adamw", "checkpoint", "state.json"))).toBe(true);
    expect(readFileSync(join(out, "compare.csv"), "utf8").split("\n")[0]).toBe(
      "recipe,optimizer,testAccuracy,testLoss,trainLoss,seconds",
    );

    // "the same seed": a recipe's run in the comparison is the run you get on its own
    const alone = tempDir("alone");
    const a = capture();
    const flags = [
      "--optimizer",
      "adamw",
      "--lr",
      "0.001",
      "--weight-decay",
      "0.01",
      ...SHARED,
      "--out",
      alone,
    ];
    expect(await main(["train", ...flags], a.io)).toBe(0);
    const single = JSON.parse(readFileSync(join(alone, "metrics.json"), "utf8")) as {
      epochs: { testAccuracy: number }[];
    };
    expect(single.epochs[0]!.testAccuracy).toBe(saved[1]!.testAccuracy);
  });

  it("optimizer flags apply to every recipe", async () => {
    const c = capture();
    const code = await main(
      ["train", "--compare", "adam-l2,adamw", "--weight-decay", "0.05", "--print-config"],
      c.io,
    );
    expect(code).toBe(0);
    const configs = JSON.parse(c.stdout());
    expect(configs["adam-l2"].optimizer).toEqual({ name: "adam", lr: 1e-3, weightDecay: 0.05 });
    expect(configs.adamw.optimizer).toEqual({ name: "adamw", lr: 1e-3, weightDecay: 0.05 });
    expect(configs.adamw.out).toBe(join("runs/momenta-train", "adamw"));
  });
});
