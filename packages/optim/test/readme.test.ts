/** Every TypeScript example in the README runs as written (against the source, via the `momenta` alias). */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { describe, expect, it, vi } from "vitest";

const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const dir = new URL("./.readme/", import.meta.url);
const printed: unknown[][][] = [];

describe("README examples", () => {
  it("there are examples", () => {
    expect(examples.length).toBeGreaterThanOrEqual(4);
  });
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  examples.forEach((code, i) => {
    it(`example ${i + 1} runs`, async () => {
      const file = new URL(`example-${i + 1}.ts`, dir);
      writeFileSync(file, code);
      const log = vi.spyOn(console, "log").mockImplementation(() => {});
      try {
        await import(pathToFileURL(file.pathname).href);
        printed[i] = log.mock.calls;
      } finally {
        log.mockRestore();
      }
    });
  });
  it("the quickstart converges where it says, and resume restores the step count", () => {
    const [count, weights] = printed[0]![0]!;
    expect(count).toBe(500);
    for (const w of weights as string[]) expect(Math.abs(Number(w) - 1)).toBeLessThan(0.1);
    const clip = examples.findIndex((code) => code.includes("clipByGlobalNorm(0.01)"));
    const [before, after] = printed[clip]![0]! as { v: number; step30: number }[];
    expect(before!.v).toBeLessThan(0.02);
    expect(after!.v).toBeGreaterThan(900);
    expect(before!.step30).toBeGreaterThan(0.0095);
    expect(after!.step30 * 4).toBeLessThan(before!.step30);
    const resume = examples.findIndex((code) => code.includes("loadStateDict"));
    expect(printed[resume]![0]).toEqual([1]);
  });
});
