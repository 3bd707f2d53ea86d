/** The core must run unchanged in browsers: no Node-only imports outside the Node-facing folders. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const NODE_FACING = new Set(["lab", "cli", "node"]);
const root = new URL("../src/", import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return NODE_FACING.has(f) ? [] : files(p);
    return p.endsWith(".ts") ? [p] : [];
  });
}

describe("portability", () => {
  it("no core module imports node:* or Node globals", () => {
    const core = files(root);
    expect(core.length).toBeGreaterThan(20);
    for (const f of core) {
      const src = readFileSync(f, "utf8");
      expect(src, f).not.toMatch(/from\s+["'](node:|fs|path|os|worker_threads|child_process)/);
      expect(src, f).not.toMatch(/\b(process\.|Buffer\.|require\()/);
    }
  });
});
