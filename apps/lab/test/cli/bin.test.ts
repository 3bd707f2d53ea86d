/**
 * The CLI as users run it: a separate Node process (through tsx, as `npm run train` does), where TF.js
 * comes from its CommonJS builds and the gradients through momenta's resolve hook, the progress goes
 * to stderr as one line per epoch (not a terminal), and the exit codes are real.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { OPTIMIZERS } from "../../src/cli/config.ts";
import { tempDir } from "./io.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

function cli(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    ["--conditions=momenta-source", "--import", "tsx", "src/cli/main.ts", ...args],
    {
      cwd: root,
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("momenta (a real process)", () => {
  it("trains, reports and saves; progress on stderr, the result on stdout", () => {
    const out = tempDir("bin");
    const r = cli(
      "train",
      "--train-size",
      "1000",
      "--test-size",
      "500",
      "--epochs",
      "1",
      "--lr",
      "3e-3",
      "--out",
      out,
    );
    expect(r.stderr).not.toMatch(/error|Error/);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^epoch 1\/1 █+ 16\/16 {2}loss \d\.\d{4} {2}acc \d+\.\d\d% {2}lr 3\.00e-3 .* {2}test acc \d+\.\d\d%$/m,
    );
    expect(r.stdout).toMatch(/^test accuracy \d+\.\d\d% \(\d+\/500 held-out digits\)/);
    for (const f of [
      "config.json",
      "metrics.json",
      "metrics.csv",
      "checkpoint/model.json",
      "checkpoint/weights.bin",
    ]) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
  });

  it("exits with 2 and a one-line message on a bad value; --help lists the choices", () => {
    const bad = cli("train", "--lr", "abc");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("error: --lr: expected a number > 0, got 'abc'\n");
    const help = cli("train", "--help");
    expect(help.code).toBe(0);
    // every optimizer momenta declares (but NOT_IN_CLI's)
    expect(help.stdout.replace(/\s+/g, " ")).toContain(`Optimizers: ${OPTIMIZERS.join(", ")}`);
    expect(OPTIMIZERS).toContain("yogi");
    expect(help.stdout).toContain("--compare <recipes>");
  });

  it("a reader that goes away (momenta train --help | head) is no error: no EPIPE stack trace, exit 0", async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ["--conditions=momenta-source", "--import", "tsx", "src/cli/main.ts", "train", "--help"],
        { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
      );
      child.stdout.destroy(); // the reader is gone before the help is written
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stderr }));
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });
});
