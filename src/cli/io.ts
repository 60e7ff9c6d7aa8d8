/**
 * The one object that decides how the CLI talks to the terminal: whether stdout/stderr are TTYs,
 * whether to colour (only on a TTY, never with NO_COLOR or TERM=dumb), spinners (ora on a TTY,
 * plain lines otherwise, nothing with --json), tables, and `--json` output (data on stdout, nothing
 * else). Commands print and prompt only through it, so tests can hand it plain streams.
 */
import type { ChildProcess, StdioOptions } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

export interface OutputStream extends Pick<Writable, 'write'> {
  isTTY?: boolean;
  columns?: number;
}

/** What prompts read (the wizard, `scheduler hash-password`): a terminal in raw mode, or a pipe. */
export interface InputStream extends Readable {
  isTTY?: boolean;
  /** A terminal's echo and line editing off (only called when `isTTY`). */
  setRawMode?(mode: boolean): unknown;
}

export interface IOOptions {
  stdout?: OutputStream;
  stderr?: OutputStream;
  /** Default `process.stdin`. */
  stdin?: InputStream;
  env?: NodeJS.ProcessEnv;
  json?: boolean;
  verbose?: boolean;
  /** Tables show full ids, timestamps and untruncated cells, however wide (`--wide`). */
  wide?: boolean;
}

/** A long wait's progress: a spinner on a TTY, one plain line per change otherwise. */
export interface Progress {
  update(text: string): void;
  succeed(text: string): void;
  fail(text: string): void;
  stop(): void;
}

type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan';
// The only ANSI codes in the CLI: open/close pairs, so styles nest.
const ANSI: Record<Style, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};
// eslint-disable-next-line no-control-regex
const ANSI_PATTERN = /\u001b\[[0-9;?]*[A-Za-z]/g;

export function visibleWidth(text: string): number {
  return [...text.replace(ANSI_PATTERN, '')].length;
}

/**
 * Orders table rows by text (job keys, port names) as `localeCompare` does for the letters, digits,
 * `-` and `.` of Aurora's identifiers (case-insensitively, lower case first between equals; only `_`
 * sorts differently), without loading ICU's collator: its first use costs ≈ 10 ms, a tenth of
 * `aurora-ts job list`.
 */
export function compareText(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x !== y) return x < y ? -1 : 1;
  return a > b ? -1 : a < b ? 1 : 0;
}

export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  /** The cell with `--wide` (full ids, timestamps), when it differs from `value`. */
  wide?: (row: Row) => string;
  /** Shown only with `--wide`. */
  wideOnly?: boolean;
  /**
   * Cut (with `…`) so that the table fits the width: free text such as messages, hosts and ports at
   * the end; `'start'` at the start, for job keys, whose end (the name) tells rows apart.
   */
  shrink?: boolean | 'start';
  /** Right-align (numbers). */
  right?: boolean;
}

/** Tables fit this width unless `--wide`: a terminal's default, and what a pasted table keeps. */
export const TABLE_WIDTH = 80;

export class IO {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  private readonly stdinOption: InputStream | undefined;
  readonly json: boolean;
  readonly verbose: boolean;
  readonly wide: boolean;
  /** stdout is a terminal: human output may be decorated. */
  readonly isTTY: boolean;
  /** Colour on stdout. */
  readonly color: boolean;
  /** Colour on stderr (errors, warnings). */
  readonly errColor: boolean;
  private readonly spinners = new Set<Progress>();

  constructor(options: IOOptions = {}) {
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
    this.stdinOption = options.stdin;
    const env = options.env ?? process.env;
    this.json = options.json ?? false;
    this.verbose = options.verbose ?? false;
    this.wide = options.wide ?? false;
    this.isTTY = this.stdout.isTTY === true;
    const colorAllowed = (env['NO_COLOR'] ?? '') === '' && env['TERM'] !== 'dumb';
    this.color = colorAllowed && this.isTTY;
    this.errColor = colorAllowed && this.stderr.isTTY === true;
  }

  /** Read only by prompts; `process.stdin` is not touched before (reading it opens the stream). */
  get stdin(): InputStream {
    return this.stdinOption ?? process.stdin;
  }

  /**
   * The stdio of a child that talks to the user (`task ssh`, `scp`): the process's own streams are
   * inherited, so a terminal stays a terminal; streams passed in are piped to and from, so what the
   * child prints goes where the command's own output goes. Call `attach` once the child is spawned.
   */
  childStdio(withStdin: boolean): { stdio: StdioOptions; attach(child: ChildProcess): void } {
    const own = this.stdout === process.stdout && this.stderr === process.stderr && (!withStdin || this.stdinOption === undefined);
    if (own) return { stdio: [withStdin ? 'inherit' : 'ignore', 'inherit', 'inherit'], attach() {} };
    return {
      stdio: [withStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      attach: (child) => {
        child.stdout?.on('data', (data: Buffer) => this.stdout.write(data));
        child.stderr?.on('data', (data: Buffer) => this.stderr.write(data));
        if (child.stdin) {
          // A child that exits without reading all of it is no error of the command's.
          child.stdin.on('error', () => {});
          this.stdin.pipe(child.stdin);
          child.on('close', () => this.stdin.unpipe(child.stdin!));
        }
      },
    };
  }

  /** Styles text for stdout (no-op without colour). */
  style(style: Style, text: string): string {
    return this.color ? paint(style, text) : text;
  }

  private errStyle(style: Style, text: string): string {
    return this.errColor ? paint(style, text) : text;
  }

  /** A line of human output on stdout; suppressed with --json, where only data goes to stdout. */
  out(text = ''): void {
    if (!this.json) this.stdout.write(`${text}\n`);
  }

  /** Raw bytes on stdout (task logs), in every mode. */
  raw(data: string | Uint8Array): void {
    this.stdout.write(data);
  }

  /** Data for --json: one JSON document on stdout. */
  data(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** A notice on stderr (not part of the command's output). Suppressed with --json. */
  note(text: string): void {
    if (!this.json) this.stderr.write(`${text}\n`);
  }

  warn(text: string): void {
    this.stderr.write(`${this.errStyle('yellow', 'warning:')} ${text}\n`);
  }

  /** The one line a failed command prints. */
  error(text: string): void {
    this.stderr.write(`${this.errStyle('red', 'aurora-ts:')} ${text}\n`);
  }

  /** Detail only shown with --verbose, on stderr. */
  debug(text: string): void {
    if (this.verbose) this.stderr.write(`${this.errStyle('dim', text)}\n`);
  }

  /** Prints rows as aligned columns, header first, within {@link TABLE_WIDTH} unless `--wide`. */
  table<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): void {
    this.out(formatTable(rows, columns, { header: (h) => this.style('bold', h), wide: this.wide }));
  }

  /**
   * Starts showing progress. On a TTY (stderr) an ora spinner; otherwise one plain line per
   * distinct update on stderr; with --json nothing at all.
   */
  async progress(text: string): Promise<Progress> {
    let progress: Progress;
    if (this.json) {
      progress = { update() {}, succeed() {}, fail() {}, stop() {} };
    } else if (this.stderr.isTTY === true) {
      const { default: ora } = await import('ora');
      // A pseudo-terminal nobody sized (CI, `script`, `docker exec -t`) reports 0 columns, and ora
      // divides by that: give it a usable width. The next resize sets the real one again.
      if (this.stderr.columns === 0) this.stderr.columns = 80;
      const spinner = ora({ text, stream: this.stderr as NodeJS.WritableStream, color: 'cyan', isEnabled: true, discardStdin: false });
      spinner.start();
      progress = {
        update: (t) => {
          spinner.text = t;
        },
        succeed: (t) => {
          spinner.succeed(t);
          this.spinners.delete(progress);
        },
        fail: (t) => {
          spinner.fail(t);
          this.spinners.delete(progress);
        },
        stop: () => {
          spinner.stop();
          this.spinners.delete(progress);
        },
      };
    } else {
      let last = text;
      this.stderr.write(`${text}\n`);
      progress = {
        update: (t) => {
          if (t !== last) this.stderr.write(`${t}\n`);
          last = t;
        },
        // The last line again only if it changed: without a spinner there is no mark to add.
        succeed: (t) => {
          if (t !== last) this.stderr.write(`${t}\n`);
          this.spinners.delete(progress);
        },
        fail: (t) => {
          if (t !== last) this.stderr.write(`${t}\n`);
          this.spinners.delete(progress);
        },
        stop: () => {
          this.spinners.delete(progress);
        },
      };
    }
    this.spinners.add(progress);
    return progress;
  }

  /** Stops every running spinner (before an error or an interrupt is printed). */
  stopProgress(): void {
    for (const p of [...this.spinners]) p.stop();
  }
}

function paint(style: Style, text: string): string {
  const [open, close] = ANSI[style];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}

export interface TableOptions {
  header?: (h: string) => string;
  /** Full values, wide-only columns, no width limit. */
  wide?: boolean;
  /** The width to fit (default {@link TABLE_WIDTH}); ignored with `wide`. */
  width?: number;
}

export function formatTable<Row>(rows: readonly Row[], allColumns: readonly Column<Row>[], options: TableOptions = {}): string {
  const wide = options.wide ?? false;
  const columns = allColumns.filter((c) => wide || !c.wideOnly);
  const cells = rows.map((row) => columns.map((c) => (wide && c.wide ? c.wide(row) : c.value(row))));
  const widths = columns.map((c, i) => Math.max(visibleWidth(c.header), ...cells.map((r) => visibleWidth(r[i]!))));
  if (!wide) fitWidths(columns, widths, options.width ?? TABLE_WIDTH);
  const pad = (text: string, i: number) => {
    const cut = cutTo(text, widths[i]!, columns[i]!.shrink === 'start');
    const fill = ' '.repeat(widths[i]! - visibleWidth(cut));
    return columns[i]!.right ? fill + cut : cut + fill;
  };
  const line = (parts: string[]) => parts.map(pad).join('  ').trimEnd();
  const header = options.header ?? ((h: string) => h);
  return [header(line(columns.map((c) => c.header))), ...cells.map(line)].join('\n');
}

/**
 * Narrows the shrinkable columns, widest first, until a line fits `limit` (never below 8 or their
 * header): free text first, job keys (`shrink: 'start'`) only when that is not enough.
 */
function fitWidths<Row>(columns: readonly Column<Row>[], widths: number[], limit: number): void {
  const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  for (const kind of [true, 'start'] as const) {
    while (total() > limit) {
      let widest = -1;
      for (const [i, c] of columns.entries()) {
        if (c.shrink === kind && widths[i]! > Math.max(visibleWidth(c.header), 8) && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
      }
      if (widest < 0) break;
      widths[widest] = Math.max(visibleWidth(columns[widest]!.header), 8, widths[widest]! - (total() - limit));
    }
  }
}

/** `text` cut to `width` visible characters with `…` where it was cut; styled text loses its styles when cut. */
function cutTo(text: string, width: number, atStart = false): string {
  if (visibleWidth(text) <= width) return text;
  const chars = [...text.replace(ANSI_PATTERN, '')];
  const keep = Math.max(0, width - 1);
  return atStart ? `…${chars.slice(chars.length - keep).join('')}` : `${chars.slice(0, keep).join('')}…`;
}
