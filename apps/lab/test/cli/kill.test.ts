/**
 * Fault injection: `momenta train`, a real process, is killed (SIGKILL) right before each change its
 * checkpointing makes on disk — every one of them in a run, counted first in an uninterrupted run —
 * and resumed. No run is lost (one killed before its first checkpoint was complete is refused by
 * --resume, which says to run it again, and is), and every resumed run ends bit-identical to the
 * uninterrupted one: the model's weights and the optimizer's state compared byte for byte, and
 * state.json's record of the run; no leftover of an interrupted write remains.
 *
 * Twice in a row: for each state a kill inside a checkpoint that replaces another leaves, the resumed
 * run is killed again while its own first checkpoint settles those leftovers (promoting the complete
 * copy, deleting the partial ones; checkpoint.ts), at each of those changes, and resumed once more.
 * A second kill before the resumed run's first change leaves the state the first kill left (tested
 * once already), and one after its settling leaves the state a single kill later in the run leaves
 * (only `checkpoint/`, as complete as before): those are not run twice.
 *
 * The kill points come from checkpoint.ts's test hook (MOMENTA_FAULT_AT=n: SIGKILL right before the
 * n-th change). The killed runs are child processes (through tsx, as `npm run train` runs); the
 * resumes run in this process, through the CLI's `main`, to keep the test short.
 *
 * The children skip one slow part of start-up that has nothing to do with checkpoints:
 * packages/tfjs-node registers TF.js's gradients by importing tfjs-core's ES build (≈700 modules,
 * ≈3 s of CPU per process start — its "already registered" check asks for a "MatMul" gradient, which
 * TF.js names "BatchMatMul", so it always imports). A resolve hook points that one import at a
 * one-file bundle of the same module (built once here with esbuild, tsx's own dependency): the same
 * gradients, in a few milliseconds. Where esbuild is missing, the children start the ordinary way.
 */
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-core/dist/register_all_gradients.js";
import { spawn } from "node:child_process";
import { cpSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { faultPoints } from "../../src/cli/checkpoint.ts";
import { main } from "../../src/cli/main.ts";
import { fingerprint } from "./checkpoint-reader.ts";
import { capture, tempDir } from "./io.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** A small run: 3 batches an epoch, 2 epochs, a checkpoint after each (and the initial one). */
const FLAGS = [
  ...["--train-size", "96", "--test-size", "32", "--batch-size", "32", "--hidden", "8"],
  ...["--epochs", "2", "--backend", "wasm", "--no-progress"],
];

/**
 * `--import` arguments that let a child load TF.js's gradients from a one-file bundle (see the top of
 * this file); none where esbuild cannot be loaded.
 */
function fastGradients(dir: string): string[] {
  const require = createRequire(import.meta.url);
  let esbuild: { buildSync(options: object): unknown };
  try {
    esbuild = require("esbuild");
  } catch {
    return [];
  }
  const entry = "@tensorflow/tfjs-core/dist/register_all_gradients.js";
  const bundle = join(dir, "gradients.cjs");
  esbuild.buildSync({
    entryPoints: [require.resolve(entry)],
    bundle: true,
    format: "cjs",
    platform: "node",
    external: ["@tensorflow/tfjs-core"],
    outfile: bundle,
    logLevel: "error",
  });
  const hook = `export async function resolve(specifier, context, next) {
  if (specifier === ${JSON.stringify(entry)}) {
    return { url: ${JSON.stringify(pathToFileURL(bundle).href)}, format: "commonjs", shortCircuit: true };
  }
  return next(specifier, context);
}`;
  const preload = join(dir, "gradients-hook.mjs");
  writeFileSync(
    preload,
    `import { register } from "node:module";\nregister(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});\n`,
  );
  return ["--import", pathToFileURL(preload).href];
}

/** Runs the CLI in a child process with MOMENTA_FAULT_AT=n; resolves to how it ended. */
function killedAt(
  n: number,
  args: readonly string[],
  preload: readonly string[],
): Promise<{ signal: string | null; stderr: string; seconds: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--conditions=momenta-source", ...preload, "--import", "tsx", "src/cli/main.ts", "train", ...args],
      {
        cwd: root,
        env: { ...process.env, MOMENTA_FAULT_AT: String(n) },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (_code, signal) => resolve({ signal, stderr, seconds: (Date.now() - started) / 1000 }));
  });
}

/** At most `n` tasks at a time (child processes), and one at a time for the in-process runs. */
function limiter(n: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= n) await new Promise<void>((r) => waiting.push(r));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/** The changes a call makes, as recorded by the hook (paths relative to `dir`). */
async function recording<T>(dir: string, task: () => Promise<T>): Promise<{ result: T; changes: string[] }> {
  const changes: string[] = [];
  faultPoints.onChange = (_n, what) => {
    changes.push(what.replaceAll(`${dir}/`, "").replaceAll(dir, "."));
  };
  try {
    return { result: await task(), changes };
  } finally {
    faultPoints.onChange = undefined;
  }
}

describe("momenta train, killed at every write boundary of its checkpoints", () => {
  it("resumes every time, bit-identical to the uninterrupted run (and after a second kill while resuming)", async () => {
    const t0 = Date.now();
    const base = tempDir("kill");
    const preload = fastGradients(base);
    const children = limiter(2);
    const inProcess = limiter(1);
    const cli = async (...argv: string[]) => {
      const c = capture();
      const code = await main(["train", ...argv], c.io);
      return { code, stderr: c.stderr() };
    };

    // The uninterrupted run, counting its checkpoints' changes on disk.
    const reference = join(base, "reference");
    const normal = await recording(reference, () => cli(...FLAGS, "--out", reference));
    expect(normal.result.code).toBe(0);
    const expected = fingerprint(reference);
    const boundaries = normal.changes;
    console.log(
      `kill points in a run (${boundaries.length}):\n  ${boundaries.map((c, i) => `${i + 1}. ${c}`).join("\n  ")}`,
    );
    // the initial checkpoint (mkdir, 3 files, rename) and two that replace one (+ rename, 3 unlinks, rmdir)
    expect(boundaries).toHaveLength(5 + 10 + 10);

    /** Resumes `dir` in-process (or, when no checkpoint was complete yet, runs it again) and compares. */
    const resumeAndCompare = (dir: string, what: string) =>
      inProcess(async () => {
        const resumed = await recording(dir, () => cli("--resume", dir, "--no-progress"));
        let changes = resumed.changes;
        if (resumed.result.code !== 0) {
          // Killed before the first checkpoint was complete: nothing to resume, and --resume says so.
          expect(resumed.result.stderr, what).toMatch(
            /^error: --resume: no (complete )?checkpoint in .*start it again/,
          );
          expect(resumed.result.code, what).toBe(2);
          const again = await recording(dir, () => cli(...FLAGS, "--out", dir));
          expect(again.result.code, what).toBe(0);
          changes = again.changes;
        }
        expect(resumed.result.stderr, what).not.toMatch(/TypeError|Cannot read/);
        expect(fingerprint(dir), what).toEqual(expected);
        expect(
          readdirSync(dir).filter((f) => f.startsWith("checkpoint")),
          what,
        ).toEqual(["checkpoint"]);
        return { changes, restarted: resumed.result.code !== 0 };
      });

    let restarted = 0;
    let doubles = 0;
    let spawned = 0;
    let childSeconds = 0;
    const child = async (n: number, args: readonly string[]) => {
      const r = await children(() => killedAt(n, args, preload));
      spawned++;
      childSeconds += r.seconds;
      return r;
    };
    // the changes of the checkpoint after epoch 1, the first that replaces another
    const replacing = new Set(boundaries.map((_, i) => i + 1).slice(5, 15));
    const scenarios = boundaries.map(async (_, i) => {
      const n = i + 1;
      const dir = join(base, `at-${n}`);
      const first = await child(n, [...FLAGS, "--out", dir]);
      expect(first.signal, `kill at ${n}: ${first.stderr}`).toBe("SIGKILL");
      const pristine = join(base, `at-${n}-as-killed`);
      cpSync(dir, pristine, { recursive: true });
      const single = await resumeAndCompare(dir, `killed before change ${n} (${boundaries[i]})`);
      if (single.restarted) restarted++;
      if (!replacing.has(n)) return;
      const mkdir = single.changes.findIndex((c) => c.startsWith("mkdir"));
      const settling = single.changes.slice(0, mkdir < 0 ? undefined : mkdir);
      await Promise.all(
        settling.slice(1).map(async (change, j) => {
          const m = j + 2;
          const twice = join(base, `at-${n}-then-${m}`);
          cpSync(pristine, twice, { recursive: true });
          const second = await child(m, ["--resume", twice, "--no-progress"]);
          expect(second.signal, `kill at ${n}, then at ${m}: ${second.stderr}`).toBe("SIGKILL");
          await resumeAndCompare(
            twice,
            `killed before change ${n} (${boundaries[i]}), resumed, killed before its change ${m} (${change})`,
          );
          doubles++;
        }),
      );
    });
    await Promise.all(scenarios);
    const seconds = (Date.now() - t0) / 1000;
    console.log(
      `fault injection: ${boundaries.length} kill points, each resumed (${restarted} killed before the first checkpoint was complete: run again); ` +
        `${doubles} second kills while a resumed run settled the leftovers, each resumed; all bit-identical to the uninterrupted run. ` +
        `${spawned} killed processes (${(childSeconds / spawned).toFixed(1)} s each, 2 at a time), ${seconds.toFixed(1)} s in all`,
    );
    expect(doubles).toBeGreaterThan(0);
  }, 600_000);
});
