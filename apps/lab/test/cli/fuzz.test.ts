/**
 * Fuzzing `momenta train` (in-process, through the CLI's `main`): random flags, random JSON configs and
 * randomly damaged or edited checkpoint files. Every input is tried with --print-config first; one the
 * CLI refuses is tried again for real (it would train if accepted). A refusal must be exit code 2
 * (the CLI's usage-error code) with `error:` lines only — one per problem, and exactly one for a
 * checkpoint — no internal TypeError ("Cannot read properties of undefined", "Cannot convert undefined
 * or null to object", …) and no stack trace, and must change nothing on disk: every file of the
 * sandbox (the checkpoint being resumed included) byte for byte as before. The counts of inputs tried
 * and refused are printed.
 */
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-core/dist/register_all_gradients.js";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RECIPE_NAMES } from "../../src/cli/compare.ts";
import {
  BACKENDS,
  DECAY_MASKS,
  MODELS,
  OPTIMIZERS,
  optimizerKeys,
  SCHEDULES,
  scheduleKeys,
} from "../../src/cli/config.ts";
import { main } from "../../src/cli/main.ts";
import { reseal } from "./checkpoint-reader.ts";
import { capture, tempDir } from "./io.ts";

/** What an internal error looks like in a message (none may reach the user). */
const INTERNAL =
  /TypeError|ReferenceError|RangeError: Invalid|Cannot read propert|Cannot convert|is not a function|is not iterable|\[object Object\]|^\s+at /m;

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        out[`${p}/`] = "";
        walk(p);
      } else out[p] = readFileSync(p).toString("base64");
    }
  };
  walk(dir);
  return out;
}

async function run(argv: readonly string[]) {
  const c = capture();
  const code = await main(["train", ...argv], c.io);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

interface Tally {
  tried: number;
  refused: number;
  oneLine: number;
  accepted: number;
}
const tallies: Record<string, Tally> = {};
const tally = (name: string) => {
  tallies[name] ??= { tried: 0, refused: 0, oneLine: 0, accepted: 0 };
  return tallies[name]!;
};

/**
 * Runs `argv` with --print-config; when refused, checks the refusal and runs it again without (the
 * real path). `sandbox` must not change in either case of refusal.
 */
async function check(name: string, argv: readonly string[], sandbox: string, oneLine = false): Promise<void> {
  const t = tally(name);
  t.tried++;
  const before = snapshot(sandbox);
  const printed = await run([...argv, "--print-config"]);
  if (printed.code === 0) {
    t.accepted++;
    return;
  }
  for (const [label, r] of [
    ["--print-config", printed],
    ["for real", await run([...argv, "--no-progress"])],
  ] as const) {
    const what = `${label}: momenta train ${argv.map((a) => JSON.stringify(a)).join(" ")}\n${r.stderr}`;
    expect(r.code, what).toBe(2);
    const lines = r.stderr.trimEnd().split("\n");
    expect(r.stderr, what).not.toMatch(INTERNAL);
    for (const line of lines) expect(line, what).toMatch(/^error: \S.*$/);
    if (oneLine) expect(lines, what).toHaveLength(1);
    expect(snapshot(sandbox), what).toEqual(before);
  }
  t.refused++;
  if (printed.stderr.trimEnd().split("\n").length === 1) t.oneLine++;
}

let sandbox: string;
/** A run stopped after epoch 1 of 2 (tiny), with diagnostics, to resume and to damage. */
let base: string;

beforeAll(async () => {
  sandbox = tempDir("fuzz");
  base = join(tempDir("fuzz-base"), "run");
  const c = capture();
  const code = await main(
    [
      "train",
      ...["--train-size", "64", "--test-size", "16", "--batch-size", "32", "--hidden", "8", "--epochs", "2"],
      ...["--stop-after", "1", "--diagnostics", "1", "--no-progress", "--out", base],
    ],
    c.io,
  );
  expect(code, c.stderr()).toBe(0);
}, 60_000);

afterAll(() => {
  const lines = Object.entries(tallies).map(
    ([name, t]) =>
      `  ${name}: ${t.tried} tried, ${t.refused} refused (exit 2, error lines only, nothing changed on disk; ${t.oneLine} in one line), ${t.accepted} accepted`,
  );
  const total = Object.values(tallies).reduce((n, t) => n + t.tried, 0);
  const refused = Object.values(tallies).reduce((n, t) => n + t.refused, 0);
  console.log(`fuzz: ${total} inputs tried, ${refused} refused\n${lines.join("\n")}`);
});

// ── Flags ──────────────────────────────────────────────────────────────────────────────────────

const VALUES = [
  ...[
    "0",
    "1",
    "-1",
    "0.5",
    "1e-3",
    "3e-3",
    "1e400",
    "-0",
    "2",
    "10",
    "64",
    "4294967296",
    "1.5",
    "0.9,0.999",
  ],
  ...[
    "1,2,3",
    "",
    " ",
    "none",
    "null",
    "true",
    "false",
    "NaN",
    "Infinity",
    "abc",
    "0x10",
    "1e",
    ".5",
    "5.",
    ",",
  ],
];
const value = fc.oneof(
  fc.constantFrom(...VALUES),
  fc.double().map(String),
  fc.integer({ min: -5, max: 100_000 }).map(String),
  fc.string({ maxLength: 8 }),
);
const OPTION_KEYS = [
  ...new Set([...OPTIMIZERS.flatMap(optimizerKeys), ...SCHEDULES.flatMap(scheduleKeys)]),
  ...[
    "constructor",
    "__proto__",
    "toString",
    "a.b",
    "adamw.lr",
    "adamw.betas",
    "adamw.x",
    "",
    "weight_decay",
  ],
];
const keyValue = fc.oneof(
  fc.tuple(fc.constantFrom(...OPTION_KEYS), value).map(([k, v]) => `${k}=${v}`),
  fc.string({ maxLength: 10 }),
);
const NAMES = [
  ...OPTIMIZERS,
  ...SCHEDULES,
  ...MODELS,
  ...BACKENDS,
  ...DECAY_MASKS,
  "adamx",
  "cosine",
  "gpu",
  "",
];
const name = fc.oneof(
  fc.constantFrom(...NAMES, "constructor", "toString", "__proto__"),
  fc.string({ maxLength: 8 }),
);
const list = fc.oneof(
  value,
  fc.array(fc.integer({ min: -2, max: 300 }), { maxLength: 4 }).map((a) => a.join(",")),
);

/** The flags, with values drawn from the sandbox where they are paths. */
const flag = (paths: () => string[]) =>
  fc.oneof(
    ...(
      [
        ["--model", name],
        ["--hidden", list],
        ["--filters", list],
        ["--optimizer", name],
        ["--lr", value],
        ["--weight-decay", value],
        ["--decay-mask", name],
        ["--momentum", value],
        ["--betas", list],
        ["--eps", list],
        ["--opt", keyValue],
        ["--schedule", name],
        ["--schedule-opt", keyValue],
        ["--clip", value],
        ["--epochs", value],
        ["--batch-size", value],
        ["--seed", value],
        ["--backend", name],
        ["--train-size", value],
        ["--test-size", value],
        ["--stop-after", value],
        ["--diagnostics", value],
        [
          "--compare",
          fc.oneof(fc.constantFrom(...RECIPE_NAMES, "adam,adamw", "adamx", ",", ""), fc.string()),
        ],
        ["--out", fc.constantFrom(...paths())],
        ["--diagnostics-jsonl", fc.constantFrom(...paths())],
        ["--resume", fc.constantFrom(...paths())],
        ["--config", fc.constantFrom(...paths())],
      ] as const
    ).map(([f, v]) => (v as fc.Arbitrary<string>).map((x) => [f, x])),
    fc.constantFrom(["--no-progress"], ["--lrr", "1"], ["-x"], ["extra"], ["--help"]),
  );

describe("fuzz: refused inputs get exit 2, error lines only, and change nothing on disk", () => {
  it("random flags", async () => {
    const resumable = join(sandbox, "resumable");
    cpSync(base, resumable, { recursive: true });
    const config = join(sandbox, "config.json");
    writeFileSync(config, JSON.stringify({ optimizer: { name: "sgd", momentum: 0.9 }, epochs: 2 }));
    const paths = () => [
      join(sandbox, "out"),
      join(sandbox, "diag.jsonl"),
      join(sandbox, "missing"),
      resumable,
      join(resumable, "checkpoint"),
      config,
      sandbox,
    ];
    await fc.assert(
      fc.asyncProperty(fc.array(flag(paths), { minLength: 1, maxLength: 4 }), async (flags) => {
        await check("flags", ["--out", join(sandbox, "out"), ...flags.flat()], sandbox);
      }),
      { numRuns: 1000 },
    );
  }, 120_000);

  it("random JSON configs", async () => {
    const file = join(sandbox, "train.json");
    const keys = fc.constantFrom(
      ...["model", "optimizer", "schedule", "clip", "epochs", "batchSize", "seed", "backend", "data", "out"],
      ...[
        "diagnostics",
        "name",
        "lr",
        "hidden",
        "filters",
        "type",
        "train",
        "test",
        "every",
        "jsonl",
        "betas",
      ],
      ...["momentum", "gamma", "milestones", "adamw", "warmupSteps", "eps", "mask", "weightDecay", "0", "x"],
    );
    const leaf: fc.Arbitrary<unknown> = fc.oneof(
      fc.integer({ min: -3, max: 20_000 }),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom(...NAMES),
      fc.string({ maxLength: 5 }),
      fc.array(fc.double({ min: -1, max: 2 }), { maxLength: 3 }),
      fc.constant({}),
      fc.constant([]),
    );
    const start = fc.record(
      {
        optimizer: fc.record(
          { name: fc.constantFrom(...OPTIMIZERS), lr: fc.constantFrom(1e-3, 0.1) },
          { requiredKeys: [] },
        ),
        schedule: fc.record({ name: fc.constantFrom(...SCHEDULES) }, { requiredKeys: [] }),
        epochs: fc.constantFrom(1, 2),
        model: fc.record({ hidden: fc.constantFrom([8], [], [4, 4]) }, { requiredKeys: [] }),
        data: fc.constant({ train: 64, test: 16 }),
      },
      { requiredKeys: [] },
    );
    const edit = fc.tuple(
      fc.array(keys, { minLength: 1, maxLength: 3 }),
      fc.option(leaf, { nil: undefined }),
    );
    const config = fc.oneof(
      fc.tuple(start, fc.array(edit, { maxLength: 3 })).map(([json, edits]) => {
        const root = structuredClone(json) as Record<string, unknown>;
        for (const [path, v] of edits) {
          let node = root;
          for (const k of path.slice(0, -1)) {
            const next = node[k];
            if (next === null || typeof next !== "object") node[k] = {};
            node = node[k] as Record<string, unknown>;
          }
          if (v === undefined) delete node[path[path.length - 1]!];
          else node[path[path.length - 1]!] = v;
        }
        return JSON.stringify(root);
      }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 20 }),
    );
    await fc.assert(
      fc.asyncProperty(config, async (text) => {
        writeFileSync(file, text);
        await check("config files", ["--config", file, "--out", join(sandbox, "out")], sandbox);
      }),
      { numRuns: 600 },
    );
  }, 120_000);

  it("damaged and edited checkpoint files", async () => {
    const dir = join(sandbox, "ck");
    const folder = join(dir, "checkpoint");
    /** A random path into a JSON value (indices wrap around each level's keys), and what to put there. */
    const jsonEdit = fc.tuple(
      fc.array(fc.nat(), { minLength: 1, maxLength: 5 }),
      fc.oneof(
        fc.constant<unknown>(undefined),
        fc.integer({ min: -2, max: 5000 }),
        fc.double(),
        fc.constantFrom<unknown>(null, "1", true, [], {}, "weights.bin", "../state.json"),
      ),
    );
    const editJson = (text: string, [path, v]: [number[], unknown]) => {
      const root = JSON.parse(text) as unknown;
      let node = root as Record<string, unknown>;
      for (let i = 0; i < path.length; i++) {
        const keys = Object.keys(node);
        if (keys.length === 0) break;
        const key = keys[path[i]! % keys.length]!;
        const next = node[key];
        if (i === path.length - 1 || next === null || typeof next !== "object") {
          if (v === undefined) delete node[key];
          else node[key] = v;
          break;
        }
        node = next as Record<string, unknown>;
      }
      return JSON.stringify(root, null, 2);
    };
    const damage = fc.oneof(
      fc.record({
        kind: fc.constant("json" as const),
        file: fc.constantFrom("state.json", "model.json"),
        edit: jsonEdit,
        seal: fc.boolean(),
      }),
      fc.record({
        kind: fc.constant("bytes" as const),
        file: fc.constantFrom("state.json", "model.json", "weights.bin"),
        op: fc.constantFrom("truncate", "flip", "append", "empty"),
        at: fc.nat(),
        seal: fc.boolean(),
      }),
      fc.record({
        kind: fc.constant("remove" as const),
        file: fc.constantFrom("state.json", "model.json", "weights.bin", ""),
      }),
      fc.record({
        kind: fc.constant("folder" as const),
        file: fc.constantFrom("state.json", "model.json", "weights.bin"),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(damage, { minLength: 1, maxLength: 2 }), async (damages) => {
        rmSync(dir, { recursive: true, force: true });
        cpSync(base, dir, { recursive: true });
        for (const d of damages) {
          const path = join(folder, d.file);
          if (d.kind === "remove") {
            rmSync(path, { recursive: true, force: true });
            continue;
          }
          if (d.kind === "folder") {
            rmSync(path, { force: true, recursive: true });
            mkdirSync(path, { recursive: true });
            continue;
          }
          let bytes: Buffer;
          try {
            bytes = readFileSync(path);
          } catch {
            continue; // removed or made a folder by an earlier damage
          }
          if (d.kind === "json") {
            try {
              writeFileSync(path, editJson(bytes.toString("utf8"), d.edit));
            } catch {
              continue; // no longer JSON
            }
          } else if (d.op === "truncate")
            writeFileSync(path, bytes.subarray(0, d.at % Math.max(1, bytes.length)));
          else if (d.op === "flip") {
            if (bytes.length > 0)
              bytes[d.at % bytes.length] = bytes[d.at % bytes.length]! ^ (1 << (d.at % 8));
            writeFileSync(path, bytes);
          } else if (d.op === "append")
            writeFileSync(path, Buffer.concat([bytes, Buffer.from([d.at % 256, 0, 1])]));
          else writeFileSync(path, "");
          if (d.seal) {
            try {
              reseal(folder); // as a forger would: the hashes and checksum made to fit again
            } catch {
              // state.json no longer parses: left as it is
            }
          }
        }
        await check("checkpoint files", ["--resume", dir], dir, true);
      }),
      { numRuns: 400 },
    );
  }, 180_000);
});
