/** Small utilities of the benchmark: timing, medians, seeded data, tables and JSON results. */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("median of an empty list");
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Linux reports /proc/stat in USER_HZ ticks, which is 100 on every architecture Node runs on. */
const USER_HZ = 100;

/**
 * CPU seconds used so far by everything on the machine except this process (all its threads, workers
 * included), or undefined where /proc/stat cannot be read. Resolution: one tick, 10 ms.
 */
export function othersCpuSeconds(): number | undefined {
  let ticks: number[];
  try {
    ticks = readFileSync("/proc/stat", "latin1")
      .split("\n", 1)[0]!
      .trim()
      .split(/\s+/)
      .slice(1, 9)
      .map(Number);
  } catch {
    return undefined;
  }
  if (ticks.length < 8 || ticks.some((t) => !Number.isFinite(t))) return undefined;
  const total = ticks.reduce((a, b) => a + b, 0);
  const busy = (total - ticks[3]! - ticks[4]!) / USER_HZ; // less idle and iowait
  const own = process.cpuUsage();
  return busy - (own.user + own.system) / 1e6;
}

/** Cores other processes kept busy, on average, in the `wall` s since `since` (see othersCpuSeconds). */
export function othersCores(since: number | undefined, wall: number): number | undefined {
  const now = othersCpuSeconds();
  if (now === undefined || since === undefined || wall <= 0) return undefined;
  return Math.max(0, (now - since) / wall);
}

/**
 * Waits, in 0.25 s looks, while other processes keep more than `threshold` cores busy; at most
 * `budget.left` seconds, which it spends (share one budget across a whole benchmark). Returns seconds waited.
 */
export async function waitForQuiet(budget: { left: number }, threshold = 0.25): Promise<number> {
  let waited = 0;
  while (budget.left > 0) {
    const since = othersCpuSeconds();
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 250));
    const load = othersCores(since, (performance.now() - t0) / 1000);
    if (load === undefined || load <= threshold) break;
    budget.left -= 0.25;
    waited += 0.25;
  }
  return waited;
}

export interface TimeOptions {
  /** A run goes on until it has lasted this long… (default 0.2) */
  minSeconds?: number;
  /** …and taken at least this many steps (default 3). */
  minSteps?: number;
  /** Called once after the last step, inside the timed span: waits until the work has really finished. */
  sync?: () => void;
}

/** One timed run: `step` repeated until both minimums are met; returns total seconds and steps taken. */
export function timeRun(step: () => void, opts: TimeOptions = {}): { seconds: number; steps: number } {
  const minNs = BigInt(Math.round((opts.minSeconds ?? 0.2) * 1e9));
  const minSteps = opts.minSteps ?? 3;
  let steps = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  while (steps < minSteps || elapsed < minNs) {
    step();
    steps++;
    elapsed = process.hrtime.bigint() - start;
  }
  if (opts.sync) {
    opts.sync();
    elapsed = process.hrtime.bigint() - start;
  }
  return { seconds: Number(elapsed) / 1e9, steps };
}

/** Seconds per step of one timed run (see {@link timeRun}). */
export function timeSteps(step: () => void, opts: TimeOptions = {}): number {
  const { seconds, steps } = timeRun(step, opts);
  return seconds / steps;
}

export interface MeasureOptions extends TimeOptions {
  /** Params updated by one step: the unit of the result is n / (seconds per step) / 1e6. */
  n: number;
  /** Timed runs (default 5). */
  runs?: number;
  /** Warm-up steps before timing, at least (default 2)… */
  warmup?: number;
  /** …and warm-up seconds, at least (default 0.1). */
  warmupSeconds?: number;
  /**
   * Time the timed runs may take (default: no limit). Past it, judged from the last warm-up step, a run
   * takes fewer steps (down to 1), then there are fewer runs (down to `minRuns`); `note` says so.
   */
  budgetSeconds?: number;
  /** Fewest runs a budget may leave (default 3). */
  minRuns?: number;
  /** Seconds a step takes, for the budget, when there is no warm-up (`warmup` and `warmupSeconds` 0). */
  expectedStepSeconds?: number;
  /**
   * A run during which other processes kept more cores than this busy is "busy" (default 0.25). When some
   * runs are busy and at least 3 are not, the median is taken over the quiet ones; `note` says so.
   */
  busyCores?: number;
}

export interface Measurement {
  /** Median of `runs` (of the quiet ones, see `busyCores`), in M params/s. */
  median: number;
  /** M params/s of each timed run. */
  runs: number[];
  /** Steps taken by each timed run. */
  steps: number[];
  /** Cores other processes kept busy during each run (undefined where that cannot be read). */
  othersCores: (number | undefined)[];
  /** Seconds of the last warm-up step. */
  warmStepSeconds: number;
  /** Set when the budget cut steps or runs, or other processes disturbed runs. */
  note?: string;
}

/**
 * Warm up, then time `runs` runs of `step`; throughput in M params/s per run and their median (over the
 * runs no other process disturbed, when some were and at least 3 were not).
 */
export function measure(step: () => void, opts: MeasureOptions): Measurement {
  const warmup = opts.warmup ?? 2;
  const warmupNs = BigInt(Math.round((opts.warmupSeconds ?? 0.1) * 1e9));
  const warmStart = process.hrtime.bigint();
  let warmSteps = 0;
  let last = 0;
  while (warmSteps < warmup || process.hrtime.bigint() - warmStart < warmupNs) {
    const t0 = process.hrtime.bigint();
    step();
    opts.sync?.();
    last = Number(process.hrtime.bigint() - t0) / 1e9;
    warmSteps++;
  }
  if (warmSteps === 0) last = opts.expectedStepSeconds ?? 0;

  let runs = opts.runs ?? 5;
  let minSteps = opts.minSteps ?? 3;
  let minSeconds = opts.minSeconds ?? 0.2;
  const budget = opts.budgetSeconds ?? Number.POSITIVE_INFINITY;
  const notes: string[] = [];
  if (runs * Math.max(minSteps * last, minSeconds) > budget) {
    minSteps = Math.max(1, Math.min(minSteps, Math.floor(budget / (runs * last))));
    if (runs * minSteps * last > budget) runs = Math.max(opts.minRuns ?? 3, Math.floor(budget / last));
    minSeconds = 0;
    notes.push(
      `reduced to ${runs} runs × ${minSteps} step${minSteps === 1 ? "" : "s"}: ` +
        `a step takes ~${last.toFixed(2)} s`,
    );
  }

  const perRun: number[] = [];
  const steps: number[] = [];
  const others: (number | undefined)[] = [];
  for (let r = 0; r < runs; r++) {
    const since = othersCpuSeconds();
    const run = timeRun(step, { minSeconds, minSteps, ...(opts.sync ? { sync: opts.sync } : {}) });
    others.push(othersCores(since, run.seconds));
    perRun.push(opts.n / (run.seconds / run.steps) / 1e6);
    steps.push(run.steps);
  }

  const threshold = opts.busyCores ?? 0.25;
  const quiet = perRun.filter((_, i) => (others[i] ?? 0) <= threshold);
  const busy = perRun.length - quiet.length;
  let kept = perRun;
  if (busy > 0 && quiet.length >= Math.min(3, perRun.length)) {
    kept = quiet;
    notes.push(`median of the ${quiet.length} runs without other load (${busy} busy runs left out)`);
  } else if (busy > 0) {
    const worst = Math.max(...others.map((o) => o ?? 0));
    notes.push(`MACHINE BUSY: other processes used up to ${worst.toFixed(1)} cores in ${busy} runs`);
  }
  return {
    median: median(kept),
    runs: perRun,
    steps,
    othersCores: others,
    warmStepSeconds: last,
    ...(notes.length > 0 ? { note: notes.join("; ") } : {}),
  };
}

/** Seeded standard-normal float32 data (mulberry32 uniforms, Box–Muller pairs). */
export function randn(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - uniform()));
    const theta = 2 * Math.PI * uniform();
    out[i] = r * Math.cos(theta);
    if (i + 1 < n) out[i + 1] = r * Math.sin(theta);
  }
  return out;
}

/** `x` to `digits` significant digits, never in exponent notation: 7117.2 → "7120", 0.5 → "0.500". */
export function formatSignificant(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return "—";
  if (x === 0) return "0";
  const rounded = Number(x.toPrecision(digits));
  const magnitude = Math.floor(Math.log10(Math.abs(rounded)));
  return rounded.toFixed(Math.max(0, digits - 1 - magnitude));
}

export type Cell = string | number | null | undefined;

export interface Column {
  key: string;
  title: string;
  /** Default: right for columns holding numbers, left otherwise. */
  align?: "left" | "right";
}

/**
 * A fixed-width text table. Numbers get 3 significant digits; missing cells (undefined, null, NaN, "")
 * show "—".
 */
export function formatTable(rows: readonly Record<string, Cell>[], columns: readonly Column[]): string {
  const text = (v: Cell): string =>
    typeof v === "number" ? formatSignificant(v) : v === undefined || v === null || v === "" ? "—" : v;
  const cells = rows.map((row) => columns.map((c) => text(row[c.key])));
  const aligns = columns.map(
    (c) => c.align ?? (rows.some((row) => typeof row[c.key] === "number") ? "right" : "left"),
  );
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => (aligns[i] === "right" ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [
    line(columns.map((c) => c.title)),
    line(widths.map((w) => "-".repeat(w))),
    ...cells.map((r) => line(r)),
  ].join("\n");
}

/** Absolute path of a file in tools/bench/results/. */
export function resultsPath(name: string): string {
  return fileURLToPath(new URL(`./results/${name}`, import.meta.url));
}

/** Writes `data` as pretty JSON, creating the file's directory (e.g. tools/bench/results/) if needed. */
export function writeJson(path: string, data: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`);
}
