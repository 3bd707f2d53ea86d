/**
 * The checkpoints of `momenta train`: how they are written so that a kill at any moment loses
 * nothing, and how `--resume` reads them — as data, checked, never as instructions.
 *
 * Layout, in the run's folder (`--out`):
 *
 *     checkpoint/        the current checkpoint: model.json, weights.bin, state.json
 *     checkpoint.new/    the next one, while it is written
 *     checkpoint.old/    the previous one, while it is retired
 *
 * - `model.json` + `weights.bin`: the model with its optimizer state, as TF.js's
 *   `model.save(…, { includeOptimizer: true })` produces them (so `tf.loadLayersModel` reads them,
 *   once `tfjsOptimizer(tx, { name: "momenta-train" })` has registered the optimizer's name);
 * - `state.json`: the resolved config, the epochs done, the updates applied, the batch-order
 *   generator's state, the metrics so far, the checkpoint's generation, the size and SHA-256 of
 *   model.json and weights.bin, and a SHA-256 of its own content (`checksum`).
 *
 * **Complete.** A checkpoint folder is complete when its state.json parses, fits its schema and its
 * checksum, and model.json and weights.bin have exactly the sizes and hashes it records. state.json is
 * written last, once the other two are on disk, so it is the folder's commit record: a folder cut
 * short anywhere — while written, or while deleted, whatever the order of its files — is not complete.
 *
 * **Newest.** A checkpoint's generation is one more than the newest complete one in the folder when it
 * was written. A resume takes the complete checkpoint of highest generation among the three names
 * (ties: checkpoint/, then .new, then .old); nothing else — not which names exist, not which files
 * were deleted first — decides.
 *
 * **Writing** (`saveCheckpoint`), each step durable before the next:
 *
 *  1. settle: when the newest complete checkpoint is `.new` or `.old` (a kill interrupted a swap), a
 *     `checkpoint/` that is not it (older, or incomplete) is deleted and it is renamed `checkpoint/`;
 *     then any `.new` and `.old` left are deleted. The newest complete checkpoint is never deleted;
 *  2. write `checkpoint.new/`: model.json, weights.bin, then state.json — each written, fsynced and
 *     closed — then fsync the folder;
 *  3. swap: rename `checkpoint/` → `checkpoint.old/`, then `checkpoint.new/` → `checkpoint/`; fsync
 *     the run's folder;
 *  4. delete `checkpoint.old/`, file by file.
 *
 * At every moment a complete checkpoint at least as new as the last one finished is on disk: up to
 * the first rename it is `checkpoint/` (or what step 1 promoted); between the renames `.old` is one
 * and `.new` a newer one; after the second, `checkpoint/`. A resumed run writes through the same
 * steps, so it too starts by promoting, never deleting, the only complete copy.
 *
 * **Reading** (`openCheckpoint`, `checkProgress`, `restoreCheckpoint`) changes nothing on disk. It
 * takes the newest complete checkpoint and checks it as data: state.json by schema and against its
 * own config (epochs, steps, metrics and the generator's state must be what that config produces);
 * model.json against the model that config builds (the architecture layer by layer, every weight's
 * name and shape, the training config); the optimizer state against the optimizer that config
 * builds. No path is ever taken from a checkpoint: the run's folder is where the checkpoint was found
 * (or `--out`), the diagnostics log is `--diagnostics-jsonl`'s.
 *
 * **Test hook.** `MOMENTA_FAULT_AT=n` in the environment makes the process SIGKILL itself right
 * before the n-th change that checkpointing makes on disk in this process (counting from 1: a
 * mkdir, a file written, a rename, an unlink, an rmdir; the fsyncs are not counted — a killed
 * process leaves the same files whether it died just before an fsync or just after it). Only the
 * fault-injection test (test/cli/kill.test.ts) sets it; `faultPoints` lets it count the changes.
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { type AnyTransformation, createOptimizer, Mulberry32 } from "momenta-optim";
import { stateFromWords } from "momenta-optim/tfjs";
import { z } from "zod";
import { type Config, parseConfig, stepsPerEpoch } from "./config.ts";
import { ConfigError, dotted, show, valueAt } from "./errors.ts";
import type { EpochMetrics } from "./metrics.ts";
import { describeModel } from "./model.ts";
import { checkTransform } from "./optimizer.ts";

export const CHECKPOINT = "checkpoint";
const NEXT = `${CHECKPOINT}.new`;
const PREVIOUS = `${CHECKPOINT}.old`;
/** The three names, in the order that breaks ties between complete checkpoints of one generation. */
const NAMES = [CHECKPOINT, NEXT, PREVIOUS] as const;
const FORMAT = "momenta-train-checkpoint";
const VERSION = 2;
/** The files state.json vouches for. */
const FILES = ["model.json", "weights.bin"] as const;

/** The name the optimizer is registered under (and saved with, in model.json's training config). */
export const OPTIMIZER_NAME = "momenta-train";

/** What to do about a checkpoint that fails a check. */
const DAMAGED =
  "the checkpoint is damaged or was edited; resume an intact copy, or start the run again without --resume";

// ── The test hook (see the top of this file) ────────────────────────────────────────────────────

/** Fault injection, for the tests only: the changes checkpointing has made in this process. */
export const faultPoints: { count: number; onChange?: (n: number, what: string) => void } = { count: 0 };
const FAULT_AT = Number(process.env.MOMENTA_FAULT_AT ?? 0);

/** Counts a change about to be made; under MOMENTA_FAULT_AT, dies before the chosen one. */
function change(what: string): void {
  faultPoints.count++;
  faultPoints.onChange?.(faultPoints.count, what);
  if (faultPoints.count === FAULT_AT) {
    process.kill(process.pid, "SIGKILL");
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000); // the signal lands meanwhile
  }
}

// ── Durable file operations ──────────────────────────────────────────────────────────────────────

function makeDir(dir: string): void {
  change(`mkdir ${dir}`);
  mkdirSync(dir);
}

/** Writes a new file and fsyncs it before closing. */
function writeDurably(file: string, data: string | Uint8Array): void {
  change(`write ${file}`);
  const fd = openSync(file, "wx");
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function rename(from: string, to: string): void {
  change(`rename ${from} ${to}`);
  renameSync(from, to);
}

/** Deletes a file, or a folder file by file and then itself (a sub-folder, never ours, in one go). */
function remove(path: string): void {
  if (lstatSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) {
      const entry = join(path, name);
      change(`unlink ${entry}`);
      if (lstatSync(entry).isDirectory()) rmSync(entry, { recursive: true, force: true });
      else unlinkSync(entry);
    }
    change(`rmdir ${path}`);
    rmdirSync(path);
  } else {
    change(`unlink ${path}`);
    unlinkSync(path);
  }
}

/** Makes a folder's entries (files created, renamed) durable; a no-op where folders cannot be fsynced. */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Windows cannot open a folder for fsync; its renames are durable on their own.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Replaces `file` all at once (a temporary file, fsynced, renamed over it): a kill leaves the old
 * content or the new, never a part. For the run's other outputs (config.json, metrics).
 */
export function writeFileAtomic(file: string, data: string): void {
  const temp = `${file}.tmp`;
  const fd = openSync(temp, "w");
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
}

// ── What state.json holds ────────────────────────────────────────────────────────────────────────

export interface FileRecord {
  bytes: number;
  sha256: string;
}

/** What a run records in a checkpoint (the rest of state.json is added when it is written). */
export interface Progress {
  /** Epochs completed. */
  epoch: number;
  /** Updates applied. */
  step: number;
  /** The batch-order generator's state (Mulberry32) after `epoch` epochs. */
  rng: number;
  config: Config;
  metrics: EpochMetrics[];
}

export interface CheckpointState extends Progress {
  format: typeof FORMAT;
  version: typeof VERSION;
  /** One more than the newest complete checkpoint's in the folder when this one was written. */
  generation: number;
  files: Record<(typeof FILES)[number], FileRecord>;
  /** "sha256:…" of state.json's content without this field (JSON.stringify, 2-space indent). */
  checksum: string;
}

const integer = (min: number, max: number, what: string) => {
  const error = `expected ${what}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
};
/** JSON has no NaN or ±Infinity: a diverged run's loss is saved as null. */
const measured = (min: number, max: number, what: string) => {
  const error = `expected ${what} or null`;
  return z.number({ error }).min(min, { error }).max(max, { error }).nullable();
};
const loss = measured(0, Number.MAX_VALUE, "a number >= 0");
const accuracy = measured(0, 1, "a number in [0, 1]");

const MetricsRow = z.strictObject(
  {
    epoch: integer(1, Number.MAX_SAFE_INTEGER, "an integer >= 1"),
    step: integer(0, Number.MAX_SAFE_INTEGER, "an integer >= 0"),
    lr: loss,
    trainLoss: loss,
    trainAccuracy: accuracy,
    testLoss: loss,
    testAccuracy: accuracy,
    seconds: z.number({ error: "expected a number >= 0" }).min(0, { error: "expected a number >= 0" }),
  },
  { error: "expected an epoch's metrics ({ epoch, step, lr, trainLoss, … })" },
);

const FileRecordSchema = z.strictObject(
  {
    bytes: integer(0, Number.MAX_SAFE_INTEGER, "a size in bytes"),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: "expected a SHA-256 (64 hex digits)" }),
  },
  { error: "expected { bytes, sha256 }" },
);

const StateSchema = z.strictObject({
  format: z.literal(FORMAT, { error: `expected "${FORMAT}"` }),
  version: z.literal(VERSION, { error: `expected ${VERSION}` }),
  generation: integer(1, Number.MAX_SAFE_INTEGER, "an integer >= 1"),
  epoch: integer(0, Number.MAX_SAFE_INTEGER, "an integer >= 0 (the epochs done)"),
  step: integer(0, Number.MAX_SAFE_INTEGER, "an integer >= 0 (the updates applied)"),
  rng: integer(0, 0xffff_ffff, "an integer in [0, 4294967295] (the batch-order generator's state)"),
  config: z.record(z.string(), z.unknown(), { error: "expected the run's config (an object)" }),
  metrics: z.array(MetricsRow, { error: "expected a list of per-epoch metrics" }),
  files: z.strictObject(
    { "model.json": FileRecordSchema, "weights.bin": FileRecordSchema },
    { error: "expected the sizes and hashes of model.json and weights.bin" },
  ),
  checksum: z.string().regex(/^sha256:[0-9a-f]{64}$/, { error: "expected sha256: and 64 hex digits" }),
});

const WeightSpec = z.strictObject({
  name: z.string(),
  shape: z.array(z.int().min(0)),
  dtype: z.enum(["float32", "int32"]),
  group: z.literal("optimizer").optional(),
});

const ModelJsonSchema = z.strictObject({
  modelTopology: z.record(z.string(), z.unknown(), { error: "expected the model's topology (an object)" }),
  format: z.literal("layers-model", { error: 'expected "layers-model"' }),
  generatedBy: z.string().optional(),
  convertedBy: z.string().nullable().optional(),
  trainingConfig: z.record(z.string(), z.unknown(), { error: "expected the training config (an object)" }),
  weightsManifest: z.array(z.strictObject({ paths: z.array(z.string()), weights: z.array(WeightSpec) }), {
    error: "expected the weights manifest (a list)",
  }),
});

export type ModelJson = z.output<typeof ModelJsonSchema>;

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

/** state.json's text: the state with its checksum. */
function stateText(body: Omit<CheckpointState, "checksum">): string {
  const checksum = `sha256:${sha256(JSON.stringify(body, null, 2))}`;
  return `${JSON.stringify({ ...body, checksum }, null, 2)}\n`;
}

/** The first problem zod found in `input` (and how many more), as one line. */
function schemaProblem(file: string, issues: readonly z.core.$ZodIssue[], input: unknown): string {
  const issue = issues[0]!;
  const at = issue.path.length ? `${dotted(issue.path)}: ` : "";
  const more =
    issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? "s" : ""})` : "";
  if (issue.code === "unrecognized_keys") {
    return `${file}: ${at}unexpected key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `'${k}'`).join(", ")}${more}`;
  }
  const value = valueAt(input, issue.path);
  const message = issue.message.startsWith("expected") ? issue.message : `expected ${issue.message}`;
  return `${file}: ${at}${message}, got ${value === undefined ? "nothing" : show(value)}${more}`;
}

// ── Reading a folder: complete or not ────────────────────────────────────────────────────────────

/** A complete checkpoint, its files in memory (read once: what was checked is what is used). */
export interface Checkpoint {
  /** The run's folder: where new checkpoints go, unless --out names another. */
  run: string;
  /** The folder it was read from (checkpoint/, or .new / .old when a kill interrupted a swap). */
  folder: string;
  /** state.json, checked by schema; its config is still to be parsed (parseConfig) by the caller. */
  state: Omit<CheckpointState, "config"> & { config: Record<string, unknown> };
  model: ModelJson;
  weights: Uint8Array;
}

type Inspection = ({ ok: true } & Checkpoint) | { ok: false; folder: string; problem: string };

function readBytes(file: string): Uint8Array | string {
  try {
    if (!statSync(file).isFile()) return `${file}: expected a file`;
    return readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? `${file} is missing` : `${file}: cannot read it (${code ?? String(e)})`;
  }
}

function parseJson(file: string, bytes: Uint8Array): { json: unknown } | string {
  try {
    return { json: JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) };
  } catch (e) {
    return `${file}: not valid JSON (${e instanceof Error ? e.message : String(e)})`;
  }
}

/** Whether `folder` holds a complete checkpoint (see the top of this file); reads, never writes. */
function inspect(run: string, folder: string): Inspection {
  const fail = (problem: string): Inspection => ({ ok: false, folder, problem });
  if (!statSync(folder).isDirectory()) return fail(`${folder}: expected a folder`);
  const statePath = join(folder, "state.json");
  const stateBytes = readBytes(statePath);
  if (typeof stateBytes === "string") return fail(stateBytes);
  const parsed = parseJson(statePath, stateBytes);
  if (typeof parsed === "string") return fail(parsed);
  const json = parsed.json;
  const version = valueAt(json, ["version"]);
  if (valueAt(json, ["format"]) === FORMAT && version !== VERSION && typeof version === "number") {
    return fail(
      `${statePath}: version ${version} was written by ${version < VERSION ? "an older" : "a newer"} momenta train, whose checkpoints this one cannot check (it reads version ${VERSION})`,
    );
  }
  const result = StateSchema.safeParse(json);
  if (!result.success) return fail(schemaProblem(statePath, result.error.issues, json));
  const { checksum, ...body } = result.data;
  if (checksum !== `sha256:${sha256(JSON.stringify(body, null, 2))}`) {
    return fail(
      `${statePath}: its checksum does not match its content (it was changed after it was written)`,
    );
  }
  const files: Partial<Record<(typeof FILES)[number], Uint8Array>> = {};
  for (const name of FILES) {
    const path = join(folder, name);
    const bytes = readBytes(path);
    if (typeof bytes === "string") return fail(bytes);
    const record = body.files[name];
    if (bytes.length !== record.bytes || sha256(bytes) !== record.sha256) {
      return fail(
        `${path}: ${bytes.length !== record.bytes ? `${bytes.length} bytes where state.json records ${record.bytes}` : "its SHA-256 is not the one state.json records"} (it was cut short, damaged or replaced)`,
      );
    }
    files[name] = bytes;
  }
  const modelPath = join(folder, "model.json");
  const model = parseJson(modelPath, files["model.json"]!);
  if (typeof model === "string") return fail(model);
  const modelResult = ModelJsonSchema.safeParse(model.json);
  if (!modelResult.success) return fail(schemaProblem(modelPath, modelResult.error.issues, model.json));
  return {
    ok: true,
    run,
    folder,
    state: result.data as Checkpoint["state"],
    model: modelResult.data,
    weights: files["weights.bin"]!,
  };
}

/** The checkpoint folders present in `run` (and `extra`, a bare checkpoint folder given to --resume). */
function survey(run: string, extra?: string): Inspection[] {
  const folders = NAMES.map((n) => join(run, n)).filter((f) => existsSync(f));
  if (extra && !folders.includes(extra)) folders.push(extra);
  return folders.map((f) => inspect(run, f));
}

/** The complete checkpoint of highest generation (the first of the tied ones). */
function newest(found: readonly Inspection[]): Checkpoint | undefined {
  let best: Checkpoint | undefined;
  for (const c of found) {
    if (c.ok && (!best || c.state.generation > best.state.generation)) best = c;
  }
  return best;
}

/**
 * The checkpoint `--resume <dir>` continues: the newest complete one in the run's folder `dir` (or
 * in the folder around `dir` when it is a checkpoint folder itself). Changes nothing on disk.
 */
export function openCheckpoint(dir: string): Checkpoint {
  let run = dir;
  let extra: string | undefined;
  let isFolder = false;
  try {
    isFolder = statSync(dir).isDirectory();
  } catch {
    // reported below as "no checkpoint"
  }
  if (isFolder && (NAMES.includes(basename(dir) as never) || existsSync(join(dir, "state.json")))) {
    run = dirname(dir);
    if (!NAMES.includes(basename(dir) as never)) extra = dir;
  }
  const found = isFolder ? survey(run, extra) : [];
  if (found.length === 0) {
    // A run's config.json without a checkpoint: the run was stopped before its first one was written.
    const started = isFolder && existsSync(join(dir, "config.json"));
    throw new ConfigError([
      started
        ? `--resume: no checkpoint in '${dir}': the run was stopped before its first one was written; start it again (the same command, without --resume)`
        : `--resume: no checkpoint in '${dir}' (expected ${join(dir, CHECKPOINT, "state.json")})`,
    ]);
  }
  const best = newest(found);
  if (!best && found.every((c) => basename(c.folder) === NEXT)) {
    // Only the first checkpoint, cut short: the run was killed before it had anything to resume.
    throw new ConfigError([
      `--resume: no complete checkpoint in '${dir}': the run was stopped while writing its first one (${(found[0] as { problem: string }).problem}); start it again (the same command, without --resume)`,
    ]);
  }
  if (!best) {
    const first = found[0] as { problem: string };
    const others = found.length > 1 ? ` (and ${found.length - 1} more incomplete)` : "";
    throw new ConfigError([
      `--resume: no complete checkpoint in '${dir}': ${first.problem}${others}; ${DAMAGED}`,
    ]);
  }
  return best;
}

/** Where a checkpoint's config is named in messages: `…/checkpoint/state.json: config`. */
export const configOrigin = (checkpoint: Checkpoint) => `${join(checkpoint.folder, "state.json")}: config`;

/** The checkpoint's config, validated like any config (one line naming state.json when it is not). */
export function savedConfig(checkpoint: Checkpoint): Config {
  const sources = { flags: new Map(), file: configOrigin(checkpoint) };
  try {
    return parseConfig(checkpoint.state.config, sources, (c) => checkTransform(c, sources));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const more =
      e.lines.length > 1 ? ` (and ${e.lines.length - 1} more problem${e.lines.length > 2 ? "s" : ""})` : "";
    throw new ConfigError([`${e.lines[0]}${more}; ${DAMAGED}`]);
  }
}

/**
 * Checks state.json's record of the run against its config: the epochs done within the run's length,
 * the update count, one metrics row per epoch, and the batch-order generator where `epoch` epochs of
 * that config's seed leave it (recomputed, so a changed value cannot silently change the batch order).
 */
export function checkProgress(checkpoint: Checkpoint, saved: Config): void {
  const { state } = checkpoint;
  const file = join(checkpoint.folder, "state.json");
  const fail = (what: string): never => {
    throw new ConfigError([`${file}: ${what}; ${DAMAGED}`]);
  };
  const perEpoch = stepsPerEpoch(saved);
  if (state.epoch > saved.epochs) {
    fail(`epoch: ${state.epoch} epochs done, but the run's config has epochs ${saved.epochs}`);
  }
  if (state.step !== state.epoch * perEpoch) {
    fail(
      `step: expected ${state.epoch * perEpoch} (${state.epoch} epochs of ${perEpoch} batches), got ${state.step}`,
    );
  }
  if (state.metrics.length !== state.epoch) {
    fail(`metrics: expected ${state.epoch} rows (one per epoch done), got ${state.metrics.length}`);
  }
  state.metrics.forEach((row, i) => {
    if (row.epoch !== i + 1 || row.step !== (i + 1) * perEpoch) {
      fail(
        `metrics[${i}]: expected epoch ${i + 1} at step ${(i + 1) * perEpoch}, got epoch ${row.epoch} at step ${row.step}`,
      );
    }
  });
  const rng = new Mulberry32(saved.seed);
  for (let e = 0; e < state.epoch; e++) rng.permutation(saved.data.train);
  if (state.rng !== rng.state) {
    fail(
      `rng: expected ${rng.state} (the batch-order generator after ${state.epoch} epochs from seed ${saved.seed}), got ${state.rng}`,
    );
  }
}

// ── Writing ──────────────────────────────────────────────────────────────────────────────────────

/** The model's save artifacts with its optimizer (whose tensors the optimizer owns and frees). */
async function artifactsOf(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
    { includeOptimizer: true },
  );
  return artifacts!;
}

/**
 * Step 1 of a write (see the top of this file), also run by a resume with nothing left to do: the
 * newest complete checkpoint becomes `checkpoint/` and the leftovers of an interrupted write are
 * deleted. Returns that checkpoint (if any) and whether anything changed.
 */
export function settle(run: string): { newest: Checkpoint | undefined; changed: boolean } {
  const current = join(run, CHECKPOINT);
  const best = newest(survey(run));
  let changed = false;
  if (best && best.folder !== current) {
    if (existsSync(current)) remove(current);
    rename(best.folder, current);
    syncDir(run);
    best.folder = current;
    changed = true;
  }
  for (const leftover of [join(run, NEXT), join(run, PREVIOUS)]) {
    if (existsSync(leftover)) {
      remove(leftover);
      changed = true;
    }
  }
  return { newest: best, changed };
}

/** Writes the checkpoint of `progress` into `run` (see the top of this file for the steps). */
export async function saveCheckpoint(run: string, model: tfl.LayersModel, progress: Progress): Promise<void> {
  const artifacts = await artifactsOf(model);
  const modelJson: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology!,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
    weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs ?? [] }],
  };
  const modelText = JSON.stringify(modelJson);
  const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0)));
  const current = join(run, CHECKPOINT);
  const next = join(run, NEXT);
  const previous = join(run, PREVIOUS);
  // 1. settle what an interrupted write left
  const best = settle(run).newest;

  // 2. the new checkpoint, state.json last
  const state = stateText({
    format: FORMAT,
    version: VERSION,
    generation: (best?.state.generation ?? 0) + 1,
    epoch: progress.epoch,
    step: progress.step,
    rng: progress.rng,
    config: progress.config,
    metrics: progress.metrics,
    files: {
      "model.json": { bytes: Buffer.byteLength(modelText), sha256: sha256(modelText) },
      "weights.bin": { bytes: weights.length, sha256: sha256(weights) },
    },
  });
  makeDir(next);
  writeDurably(join(next, "model.json"), modelText);
  writeDurably(join(next, "weights.bin"), weights);
  writeDurably(join(next, "state.json"), state);
  syncDir(next);

  // 3. swap, 4. retire the previous one
  const replacing = existsSync(current);
  if (replacing) rename(current, previous);
  rename(next, current);
  syncDir(run);
  if (replacing) remove(previous);
}

// ── Restoring: model.json and weights.bin against the run's model and optimizer ──────────────────

/** Where `got` first differs from `want` (JSON values), e.g. "layers[0].config.units is 16, expected 8". */
function difference(got: unknown, want: unknown, path: string): string | undefined {
  const at = path || "the whole";
  if (Array.isArray(want)) {
    if (!Array.isArray(got)) return `${at} is ${show(got)}, expected a list`;
    if (got.length !== want.length) return `${at} has ${got.length} entries, expected ${want.length}`;
    for (let i = 0; i < want.length; i++) {
      const d = difference(got[i], want[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (want !== null && typeof want === "object") {
    if (got === null || typeof got !== "object" || Array.isArray(got)) {
      return `${at} is ${show(got)}, expected an object`;
    }
    const g = got as Record<string, unknown>;
    const w = want as Record<string, unknown>;
    for (const key of Object.keys(w)) {
      const d = difference(g[key], w[key], path ? `${path}.${key}` : key);
      if (d) return d;
    }
    const extra = Object.keys(g).find((k) => !Object.hasOwn(w, k));
    return extra === undefined ? undefined : `${path ? `${path}.` : ""}${extra} is not expected`;
  }
  return Object.is(got, want) ? undefined : `${at} is ${show(got)}, expected ${show(want)}`;
}

const plain = (x: unknown): unknown => JSON.parse(JSON.stringify(x));
/** TF.js-layers names a variable `hidden1/kernel_1` when a model of the same layer names exists already. */
const baseName = (name: string) => name.replace(/_\d+$/, "");

/**
 * Checks the checkpoint's model.json and weights.bin against `model` (built and compiled from the
 * run's config, with `optimizer`) and the optimizer state against `tx`, then loads the weights and
 * the optimizer state into them. Throws a ConfigError naming the file and what differs; loads
 * nothing unless every check passed.
 */
export async function restoreCheckpoint(
  checkpoint: Checkpoint,
  config: Config,
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  tx: AnyTransformation,
): Promise<void> {
  const { state } = checkpoint;
  const modelPath = join(checkpoint.folder, "model.json");
  const weightsPath = join(checkpoint.folder, "weights.bin");
  const fail = (file: string, what: string): never => {
    throw new ConfigError([`${file}: ${what}; ${DAMAGED}`]);
  };
  const described = describeModel(config.model);

  // model.json: the architecture and training config the run's config builds
  const { keras_version: _k, backend: _b, ...topology } = checkpoint.model.modelTopology;
  const wanted = plain(model.toJSON(null, false)) as Record<string, unknown>;
  delete wanted.keras_version;
  delete wanted.backend;
  const arch = difference(topology, wanted, "");
  if (arch)
    fail(modelPath, `not the model its state.json config describes (${described}): modelTopology.${arch}`);
  const training = plain((model as unknown as { getTrainingConfig(): unknown }).getTrainingConfig());
  const trainingDiff = difference(checkpoint.model.trainingConfig, training, "");
  if (trainingDiff) fail(modelPath, `trainingConfig.${trainingDiff}`);

  // the weights manifest: the model's weights, then the optimizer's iteration count and state
  const stateName = `${OPTIMIZER_NAME}/state`;
  const manifest = checkpoint.model.weightsManifest;
  const savedSpecs = manifest.length === 1 ? manifest[0]!.weights : [];
  const stateSpec = savedSpecs[savedSpecs.length - 1];
  const words = stateSpec?.shape.length === 1 ? stateSpec.shape[0]! : -1;
  const specs: tf.io.WeightsManifestEntry[] = [
    ...model.weights.map((w) => ({
      name: w.originalName,
      shape: [...(w.shape as number[])],
      dtype: w.dtype,
    })),
    { name: "iter", shape: [], dtype: "int32", group: "optimizer" },
    { name: stateName, shape: [Math.max(words, 0)], dtype: "int32", group: "optimizer" },
  ];
  const manifestDiff = difference(manifest, [{ paths: ["weights.bin"], weights: specs }], "");
  if (manifestDiff) {
    fail(
      modelPath,
      `weightsManifest${manifestDiff.startsWith("[") ? "" : " "}${manifestDiff} (${described})`,
    );
  }
  const size = specs.reduce((n, s) => n + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
  if (checkpoint.weights.length !== size) {
    fail(weightsPath, `${checkpoint.weights.length} bytes, but model.json's weights take ${size}`);
  }

  // weights.bin: the optimizer's step count and state dict, checked against the run's optimizer
  const bytes = checkpoint.weights;
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const decoded = tf.io.decodeWeights(buffer, specs);
  try {
    const iterations = decoded.iter!.dataSync()[0];
    if (iterations !== state.step) {
      fail(
        weightsPath,
        `the optimizer's iteration count is ${iterations}, but state.json has step ${state.step}`,
      );
    }
    let dict: unknown;
    try {
      dict = stateFromWords(decoded[stateName]!.dataSync());
    } catch (e) {
      fail(
        weightsPath,
        `the optimizer state is not readable (${e instanceof Error ? e.message : String(e)})`,
      );
    }
    if (dict === undefined) {
      if (state.step !== 0) fail(weightsPath, `no optimizer state, but ${state.step} updates were applied`);
    } else {
      checkOptimizerState(dict, state.step, model, tx, (what) => fail(weightsPath, what));
    }
    // every check passed: load
    const weights: tf.NamedTensorMap = {};
    for (const w of model.weights) weights[w.originalName] = decoded[w.originalName]!;
    model.loadWeights(weights, true);
    await optimizer.setWeights([
      { name: "iter", tensor: decoded.iter! },
      { name: stateName, tensor: decoded[stateName]! },
    ]);
  } finally {
    tf.dispose(Object.values(decoded));
  }
}

/**
 * The saved optimizer state against the run's optimizer: momenta's own `loadStateDict` checks,
 * run on a scratch optimizer with the model's parameter names and shapes, so a state that does not
 * fit is refused here rather than at the first update.
 */
function checkOptimizerState(
  dict: unknown,
  step: number,
  model: tfl.LayersModel,
  tx: AnyTransformation,
  fail: (what: string) => never,
): void {
  const DictSchema = z.looseObject({ step: z.number(), paths: z.array(z.string()) });
  const parsed = DictSchema.safeParse(dict);
  if (!parsed.success) fail("the optimizer state is not a momenta state dict");
  const d = parsed.data!;
  if (d.step !== step) fail(`the optimizer state has step ${d.step}, but state.json has step ${step}`);
  const shapes = new Map(model.weights.map((w) => [w.originalName, w.shape as number[]]));
  const names = d.paths.map(baseName);
  if (
    names.length !== shapes.size ||
    names.some((n) => !shapes.has(n)) ||
    new Set(names).size !== names.length
  ) {
    fail(
      `the optimizer state is for parameters [${names.join(", ")}], the model has [${[...shapes.keys()].join(", ")}]`,
    );
  }
  const params = Object.fromEntries(
    d.paths.map((p, i) => {
      const shape = shapes.get(names[i]!)!;
      return [p, { data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape: [...shape] }];
    }),
  );
  try {
    createOptimizer(tx, params, { kernel: "reference" }).loadStateDict(dict);
  } catch (e) {
    fail(
      `the optimizer state does not fit the run's optimizer (${e instanceof Error ? e.message : String(e)})`,
    );
  }
}
