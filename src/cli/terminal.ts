/**
 * Terminal output: colour only on a TTY without NO_COLOR; progress only on a TTY, on
 * stderr, throttled, and erased when done so that stdout stays parseable.
 */
export interface Terminal {
  out(text: string): void;
  err(text: string): void;
  color: boolean;
  progress(text: string): void;
  clearProgress(): void;
}

export function nodeTerminal(): Terminal {
  const tty = Boolean(process.stderr.isTTY);
  const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  let last = 0;
  let shown = false;
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    color,
    progress(text) {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      const width = process.stderr.columns ?? 80;
      process.stderr.write(`\r\x1b[2K${text.slice(0, width - 1)}`);
      shown = true;
    },
    clearProgress() {
      if (shown) process.stderr.write('\r\x1b[2K');
      shown = false;
    },
  };
}

const CODES = { red: 31, yellow: 33, green: 32, dim: 2, bold: 1, cyan: 36 } as const;
export type Style = keyof typeof CODES;

export function paint(term: Pick<Terminal, 'color'>, style: Style, text: string): string {
  return term.color ? `\x1b[${CODES[style]}m${text}\x1b[0m` : text;
}

/** Lays out rows as aligned columns; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** Ingest progress for a terminal: "reading FILE 45% (120/260 MB)"; nothing under --json. */
export function readingProgress(term: Terminal, quiet: boolean): ((file: string, done: number, total: number) => void) | undefined {
  if (quiet) return undefined;
  return (file, done, total) =>
    term.progress(`reading ${file} ${total > 0 ? Math.round((100 * done) / total) : 0}% (${(done / 1e6).toFixed(0)}/${(total / 1e6).toFixed(0)} MB)`);
}
