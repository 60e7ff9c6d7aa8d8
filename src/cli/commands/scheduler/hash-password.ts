/**
 * `aurora-ts scheduler hash-password`: the `scrypt$<salt>$<key>` hash of a password, for a
 * `--basic-auth-file` users file. On a terminal it asks twice without echo; otherwise it reads the
 * password from stdin (one trailing newline dropped), so scripts can pipe it in. The password is never
 * printed, and never taken from an argument (arguments end up in shell history and `ps`).
 */
import type { CliContext } from '../../context.js';
import { CliFailure, UsageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import type { InputStream } from '../../io.js';
import type { VerbInput } from '../../spec.js';
import type { HASH_PASSWORD } from './index.js';

export interface PasswordInput {
  stdin: InputStream;
  /** Where prompts go (not stdout, which carries only the hash). */
  prompt: { write(text: string): unknown };
}

export async function run(ctx: CliContext, _options: VerbInput<typeof HASH_PASSWORD> = {}, input: PasswordInput = { stdin: ctx.io.stdin, prompt: ctx.io.stderr }): Promise<number> {
  const password = input.stdin.isTTY ? await askTwice(input) : await readPiped(input.stdin);
  if (password === '') throw new UsageError('the password is empty', input.stdin.isTTY ? 'type one' : 'pipe one into stdin, e.g. printf %s "$PASSWORD" | aurora-ts scheduler hash-password');
  const { hashPassword } = await import('../../../scheduler/auth/index.js');
  const hash = await hashPassword(password);
  if (ctx.io.json) ctx.io.data({ hash });
  else ctx.io.out(hash);
  return ExitCode.OK;
}

async function askTwice(input: PasswordInput): Promise<string> {
  // Echo goes off before the first prompt shows, so nothing typed after it is ever echoed.
  if (input.stdin.setRawMode === undefined) throw new UsageError('stdin is a terminal that cannot turn off echo', 'pipe the password into stdin');
  input.stdin.setRawMode(true);
  input.stdin.setEncoding('utf8');
  try {
    const first = await readHidden(input, 'Password: ');
    if (first === '') return first;
    const second = await readHidden(input, 'Repeat password: ');
    if (first !== second) throw new CliFailure('the passwords do not match');
    return first;
  } finally {
    input.stdin.setRawMode?.(false);
    input.stdin.pause();
  }
}

/** Far beyond any password; `hash-password < /dev/zero` stops here instead of filling memory. */
const MAX_PIPED_PASSWORD_BYTES = 64 * 1024;

async function readPiped(stdin: InputStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += bytes.length;
    if (size > MAX_PIPED_PASSWORD_BYTES) {
      stdin.destroy();
      throw new UsageError('stdin holds more than the 64 KiB allowed for a password', 'pipe only the password, e.g. printf %s "$PASSWORD" | aurora-ts scheduler hash-password');
    }
    chunks.push(bytes);
  }
  // `echo secret |` adds a newline the user did not mean as part of the password.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** One line from a terminal in raw mode: Enter ends it, Backspace and Ctrl-U edit, Ctrl-C interrupts. */
function readHidden(input: PasswordInput, prompt: string): Promise<string> {
  const { stdin } = input;
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = () => {
      stdin.off('data', onData);
      stdin.pause();
      input.prompt.write('\n');
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          finish();
          resolve(value);
          return;
        }
        if (ch === '\u0003' || (ch === '\u0004' && value === '')) {
          finish();
          reject(new CliFailure('interrupted', ExitCode.INTERRUPTED));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch === '\u0015') value = '';
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
    input.prompt.write(prompt);
  });
}
