/** `momenta train --diagnostics k --diagnostics-jsonl f`: a stats line per epoch and every k-th report as JSONL. */
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-core/dist/register_all_gradients.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { capture, tempDir } from "./io.ts";

describe("momenta train --diagnostics", () => {
  it("prints the optimizer's stats each epoch and writes every report to JSONL", async () => {
    const out = tempDir("diagnostics");
    const jsonl = join(out, "stats.jsonl");
    const c = capture();
    const args = [
      "train",
      "--epochs",
      "2",
      "--train-size",
      "640",
      "--test-size",
      "200",
      "--batch-size",
      "64",
    ];
    const flags = [
      "--backend",
      "cpu",
      "--no-progress",
      "--clip",
      "1",
      "--diagnostics",
      "5",
      "--diagnostics-jsonl",
      jsonl,
    ];
    expect(await main([...args, ...flags, "--out", out], c.io)).toBe(0);
    const lines = c
      .stderr()
      .split("\n")
      .filter((l) => l.startsWith("diagnostics: "));
    expect(lines).toHaveLength(2); // one per epoch
    expect(lines[1]).toMatch(/^diagnostics: step 20 /);
    const reports = readFileSync(jsonl, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(reports.map((r) => r.step)).toEqual([5, 10, 15, 20]); // 10 batches per epoch, every 5th
    for (const r of reports) {
      expect(r.gradNorm).toBeGreaterThan(0);
      expect(r.clip.maxNorm).toBe(1);
      expect(r.hyperparams.lr).toBe(1e-3);
    }
  });
  it("rejects a bad interval with a message naming the flag", async () => {
    const c = capture();
    expect(await main(["train", "--diagnostics", "0", "--no-progress"], c.io)).not.toBe(0);
    expect(c.stderr()).toMatch(/--diagnostics/);
  });
});
