/**
 * Flags onto the config schema: each flag sets one key of the same object a JSON config holds, over
 * the file's value, and records where it came from so that errors name the flag. Values are read as
 * data only — numbers, true/false, null/none, comma lists, else text — never evaluated.
 */
import { readFileSync } from "node:fs";
import { ConfigError, type Sources } from "./errors.ts";

interface FlagSpec {
  /** commander's key for the option. */
  key: string;
  flag: string;
  path: string[];
  /** text: kept as typed; value: a number, boolean, null or text; list: comma-separated values. */
  kind: "text" | "value" | "list";
}

export const CONFIG_FLAGS: readonly FlagSpec[] = [
  { key: "model", flag: "--model", path: ["model", "type"], kind: "text" },
  { key: "hidden", flag: "--hidden", path: ["model", "hidden"], kind: "list" },
  { key: "filters", flag: "--filters", path: ["model", "filters"], kind: "list" },
  { key: "optimizer", flag: "--optimizer", path: ["optimizer", "name"], kind: "text" },
  { key: "lr", flag: "--lr", path: ["optimizer", "lr"], kind: "value" },
  { key: "weightDecay", flag: "--weight-decay", path: ["optimizer", "weightDecay"], kind: "value" },
  { key: "decayMask", flag: "--decay-mask", path: ["optimizer", "mask"], kind: "text" },
  { key: "momentum", flag: "--momentum", path: ["optimizer", "momentum"], kind: "value" },
  { key: "betas", flag: "--betas", path: ["optimizer", "betas"], kind: "list" },
  { key: "eps", flag: "--eps", path: ["optimizer", "eps"], kind: "value" },
  { key: "schedule", flag: "--schedule", path: ["schedule", "name"], kind: "text" },
  { key: "clip", flag: "--clip", path: ["clip"], kind: "value" },
  { key: "epochs", flag: "--epochs", path: ["epochs"], kind: "value" },
  { key: "batchSize", flag: "--batch-size", path: ["batchSize"], kind: "value" },
  { key: "seed", flag: "--seed", path: ["seed"], kind: "value" },
  { key: "backend", flag: "--backend", path: ["backend"], kind: "text" },
  { key: "trainSize", flag: "--train-size", path: ["data", "train"], kind: "value" },
  { key: "testSize", flag: "--test-size", path: ["data", "test"], kind: "value" },
  { key: "out", flag: "--out", path: ["out"], kind: "text" },
  { key: "diagnostics", flag: "--diagnostics", path: ["diagnostics", "every"], kind: "value" },
  { key: "diagnosticsJsonl", flag: "--diagnostics-jsonl", path: ["diagnostics", "jsonl"], kind: "text" },
];

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/** "0.1" → 0.1, "true" → true, "none"/"null" → null, anything else stays text. */
export function parseValue(raw: string): unknown {
  const t = raw.trim();
  if (NUMBER.test(t)) return Number(t);
  if (t === "true" || t === "false") return t === "true";
  if (t === "null" || t === "none") return null;
  return raw;
}

/** "0.9,0.999" → [0.9, 0.999]; "none" or "" → []. */
export function parseList(raw: string): unknown[] {
  const t = raw.trim();
  if (t === "" || t === "none") return [];
  return t.split(",").map(parseValue);
}

type Obj = Record<string, unknown>;

function setPath(target: Obj, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== "object" || Array.isArray(next)) node[key] = {};
    node = node[key] as Obj;
  }
  node[path[path.length - 1]!] = value;
}

/** Reads and parses a JSON config file (a JSON object), or throws a ConfigError naming the problem. */
export function readConfigFile(file: string): Obj {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError([`--config: cannot read '${file}' (${(e as NodeJS.ErrnoException).code ?? e})`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError([`--config: '${file}' is not valid JSON (${(e as Error).message})`]);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new ConfigError([
      `${file}: expected a JSON object ({ "optimizer": { … }, … }), got ${JSON.stringify(json)}`,
    ]);
  }
  return json as Obj;
}

const KEY = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$/;

/** `--opt betas=0.9,0.98` → ["betas", [0.9, 0.98]]. */
function keyValue(flag: string, text: string): [string[], unknown, string] {
  const eq = text.indexOf("=");
  const key = eq < 0 ? "" : text.slice(0, eq).trim();
  if (!KEY.test(key)) {
    throw new ConfigError([`${flag}: expected key=value (e.g. ${flag} amsgrad=true), got '${text}'`]);
  }
  const raw = text.slice(eq + 1);
  return [key.split("."), raw.includes(",") ? parseList(raw) : parseValue(raw), raw];
}

/**
 * The config input: the file's object (if any) with the flags laid over it. A flag choosing another
 * optimizer or schedule than the file's replaces that whole section (the file's options were for the
 * other one).
 */
export function configInput(
  opts: Obj,
  file: { name: string; json: Obj } | undefined,
): { input: Obj; sources: Sources } {
  const input: Obj = file ? structuredClone(file.json) : {};
  const sources: Sources = { flags: new Map(), ...(file ? { file: file.name } : {}) };
  for (const section of ["optimizer", "schedule"] as const) {
    const chosen = opts[section];
    const current = input[section] as Obj | undefined;
    if (typeof chosen === "string" && current?.name !== chosen) input[section] = {};
  }
  for (const spec of CONFIG_FLAGS) {
    const raw = opts[spec.key];
    if (typeof raw !== "string") continue;
    const value = spec.kind === "text" ? raw : spec.kind === "list" ? parseList(raw) : parseValue(raw);
    setPath(input, spec.path, value);
    sources.flags.set(spec.path.join("."), { flag: spec.flag, raw });
  }
  for (const [key, section, flag] of [
    ["opt", "optimizer", "--opt"],
    ["scheduleOpt", "schedule", "--schedule-opt"],
  ] as const) {
    for (const text of (opts[key] as string[] | undefined) ?? []) {
      const [path, value, raw] = keyValue(flag, text);
      setPath(input, [section, ...path], value);
      sources.flags.set([section, ...path].join("."), { flag: `${flag} ${path.join(".")}`, raw });
    }
  }
  return { input, sources };
}
