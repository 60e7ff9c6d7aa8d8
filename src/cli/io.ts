/**
 * The one object that decides how the CLI talks to the terminal: whether stdout/stderr are TTYs,
 * whether to colour (only on a TTY, never with NO_COLOR or TERM=dumb), spinners (ora on a TTY,
 * plain lines otherwise, nothing with --json), tables, and `--json` output (data on stdout, nothing
 * else). Commands print only through it, so tests can hand it plain streams.
 */
import type { Writable } from 'node:stream';

export interface OutputStream extends Pick<Writable, 'write'> {
  isTTY?: boolean;
  columns?: number;
}

export interface IOOptions {
  stdout?: OutputStream;
  stderr?: OutputStream;
  env?: NodeJS.ProcessEnv;
  json?: boolean;
  verbose?: boolean;
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

export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  /** Right-align (numbers). */
  right?: boolean;
}

export class IO {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly json: boolean;
  readonly verbose: boolean;
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
    const env = options.env ?? process.env;
    this.json = options.json ?? false;
    this.verbose = options.verbose ?? false;
    this.isTTY = this.stdout.isTTY === true;
    const colorAllowed = (env['NO_COLOR'] ?? '') === '' && env['TERM'] !== 'dumb';
    this.color = colorAllowed && this.isTTY;
    this.errColor = colorAllowed && this.stderr.isTTY === true;
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

  /** Prints rows as aligned columns, header first. */
  table<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): void {
    this.out(formatTable(rows, columns, (h) => this.style('bold', h)));
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
        succeed: (t) => {
          this.stderr.write(`${t}\n`);
          this.spinners.delete(progress);
        },
        fail: (t) => {
          this.stderr.write(`${t}\n`);
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

export function formatTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[], header: (h: string) => string = (h) => h): string {
  const cells = rows.map((row) => columns.map((c) => c.value(row)));
  const widths = columns.map((c, i) => Math.max(visibleWidth(c.header), ...cells.map((r) => visibleWidth(r[i]!))));
  const pad = (text: string, i: number) => {
    const fill = ' '.repeat(widths[i]! - visibleWidth(text));
    return columns[i]!.right ? fill + text : text + fill;
  };
  const line = (parts: string[]) => parts.map(pad).join('  ').trimEnd();
  return [header(line(columns.map((c) => c.header))), ...cells.map(line)].join('\n');
}
