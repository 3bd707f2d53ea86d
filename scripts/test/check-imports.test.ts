/** The workspace's import rules: the real workspace keeps them, and each rule catches its breach. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { checkLayers, checkWorkspace, cycles, layerOf, specifiers } from "../check-imports.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const temp = mkdtempSync(join(tmpdir(), "momenta-imports-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

function workspace(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(temp, "ws-"));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), typeof content === "string" ? content : JSON.stringify(content));
  }
  return dir;
}

const lib = { name: "lib", exports: { ".": "./src/index.ts", "./node": "./src/node.ts" } };
const base = {
  "package.json": { workspaces: ["packages/lib", "apps/app"] },
  "packages/lib/package.json": lib,
  "packages/lib/src/index.ts": 'export const x = 1;\nimport "./node.ts";\n',
  "packages/lib/src/node.ts": "export {};\n",
  "apps/app/package.json": { name: "app", dependencies: { lib: "1" } },
};

describe("workspace import rules", () => {
  it("the real workspace keeps them", () => {
    expect(checkWorkspace(root)).toEqual([]);
  });

  it("a clean example passes", () => {
    const ws = workspace({
      ...base,
      "apps/app/src/main.ts": 'import { x } from "lib";\nimport "lib/node";\n',
    });
    expect(checkWorkspace(ws)).toEqual([]);
  });

  it("an import climbing out of its package is refused", () => {
    const ws = workspace({
      ...base,
      "apps/app/src/main.ts": 'import { x } from "../../../packages/lib/src/index.ts";\n',
    });
    expect(checkWorkspace(ws)).toEqual([
      'apps/app/src/main.ts: "../../../packages/lib/src/index.ts" climbs out of app (import other packages by name)',
    ]);
  });

  it("a subpath the package does not export is refused", () => {
    const ws = workspace({ ...base, "apps/app/src/main.ts": 'export { x } from "lib/src/index.ts";\n' });
    expect(checkWorkspace(ws)).toEqual([
      'apps/app/src/main.ts: "lib/src/index.ts" is not an export of lib (exports: ., ./node)',
    ]);
  });

  it("an undeclared workspace dependency is refused", () => {
    const ws = workspace({
      ...base,
      "apps/app/package.json": { name: "app" },
      "apps/app/src/main.ts": 'const m = await import("lib");\n',
    });
    expect(checkWorkspace(ws)).toEqual([
      "apps/app/src/main.ts: imports lib, which app's package.json does not declare",
    ]);
  });

  it("packages importing each other form a cycle, whether by import or by declaration", () => {
    const ws = workspace({
      ...base,
      "packages/lib/package.json": { ...lib, devDependencies: { app: "1" } },
      "apps/app/src/main.ts": 'import { x } from "lib";\n',
    });
    expect(checkWorkspace(ws)).toEqual(["cycle between packages: app → lib → app"]);
  });

  it("finds longer loops once each", () => {
    const edges = new Map([
      ["a", new Set(["b"])],
      ["b", new Set(["c"])],
      ["c", new Set(["a"])],
      ["d", new Set(["d"])],
    ]);
    expect(cycles(edges)).toEqual([
      ["a", "b", "c", "a"],
      ["d", "d"],
    ]);
  });

  it("reads every form of import", () => {
    const text = [
      'import a from "a";',
      'import type { B } from "b";',
      'import {\n  c,\n  d,\n} from "c";',
      'export * from "e";',
      'import "f";',
      'const g = await import("g");',
      'const s = "import h from \\"not-an-import\\"";',
    ].join("\n");
    expect(specifiers(text).sort()).toEqual(["a", "b", "c", "e", "f", "g"]);
  });

  it("inside the library, a module imports only from its own layer or earlier ones", () => {
    const layers = [["tree.ts"], ["transforms", "transform.ts"], ["kernels"]];
    expect(layerOf("kernels/plan.ts", layers)).toBe(2);
    expect(layerOf("other.ts", layers)).toBe(-1);
    const ws = workspace({
      "src/tree.ts": 'import { plan } from "./kernels/plan.js";\n',
      "src/transform.ts": 'import { leaves } from "./tree.js";\nimport { s } from "./transforms/scale.js";\n',
      "src/transforms/scale.ts": 'import { chain } from "../transform.js";\n',
      "src/kernels/plan.ts": 'import { chain } from "../transform.js";\n',
      "src/stray.ts": "export {};\n",
    });
    expect(checkLayers(join(ws, "src"), layers).sort()).toEqual([
      "stray.ts: not in any layer of the library (add it to LAYERS in scripts/check-imports.ts)",
      "tree.ts: imports kernels/plan.ts, a later layer (2 > 0)",
    ]);
  });
});
