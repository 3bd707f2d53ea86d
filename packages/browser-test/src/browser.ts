/**
 * The browser tests' harness: a page built into a temporary folder, served from a loopback server, and
 * Debian's Chromium (`/usr/bin/chromium`) driven by playwright-core with a fresh profile, offline
 * (nothing but the loopback server may be asked for anything).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, resolve, sep } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { build, defaultClientConditions } from "vite";

export const CHROMIUM = "/usr/bin/chromium";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

export function serve(root: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const file = resolve(root, `.${path.endsWith("/") ? `${path}index.html` : path}`);
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
}

/** Collects console errors and uncaught exceptions of a page. */
export function watch(page: Page, into: string[]): Page {
  page.on("console", (m) => {
    if (m.type() === "error") into.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => into.push(`pageerror: ${e.message}`));
  return page;
}

export interface Site {
  /** The served root's URL, ending in "/". */
  base: string;
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * A `buildInto` for `openSite`: the page at `root` (its index.html and what that imports) built by
 * Vite, the workspace's packages (the library) resolved to their TypeScript source.
 */
export function sourcePage(root: string): (outDir: string) => Promise<unknown> {
  return (outDir) =>
    build({
      configFile: false,
      root,
      base: "./",
      logLevel: "silent",
      resolve: { conditions: ["momenta-source", ...defaultClientConditions] },
      build: { outDir, emptyOutDir: true, target: "es2022", modulePreload: { polyfill: false } },
    });
}

/**
 * Builds a page with `buildInto(outDir)`, serves it, and opens a headless Chromium on a fresh profile
 * whose every request outside the server is refused.
 */
export async function openSite(
  prefix: string,
  buildInto: (outDir: string) => Promise<unknown>,
  options: {
    viewport?: { width: number; height: number };
    /** More Chromium switches (e.g. `--enable-unsafe-webgpu`: WebGPU on its SwiftShader adapter). */
    args?: readonly string[];
  } = {},
): Promise<Site> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}. Install Debian's package: ` +
        "`sudo apt-get update && sudo apt-get install -y chromium` (drop sudo when root).",
    );
  }
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let server: Server | undefined;
  let context: BrowserContext | undefined;
  const close = async () => {
    await context?.close();
    await new Promise((ok) => (server ? server.close(() => ok(undefined)) : ok(undefined)));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const out = join(dir, "dist");
    await buildInto(out);
    server = await serve(out);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    // A fresh profile every run (launchPersistentContext's user data dir is --user-data-dir).
    context = await chromium.launchPersistentContext(join(dir, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      ...(options.viewport ? { viewport: options.viewport } : {}),
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        ...(options.args ?? []),
      ],
    });
    await context.route("**/*", (route) =>
      route.request().url().startsWith(base) || route.request().url().startsWith("data:")
        ? route.continue()
        : route.abort(),
    );
    return { base, context, close };
  } catch (e) {
    await close();
    throw e;
  }
}
