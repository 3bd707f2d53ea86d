/**
 * The progress bar, on stderr: epoch, batches done, running loss and accuracy, the current lr.
 * On a terminal it redraws one line (at most ~12 times a second); elsewhere (a pipe, a CI log) it
 * prints only each epoch's closing line.
 */
export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressFields {
  loss: number;
  accuracy: number;
  lr: number;
}

const WIDTH = 24;

export function formatLr(lr: number): string {
  return lr === 0 ? "0" : lr.toExponential(2);
}

export class ProgressBar {
  private last = 0;
  private label = "";
  private total = 1;
  private started = 0;

  constructor(
    private readonly out: Output,
    private readonly enabled = true,
  ) {}

  start(label: string, total: number): void {
    this.label = label;
    this.total = Math.max(1, total);
    this.started = Date.now();
    this.last = 0;
  }

  private line(done: number, f: ProgressFields): string {
    const filled = Math.round((WIDTH * done) / this.total);
    const bar = `${"█".repeat(filled)}${"░".repeat(WIDTH - filled)}`;
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1);
    return `${this.label} ${bar} ${done}/${this.total}  loss ${f.loss.toFixed(4)}  acc ${(100 * f.accuracy).toFixed(2)}%  lr ${formatLr(f.lr)}  ${seconds}s`;
  }

  update(done: number, fields: ProgressFields): void {
    if (!this.enabled || !this.out.isTTY) return;
    const now = Date.now();
    if (now - this.last < 80 && done < this.total) return;
    this.last = now;
    // Cut to the terminal's width: a wrapped line could not be redrawn in place.
    this.out.write(`\r\x1b[K${this.line(done, fields).slice(0, (this.out.columns ?? 1000) - 1)}`);
  }

  /** The epoch's closing line (kept on screen), with what was measured after it. */
  finish(done: number, fields: ProgressFields, after: string): void {
    if (!this.enabled) return;
    this.out.write(`${this.out.isTTY ? "\r\x1b[K" : ""}${this.line(done, fields)}  ${after}\n`);
  }
}
