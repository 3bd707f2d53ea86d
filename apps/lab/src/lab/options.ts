/**
 * `momenta lab`'s options, validated with zod: a bad flag value gets a message saying what is
 * allowed (the known claim ids, the seed's range…). Nothing given is ever evaluated.
 */
import { availableParallelism } from "node:os";
import { z } from "zod";
import type { Mode } from "./experiment.ts";
import { EXPERIMENT_IDS, isExperimentId } from "./registry.ts";

export interface LabOptions {
  mode: Mode;
  ids: string[];
  seed: number;
  out: string;
  workers: number;
  progress: boolean;
}

const integer = (name: string, min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `${name}: expected a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `${name}: at least ${min}`).max(max, `${name}: at most ${max}`));

const schema = z
  .object({
    full: z.boolean().optional(),
    smoke: z.boolean().optional(),
    only: z
      .string()
      .optional()
      .transform((s, ctx) => {
        if (s === undefined) return [...EXPERIMENT_IDS];
        const ids = s
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean);
        const unknown = ids.filter((id) => !isExperimentId(id));
        if (ids.length === 0 || unknown.length > 0) {
          ctx.addIssue({
            code: "custom",
            message: `--only: ${unknown.length ? `unknown claim id(s) ${unknown.map((u) => `'${u}'`).join(", ")}` : "no claim ids given"}; known: ${EXPERIMENT_IDS.join(", ")}`,
          });
          return z.NEVER;
        }
        // The report follows CLAIMS.md's order whatever order the ids were given in.
        return EXPERIMENT_IDS.filter((id) => ids.includes(id));
      }),
    seed: integer("--seed", 0, 1_000_000).optional(),
    out: z.string().min(1, "--out: give a folder").optional(),
    workers: integer("--workers", 0, 64).optional(),
    progress: z.boolean().optional(),
  })
  .strict()
  .refine((o) => !(o.full && o.smoke), { message: "--full and --smoke: choose one" });

/** Parses commander's option object; throws LabOptionsError with one line per problem. */
export function parseLabOptions(input: Record<string, unknown>): LabOptions {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new LabOptionsError(
      parsed.error.issues.map((i) =>
        i.code === "unrecognized_keys" ? `unknown option(s): ${i.keys.join(", ")}` : i.message,
      ),
    );
  }
  const o = parsed.data;
  return {
    mode: o.full ? "full" : o.smoke ? "smoke" : "quick",
    ids: o.only,
    seed: o.seed ?? 0,
    out: o.out ?? "lab-report",
    workers: o.workers ?? Math.min(2, availableParallelism()),
    progress: o.progress !== false,
  };
}

export class LabOptionsError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join("; "));
  }
}
