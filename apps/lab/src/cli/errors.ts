/**
 * How a bad config is told: one line per problem, named where the user wrote it — the flag
 * (`--lr: expected a number > 0, got 'abc'`) or the file and key (`train.json: optimizer: unknown key
 * 'learningRate' for adamw (allowed: …)`) — listing the allowed values of every choice.
 */
import type { z } from "zod";

/** A config that cannot run; `lines` are ready to print. */
export class ConfigError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join("\n"));
    this.name = "ConfigError";
  }
}

export interface FlagSource {
  /** As typed: `--lr`, `--opt amsgrad`. */
  flag: string;
  /** The value as typed. */
  raw: string;
}

export interface Sources {
  /** The JSON config file, when there is one. */
  file?: string;
  /** Values given by flags, by dotted path: `optimizer.lr` → { flag: "--lr", raw: "abc" }. */
  flags: Map<string, FlagSource>;
  /** What to call values from neither (defaults, a saved checkpoint, a compare recipe). */
  origin?: string;
}

type Path = readonly PropertyKey[];

/** `optimizer.betas[1]`: a path as the user would write it. */
export const dotted = (path: Path) =>
  path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("");

export function valueAt(input: unknown, path: Path): unknown {
  let v = input;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[p as string];
  }
  return v;
}

/** The flag that set `path` or one of its parents, and the rest of the path below it. */
function flagFor(path: Path, sources: Sources): { source: FlagSource; rest: Path } | undefined {
  for (let n = path.length; n > 0; n--) {
    const source = sources.flags.get(path.slice(0, n).map(String).join("."));
    if (source) return { source, rest: path.slice(n) };
  }
  return undefined;
}

function where(path: Path, sources: Sources): string {
  const f = flagFor(path, sources);
  if (f) return `${f.source.flag}${f.rest.length ? dotted(f.rest).replace(/^(?!\[)/, ".") : ""}`;
  const origin = sources.file ?? sources.origin ?? "config";
  return path.length ? `${origin}: ${dotted(path)}` : origin;
}

/** A value as JSON, cut to 60 characters ("nothing" when missing). */
export function show(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function got(path: Path, input: unknown, sources: Sources): string {
  const f = flagFor(path, sources);
  if (f && f.rest.length === 0) return `'${f.source.raw}'`;
  const value = valueAt(input, path);
  return f && value !== undefined ? `'${String(value)}'` : show(value);
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
    }
  }
  return d[a.length]![b.length]!;
}

/** " (did you mean 'adamw'?)" when allowed values are close to, or start with, what was given. */
function suggestion(given: unknown, allowed: readonly string[]): string {
  if (typeof given !== "string" || given === "") return "";
  const lower = given.toLowerCase();
  let close = allowed.filter((a) => a.toLowerCase() !== lower && a.toLowerCase().startsWith(lower));
  if (close.length === 0 || close.length > 3) {
    close = allowed
      .map((a) => ({ a, d: distance(given, a) }))
      .filter((x) => x.d <= Math.max(1, Math.floor(given.length / 4)))
      .sort((x, y) => x.d - y.d)
      .slice(0, 1)
      .map((x) => x.a);
  }
  return close.length ? ` (did you mean ${close.map((c) => `'${c}'`).join(" or ")}?)` : "";
}

/** What the section at `path` is, and the keys it allows. */
export type KeysAt = (
  path: Path,
  input: unknown,
) => { what: string; keys: readonly string[]; hint?: (key: string) => string | undefined };

/** Renders zod issues as lines; `keysAt` tells which keys a section allows (for unknown ones). */
export function renderIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  sources: Sources,
  keysAt: KeysAt,
): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const path = issue.path;
    switch (issue.code) {
      case "unrecognized_keys": {
        const { what, keys, hint } = keysAt(path, input);
        for (const key of issue.keys) {
          const f = flagFor([...path, key], sources);
          const head = f ? f.source.flag : where(path, sources);
          lines.push(
            `${head}: unknown ${f ? "option" : "key"} '${key}' for ${what}${suggestion(key, keys)} (allowed: ${keys.join(", ")})${hint?.(key) ?? ""}`,
          );
        }
        break;
      }
      case "invalid_union": {
        const options = (issue as { options?: unknown[] }).options;
        if (options) {
          const allowed = options.map(String);
          const given = valueAt(input, path);
          lines.push(
            `${where(path, sources)}: expected one of ${allowed.join(", ")}, got ${got(path, input, sources)}${suggestion(given, allowed)}`,
          );
        } else lines.push(`${where(path, sources)}: ${issue.message}`);
        break;
      }
      case "invalid_value": {
        const allowed = issue.values.map((v) => (typeof v === "string" ? v : JSON.stringify(v)));
        const given = valueAt(input, path);
        lines.push(
          `${where(path, sources)}: expected one of ${allowed.join(", ")}, got ${got(path, input, sources)}${suggestion(given, allowed)}`,
        );
        break;
      }
      default: {
        const message = issue.message.startsWith("expected")
          ? issue.message
          : issue.code === "invalid_type"
            ? `expected ${issue.expected === "object" ? "an object ({ … })" : issue.expected}`
            : issue.message;
        if (!message.startsWith("expected")) {
          lines.push(`${where(path, sources)}: ${message}`);
        } else if (valueAt(input, path) === undefined && path.length === 2 && typeof path[1] === "string") {
          // A required option left out: say which section needs it and how to give it.
          const section = String(path[0]);
          const name = valueAt(input, [section, "name"]);
          const flag = section === "schedule" ? "--schedule-opt" : "--opt";
          lines.push(
            `${section}${typeof name === "string" ? ` ${name}` : ""} needs '${path[1]}': ${message} (${flag} ${path[1]}=…)`,
          );
        } else {
          lines.push(`${where(path, sources)}: ${message}, got ${got(path, input, sources)}`);
        }
      }
    }
  }
  return lines;
}
