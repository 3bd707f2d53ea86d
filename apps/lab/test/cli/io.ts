/** Captures what the CLI writes, for tests that run `main` in-process. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } },
    stdout: () => out.join(""),
    stderr: () => err.join(""),
  };
}

export function tempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `momenta-cli-${name}-`));
}
