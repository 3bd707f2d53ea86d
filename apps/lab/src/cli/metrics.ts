/**
 * Per-epoch metrics, written after every epoch as `metrics.json` (with the config) and `metrics.csv`,
 * each replaced whole (a kill leaves the previous epoch's file or this one's, never a part).
 */
import { join } from "node:path";
import { writeFileAtomic } from "./checkpoint.ts";
import type { Config } from "./config.ts";

export interface EpochMetrics {
  epoch: number;
  /** Updates applied so far. */
  step: number;
  /** The lr of the epoch's last update. */
  lr: number;
  /** Means over the epoch's batches, weighted by batch size (as measured before each update). */
  trainLoss: number;
  trainAccuracy: number;
  /** On the held-out digits, after the epoch. */
  testLoss: number;
  testAccuracy: number;
  /** Wall-clock seconds of the epoch (training and evaluation). */
  seconds: number;
}

export const COLUMNS: readonly (keyof EpochMetrics)[] = [
  "epoch",
  "step",
  "lr",
  "trainLoss",
  "trainAccuracy",
  "testLoss",
  "testAccuracy",
  "seconds",
];

export function metricsCsv(rows: readonly EpochMetrics[]): string {
  return `${[COLUMNS.join(","), ...rows.map((r) => COLUMNS.map((c) => String(r[c])).join(","))].join("\n")}\n`;
}

export function writeMetrics(dir: string, config: Config, rows: readonly EpochMetrics[]): void {
  writeFileAtomic(join(dir, "metrics.json"), `${JSON.stringify({ config, epochs: rows }, null, 2)}\n`);
  writeFileAtomic(join(dir, "metrics.csv"), metricsCsv(rows));
}
