/**
 * The workspace's import rules, checked from the source text (run by the tests, or by hand:
 * `npx tsx scripts/check-imports.ts`):
 * - a relative import never climbs out of its own package (a package reaches another only by name);
 * - a workspace package is imported only through a subpath its package.json `exports` lists, and
 *   only when the importer's package.json declares it (dependencies, devDependencies or
 *   peerDependencies; a package may import itself by name, as its tests do);
 * - no two packages depend on each other, directly or around a longer loop (imports and declared
 *   dependencies both count);
 * - inside the library (packages/optim/src), a module imports only from its own layer or the ones
 *   before it: tree → transform → transforms, optimizers, schedules, clipping, wrappers → kernels →
 *   diagnostics, tfjs, node, webgpu (LAYERS below).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

export interface WorkspacePackage {
  name: string;
  /** Absolute folder. */
  dir: string;
  /** Subpaths of `exports` (".", "./node", …). */
  subpaths: string[];
  /** Names declared in dependencies, devDependencies and peerDependencies. */
  declared: Set<string>;
}

interface Manifest {
  name?: string;
  workspaces?: string[];
  exports?: string | Record<string, unknown>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/**
 * The library's layers, lowest first: each entry names the files and top-level folders of
 * packages/optim/src in it. A file not listed is itself a finding (every module has its place).
 */
export const LAYERS: readonly (readonly string[])[] = [
  ["tree.ts", "base64.ts", "rng.ts", "hyper.ts", "precision"],
  ["transform.ts", "state-dict.ts", "snapshot.ts", "optimizer-hooks.ts"],
  ["transforms", "optimizers", "schedules", "clipping", "wrappers", "decay", "recipes"],
  ["kernels", "create-optimizer.ts"],
  ["diagnostics", "tfjs", "node", "webgpu"],
  ["index.ts"],
];

/** The layer of a path relative to the library's src ("kernels/plan.ts" → 3), or -1 if unlisted. */
export function layerOf(path: string, layers: readonly (readonly string[])[] = LAYERS): number {
  const head = path.split(/[\\/]/)[0]!;
  return layers.findIndex((names) => names.includes(path) || names.includes(head));
}

/** Breaches of the layer order inside one package's src folder. */
export function checkLayers(src: string, layers: readonly (readonly string[])[] = LAYERS): string[] {
  const problems: string[] = [];
  for (const file of sourceFiles(src)) {
    const from = relative(src, file).split(sep).join("/");
    const own = layerOf(from, layers);
    if (own < 0) {
      problems.push(
        `${from}: not in any layer of the library (add it to LAYERS in scripts/check-imports.ts)`,
      );
      continue;
    }
    for (const spec of specifiers(readFileSync(file, "utf8"))) {
      if (!spec.startsWith(".")) continue;
      const to = relative(src, resolve(dirname(file), spec))
        .split(sep)
        .join("/")
        .replace(/\.js$/, ".ts");
      const theirs = layerOf(to, layers);
      if (theirs > own) problems.push(`${from}: imports ${to}, a later layer (${theirs} > ${own})`);
    }
  }
  return problems;
}

const readJson = (file: string) => JSON.parse(readFileSync(file, "utf8")) as Manifest;

/** The workspace's packages, from the root package.json's `workspaces` (plain folders, no globs). */
export function workspacePackages(root: string): WorkspacePackage[] {
  const folders = readJson(join(root, "package.json")).workspaces ?? [];
  return folders.map((folder) => {
    if (folder.includes("*")) throw new Error(`check-imports: list workspaces one by one, not ${folder}`);
    const dir = resolve(root, folder);
    const m = readJson(join(dir, "package.json"));
    if (!m.name) throw new Error(`check-imports: ${folder}/package.json has no name`);
    const exp = m.exports;
    const subpaths =
      exp === undefined
        ? ["."]
        : typeof exp === "string"
          ? ["."]
          : Object.keys(exp).filter((k) => k.startsWith("."));
    const declared = new Set([
      ...Object.keys(m.dependencies ?? {}),
      ...Object.keys(m.devDependencies ?? {}),
      ...Object.keys(m.peerDependencies ?? {}),
    ]);
    return { name: m.name, dir, subpaths, declared };
  });
}

const SOURCE = /\.(ts|mts|cts|tsx|js|mjs)$/;
const SKIP = new Set(["node_modules", "dist", ".readme", "artifacts"]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    if (SKIP.has(entry) || entry.startsWith(".")) return [];
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return SOURCE.test(entry) && !entry.endsWith(".generated.ts") ? [path] : [];
  });
}

/** Module specifiers of static imports, re-exports, side-effect imports and literal `import()` calls. */
export function specifiers(text: string): string[] {
  const found: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\s[^;]*?\sfrom\s+["']([^"']+)["']/gm,
    /^\s*import\s+["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const p of patterns) for (const m of text.matchAll(p)) found.push(m[1]!);
  return found;
}

/** The package a bare specifier names ("@scope/name/sub" → "@scope/name") and its subpath ("./sub"). */
function splitBare(spec: string): { name: string; subpath: string } {
  const parts = spec.split("/");
  const n = spec.startsWith("@") ? 2 : 1;
  const rest = parts.slice(n).join("/");
  return { name: parts.slice(0, n).join("/"), subpath: rest ? `./${rest}` : "." };
}

/** Every rule broken, one line each (file:line-free, `path: what`); empty when the workspace is clean. */
export function checkWorkspace(root: string): string[] {
  const packages = workspacePackages(root);
  const byName = new Map(packages.map((p) => [p.name, p]));
  const problems: string[] = [];
  const edges = new Map<string, Set<string>>(packages.map((p) => [p.name, new Set<string>()]));
  for (const pkg of packages) {
    for (const dep of pkg.declared) if (byName.has(dep)) edges.get(pkg.name)!.add(dep);
    for (const file of sourceFiles(pkg.dir)) {
      const where = relative(root, file);
      for (const spec of specifiers(readFileSync(file, "utf8"))) {
        if (spec.startsWith(".")) {
          const target = resolve(dirname(file), spec);
          if (target !== pkg.dir && !target.startsWith(pkg.dir + sep)) {
            problems.push(`${where}: "${spec}" climbs out of ${pkg.name} (import other packages by name)`);
          }
          continue;
        }
        const { name, subpath } = splitBare(spec);
        const other = byName.get(name);
        if (!other) continue;
        if (!other.subpaths.includes(subpath)) {
          problems.push(
            `${where}: "${spec}" is not an export of ${name} (exports: ${other.subpaths.join(", ")})`,
          );
        }
        // A package may name itself (its tests use the public entry points, as users do).
        if (other === pkg) continue;
        if (!pkg.declared.has(name)) {
          problems.push(`${where}: imports ${name}, which ${pkg.name}'s package.json does not declare`);
        }
        edges.get(pkg.name)!.add(name);
      }
    }
  }
  problems.push(...cycles(edges).map((c) => `cycle between packages: ${c.join(" → ")}`));
  const library = join(root, "packages", "optim", "src");
  if (existsSync(library)) problems.push(...checkLayers(library).map((p) => `packages/optim/src/${p}`));
  return problems;
}

/** Each dependency loop once, as the names around it (first name repeated at the end). */
export function cycles(edges: Map<string, Set<string>>): string[][] {
  const found: string[][] = [];
  const seen = new Set<string>();
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    path.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === "open") {
        const loop = [...path.slice(path.indexOf(next)), next];
        const key = [...loop.slice(0, -1)].sort().join(" ");
        if (!seen.has(key)) {
          seen.add(key);
          found.push(loop);
        }
      } else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(node, "done");
  };
  for (const node of [...edges.keys()].sort()) if (!state.has(node)) visit(node);
  return found;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  if (!existsSync(join(root, "package.json"))) throw new Error(`check-imports: no package.json in ${root}`);
  const problems = checkWorkspace(root);
  for (const p of problems) console.error(p);
  console.log(
    problems.length
      ? `${problems.length} import rule(s) broken`
      : "imports: every package keeps to itself, no cycles",
  );
  process.exitCode = problems.length ? 1 : 0;
}
