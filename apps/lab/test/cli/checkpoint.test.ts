/**
 * `momenta train --resume` takes a checkpoint as data: every path from the command line, logs appended,
 * state.json, model.json and weights.bin checked (by schema, against each other and against the run's
 * config) with messages that name the file and the field — and the choice of checkpoint does not
 * depend on which files an interrupted write or deletion left, in whatever order.
 */
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-core/dist/register_all_gradients.js";
import {
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { faultPoints, openCheckpoint, settle } from "../../src/cli/checkpoint.ts";
import { main } from "../../src/cli/main.ts";
import { reseal } from "./checkpoint-reader.ts";
import { capture, tempDir } from "./io.ts";

const SMALL = [
  ...["--train-size", "64", "--test-size", "16", "--batch-size", "32", "--hidden", "8", "--epochs", "2"],
  ...["--backend", "wasm", "--no-progress"],
];

async function run(...argv: string[]) {
  const c = capture();
  const code = await main(["train", ...argv], c.io);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

/** Every file under `dir` with its bytes: what "nothing changed on disk" compares. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[p] = readFileSync(p).toString("base64");
    }
  };
  walk(dir);
  return out;
}

let base: string; // a run stopped after epoch 1 of 2, with diagnostics logged to base/log.jsonl
let wide: string; // the same, with 16 hidden units
let sgd: string; // the same architecture, trained with SGD
/** The epoch-0 checkpoint folder of `base`'s run (captured as it was written). */
let epoch0: string;

/** A copy of `from` to mutate. */
function copy(from: string, name: string): string {
  const dir = join(tempDir(name), "run");
  cpSync(from, dir, { recursive: true });
  return dir;
}

/** Resumes `dir` and expects a refusal: exit 2, one line naming `file` that matches `message`, nothing changed. */
async function refused(dir: string, file: string, message: RegExp, ...flags: string[]) {
  const before = snapshot(dir);
  const r = await run("--resume", dir, ...flags);
  expect(r.code).toBe(2);
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toContain(file);
  expect(lines[0]).toMatch(message);
  expect(lines[0]).not.toMatch(/TypeError|Cannot read|Cannot convert/);
  expect(snapshot(dir)).toEqual(before);
  return lines[0]!;
}

beforeAll(async () => {
  base = join(tempDir("base"), "run");
  faultPoints.onChange = (n) => {
    // the run's folder just before the epoch-1 checkpoint starts: the epoch-0 checkpoint alone
    if (n === 6) cpSync(join(base, "checkpoint"), join(base, "..", "epoch0"), { recursive: true });
  };
  const log = join(base, "..", "log.jsonl");
  const a = await run(
    ...SMALL,
    "--stop-after",
    "1",
    "--diagnostics",
    "1",
    "--diagnostics-jsonl",
    log,
    "--out",
    base,
  );
  faultPoints.onChange = undefined;
  expect(a.stderr).not.toMatch(/error/);
  epoch0 = join(base, "..", "epoch0");
  wide = join(tempDir("wide"), "run");
  const b = await run(...SMALL, "--hidden", "16", "--stop-after", "1", "--diagnostics", "1", "--out", wide);
  expect(b.code).toBe(0);
  sgd = join(tempDir("sgd"), "run");
  const c = await run(...SMALL, "--optimizer", "sgd", "--momentum", "0.9", "--stop-after", "1", "--out", sgd);
  expect(c.code).toBe(0);
}, 60_000);

describe("--resume: paths come from the command line only", () => {
  it("never writes to the diagnostics log a checkpoint names; --diagnostics-jsonl is appended to", async () => {
    const dir = copy(base, "paths");
    const victim = join(dir, "..", "victim.txt");
    writeFileSync(victim, "precious\n");
    // an edited state.json (sealed again, as a forger would) pointing the log at another file
    reseal(join(dir, "checkpoint"), (s) => {
      (s.config as { diagnostics: { jsonl: string } }).diagnostics.jsonl = victim;
    });
    const r = await run("--resume", dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`note: diagnostics are not written to '${victim}'`);
    expect(readFileSync(victim, "utf8")).toBe("precious\n");

    const again = copy(base, "append");
    const log = join(again, "..", "mine.jsonl");
    writeFileSync(log, '{"kept":true}\n');
    expect((await run("--resume", again, "--diagnostics-jsonl", log)).code).toBe(0);
    const lines = readFileSync(log, "utf8").trim().split("\n");
    expect(lines[0]).toBe('{"kept":true}');
    expect(lines.length).toBe(1 + 2); // epoch 2's two steps, each reported (--diagnostics 1)
  });

  it("writes the resumed run where the checkpoint was found (or --out), not where it was saved", async () => {
    const dir = copy(base, "moved");
    const r = await run("--resume", dir);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")).out).toBe(dir);
    expect(readdirSync(base).includes("checkpoint.new")).toBe(false);
    const elsewhere = join(tempDir("elsewhere"), "out");
    expect((await run("--resume", copy(base, "moved2"), "--out", elsewhere)).code).toBe(0);
    expect(existsSync(join(elsewhere, "checkpoint", "state.json"))).toBe(true);
  });

  it("--diagnostics-jsonl is refused for a run that was started without diagnostics", async () => {
    const r = await run("--resume", copy(sgd, "nodiag"), "--diagnostics-jsonl", "x.jsonl");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --diagnostics-jsonl: the run being resumed has no diagnostics/);
  });
});

describe("--resume: state.json is checked", () => {
  it('"epoch": "1" is refused (it used to exit 0 having trained nothing)', async () => {
    const dir = copy(base, "epoch-string");
    const state = join(dir, "checkpoint", "state.json");
    writeFileSync(state, readFileSync(state, "utf8").replace('"epoch": 1,', '"epoch": "1",'));
    const line = await refused(dir, state, /epoch: expected an integer >= 0 \(the epochs done\), got "1"/);
    expect(line).toMatch(/resume an intact copy, or start the run again without --resume$/);
  });

  it("a null rng is refused (it used to change the batch order silently); so is a wrong one", async () => {
    const dir = copy(base, "rng-null");
    const state = join(dir, "checkpoint", "state.json");
    writeFileSync(state, readFileSync(state, "utf8").replace(/"rng": \d+/, '"rng": null'));
    await refused(dir, state, /rng: expected an integer in \[0, 4294967295\] .*, got null/);
    const forged = copy(base, "rng-forged");
    reseal(join(forged, "checkpoint"), (s) => {
      s.rng = (s.rng as number) + 1;
    });
    await refused(
      forged,
      "state.json",
      /rng: expected \d+ \(the batch-order generator after 1 epochs from seed 1\), got \d+/,
    );
  });

  it("an edit that fits the schema is caught by the checksum; steps and metrics must match the config", async () => {
    const dir = copy(base, "checksum");
    const state = join(dir, "checkpoint", "state.json");
    writeFileSync(state, readFileSync(state, "utf8").replace('"lr": 0.001', '"lr": 0.5'));
    await refused(dir, state, /its checksum does not match its content/);
    const steps = copy(base, "steps");
    reseal(join(steps, "checkpoint"), (s) => {
      s.step = 3;
    });
    await refused(steps, "state.json", /step: expected 2 \(1 epochs of 2 batches\), got 3/);
    const past = copy(base, "past");
    reseal(join(past, "checkpoint"), (s) => {
      (s.config as { epochs: number }).epochs = 1;
      s.epoch = 2;
    });
    await refused(past, "state.json", /epoch: 2 epochs done, but the run's config has epochs 1/);
    const config = copy(base, "bad-config");
    reseal(join(config, "checkpoint"), (s) => {
      (s.config as { optimizer: { lr: number } }).optimizer.lr = -1;
    });
    await refused(config, "state.json: config: optimizer.lr", /expected a number > 0, got -1/);
  });

  it("a checkpoint of an older format says so", async () => {
    const dir = copy(base, "v1");
    reseal(join(dir, "checkpoint"), (s) => {
      s.version = 1;
    });
    await refused(dir, "state.json", /version 1 was written by an older momenta train/);
  });
});

describe("--resume: model.json and weights.bin are checked against the run's config", () => {
  it("a model.json of another architecture is refused (it used to train without complaint)", async () => {
    const dir = copy(base, "arch");
    for (const f of ["model.json", "weights.bin"])
      cpSync(join(wide, "checkpoint", f), join(dir, "checkpoint", f));
    reseal(join(dir, "checkpoint"));
    await refused(
      dir,
      join(dir, "checkpoint", "model.json"),
      /not the model its state.json config describes \(mlp 784-8-10\): modelTopology\.config\.layers\[0\]\.config\.units is 16, expected 8/,
    );
  });

  it("an optimizer state of another optimizer is refused before training", async () => {
    const dir = copy(base, "optimizer");
    // SGD without diagnostics vs AdamW watched by observe: same weights, another optimizer state
    cpSync(join(sgd, "checkpoint", "weights.bin"), join(dir, "checkpoint", "weights.bin"));
    const model = JSON.parse(readFileSync(join(sgd, "checkpoint", "model.json"), "utf8"));
    writeFileSync(join(dir, "checkpoint", "model.json"), JSON.stringify(model));
    reseal(join(dir, "checkpoint"));
    await refused(
      dir,
      join(dir, "checkpoint", "weights.bin"),
      /the optimizer state does not fit the run's optimizer \(loadStateDict: /,
    );
  });

  it("cut-short, damaged and missing files name the file", async () => {
    const cut = copy(base, "cut");
    truncateSync(join(cut, "checkpoint", "weights.bin"), 100);
    await refused(
      cut,
      "weights.bin",
      /100 bytes where state.json records \d+ \(it was cut short, damaged or replaced\)/,
    );
    const flipped = copy(base, "flipped");
    const weights = join(flipped, "checkpoint", "weights.bin");
    const bytes = readFileSync(weights);
    bytes[10] = bytes[10]! ^ 1;
    writeFileSync(weights, bytes);
    await refused(flipped, "weights.bin", /its SHA-256 is not the one state.json records/);
    const json = copy(base, "json");
    writeFileSync(join(json, "checkpoint", "state.json"), "{ not json");
    await refused(json, "state.json", /not valid JSON/);
    // a parser's message quoting a line break of the file stays one line (found by the fuzz test)
    writeFileSync(join(json, "checkpoint", "state.json"), 'z\n  "format"');
    await refused(
      json,
      "state.json",
      /not valid JSON \(Unexpected token 'z', "z\\n {2}"format"" is not valid JSON\)/,
    );
    const missing = copy(base, "missing");
    rmSync(join(missing, "checkpoint", "model.json"));
    await refused(missing, "model.json", /model.json is missing/);
  });

  it("--print-config and a run with nothing left to do check the checkpoint all the same", async () => {
    const dir = copy(base, "print");
    for (const f of ["model.json", "weights.bin"])
      cpSync(join(wide, "checkpoint", f), join(dir, "checkpoint", f));
    reseal(join(dir, "checkpoint"));
    await refused(dir, "model.json", /not the model/, "--print-config");
    await refused(dir, "model.json", /not the model/, "--epochs", "1");
  });
});

describe("--resume: a changed run length is allowed and said", () => {
  it("--epochs: one note line, with the schedule it stretches", async () => {
    const dir = join(tempDir("stretch"), "run");
    const a = await run(...SMALL, "--schedule", "cosineAnnealingLr", "--stop-after", "1", "--out", dir);
    expect(a.code).toBe(0);
    const r = await run("--resume", dir, "--epochs", "3");
    expect(r.code).toBe(0);
    const notes = r.stderr.split("\n").filter((l) => l.startsWith("note: "));
    expect(notes).toEqual([
      "note: --epochs 3: the run was saved as 2 epochs (1 done); it now ends after 3 (its cosineAnnealingLr schedule follows the run's length: tMax 4 → 6)",
    ]);
  });
});

describe("which checkpoint a resume takes does not depend on what was deleted first", () => {
  const FILES = ["model.json", "weights.bin", "state.json"];
  /** Every state a deletion of `folder`'s files can pass through, in any order: each subset removed, then the folder. */
  const deletions = (): (string[] | "folder")[] => [
    ...Array.from({ length: 8 }, (_, mask) => FILES.filter((_, i) => mask & (1 << i))),
    "folder",
  ];
  const layout = (parts: Record<string, { from: string; removed?: string[] | "folder" }>) => {
    const run = join(tempDir("order"), "run");
    for (const [name, { from, removed }] of Object.entries(parts)) {
      const to = join(run, name);
      cpSync(from, to, { recursive: true });
      if (removed === "folder") rmSync(to, { recursive: true });
      else for (const f of removed ?? []) rmSync(join(to, f));
    }
    return run;
  };
  const current = () => join(base, "checkpoint"); // generation 2, epoch 1

  it("a complete checkpoint/ wins over a checkpoint.old/ in any state of deletion", () => {
    for (const removed of deletions()) {
      const run = layout({ checkpoint: { from: current() }, "checkpoint.old": { from: epoch0, removed } });
      expect(openCheckpoint(run).state.epoch, String(removed)).toBe(1);
      settle(run);
      expect(readdirSync(run)).toEqual(["checkpoint"]);
      expect(openCheckpoint(run).folder).toBe(join(run, "checkpoint"));
    }
  });

  it("between the renames: checkpoint.new/ when complete, else checkpoint.old/ — never nothing", () => {
    for (const removed of deletions()) {
      const run = layout({
        "checkpoint.old": { from: epoch0 },
        "checkpoint.new": { from: current(), removed },
      });
      const expected = Array.isArray(removed) && removed.length === 0 ? 1 : 0;
      expect(openCheckpoint(run).state.epoch, String(removed)).toBe(expected);
      settle(run);
      expect(readdirSync(run)).toEqual(["checkpoint"]);
      expect(openCheckpoint(run).state.epoch).toBe(expected);
    }
  });

  it("a checkpoint/ being deleted to promote a complete checkpoint.new/ loses to it in every state", () => {
    for (const removed of deletions()) {
      const run = layout({ checkpoint: { from: epoch0, removed }, "checkpoint.new": { from: current() } });
      expect(openCheckpoint(run).folder, String(removed)).toBe(join(run, "checkpoint.new"));
      expect(openCheckpoint(run).state.epoch).toBe(1);
    }
  });
});
