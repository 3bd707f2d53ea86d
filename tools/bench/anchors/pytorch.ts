/**
 * PyTorch anchor: runs tools/bench/anchors/pytorch.py (Debian's python3-torch) and returns its rows. Never throws:
 * without Python or torch, or if the script fails, the result is `{ available: false, reason }`.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type AnchorResult, isLayout, isOptimizerName, type Row } from "../types.ts";

export interface PytorchAnchorResult extends AnchorResult {
  /** torch.__version__ */
  torch?: string;
  threads?: number;
  /** Allocator settings the script ran with (see pytorch.py). */
  malloc?: string;
  /** Seconds spent waiting for other processes to calm down before cases. */
  waitedSeconds?: number;
}

export interface PytorchAnchorOptions {
  /** torch.set_num_threads */
  threads: number;
  /** Only n = 1e5 and 1e6. */
  quick?: boolean;
  /** Extra arguments for pytorch.py (e.g. ["--sizes", "1e5", "--runs", "3"]). */
  extraArgs?: string[];
  /** Called with each progress line the script writes to stderr. */
  onProgress?: (line: string) => void;
}

const SCRIPT = fileURLToPath(new URL("./pytorch.py", import.meta.url));

/** Debian's interpreter (the one with python3-torch) when present, else whatever `python3` is. */
function pythonExecutable(): string {
  return existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

function lastLine(text: string): string {
  return (
    text
      .trim()
      .split("\n")
      .filter((l) => l.trim() !== "")
      .at(-1) ?? ""
  );
}

/** Resolves to null when `import torch` works, else to the reason it does not. */
function checkTorch(python: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(python, ["-c", "import torch"], { timeout: 120_000 }, (error, _stdout, stderr) => {
      if (!error) resolve(null);
      else resolve(`${python} cannot import torch: ${lastLine(stderr) || error.message}`);
    });
  });
}

function runScript(
  python: string,
  args: readonly string[],
  onProgress: (line: string) => void,
): Promise<{ code: number | null; stdout: string; stderr: string; error?: Error }> {
  return new Promise((resolve) => {
    const child = spawn(python, [SCRIPT, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let pending = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) if (line.trim() !== "") onProgress(line);
    });
    child.on("error", (error) => resolve({ code: null, stdout, stderr, error }));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function isNumberArray(x: unknown): x is number[] {
  return Array.isArray(x) && x.every((v) => typeof v === "number");
}

function parseRow(x: unknown): Row {
  if (
    !isRecord(x) ||
    !isOptimizerName(x.optimizer) ||
    typeof x.n !== "number" ||
    !isLayout(x.layout) ||
    typeof x.mparams !== "number" ||
    !isNumberArray(x.runs)
  ) {
    throw new Error(`unexpected row ${JSON.stringify(x)}`);
  }
  const row: Row = { optimizer: x.optimizer, n: x.n, layout: x.layout, mparams: x.mparams, runs: x.runs };
  if (isNumberArray(x.steps)) row.steps = x.steps;
  if (Array.isArray(x.others_cores)) {
    row.othersCores = x.others_cores.map((v) => (typeof v === "number" ? v : null));
  }
  if (typeof x.note === "string") row.note = x.note;
  return row;
}

function parseOutput(stdout: string): PytorchAnchorResult {
  const data: unknown = JSON.parse(lastLine(stdout));
  if (!isRecord(data) || data.available !== true || !Array.isArray(data.rows)) {
    throw new Error("pytorch.py printed no result object");
  }
  const result: PytorchAnchorResult = { available: true, rows: data.rows.map(parseRow) };
  if (typeof data.torch === "string") result.torch = data.torch;
  if (typeof data.threads === "number") result.threads = data.threads;
  if (typeof data.malloc === "string") result.malloc = data.malloc;
  if (typeof data.waited_for_quiet_seconds === "number") result.waitedSeconds = data.waited_for_quiet_seconds;
  return result;
}

export async function pytorchAnchor(opts: PytorchAnchorOptions): Promise<PytorchAnchorResult> {
  const started = performance.now();
  const done = (result: PytorchAnchorResult): PytorchAnchorResult => ({
    ...result,
    seconds: (performance.now() - started) / 1000,
  });
  const python = pythonExecutable();
  const missing = await checkTorch(python);
  if (missing) return done({ available: false, reason: missing, rows: [] });

  const args = [
    "--threads",
    String(opts.threads),
    ...(opts.quick ? ["--quick"] : []),
    ...(opts.extraArgs ?? []),
  ];
  const run = await runScript(python, args, opts.onProgress ?? (() => {}));
  if (run.error || run.code !== 0) {
    const why = run.error?.message || lastLine(run.stderr) || `exit code ${run.code}`;
    return done({ available: false, reason: `pytorch.py failed: ${why}`, rows: [] });
  }
  try {
    const result = parseOutput(run.stdout);
    result.notes = [
      `torch ${result.torch ?? "?"}, ${result.threads ?? opts.threads} thread(s), foreach=True; ` +
        `malloc: ${result.malloc ?? "?"}`,
    ];
    if (result.waitedSeconds) {
      result.notes.push(`waited ${result.waitedSeconds.toFixed(1)} s for other processes to calm down`);
    }
    return done(result);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return done({ available: false, reason: `pytorch.py output unreadable: ${why}`, rows: [] });
  }
}
