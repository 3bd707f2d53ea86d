/**
 * `--compare a,b,…`: named recipes trained one after another on the same seed — same initial
 * weights, same batch order, same data — then a side-by-side table of their test accuracy and loss.
 * A recipe fixes the optimizer section; optimizer flags given with --compare (--lr, --weight-decay,
 * --decay-mask, --opt …) apply on top of every recipe, everything else (model, schedule, clipping,
 * epochs, seed…) is shared. Each recipe's run writes its metrics and checkpoint to `<out>/<recipe>/`.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Config, parseConfig } from "./config.ts";
import { ConfigError, type Sources } from "./errors.ts";
import { checkTransform, describeOptimizer } from "./optimizer.ts";
import type { Output } from "./progress.ts";

export interface Recipe {
  summary: string;
  optimizer: Record<string, unknown>;
}

/** Adam + L2 against AdamW is the comparison the recipes were made for: the same λ, placed differently. */
export const RECIPES: Record<string, Recipe> = {
  adam: { summary: "Adam, no weight decay", optimizer: { name: "adam", lr: 1e-3 } },
  "adam-l2": {
    summary: "Adam + L2: λ·p added to the gradient, so Adam's moments rescale it",
    optimizer: { name: "adam", lr: 1e-3, weightDecay: 1e-2 },
  },
  adamw: {
    summary: "AdamW: decoupled decay p ← p·(1 − lr·λ), outside Adam's moments",
    optimizer: { name: "adamw", lr: 1e-3, weightDecay: 1e-2 },
  },
  sgd: { summary: "SGD with momentum 0.9", optimizer: { name: "sgd", lr: 0.05, momentum: 0.9 } },
  "sgd-l2": {
    summary: "SGD with momentum 0.9 + L2",
    optimizer: { name: "sgd", lr: 0.05, momentum: 0.9, weightDecay: 5e-4 },
  },
  sgdw: {
    summary: "SGD with momentum 0.9 and decoupled decay",
    optimizer: { name: "sgdw", lr: 0.05, momentum: 0.9, weightDecay: 5e-4 },
  },
  lion: {
    summary: "Lion: sign steps, so a smaller lr than AdamW's",
    optimizer: { name: "lion", lr: 3e-4, weightDecay: 0.1 },
  },
  lamb: {
    summary: "LAMB (layer-wise trust ratio)",
    optimizer: { name: "lamb", lr: 1e-2, weightDecay: 1e-2 },
  },
  nadam: { summary: "NAdam", optimizer: { name: "nadam", lr: 2e-3 } },
  radam: { summary: "RAdam", optimizer: { name: "radam", lr: 1e-3 } },
  muon: {
    summary: "Muon for matrices, AdamW for the rest",
    optimizer: { name: "muon", lr: 0.02, adamw: { lr: 1e-3 } },
  },
};

export const RECIPE_NAMES = Object.keys(RECIPES);

/** "adam-l2,adamw" → the recipe names, or a ConfigError listing the allowed ones. */
export function parseRecipes(text: string): string[] {
  const names = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const unknown = names.filter((n) => !(n in RECIPES));
  if (unknown.length > 0 || names.length === 0) {
    throw new ConfigError([
      `--compare: ${unknown.length ? `unknown recipe${unknown.length > 1 ? "s" : ""} ${unknown.map((u) => `'${u}'`).join(", ")}` : "expected at least one recipe"} (allowed: ${RECIPE_NAMES.join(", ")})`,
    ]);
  }
  return [...new Set(names)];
}

/** One config per recipe (validated like any config), each writing to `<out>/<recipe>`. */
export function recipeConfigs(
  names: readonly string[],
  input: Record<string, unknown>,
  sources: Sources,
): { name: string; config: Config }[] {
  const fromFlags = Object.fromEntries(
    Object.entries((input.optimizer as Record<string, unknown> | undefined) ?? {}).filter(([k]) =>
      sources.flags.has(`optimizer.${k}`),
    ),
  );
  const out = typeof input.out === "string" ? input.out : "runs/momenta-train";
  return names.map((name) => {
    const recipeInput = {
      ...input,
      optimizer: { ...RECIPES[name]!.optimizer, ...fromFlags },
      out: join(out, name),
    };
    const recipeSources: Sources = { ...sources, origin: `recipe ${name}` };
    return { name, config: parseConfig(recipeInput, recipeSources, (c) => checkTransform(c, recipeSources)) };
  });
}

export interface CompareRow {
  recipe: string;
  optimizer: string;
  testAccuracy: number;
  testLoss: number;
  trainLoss: number;
  seconds: number;
}

export function compareTable(rows: readonly CompareRow[]): string {
  const header = ["recipe", "optimizer", "test acc", "test loss", "train loss", "seconds"];
  const cells = rows.map((r) => [
    r.recipe,
    r.optimizer,
    `${(100 * r.testAccuracy).toFixed(2)}%`,
    r.testLoss.toFixed(4),
    r.trainLoss.toFixed(4),
    r.seconds.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => (i >= 2 ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return `${[line(header), ...cells.map(line)].join("\n")}\n`;
}

/** Trains each recipe in turn (the caller's `train`), prints the table on stdout, writes compare.json/csv. */
export async function runCompare(
  runs: { name: string; config: Config }[],
  out: string,
  stdout: Output,
  trainOne: (
    name: string,
    config: Config,
  ) => Promise<{ metrics: { testAccuracy: number; testLoss: number; trainLoss: number }[]; seconds: number }>,
): Promise<CompareRow[]> {
  const rows: CompareRow[] = [];
  for (const { name, config } of runs) {
    const result = await trainOne(name, config);
    const last = result.metrics[result.metrics.length - 1]!;
    rows.push({
      recipe: name,
      optimizer: describeOptimizer(config.optimizer),
      testAccuracy: last.testAccuracy,
      testLoss: last.testLoss,
      trainLoss: last.trainLoss,
      seconds: result.seconds,
    });
  }
  const first = runs[0]!.config;
  stdout.write(
    `\nsame seed (${first.seed}), model, data and ${first.epochs} epochs; test accuracy on ${first.data.test} held-out digits:\n\n`,
  );
  stdout.write(compareTable(rows));
  writeFileSync(join(out, "compare.json"), `${JSON.stringify(rows, null, 2)}\n`);
  const keys = Object.keys(rows[0]!) as (keyof CompareRow)[];
  writeFileSync(
    join(out, "compare.csv"),
    `${[keys.join(","), ...rows.map((r) => keys.map((k) => JSON.stringify(r[k])).join(","))].join("\n")}\n`,
  );
  return rows;
}
