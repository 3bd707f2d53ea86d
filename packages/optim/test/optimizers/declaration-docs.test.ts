/**
 * Each option's doc comment states its default ("Default 1e-8.") where editors show it; the value
 * itself is the declaration's. This holds the two together: every "Default X" written on an option
 * in a module of src/optimizers/ equals the declared default of the optimizer that module declares.
 */
import { readdirSync, readFileSync } from "node:fs";
import * as api from "momenta-optim";
import { describe, expect, it } from "vitest";

const dir = new URL("../../src/optimizers/", import.meta.url);

/** The value a doc states as default, or undefined when it states none in a form read here. */
function docDefault(doc: string): unknown {
  const text = doc.replace(/\s*\n\s*\*\s*/g, " ").replace(/−/g, "-");
  const m = /(?:Default|\(default) (\[[^\]]*\]|"[^"]*"|-?[\d.e+-]+|true|false|null)/.exec(text);
  if (!m) return undefined;
  return JSON.parse(m[1]!.replace(/\.$/, ""));
}

describe("option docs state the declared defaults", () => {
  it("every 'Default X' on an option equals the declaration's default", () => {
    let checked = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
      const src = readFileSync(new URL(file, dir), "utf8");
      const names = [...src.matchAll(/^\s+name: "(\w+)",$/gm)].map((m) => m[1]!);
      for (const m of src.matchAll(/\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*\n\s*(\w+): /g)) {
        const stated = docDefault(m[1]!);
        if (stated === undefined) continue;
        for (const name of names) {
          const f = (api as unknown as Record<string, { defaults?: Record<string, unknown> }>)[name];
          if (!f?.defaults || !(m[2]! in f.defaults)) continue;
          expect(
            f.defaults[m[2]!],
            `${file}: ${name}.${m[2]} is documented as default ${JSON.stringify(stated)}`,
          ).toEqual(stated);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(40);
    console.log(`option docs: ${checked} stated defaults checked`);
  });
});
