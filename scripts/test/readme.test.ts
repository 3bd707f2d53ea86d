/**
 * Every TypeScript block of every README.md in the repo (the root's and those under apps/, packages/,
 * tools/) type-checks and runs, printing what its README says it prints.
 *
 * - The blocks are written to `.readme/<pid>/` (gitignored), one file per block, and type-checked by
 *   ONE run of the repo's tsc: strict, module nodenext, each file a module, `momenta-optim` and the
 *   other workspace packages resolved to their sources through the "momenta-source" condition (the
 *   sources the published .d.ts are emitted from). Errors are reported at README lines.
 * - Then they run in plain Node (`node --conditions=momenta-source --import tsx`, no Vitest, no
 *   bundler: scripts/test/readme-run.ts), one after another in one process, which records what each logs.
 *
 * - A block fenced ```ts browser needs a browser (WebGPU: `navigator.gpu`): it is built into a page
 *   by Vite (the library from its source) and runs in Debian's Chromium with WebGPU on (its
 *   SwiftShader adapter); it must end without a page error.
 *
 * A block is a fence opened with ```ts. Nothing is exempt from type-checking or from running.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { openSite, sourcePage, watch } from "@momenta/browser-test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BlockRun } from "./readme-run.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DIR = join(ROOT, ".readme", String(process.pid));
const TSC = join(dirname(createRequire(import.meta.url).resolve("typescript/package.json")), "bin", "tsc");
const OPTIONS = new Set(["browser"]);

interface Block {
  readme: string;
  /** `README.md:123`, the fence's line. */
  where: string;
  /** The README line of the fence: block line k is README line fence + k. */
  fence: number;
  code: string;
  /** Where it runs: plain Node, or a page in Chromium. */
  on: "node" | "browser";
  /** The file the block is written to, relative to DIR. */
  file: string;
}

/**
 * The README.md files git would commit (tracked, or new and not ignored: not node_modules, not the
 * copy of the root README that the library's prepack puts in packages/optim), the root's first.
 * Without git, every README.md outside node_modules, dist and hidden folders.
 */
function findReadmes(): string[] {
  let found: string[];
  const git = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  if (git.status === 0) {
    found = git.stdout.split("\0").filter((f) => f === "README.md" || f.endsWith("/README.md"));
  } else {
    found = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(join(ROOT, dir))) {
        const rel = dir ? `${dir}/${name}` : name;
        if (name === "README.md") found.push(rel);
        else if (!name.startsWith(".") && name !== "node_modules" && name !== "dist") {
          if (statSync(join(ROOT, rel)).isDirectory()) walk(rel);
        }
      }
    };
    walk("");
  }
  return [...new Set(found)]
    .filter((rel) => existsSync(join(ROOT, rel)))
    .sort((a, b) => (a === "README.md" ? -1 : b === "README.md" ? 1 : a.localeCompare(b)));
}

function extractBlocks(readme: string): Block[] {
  const lines = readFileSync(join(ROOT, readme), "utf8").split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    let end = i + 1;
    while (end < lines.length && lines[end]!.trimEnd() !== "```") end++;
    if (end === lines.length) throw new Error(`${readme}:${start + 1}: a code fence is never closed`);
    i = end;
    if (open[1] !== "ts" && open[1] !== "typescript") continue;
    const options = open[2]!.split(/\s+/).filter(Boolean);
    const unknown = options.filter((o) => !OPTIONS.has(o));
    if (unknown.length > 0) {
      throw new Error(
        `${readme}:${start + 1}: unknown fence option ${unknown.join(", ")} (known: ${[...OPTIONS].join(", ")})`,
      );
    }
    const n = String(blocks.length + 1).padStart(2, "0");
    blocks.push({
      readme,
      where: `${readme}:${start + 1}`,
      fence: start + 1,
      code: `${lines.slice(start + 1, end).join("\n")}\n`,
      on: options.includes("browser") ? "browser" : "node",
      file: `${readme.replace(/\.md$/, "").replaceAll("/", "_")}-${n}.ts`,
    });
  }
  return blocks;
}

function exec(args: string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((done, fail) => {
    // A hung block must not hang the suite: the run is killed (and reported) after two minutes.
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 120_000,
    });
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    child.on("error", fail);
    child.on("close", (status) => done({ status, output }));
  });
}

/** tsc's diagnostics (`file(line,col): error TS…` and their indented continuation lines), by file. */
function parseDiagnostics(output: string): Map<string, string[][]> {
  const byFile = new Map<string, string[][]>();
  let current: string[] | undefined;
  for (const line of output.split("\n")) {
    if (line.trim() === "") continue;
    const m = /^(.+?)\((\d+),(\d+)\): /.exec(line);
    if (m || !current || !/^\s/.test(line)) {
      current = [line];
      const file = m ? relative(DIR, join(ROOT, m[1]!)) : "";
      byFile.set(file, [...(byFile.get(file) ?? []), current]);
    } else current.push(line);
  }
  return byFile;
}

const readmes = findReadmes();
const blocks = readmes.flatMap(extractBlocks);
let tsc: { status: number | null; output: string } = { status: null, output: "" };
let diagnostics = new Map<string, string[][]>();
const runs = new Map<string, BlockRun>();
let runner = "";

/** The README line of a tsc diagnostic `file(l,c): …` in a block. */
function atReadmeLine(block: Block, diagnostic: string[]): string {
  return diagnostic
    .join("\n")
    .replace(
      /^.+?\((\d+),(\d+)\): /,
      (_, l: string, c: string) => `${block.readme}:${block.fence + Number(l)}:${c}: `,
    );
}

function logsOf(snippet: string): unknown[][] {
  const found = blocks.filter((b) => b.code.includes(snippet));
  expect(
    found.map((b) => b.where),
    `exactly one README block contains ${JSON.stringify(snippet)}`,
  ).toHaveLength(1);
  const run = runs.get(found[0]!.file);
  expect(run?.error, `${found[0]!.where} threw`).toBeUndefined();
  return run!.logs;
}

describe("README examples", () => {
  beforeAll(async () => {
    rmSync(DIR, { recursive: true, force: true });
    mkdirSync(DIR, { recursive: true });
    for (const b of blocks) writeFileSync(join(DIR, b.file), b.code);
    writeFileSync(
      join(DIR, "tsconfig.json"),
      JSON.stringify({
        extends: relative(DIR, join(ROOT, "tsconfig.base.json")),
        compilerOptions: {
          noEmit: true,
          strict: true,
          module: "nodenext",
          moduleResolution: "nodenext",
          moduleDetection: "force",
          customConditions: ["momenta-source"],
          types: ["node"],
        },
        include: ["*.ts"],
      }),
    );
    const results = join(DIR, "results.json");
    const toRun = blocks.filter((b) => b.on === "node").map((b) => join(DIR, b.file));
    // Type-check and run side by side: the run does not wait for the types.
    const [checked, ran] = await Promise.all([
      exec([TSC, "-p", relative(ROOT, join(DIR, "tsconfig.json")), "--pretty", "false"]),
      exec([
        "--conditions=momenta-source",
        "--import",
        "tsx",
        "scripts/test/readme-run.ts",
        results,
        ...toRun,
      ]),
    ]);
    tsc = checked;
    diagnostics = parseDiagnostics(tsc.output);
    runner = ran.output;
    if (ran.status === 0) {
      for (const run of JSON.parse(readFileSync(results, "utf8")) as BlockRun[]) {
        runs.set(relative(DIR, run.file), run);
      }
    }
  }, 180_000);

  afterAll(() => {
    rmSync(DIR, { recursive: true, force: true });
  });

  it("finds the blocks of every README", () => {
    expect(readmes[0]).toBe("README.md");
    expect(readmes).toContain("apps/lab/README.md");
    expect(readmes).toContain("packages/landscapes/README.md");
    expect(blocks.filter((b) => b.readme === "README.md").length).toBeGreaterThanOrEqual(18);
  });

  it("tsc reports nothing outside the blocks (its config, the sources they import)", () => {
    const outside = [...diagnostics].filter(([file]) => !blocks.some((b) => b.file === file));
    expect(outside.flatMap(([, ds]) => ds.map((d) => d.join("\n"))).join("\n")).toBe("");
    if (diagnostics.size === 0) expect(tsc.status, tsc.output).toBe(0);
  });

  it("the runner ran", () => {
    expect(runs.size, `scripts/test/readme-run.ts failed:\n${runner}`).toBe(
      blocks.filter((b) => b.on === "node").length,
    );
  });

  for (const block of blocks) {
    it(`${block.where} type-checks`, () => {
      const errors = (diagnostics.get(block.file) ?? []).map((d) => atReadmeLine(block, d));
      if (errors.length > 0) throw new Error(`${block.where}: tsc reports\n${errors.join("\n")}`);
    });
    if (block.on === "node") {
      it(`${block.where} runs in plain Node`, () => {
        const run = runs.get(block.file);
        if (!run) throw new Error(`${block.where} did not run:\n${runner}`);
        if (run.error !== undefined) throw new Error(`${block.where} threw:\n${run.error}`);
      });
    } else {
      it(`${block.where} runs in Chromium`, async () => {
        // a page of its own: the block as the module index.html loads, then a flag set once it ends
        const root = join(DIR, block.file.replace(/\.ts$/, ""));
        mkdirSync(root, { recursive: true });
        writeFileSync(
          join(root, "index.html"),
          '<!doctype html><script type="module" src="./main.ts"></script>',
        );
        writeFileSync(
          join(root, "main.ts"),
          `${block.code}\n(globalThis as { readmeDone?: boolean }).readmeDone = true;\n`,
        );
        const site = await openSite("momenta-readme-", sourcePage(root), {
          args: ["--enable-unsafe-webgpu"],
        });
        try {
          const problems: string[] = [];
          const page = watch(await site.context.newPage(), problems);
          // an error thrown by the block ends the wait at once
          const thrown = new Promise<never>((_, reject) => {
            page.on("pageerror", (e) => reject(new Error(`${block.where} threw in Chromium: ${e.message}`)));
          });
          await page.goto(site.base);
          await Promise.race([
            thrown,
            page.waitForFunction(
              () => (globalThis as { readmeDone?: boolean }).readmeDone === true,
              undefined,
              {
                timeout: 60_000,
              },
            ),
          ]).catch((e: Error) => {
            throw new Error(`${e.message}; the page said: ${problems.join("; ")}`);
          });
          expect(problems, `${block.where} in Chromium`).toEqual([]);
        } finally {
          await site.close();
        }
      }, 120_000);
    }
  }

  it("the quickstart converges where it says", () => {
    const quickstart = blocks.find((b) => b.readme === "README.md")!;
    expect(quickstart.code).toContain('from "momenta-optim"');
    const [count, weights] = runs.get(quickstart.file)!.logs[0]!;
    expect(count).toBe(500);
    expect(weights).toHaveLength(4);
    for (const w of weights as string[]) expect(Math.abs(Number(w) - 1)).toBeLessThan(0.1);
  });

  it("clipping before Adam keeps the spike out of v; clipping after damps the later steps", () => {
    const [before, after] = logsOf("clipByGlobalNorm(0.01)")[0]! as { v: number; step30: number }[];
    expect(before!.v).toBeLessThan(0.02);
    expect(after!.v).toBeGreaterThan(900);
    expect(before!.step30).toBeGreaterThan(0.0095);
    expect(after!.step30 * 4).toBeLessThan(before!.step30);
  });

  it("resume restores the step count, in momenta and through a saved TF.js model", () => {
    const resume = logsOf("again.loadStateDict");
    expect(resume[0]).toEqual([1]);
    expect(resume[1]).toEqual([[{ name: "lr", saved: 0.1, current: 0.05 }]]);
    const tfjs = logsOf("tfjsOptimizer(");
    expect(tfjs[0]).toEqual([20, "wasm"]);
    expect(tfjs[1]).toEqual([24]);
  });

  it("the other printed values are the ones the comments give", () => {
    expect(logsOf("reduceLrOnPlateau(")[0]).toEqual([0.05]);
    expect(logsOf("toJsonl(reports)")[1]).toEqual([10]);
    const [counts, scar] = logsOf("vScar: true")[0]! as [number[], { path: string; index: number }];
    expect(counts).toEqual([0, 0, 1, 1]);
    expect(scar).toMatchObject({ path: "embed", index: 3 });
    const [trace, eigenvalue] = logsOf("topEigenvalue(")[0]! as number[];
    expect(trace).toBeCloseTo(11.6875, 8);
    expect(eigenvalue).toBeCloseTo(4.75, 8);
    expect(logsOf("muonMask")[0]).toEqual([["adamw", "muon"]]);
    expect(logsOf("64 * 32 * 4")[0]).toEqual([true]);
    const [lion] = logsOf("lion({ lr: 1e-4, weightDecay: 1 })")[0]! as number[][];
    const lionExpected = [0.5 - 1.5e-4, -0.5 + 1.5e-4, 2 - 3e-4];
    for (let i = 0; i < 3; i++) expect(lion![i]).toBeCloseTo(lionExpected[i]!, 12);
    const [keys, m] = logsOf("registerStepPreHook(")[2]! as [string[], ArrayLike<number>];
    expect(keys).toEqual(["expAvg", "expAvgSq"]);
    // m after two identical gradients (3, 4): 0.1·g, then 0.9·0.1·g + 0.1·g = 0.19·g
    expect(Array.from(Object.values(m))).toEqual(
      [Math.fround(0.19 * 3), Math.fround(0.19 * 4)].map((x) => expect.closeTo(x, 6)),
    );
    expect(logsOf("lbfgs({ lineSearchFn")[0]).toEqual([true, 5]);
    const [lamb] = logsOf("lamb({")[0]! as number[][];
    expect(Math.hypot(...[3, 4, 0, 0].map((w, i) => lamb![i]! - w))).toBeCloseTo(0.05, 12);
  });

  it("the diagnostics line is the one the README shows", () => {
    const block = blocks.find((b) => b.code.includes("formatStats(reports"))!;
    const shown = /^\/\/ (step 100 .*)$/m.exec(block.code)?.[1];
    expect(shown, `${block.where}: the comment after formatStats`).toBeDefined();
    expect(logsOf("formatStats(reports")[0]).toEqual([shown]);
  });
});
