/**
 * The Lab's live display on stderr. On a terminal: an overall bar and one line per running
 * experiment with its own bar and note, redrawn in place (≤ 10 times a second). Elsewhere (a pipe,
 * a CI log): one line per finished experiment.
 */
import type { LabEvent } from "./runner.ts";

export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const bar = (fraction: number, width: number) => {
  const filled = Math.round(width * Math.min(Math.max(fraction, 0), 1));
  return `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
};

export function verdictOf(record: { result?: { judgement: { verdict: string } }; error?: string }): string {
  return record.error !== undefined ? "error" : record.result!.judgement.verdict;
}

export class LabProgress {
  private readonly running = new Map<string, { fraction: number; note: string }>();
  private done = 0;
  private drawn = 0;
  private last = 0;
  private readonly started = performance.now();

  constructor(
    private readonly out: Output,
    private readonly total: number,
  ) {}

  handle(event: LabEvent): void {
    if (event.type === "start") this.running.set(event.label, { fraction: 0, note: "" });
    else if (event.type === "progress") {
      this.running.set(event.label, { fraction: event.fraction, note: event.note ?? "" });
    } else if (event.type === "run-done") {
      this.running.delete(event.label);
    } else {
      this.done++;
      const r = event.record;
      const seeds = r.agreement && r.agreement.n > 1 ? ` (${r.agreement.k} of ${r.agreement.n} seeds)` : "";
      const line = `${r.error !== undefined ? "✗" : "✓"} ${r.id.padEnd(22)} ${`${verdictOf(r)}${seeds}`.padEnd(16)} ${r.seconds.toFixed(1).padStart(6)} s`;
      this.clear();
      this.out.write(`${line}\n`);
    }
    this.draw(event.type === "done");
  }

  private clear(): void {
    if (!this.out.isTTY || this.drawn === 0) return;
    this.out.write(`\x1b[${this.drawn}A\x1b[J`);
    this.drawn = 0;
  }

  private draw(force: boolean): void {
    if (!this.out.isTTY) return;
    const now = performance.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    this.clear();
    const width = (this.out.columns ?? 100) - 1;
    const seconds = ((now - this.started) / 1000).toFixed(0);
    const lines = [`Lab ${bar(this.done / this.total, 24)} ${this.done}/${this.total} claims  ${seconds}s`];
    for (const [id, p] of this.running) {
      lines.push(`  ${id.padEnd(26)} ${bar(p.fraction, 16)} ${p.note}`);
    }
    this.out.write(`${lines.map((l) => l.slice(0, width)).join("\n")}\n`);
    this.drawn = lines.length;
  }

  finish(): void {
    this.clear();
  }
}
