#!/usr/bin/env node
/**
 * The `momenta` command.
 * - `momenta train`: trains an MLP (or a small CNN) on the MNIST digits of the `mnist` package with
 *   any momenta optimizer, schedule, clipping and weight decay, from flags and/or a JSON config; shows
 *   progress on stderr, writes metrics (JSON, CSV) and a checkpoint per epoch, resumes exactly, and
 *   compares recipes side by side.
 * - `momenta lab`: the Lab (src/lab) — every claim of the seed texts as a measured experiment.
 * `main(argv, io)` runs it in-process and returns the exit code: 0 done, 1 failed while running,
 * 2 bad command line or config.
 */
import { realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import type { Checkpoint } from "./checkpoint.ts";
import { parseRecipes, RECIPE_NAMES, RECIPES, recipeConfigs, runCompare } from "./compare.ts";
import {
  BACKENDS,
  type Config,
  DECAY_MASKS,
  MODELS,
  OPTIMIZERS,
  parseConfig,
  resolveSchedule,
  SCHEDULES,
} from "./config.ts";
import { ConfigError } from "./errors.ts";
import { configInput, readConfigFile } from "./flags.ts";
import { checkTransform, describeOptimizer } from "./optimizer.ts";
import type { Output } from "./progress.ts";

export interface Io {
  stdout: Output;
  stderr: Output;
}

type Options = Record<string, unknown>;

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/**
 * Flags that may accompany --resume; the rest of the run is the checkpoint's. Paths come only from
 * here: the run's folder is where the checkpoint was found (or --out), the diagnostics log is
 * --diagnostics-jsonl's (never the one saved in the checkpoint).
 */
const RESUME_FLAGS = new Set(["epochs", "out", "backend", "stopAfter", "diagnosticsJsonl"]);

const EXAMPLES = `
Optimizers: ${OPTIMIZERS.join(", ")}
Schedules:  ${SCHEDULES.join(", ")} (base value: --lr; step counts default to the run's length)
Recipes:    ${RECIPE_NAMES.join(", ")}

Examples:
  $ momenta train --optimizer adamw --lr 1e-3 --weight-decay 0.05 --decay-mask excludeBiasAndNorm
  $ momenta train --optimizer sgd --lr 0.05 --momentum 0.9 --schedule cosineAnnealingLr --clip 1 --epochs 5
  $ momenta train --config train.json --out runs/a && momenta train --resume runs/a --epochs 6
  $ momenta train --compare adam-l2,adamw --epochs 3
`;

function version(): string {
  try {
    const require = createRequire(import.meta.url);
    return (require("../../package.json") as { version: string }).version;
  } catch {
    return "0.0.0";
  }
}

export interface Actions {
  train(opts: Options): void;
  lab(opts: Options): void;
}

export function createProgram(io: Io, actions: Actions): Command {
  const program = new Command("momenta")
    .description("momenta: composable, PyTorch-exact optimizers for TypeScript")
    .version(version())
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // One line per error: commander puts its "(Did you mean …?)" on a line of its own.
      outputError: (s, write) => write(s.replace(/\n(?=.)/g, " ")),
    })
    .showSuggestionAfterError(true);
  program
    .command("train")
    .description("train an MLP or a small CNN on MNIST digits with a momenta optimizer")
    .option("-c, --config <file>", "JSON config: the keys of config.json (flags override them)")
    .option("--model <type>", `model: ${MODELS.join(" | ")} (default mlp)`)
    .option("--hidden <sizes>", "dense hidden layer sizes, e.g. 128 or 256,128; none for none (default 128)")
    .option("--filters <counts>", "CNN conv filters per block, e.g. 8,16 (default 8,16)")
    .option("--optimizer <name>", `optimizer (default adamw): ${OPTIMIZERS.join(", ")}`)
    .option("--lr <n>", "learning rate; the schedule's base value (default: the optimizer's own)")
    .option("--weight-decay <n>", "weightDecay: L2 or decoupled, as the optimizer defines it")
    .option("--decay-mask <mask>", `which leaves decay: ${DECAY_MASKS.join(" | ")} (default all)`)
    .option("--momentum <n>", "momentum (sgd, sgdw, rmsprop, muon)")
    .option("--betas <b1,b2>", "betas, e.g. 0.9,0.999")
    .option("--eps <n>", "eps")
    .option(
      "--opt <key=value>",
      "any other optimizer option, momenta's name (repeatable): --opt amsgrad=true",
      collect,
    )
    .option("--schedule <name>", `lr schedule (default none): ${SCHEDULES.join(", ")}`)
    .option(
      "--schedule-opt <key=value>",
      "a schedule option, momenta's name (repeatable): --schedule-opt warmupSteps=100",
      collect,
    )
    .option(
      "--clip <maxNorm>",
      "clip the global gradient norm before the optimizer (clipByGlobalNorm); none: off",
    )
    .option("--epochs <n>", "epochs (default 3)")
    .option("--batch-size <n>", "batch size (default 64)")
    .option("--seed <n>", "seed of the initial weights and the batch order (default 1)")
    .option("--backend <name>", `TF.js backend: ${BACKENDS.join(" | ")} (default wasm; falls back to cpu)`)
    .option("--train-size <n>", "training digits (default 8000)")
    .option("--test-size <n>", "held-out test digits (default 2000; train + test ≤ 10000)")
    .option(
      "--out <dir>",
      "output folder: config.json, metrics.json, metrics.csv, checkpoint/ (default runs/momenta-train)",
    )
    .option(
      "--resume <dir>",
      "continue the run saved in <dir>; with --epochs, make it longer (length-based schedules stretch)",
    )
    .option(
      "--stop-after <epochs>",
      "stop once this many epochs are done (the run keeps its length: --resume it later)",
    )
    .option(
      "--compare <recipes>",
      `train recipes on the same seed and compare them: ${RECIPE_NAMES.join(", ")}`,
    )
    .option("--diagnostics <every>", "watch the optimizer (observe): stats every k-th step, a line per epoch")
    .option(
      "--diagnostics-jsonl <file>",
      "append every diagnostics report to this JSONL file (with --resume: where the resumed run appends)",
    )
    .option("--no-progress", "no progress bar")
    .option("--print-config", "print the config, defaults filled in, as JSON and exit")
    .addHelpText("after", EXAMPLES)
    .action((opts: Options) => actions.train(opts));
  program
    .command("lab")
    .description("put every claim of the seed texts to a measured test: a report with figures and verdicts")
    .option("--full", "the thorough versions: more seeds, larger grids, longer training")
    .option("--smoke", "seconds-long runs that only check the machinery (what npm test runs)")
    .option("--only <ids>", "comma-separated claim ids (docs/CLAIMS.md), e.g. v-scar,silent-params")
    .option("--seed <n>", "base seed of every run (default 0)")
    .option("--out <dir>", "report folder: index.html and results.json (default lab-report)")
    .option("--workers <n>", "worker threads (default: up to 2); 0 runs in this thread")
    .option("--no-progress", "no live progress display")
    .action((opts: Options) => actions.lab(opts));
  return program;
}

function given(opts: Options, key: string): boolean {
  const v = opts[key];
  return Array.isArray(v) ? v.length > 0 : v !== undefined;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** `--stop-after <epochs>`: a positive integer, or a ConfigError. */
function stopAfterOf(opts: Options): number | undefined {
  if (typeof opts.stopAfter !== "string") return undefined;
  const n = Number(opts.stopAfter);
  if (!/^\s*\d+\s*$/.test(opts.stopAfter) || n < 1) {
    throw new ConfigError([`--stop-after: expected an integer >= 1, got '${opts.stopAfter}'`]);
  }
  return n;
}

async function runTrain(opts: Options, io: Io): Promise<number> {
  const progress = opts.progress !== false;
  const stopAfter = stopAfterOf(opts);
  const file =
    typeof opts.config === "string" ? { name: opts.config, json: readConfigFile(opts.config) } : undefined;

  if (typeof opts.resume === "string") {
    const misplaced = Object.keys(opts).filter(
      (k) => given(opts, k) && !RESUME_FLAGS.has(k) && !["resume", "progress", "printConfig"].includes(k),
    );
    if (misplaced.length > 0) {
      const flag = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      throw new ConfigError(
        misplaced.map(
          (k) =>
            `${flag(k)}: not with --resume (the checkpoint's config is used; with --resume you may give ${[...RESUME_FLAGS].map(flag).join(", ")})`,
        ),
      );
    }
    const { openCheckpoint, savedConfig, checkProgress, configOrigin } = await import("./checkpoint.ts");
    const checkpoint = openCheckpoint(opts.resume);
    const saved = savedConfig(checkpoint);
    checkProgress(checkpoint, saved);
    if (given(opts, "diagnosticsJsonl") && saved.diagnostics === null) {
      throw new ConfigError([
        "--diagnostics-jsonl: the run being resumed has no diagnostics (it was started without --diagnostics); start a new run to watch the optimizer",
      ]);
    }
    // No path comes from the checkpoint: the run's folder is where it was found (or --out), and the
    // diagnostics log is --diagnostics-jsonl's or none.
    const json = structuredClone(saved) as unknown as Options;
    json.out = checkpoint.run;
    if (saved.diagnostics) json.diagnostics = { ...saved.diagnostics, jsonl: null };
    const { input, sources } = configInput(opts, { name: configOrigin(checkpoint), json });
    const config = parseConfig(input, sources, (c) => checkTransform(c, sources));
    const notes = resumeNotes(saved, config, checkpoint.state.epoch).map((n) => `note: ${n}\n`);
    const done = config.epochs <= checkpoint.state.epoch;
    if (opts.printConfig || done) {
      // Checked all the same: a broken checkpoint is refused, whatever is asked of it.
      const { checkResume } = await import("./train.ts");
      await checkResume(config, checkpoint);
      for (const note of notes) io.stderr.write(note);
      if (opts.printConfig) {
        io.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
        return 0;
      }
      // The run is complete; if a kill interrupted its last checkpoint's swap, finish it (checkpoint/
      // becomes the newest complete one), as the next checkpoint write would have.
      const { settle } = await import("./checkpoint.ts");
      if (settle(checkpoint.run).changed) {
        io.stderr.write(
          `note: finished the checkpoint write a stopped run left in ${checkpoint.run}: checkpoint/ holds epoch ${checkpoint.state.epoch}\n`,
        );
      }
      io.stderr.write(
        `nothing to do: the checkpoint has ${checkpoint.state.epoch} epochs done; ask for more with --epochs\n`,
      );
      return 0;
    }
    return trainAndReport(config, io, progress, stopAfter, { checkpoint, notes });
  }

  if (typeof opts.compare === "string") {
    if (given(opts, "optimizer")) {
      throw new ConfigError([
        `--optimizer: not with --compare (the recipes choose the optimizers: ${RECIPE_NAMES.join(", ")})`,
      ]);
    }
    const names = parseRecipes(opts.compare);
    const { input, sources } = configInput(opts, file);
    const runs = recipeConfigs(names, input, sources);
    if (file && (file.json as Options).optimizer !== undefined) {
      io.stderr.write(
        `note: with --compare the recipes choose the optimizer; ${file.name}'s optimizer section is not used\n`,
      );
    }
    if (opts.printConfig) {
      io.stdout.write(
        `${JSON.stringify(Object.fromEntries(runs.map((r) => [r.name, r.config])), null, 2)}\n`,
      );
      return 0;
    }
    const { train } = await import("./train.ts");
    for (const name of names) io.stderr.write(`${name}: ${RECIPES[name]!.summary}\n`);
    await runCompare(
      runs,
      typeof input.out === "string" ? input.out : dirname(runs[0]!.config.out),
      io.stdout,
      (name, config) =>
        train(config, { stderr: io.stderr, progress, label: name, ...(stopAfter ? { stopAfter } : {}) }),
    );
    return 0;
  }

  const { input, sources } = configInput(opts, file);
  const config = parseConfig(input, sources, (c) => checkTransform(c, sources));
  if (opts.printConfig) {
    io.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
    return 0;
  }
  return trainAndReport(config, io, progress, stopAfter);
}

/** What differs between the run as saved and as resumed, one line each (only the allowed flags can differ). */
function resumeNotes(saved: Config, config: Config, done: number): string[] {
  const notes: string[] = [];
  if (config.epochs !== saved.epochs) {
    const before = resolveSchedule(saved);
    const after = resolveSchedule(config);
    const changed = Object.keys(after).filter((k) => before[k] !== after[k]);
    const schedule = changed.length
      ? ` (its ${config.schedule.name} schedule follows the run's length: ${changed.map((k) => `${k} ${before[k]} → ${after[k]}`).join(", ")})`
      : "";
    notes.push(
      `--epochs ${config.epochs}: the run was saved as ${saved.epochs} epochs (${done} done); it now ends after ${config.epochs}${schedule}`,
    );
  }
  if (config.backend !== saved.backend) {
    notes.push(
      `--backend ${config.backend}: the run so far trained on ${saved.backend}; from here its numbers may differ in the last bits from a run that stayed on ${saved.backend}`,
    );
  }
  if (saved.diagnostics?.jsonl && !config.diagnostics?.jsonl) {
    notes.push(
      `diagnostics are not written to '${saved.diagnostics.jsonl}' (a path saved in a checkpoint is never written to); --diagnostics-jsonl names the file to append to`,
    );
  }
  return notes;
}

async function trainAndReport(
  config: Config,
  io: Io,
  progress: boolean,
  stopAfter: number | undefined,
  resume?: { checkpoint: Checkpoint; notes: string[] },
): Promise<number> {
  const { train } = await import("./train.ts");
  const schedule =
    config.schedule.name === "none" ? "" : `, schedule ${describeOptimizer(resolveSchedule(config))}`;
  const result = await train(config, {
    stderr: io.stderr,
    progress,
    // said once the checkpoint has passed every check (a refusal is its one line)
    onReady: () => {
      for (const note of resume?.notes ?? []) io.stderr.write(note);
      io.stderr.write(
        `${describeOptimizer(config.optimizer)}${schedule}${config.clip === null ? "" : `, clip ${config.clip}`}\n`,
      );
    },
    ...(resume ? { resume: resume.checkpoint } : {}),
    ...(stopAfter ? { stopAfter } : {}),
  });
  const last = result.metrics[result.metrics.length - 1]!;
  const stopped =
    last.epoch < config.epochs ? ` (stopped: ${last.epoch} of ${config.epochs} epochs done)` : "";
  const correct = Math.round(last.testAccuracy * config.data.test);
  io.stdout.write(
    `test accuracy ${pct(last.testAccuracy)} (${correct}/${config.data.test} held-out digits), test loss ${last.testLoss.toFixed(4)} ` +
      `after ${last.epoch} epoch${last.epoch === 1 ? "" : "s"} (${result.seconds.toFixed(1)} s on ${result.backend}, momenta kernel ${result.kernel})\n` +
      `wrote ${join(config.out, "metrics.json")}, metrics.csv, config.json and checkpoint/${stopped} (resume: --resume ${config.out})\n`,
  );
  return 0;
}

async function runLab(opts: Options, io: Io): Promise<number> {
  const { parseLabOptions, LabOptionsError } = await import("../lab/options.ts");
  let options: ReturnType<typeof parseLabOptions>;
  try {
    options = parseLabOptions(opts);
  } catch (e) {
    if (e instanceof LabOptionsError) throw new ConfigError(e.lines);
    throw e;
  }
  const { runLabCommand } = await import("../lab/main.ts");
  return runLabCommand(options, io);
}

/**
 * A message as one line: control characters it quotes (a value typed with a newline, a snippet of a
 * damaged file in a JSON parser's message) are shown escaped.
 */
function printable(line: string): string {
  let out = "";
  for (const c of line) {
    const code = c.charCodeAt(0);
    if (code === 9 || (code >= 32 && code !== 127)) out += c;
    else out += c === "\n" ? "\\n" : c === "\r" ? "\\r" : `\\x${code.toString(16).padStart(2, "0")}`;
  }
  return out;
}

/** Runs the CLI on `argv` (without "node main.js"); returns the exit code. */
export async function main(
  argv: readonly string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let task: Promise<number> | undefined;
  const program = createProgram(io, {
    train: (opts) => {
      task = runTrain(opts, io);
    },
    lab: (opts) => {
      task = runLab(opts, io);
    },
  });
  try {
    await program.parseAsync([...argv], { from: "user" });
    if (!task) {
      program.outputHelp();
      return 2;
    }
    return await task;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof ConfigError) {
      io.stderr.write(`${e.lines.map((l) => `error: ${printable(l)}`).join("\n")}\n`);
      return 2;
    }
    io.stderr.write(`error: ${printable(e instanceof Error ? e.message : String(e))}\n`);
    return 1;
  }
}

function invokedDirectly(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  // A reader that goes away (`momenta train --help | head`) is not an error: what is left to print is
  // dropped, and the command finishes what it was doing (a training run is not cut short).
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE" && e.code !== "ERR_STREAM_DESTROYED") throw e;
    });
  }
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
