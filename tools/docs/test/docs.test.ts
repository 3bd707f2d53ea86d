/**
 * The API reference builds, and every exported symbol of momenta-optim, momenta-optim/tfjs,
 * momenta-optim/webgpu and momenta-optim/node is documented: TypeDoc's validation (typedoc.json: notDocumented,
 * notExported, warnings as errors) fails on a missing doc comment or a public type that is not
 * exported. `--emit none` validates without writing the site (`npm run docs` writes it).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const dir = fileURLToPath(new URL("..", import.meta.url));

describe("API reference (TypeDoc)", () => {
  it("documents every export, with no warnings", () => {
    const run = spawnSync(
      process.execPath,
      ["node_modules/typedoc/bin/typedoc", "--options", "typedoc.json", "--emit", "none"],
      { cwd: dir, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" } },
    );
    const output = `${run.stdout}${run.stderr}`;
    expect(output).not.toMatch(/\[(warning|error)\]/);
    expect(run.status, output).toBe(0);
  }, 90_000);
});
