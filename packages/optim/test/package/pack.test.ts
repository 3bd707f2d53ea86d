/**
 * momenta-optim as users get it (issue #13): `npm pack` in packages/optim (its prepack copies the root
 * README.md and LICENSE in and builds dist afresh), the tarball installed into an empty project with
 * `--omit=dev` (no network: the tarball has no dependencies), run with plain node, and type-checked
 * without skipLibCheck by TypeScript 5.0.4 (tools/ts-min, the oldest version we support) and by the
 * repo's TypeScript 7. One check resolves @tensorflow/tfjs 4.21 from the npm registry (metadata
 * only); without the registry it fails, saying so.
 */
import {
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { join, posix, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  failure,
  lockPackages,
  npmPack,
  type Packed,
  project,
  ROOT,
  type Run,
  run,
  TSC,
  tempDir,
} from "./helpers.ts";

const FIXTURES = new URL("./fixtures/", import.meta.url);
const MB = 1024 * 1024;

let work: string;
let packed: Packed & { tarball: string };
let app: string;
let install: Run;
let installedTop: string[];
let appLock: Record<string, { version?: string }>;

beforeAll(async () => {
  work = tempDir("optim-pack");
  packed = await npmPack("packages/optim", work);
  app = project(join(work, "app"), { name: "app", version: "1.0.0", private: true, type: "module" });
  install = await run(
    "npm",
    ["install", "--omit=dev", "--offline", "--no-audit", "--no-fund", packed.tarball],
    app,
  );
  if (install.code !== 0) throw new Error(failure("npm install of the tarball", install));
  installedTop = readdirSync(join(app, "node_modules")).sort();
  appLock = lockPackages(app);
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const installed = (...path: string[]) => join(app, "node_modules/momenta-optim", ...path);

/** The module files (extension stripped) under a folder, relative to it. */
function modules(dir: string, ext: RegExp): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && ext.test(e.name))
    .map((e) => relative(dir, join(e.parentPath, e.name)).split("\\").join("/").replace(ext, ""))
    .sort();
}

describe("the tarball", () => {
  it("holds dist, README.md, LICENSE and package.json, and nothing of src, tests, Lab, CLI or bench", () => {
    const top = [...new Set(packed.files.map((f) => f.path.split("/")[0]))].sort();
    expect(top).toEqual(["LICENSE", "README.md", "dist", "package.json"]);
    const stray = packed.files
      .map((f) => f.path)
      .filter((p) => p.startsWith("dist/") && !/\.(js|d\.ts)$/.test(p));
    expect(stray, "dist holds only .js and .d.ts (no source maps, no sources)").toEqual([]);
    expect(
      packed.files.filter((f) => /(^|\/)(src|test|tests|bench|lab|cli|scripts|node_modules)\//.test(f.path)),
    ).toEqual([]);
    expect(packed.bundled).toEqual([]);
  });

  it("is a full build: a .js and a .d.ts in dist for every module in src, no source map comment", () => {
    const src = modules(join(ROOT, "packages/optim/src"), /\.ts$/);
    expect(src.length).toBeGreaterThan(100);
    expect(modules(installed("dist"), /\.js$/)).toEqual(src);
    expect(modules(installed("dist"), /\.d\.ts$/)).toEqual(src);
    const mapped = modules(installed("dist"), /\.js$/).filter((m) =>
      readFileSync(installed("dist", `${m}.js`), "utf8").includes("sourceMappingURL"),
    );
    expect(mapped).toEqual([]);
  });

  it("is well under 5 MB, packed and unpacked", () => {
    expect(packed.size).toBeLessThan(5 * MB);
    expect(packed.unpackedSize).toBeLessThan(5 * MB);
    // The figures, for the record (npm pack --json).
    console.log(
      `momenta-optim tarball: ${packed.size} bytes, ${packed.unpackedSize} unpacked, ${packed.entryCount} files`,
    );
  });

  it("ships the root's README.md and an MIT LICENSE (2026, the momenta authors)", () => {
    expect(readFileSync(installed("README.md"), "utf8")).toBe(readFileSync(join(ROOT, "README.md"), "utf8"));
    const license = readFileSync(installed("LICENSE"), "utf8");
    expect(license).toBe(readFileSync(join(ROOT, "LICENSE"), "utf8"));
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) 2026 the momenta authors\n/);
    expect(license).toContain('THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND');
  });
});

describe("package.json as published", () => {
  const manifest = () => JSON.parse(readFileSync(installed("package.json"), "utf8"));

  it("names the license, repository, homepage and bugs; Node 20; no dependencies", () => {
    const m = manifest();
    expect(m).toMatchObject({
      name: "momenta-optim",
      license: "MIT",
      type: "module",
      engines: { node: ">=20" },
      repository: {
        type: "git",
        url: "git+https://github.com/momenta-optim/momenta.git",
        directory: "packages/optim",
      },
      homepage: "https://github.com/momenta-optim/momenta#readme",
      bugs: { url: "https://github.com/momenta-optim/momenta/issues" },
      files: ["dist", "README.md", "LICENSE"],
      peerDependenciesMeta: { "@tensorflow/tfjs-core": { optional: true } },
    });
    expect(m.dependencies).toBeUndefined();
    expect(Object.keys(m.peerDependencies)).toEqual(["@tensorflow/tfjs-core"]);
  });

  it("every export's types and default files are in the package", () => {
    const m = manifest();
    expect(Object.keys(m.exports)).toEqual([".", "./node", "./tfjs", "./webgpu", "./package.json"]);
    const paths = new Set(packed.files.map((f) => `./${f.path}`));
    for (const sub of [".", "./node", "./tfjs", "./webgpu"]) {
      const { types, default: main } = m.exports[sub];
      expect(paths.has(types), `${sub} types ${types}`).toBe(true);
      expect(paths.has(main), `${sub} default ${main}`).toBe(true);
    }
    expect(paths.has(m.main) && paths.has(m.types)).toBe(true);
  });

  it("sideEffects lists exactly the modules whose import does something outside themselves", () => {
    // A module does something when imported if a top-level statement is not a declaration (an
    // import, export, function, class or variable: initializers only compute values), or if it
    // imports such a module. Each exception below was read and does nothing outside its module.
    const local: Record<string, string> = { "base64.js": "fills its own lookup table" };
    const ts = createRequire(import.meta.url)(join(ROOT, "tools/ts-min/node_modules/typescript")) as TsApi;
    const dist = installed("dist");
    const files = modules(dist, /\.js$/).map((m) => `${m}.js`);
    const acts = new Set<string>();
    const importers = new Map<string, string[]>();
    for (const file of files) {
      const text = readFileSync(join(dist, file), "utf8");
      const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
      for (const s of sf.statements) {
        if (ts.isImportDeclaration(s) || ts.isExportDeclaration(s)) {
          const spec = (s.moduleSpecifier as { text?: string } | undefined)?.text;
          if (spec?.startsWith(".")) {
            const target = posix.join(posix.dirname(file), spec);
            importers.set(target, [...(importers.get(target) ?? []), file]);
          }
        } else if (
          !ts.isFunctionDeclaration(s) &&
          !ts.isClassDeclaration(s) &&
          !ts.isVariableStatement(s) &&
          !(file in local)
        ) {
          acts.add(file);
        }
      }
    }
    expect([...acts], "modules with top-level effects (tf.serialization.registerClass)").toEqual([
      "tfjs/optimizer.js",
    ]);
    const listed = new Set<string>();
    const visit = (file: string) => {
      if (listed.has(file)) return;
      listed.add(file);
      for (const by of importers.get(file) ?? []) visit(by);
    };
    for (const file of acts) visit(file);
    expect([...listed].map((f) => `./dist/${f}`).sort(), "those and the modules importing them").toEqual(
      [...manifest().sideEffects].sort(),
    );
  });
});

describe("installed with npm install --omit=dev into an empty project", () => {
  it("adds exactly one package", () => {
    expect(install.stdout + install.stderr).toMatch(/added 1 package\b/);
    expect(Object.keys(appLock).sort()).toEqual(["", "node_modules/momenta-optim"]);
    expect(installedTop).toEqual([".package-lock.json", "momenta-optim"]);
  });

  it("runs the README's Quickstart with plain node, with the numbers the source gives", async () => {
    copyFileSync(new URL("quickstart.ts", FIXTURES), join(app, "quickstart.mjs"));
    const r = await run(process.execPath, ["quickstart.mjs"], app);
    expect(r.code, failure("node quickstart.mjs", r)).toBe(0);
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout) as { stepCount: number; weight: number[]; bias: number[] };
    expect(out.stepCount).toBe(500);
    for (const w of out.weight) expect(Math.abs(w - 1)).toBeLessThan(0.05);
    for (const b of out.bias) expect(b).toBe(0);

    // The same script here, where momenta-optim resolves to src: the build changes no number.
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      await import("./fixtures/quickstart.ts");
      expect(log.mock.calls).toEqual([[r.stdout.trim()]]);
    } finally {
      log.mockRestore();
    }
  });

  it("require() works where Node has require(esm); elsewhere Node's ERR_REQUIRE_ESM names the package", async () => {
    writeFileSync(
      join(app, "require.cjs"),
      'const m = require("momenta-optim");\nconsole.log(typeof m.createOptimizer, typeof m.adamw);\n',
    );
    const native = await run(process.execPath, ["require.cjs"], app);
    if ((process.features as { require_module?: boolean }).require_module) {
      expect(native.code, failure("node require.cjs", native)).toBe(0);
      expect(native.stdout).toBe("function function\n");
    }
    // Node 20.0–20.18 (and any Node with require(esm) turned off) refuse; the message they give:
    const off = process.allowedNodeEnvironmentFlags.has("--no-experimental-require-module")
      ? await run(process.execPath, ["--no-experimental-require-module", "require.cjs"], app)
      : native;
    expect(off.code).not.toBe(0);
    expect(off.stderr).toContain("ERR_REQUIRE_ESM");
    expect(off.stderr).toMatch(/require\(\) of ES Module \S*node_modules\/momenta-optim\/dist\/index\.js/);
    expect(off.stderr).toContain("dynamic import()");
  });
});

// ---- Type checks of the installed package: strict, no skipLibCheck, no @types (neither the core nor
// ./node needs @types/node), the default lib of target ES2022 (ES2022 and DOM).
//
// @tensorflow/tfjs-core 4.22's own declarations do not compile without skipLibCheck, momenta or not
// (`Long`, from @types/long, is used without a reference; @webgpu/types clashes with the DOM lib), so
// the checks that import momenta-optim/tfjs allow exactly the errors tfjs-core alone gives, no other.

type Version = keyof typeof TSC;
interface Setting {
  version: Version;
  module: string;
  resolution: string;
}
const SETTINGS: Setting[] = [
  { version: "5.0", module: "nodenext", resolution: "nodenext" },
  { version: "5.0", module: "esnext", resolution: "bundler" },
  { version: "7", module: "nodenext", resolution: "nodenext" },
  { version: "7", module: "esnext", resolution: "bundler" },
  { version: "7", module: "preserve", resolution: "bundler" }, // `preserve` came in TypeScript 5.4
];

let linked = false;
/** Fixtures beside the installed package, and the workspace's @tensorflow/tfjs-core linked in for ./tfjs. */
function typeCheckProject(): void {
  if (linked) return;
  linked = true;
  for (const f of ["quickstart.ts", "types.ts", "node.ts", "webgpu.ts", "tfjs.ts", "tfjs-core-only.ts"]) {
    copyFileSync(new URL(f, FIXTURES), join(app, f));
  }
  const core = createRequire(join(ROOT, "packages/optim/package.json")).resolve(
    "@tensorflow/tfjs-core/package.json",
  );
  mkdirSync(join(app, "node_modules/@tensorflow"), { recursive: true });
  symlinkSync(join(core, ".."), join(app, "node_modules/@tensorflow/tfjs-core"), "dir");
}

function tsc(s: Setting, name: string, files: string[], flags: string[] = []): Promise<Run> {
  typeCheckProject();
  const config = `tsconfig.${name}.${s.version}.${s.module}.json`;
  const compilerOptions = {
    target: "es2022",
    module: s.module,
    moduleResolution: s.resolution,
    strict: true,
    skipLibCheck: false,
    types: [],
    noEmit: true,
  };
  writeFileSync(join(app, config), JSON.stringify({ compilerOptions, files }, null, 2));
  return run(process.execPath, [TSC[s.version], "-p", config, "--pretty", "false", ...flags], app);
}

const errors = (r: Run) => (r.stdout + r.stderr).split("\n").filter((l) => /error TS\d+/.test(l));
const where = (s: Setting) => `TypeScript ${s.version}, module ${s.module}, moduleResolution ${s.resolution}`;

/** tfjs-core's own errors, once per TypeScript version (the same under either resolution). */
const alone = new Map<Version, Promise<Set<string>>>();
function tfjsCoreErrors(version: Version): Promise<Set<string>> {
  if (!alone.has(version)) {
    const s = { version, module: "nodenext", resolution: "nodenext" };
    alone.set(
      version,
      tsc(s, "tfjs-core-only", ["tfjs-core-only.ts"]).then((r) => {
        if (r.code !== 0 && errors(r).length === 0) throw new Error(failure("tsc of tfjs-core alone", r));
        return new Set(errors(r));
      }),
    );
  }
  return alone.get(version)!;
}

describe.concurrent("type-checks without skipLibCheck", () => {
  it.each(SETTINGS)(
    "momenta-optim, ./node, ./webgpu and ./tfjs, no error beyond tfjs-core's own: $version, $module/$resolution",
    async (s) => {
      const [theirs, r] = await Promise.all([
        tfjsCoreErrors(s.version),
        tsc(s, "all", ["quickstart.ts", "types.ts", "node.ts", "webgpu.ts", "tfjs.ts"]),
      ]);
      expect(
        errors(r).filter((l) => !theirs.has(l)),
        where(s),
      ).toEqual([]);
      // In the package's declarations or in the fixtures: none at all.
      expect(
        errors(r).filter((l) => l.includes("node_modules/momenta-optim/") || /^[\w-]+\.ts\(/.test(l)),
      ).toEqual([]);
      // tsc ran (a crash prints no diagnostics and would pass the lines above).
      expect(r.code === 0 || errors(r).length > 0, failure(where(s), r)).toBe(true);
    },
  );

  it.each(SETTINGS.filter((s) => s.version === "7"))(
    "momenta-optim, ./node and ./webgpu alone: no error, no @tensorflow or @types file loaded: $module/$resolution",
    async (s) => {
      const r = await tsc(s, "core", ["quickstart.ts", "types.ts", "node.ts", "webgpu.ts"], ["--listFiles"]);
      expect(errors(r), where(s)).toEqual([]);
      expect(r.code).toBe(0);
      const loaded = r.stdout.split("\n").filter((l) => l.includes("node_modules"));
      expect(loaded.filter((l) => /node_modules\/@(tensorflow|types)\//.test(l))).toEqual([]);
      expect(loaded.some((l) => l.endsWith("node_modules/momenta-optim/dist/node/thread-pool.d.ts"))).toBe(
        true,
      );
    },
  );
});

describe("a project on @tensorflow/tfjs 4.21 that adds momenta-optim", () => {
  it("resolves a single @tensorflow/tfjs-core (registry metadata, no download)", async () => {
    const dir = project(join(work, "tfjs-app"), {
      name: "tfjs-app",
      version: "1.0.0",
      private: true,
      dependencies: { "@tensorflow/tfjs": "4.21.0", "momenta-optim": `file:${packed.tarball}` },
    });
    const registry =
      "this check needs the npm registry (package metadata for @tensorflow/tfjs@4.21.0): is it reachable?";
    // Cached metadata is used; a registry that does not answer fails within seconds, not minutes.
    const r = await run(
      "npm",
      [
        "install",
        "--package-lock-only",
        "--ignore-scripts",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        "--fetch-retries=1",
        "--fetch-retry-mintimeout=1000",
        "--fetch-retry-maxtimeout=5000",
      ],
      dir,
      90_000,
    ).catch((e: Error) => {
      throw new Error(`${registry} ${e.message}`);
    });
    if (r.code !== 0) throw new Error(`${registry}\n${failure("npm install --package-lock-only", r)}`);
    const lock = lockPackages(dir);
    const cores = Object.keys(lock).filter((k) => /(^|\/)node_modules\/@tensorflow\/tfjs-core$/.test(k));
    expect(cores).toEqual(["node_modules/@tensorflow/tfjs-core"]);
    expect(lock["node_modules/@tensorflow/tfjs-core"]!.version).toBe("4.21.0");
    expect(lock["node_modules/momenta-optim"]!.version).toBe(packed.version);
    expect(Object.keys(lock).filter((k) => k.startsWith("node_modules/momenta-optim/"))).toEqual([]);
  }, 100_000);
});

/** The few entries of TypeScript's compiler API the sideEffects check uses (TypeScript 5.0's). */
interface TsNode {
  kind: number;
  moduleSpecifier?: unknown;
}
interface TsApi {
  ScriptTarget: { Latest: number };
  ScriptKind: { JS: number };
  createSourceFile(
    name: string,
    text: string,
    target: number,
    setParents: boolean,
    kind: number,
  ): { statements: TsNode[] };
  isImportDeclaration(n: TsNode): boolean;
  isExportDeclaration(n: TsNode): boolean;
  isFunctionDeclaration(n: TsNode): boolean;
  isClassDeclaration(n: TsNode): boolean;
  isVariableStatement(n: TsNode): boolean;
}
