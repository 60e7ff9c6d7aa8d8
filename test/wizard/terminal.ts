/**
 * The real `aurora-ts` binary on a pseudo-terminal (util-linux `script`), answered by keystrokes:
 * wait for a question to appear, then type. While `job wizard` is not registered in the CLI yet,
 * test/wizard/entry.mjs stands in for it with the same run function.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/aurora-ts.js');
const ENTRY = join(ROOT, 'test/wizard/entry.mjs');

export const KEYS = { enter: '\r', down: '\u001b[B', ctrlC: '\u0003' } as const;

/** `node bin/aurora-ts.js` when `job wizard` is registered, else the stand-in entry. */
export function wizardCommand(env: NodeJS.ProcessEnv): string[] {
  const help = spawnSync(process.execPath, [BIN, 'job', 'wizard', '--help'], { cwd: ROOT, env, encoding: 'utf8' });
  // An unknown verb's --help prints the noun's help instead, so look for the verb's own usage line.
  return help.status === 0 && help.stdout.includes('Usage: aurora-ts job wizard') ? [process.execPath, BIN] : [process.execPath, ENTRY];
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]|\u001b[()][A-Z0-9]|\r/g;

export class Terminal {
  private raw = '';
  /** How far `expect` has read in the plain text. */
  private seen = 0;
  private readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;

  constructor(argv: string[], env: NodeJS.ProcessEnv) {
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    // A terminal nobody sized reports 0 columns; give it a real size first.
    const command = `stty cols 120 rows 50; exec ${argv.map(quote).join(' ')}`;
    this.child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (d: Buffer) => (this.raw += d.toString()));
    this.child.stderr.on('data', (d: Buffer) => (this.raw += d.toString()));
    this.exited = new Promise((done) => this.child.on('close', (code) => done(code)));
  }

  /** Everything the terminal showed, escape codes included. */
  get output(): string {
    return this.raw;
  }

  /** The output without escape codes. */
  get text(): string {
    return this.raw.replace(ANSI, '');
  }

  /** Waits until `text` appears after what earlier calls matched. */
  async expect(text: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.text.indexOf(text, this.seen);
      if (at >= 0) {
        this.seen = at + text.length;
        // Let the prompt finish drawing and start listening before typing.
        await new Promise((r) => setTimeout(r, 80));
        return;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${JSON.stringify(text)}; the terminal shows:\n${this.text.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Types keys, one at a time with a short delay, as a person would. */
  async type(keys: string): Promise<void> {
    for (const key of keys.match(/\u001b\[[A-D]|[\s\S]/g) ?? []) {
      this.child.stdin.write(key);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Waits for the question, then types the answer and Enter. */
  async answer(question: string, keys = ''): Promise<void> {
    await this.expect(question);
    await this.type(keys + KEYS.enter);
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}
