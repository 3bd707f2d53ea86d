/** Child processes, temp folders and `npm pack` for the package tests (pack.test.ts, lab.test.ts). */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/** The repo's TypeScript 7 (the root's `typescript`) and 5.0.4, the oldest we support (tools/ts-min). */
export const TSC = {
  "5.0": join(ROOT, "tools/ts-min/node_modules/typescript/bin/tsc"),
  "7": join(dirname(createRequire(join(ROOT, "package.json")).resolve("typescript/package.json")), "bin/tsc"),
} as const;

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

// npm hands its own settings to the scripts it runs as npm_config_* (a `-w`, `--dry-run`, `--omit`
// given to `npm test` would reach the npm commands below); only these, the user's registry, cache and
// network set-up, pass on. NODE_OPTIONS neither: the installs are run as a user's plain node runs them.
const KEEP =
  /^npm_config_(registry|cache|userconfig|globalconfig|cafile|ca|cert|key|proxy|https_proxy|noproxy|strict_ssl|fetch_\w+|maxsockets|@.*:registry|\/\/.*)$/i;

export function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === "NODE_OPTIONS") continue;
    if (/^npm_/i.test(key) && !KEEP.test(key)) continue;
    env[key] = value;
  }
  return env;
}

/** Runs a command to its end (no shell); never rejects on a non-zero exit, only on a timeout. */
export function run(command: string, args: string[], cwd: string, timeoutMs = 120_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: childEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} (in ${cwd}) took over ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `what` failed: its command's output, for an assertion message. */
export function failure(what: string, r: Run): string {
  return `${what} exited with ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

export function tempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `momenta-${name}-`));
}

/** A folder with a package.json, as `npm init` leaves it. */
export function project(dir: string, manifest: object): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return dir;
}

// Packing rebuilds dists in the working tree (the library's for both packages), so two packs must not
// overlap, also when Vitest runs pack.test.ts and lab.test.ts in parallel workers: a lock folder.
const LOCK = join(ROOT, "node_modules/.cache/momenta-pack.lock");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function withPackLock<T>(fn: () => Promise<T>, waitMs = 180_000): Promise<T> {
  mkdirSync(dirname(LOCK), { recursive: true });
  const start = Date.now();
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, "pid"), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let owner = 0;
      try {
        owner = Number(readFileSync(join(LOCK, "pid"), "utf8"));
      } catch {}
      // A lock whose owner died (or that never got a pid, 10 s on) is stale.
      const age = Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if ((owner > 0 && !alive(owner)) || (owner === 0 && age > 10_000)) {
        rmSync(LOCK, { recursive: true, force: true });
        continue;
      }
      if (Date.now() - start > waitMs)
        throw new Error(`waited ${waitMs / 1000} s for ${LOCK} (pid ${owner})`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** What `npm pack --json` reports of a tarball. */
export interface Packed {
  name: string;
  version: string;
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  bundled: string[];
  files: { path: string; size: number }[];
}

/** `npm pack` in a workspace folder (its prepack builds), the tarball written to `dest`. */
export async function npmPack(folder: string, dest: string): Promise<Packed & { tarball: string }> {
  const r = await withPackLock(() =>
    run("npm", ["pack", "--json", "--pack-destination", dest], join(ROOT, folder), 150_000),
  );
  if (r.code !== 0) throw new Error(failure(`npm pack in ${folder}`, r));
  const [packed] = JSON.parse(r.stdout) as Packed[];
  return { ...packed!, tarball: join(dest, packed!.filename) };
}

/** The `packages` of a package-lock.json, by location ("" is the project). */
export function lockPackages(dir: string): Record<string, { version?: string }> {
  return JSON.parse(readFileSync(join(dir, "package-lock.json"), "utf8")).packages;
}
