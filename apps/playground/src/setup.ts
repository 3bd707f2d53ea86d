/**
 * The whole setup of a view — landscape, start points, racers, schedule, noise — and its URL form.
 * The URL's fragment holds the setup as JSON; it is parsed with JSON.parse and validated by zod
 * schemas built from the same specs the controls use (ranges, integer-ness, known keys only). Nothing
 * from the URL is evaluated; anything invalid falls back to the default setup.
 */
import { z } from "zod";
import { OPTIMIZERS, optimizerKind } from "./optimizers.ts";
import { SCHEDULES, scheduleKind } from "./schedules.ts";
import { complete, type Spec, type Values } from "./spec.ts";

export type ClipMode = "off" | "before" | "after";

export interface ClipSetup {
  mode: ClipMode;
  /** clipByGlobalNorm(threshold) or clipByValue(threshold). */
  kind: "norm" | "value";
  threshold: number;
}

export interface RacerSetup {
  kind: string;
  hp: Values;
  clip: ClipSetup;
}

export interface Setup {
  v: 1;
  landscape: { id: string; params: Record<string, number> };
  /** Start points, in landscape coordinates. */
  starts: [number, number][];
  racers: RacerSetup[];
  schedule: { kind: string; params: Values };
  /** Gaussian noise of standard deviation sigma added to every gradient (seeded). */
  noise: { sigma: number; seed: number };
  /** At update `at` (1-based; 0: never) the gradient is multiplied by `factor`: one huge gradient. */
  spike: { at: number; factor: number };
  /** Updates per race. */
  steps: number;
  /** Updates per second while playing. */
  speed: number;
  /** The run the inspector shows. */
  selected: { racer: number; start: number };
  /** The preset this setup came from (its caption is shown). */
  preset?: string | undefined;
}

export const LIMITS = { starts: 6, racers: 8, steps: 5000, coordinate: 1e6 } as const;

function specSchema(s: Spec): z.ZodType {
  if (s.type === "bool") return z.boolean();
  if (s.type === "choice") return z.enum(s.options as [string, ...string[]]);
  const n = z.number().min(s.min).max(s.max);
  return s.int ? n.int() : n;
}

/** A strict object of optional fields, one per spec. */
function valuesSchema(specs: readonly Spec[]) {
  return z.strictObject(Object.fromEntries(specs.map((s) => [s.key, specSchema(s).optional()])));
}

const coordinate = z.number().min(-LIMITS.coordinate).max(LIMITS.coordinate);
const clipSchema = z.strictObject({
  mode: z.enum(["off", "before", "after"]),
  kind: z.enum(["norm", "value"]),
  threshold: z.number().positive().max(1e6),
});
const defaultClip: ClipSetup = { mode: "off", kind: "norm", threshold: 1 };

const racerSchema = z.discriminatedUnion(
  "kind",
  OPTIMIZERS.map((k) =>
    z.strictObject({
      kind: z.literal(k.id),
      hp: valuesSchema(k.hp).optional(),
      clip: clipSchema.optional(),
    }),
  ) as unknown as [z.ZodObject, ...z.ZodObject[]],
);

const scheduleSchema = z.discriminatedUnion(
  "kind",
  SCHEDULES.map((k) =>
    z.strictObject({ kind: z.literal(k.id), params: valuesSchema(k.params).optional() }),
  ) as unknown as [z.ZodObject, ...z.ZodObject[]],
);

export const setupSchema = z.strictObject({
  v: z.literal(1),
  landscape: z.strictObject({
    id: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/),
    params: z.record(z.string().regex(/^[A-Za-z0-9_]{1,40}$/), z.number()).optional(),
  }),
  starts: z
    .array(z.tuple([coordinate, coordinate]))
    .max(LIMITS.starts)
    .optional(),
  racers: z.array(racerSchema).min(1).max(LIMITS.racers),
  schedule: scheduleSchema.optional(),
  noise: z
    .strictObject({
      sigma: z.number().min(0).max(100),
      seed: z
        .number()
        .int()
        .min(0)
        .max(2 ** 32 - 1),
    })
    .optional(),
  spike: z
    .strictObject({ at: z.number().int().min(0).max(LIMITS.steps), factor: z.number().min(-1e6).max(1e6) })
    .optional(),
  steps: z.number().int().min(1).max(LIMITS.steps).optional(),
  speed: z.number().min(1).max(2000).optional(),
  selected: z.strictObject({ racer: z.number().int().min(0), start: z.number().int().min(0) }).optional(),
  preset: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/)
    .optional(),
});

/** A racer with every hyperparameter at its default. */
export function racer(kind: string, hp: Values = {}, clip: Partial<ClipSetup> = {}): RacerSetup {
  return { kind, hp: complete(optimizerKind(kind).hp, hp), clip: { ...defaultClip, ...clip } };
}

export function defaultSetup(landscapeId: string): Setup {
  return {
    v: 1,
    landscape: { id: landscapeId, params: {} },
    starts: [],
    racers: [racer("sgd"), racer("momentum"), racer("rmsprop"), racer("adam")],
    schedule: { kind: "none", params: {} },
    noise: { sigma: 0, seed: 1 },
    spike: { at: 0, factor: 1000 },
    steps: 300,
    speed: 60,
    selected: { racer: 0, start: 0 },
  };
}

/** Validates untrusted data (parsed JSON) into a complete setup; throws a ZodError when invalid. */
export function parseSetup(data: unknown, fallbackLandscape: string): Setup {
  const s = setupSchema.parse(data);
  const base = defaultSetup(fallbackLandscape);
  const racers = (s.racers as { kind: string; hp?: Values; clip?: ClipSetup }[]).map((r) =>
    racer(r.kind, r.hp ?? {}, r.clip ?? {}),
  );
  const sched = (s.schedule as { kind: string; params?: Values } | undefined) ?? base.schedule;
  const starts = (s.starts ?? []).map(([x, y]) => [x, y] as [number, number]);
  return {
    v: 1,
    landscape: { id: s.landscape.id, params: { ...(s.landscape.params ?? {}) } },
    starts,
    racers,
    schedule: { kind: sched.kind, params: complete(scheduleKind(sched.kind).params, sched.params ?? {}) },
    noise: s.noise ?? base.noise,
    spike: s.spike ?? base.spike,
    steps: s.steps ?? base.steps,
    speed: s.speed ?? base.speed,
    selected: {
      racer: Math.min(s.selected?.racer ?? 0, racers.length - 1),
      start: Math.min(s.selected?.start ?? 0, Math.max(starts.length - 1, 0)),
    },
    preset: s.preset,
  };
}

/** Drops values equal to their defaults, for short URLs. */
function trimmed(specs: readonly Spec[], values: Values): Values {
  return Object.fromEntries(
    Object.entries(values).filter(([k, v]) => specs.find((s) => s.key === k)?.default !== v),
  );
}

/** The setup as compact JSON-able data (defaults omitted where the schema allows). */
export function setupData(s: Setup): unknown {
  return {
    v: 1,
    landscape: s.landscape,
    starts: s.starts,
    racers: s.racers.map((r) => {
      const hp = trimmed(optimizerKind(r.kind).hp, r.hp);
      const out: Record<string, unknown> = { kind: r.kind };
      if (Object.keys(hp).length > 0) out.hp = hp;
      if (r.clip.mode !== "off") out.clip = r.clip;
      return out;
    }),
    schedule: {
      kind: s.schedule.kind,
      params: trimmed(scheduleKind(s.schedule.kind).params, s.schedule.params),
    },
    noise: s.noise,
    spike: s.spike,
    steps: s.steps,
    speed: s.speed,
    selected: s.selected,
    ...(s.preset ? { preset: s.preset } : {}),
  };
}

const MAX_FRAGMENT = 16_000;

/** The URL fragment for a setup: JSON, percent-encoded only where a fragment needs it. */
export function encodeFragment(s: Setup): string {
  return encodeURIComponent(JSON.stringify(setupData(s))).replace(/%(7B|7D|5B|5D|3A|2C)/g, (m) =>
    decodeURIComponent(m),
  );
}

export type Decoded = { ok: true; setup: Setup } | { ok: false; error: string };

/** Reads a fragment (with or without its "#"); never evaluates anything. */
export function decodeFragment(fragment: string, fallbackLandscape: string): Decoded {
  const raw = fragment.startsWith("#") ? fragment.slice(1) : fragment;
  if (raw.length === 0) return { ok: false, error: "empty" };
  if (raw.length > MAX_FRAGMENT) return { ok: false, error: "the link is too long" };
  let data: unknown;
  try {
    data = JSON.parse(decodeURIComponent(raw));
  } catch {
    return { ok: false, error: "the link is not valid JSON" };
  }
  const r = setupSchema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    return { ok: false, error: `${issue?.path.join(".") || "setup"}: ${issue?.message ?? "invalid"}` };
  }
  return { ok: true, setup: parseSetup(data, fallbackLandscape) };
}

export function cloneSetup(s: Setup): Setup {
  return parseSetup(JSON.parse(JSON.stringify(setupData(s))), s.landscape.id);
}
