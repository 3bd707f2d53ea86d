// The `prepack` and `postpack` of the published packages (npm runs them around `npm pack` and
// `npm publish` in the package's folder), so that packing a clean clone gives the full package.
//
//   node ../../scripts/pack.mjs prepack [--copy FILE…] [--build DIR…] [--bundle DIR…]
//   node ../../scripts/pack.mjs postpack [--copy FILE…] [--bundle DIR…]
//
// prepack: copies each FILE from the repository root into the package; builds each DIR (a workspace
// folder, relative to the root: what the package's own build type-checks against), each bundled DIR,
// then the package itself, each into an emptied dist (a stale file of a deleted module never ships);
// then puts a copy of each bundled DIR (its package.json without the workspace's "momenta-source"
// condition, scripts and devDependencies, and the .js files of its dist) in the package's
// node_modules, where `bundleDependencies` packs it from: npm does not pack a bundled dependency that
// is a workspace link. postpack removes the copied files and the bundled copies again.
//
// Builds run `tsc -p tsconfig.build.json` with the root's `typescript` (the repo's TypeScript 7),
// found by package name whatever node_modules/.bin/tsc links to. Plain JavaScript for plain node.
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = process.cwd();
const [phase, ...args] = process.argv.slice(2);
const options = { copy: [], build: [], bundle: [] };
let list = null;
for (const arg of args) {
  if (arg.startsWith("--")) {
    list = options[arg.slice(2)];
    if (!list) fail(`unknown option ${arg}`);
  } else if (list) list.push(arg);
  else fail(`unexpected argument ${arg}`);
}
if (phase !== "prepack" && phase !== "postpack")
  fail(`the first argument is prepack or postpack, not ${phase}`);

function fail(message) {
  console.error(`scripts/pack.mjs: ${message}`);
  process.exit(1);
}

const readJson = (file) => JSON.parse(readFileSync(file, "utf8"));

/** node_modules/<name> of the package for a bundled workspace folder, after checking it is ours to replace. */
function bundleTarget(dir) {
  const name = readJson(join(root, dir, "package.json")).name;
  const target = join(pkg, "node_modules", ...name.split("/"));
  if (existsSync(target) && lstatSync(target).isSymbolicLink()) {
    fail(`${relative(root, target)} is a link (an install?); not replacing it with a bundled copy`);
  }
  return { name, target };
}

/** Removes node_modules/@scope and node_modules if the bundled copies were all they held. */
function pruneEmpty(target) {
  for (let dir = dirname(target); dir.startsWith(join(pkg, "node_modules")); dir = dirname(dir)) {
    if (!existsSync(dir) || readdirSync(dir).length > 0) break;
    rmdirSync(dir);
  }
}

if (phase === "postpack") {
  for (const name of options.copy) rmSync(join(pkg, name), { force: true });
  for (const dir of options.bundle) {
    const { target } = bundleTarget(dir);
    rmSync(target, { recursive: true, force: true });
    pruneEmpty(target);
  }
  process.exit(0);
}

for (const name of options.copy) copyFileSync(join(root, name), join(pkg, name));

const require = createRequire(join(root, "package.json"));
const tsPackage = require.resolve("typescript/package.json");
const ts = readJson(tsPackage);
const tsc = join(dirname(tsPackage), typeof ts.bin === "string" ? ts.bin : ts.bin.tsc);

for (const dir of [...options.build, ...options.bundle, relative(root, pkg)]) {
  const cwd = join(root, dir);
  if (!existsSync(join(cwd, "tsconfig.build.json"))) fail(`${dir} has no tsconfig.build.json`);
  rmSync(join(cwd, "dist"), { recursive: true, force: true });
  // The compiler's messages go to stderr: stdout belongs to npm (`npm pack --json`).
  const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd, stdio: ["ignore", 2, 2] });
  if (r.status !== 0) fail(`building ${dir} with TypeScript ${ts.version} failed`);
}

/** An export map without the "momenta-source" condition (its src is not shipped). */
function withoutSource(exports) {
  if (typeof exports !== "object" || exports === null) return exports;
  const out = {};
  for (const [key, value] of Object.entries(exports)) {
    if (key !== "momenta-source") out[key] = withoutSource(value);
  }
  return out;
}

for (const dir of options.bundle) {
  const { target } = bundleTarget(dir);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  const { scripts, devDependencies, ...manifest } = readJson(join(root, dir, "package.json"));
  manifest.exports = withoutSource(manifest.exports);
  writeFileSync(join(target, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  cpSync(join(root, dir, "dist"), join(target, "dist"), {
    recursive: true,
    filter: (from) => lstatSync(from).isDirectory() || from.endsWith(".js"),
  });
}
