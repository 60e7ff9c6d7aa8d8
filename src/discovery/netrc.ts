/**
 * ~/.netrc, where Aurora's Python client gets Basic credentials: it sends no auth of its own, so
 * `requests` looks the scheduler's host (without port) up in $NETRC or ~/.netrc, taking the
 * `machine` entry or else `default`, and the login (or the account when login is empty).
 * Parsing follows Python's netrc module: later entries for a machine win, `macdef` bodies run to
 * the next empty line, tokens may be "quoted" with backslash escapes, `#` starts a comment where a
 * keyword is expected.
 */
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { AuroraConfigError } from '../errors.js';
import { CONFIG_FILE_MAX_BYTES, UserFileError, readUserFileSync } from '../util/user-file.js';

export interface NetrcEntry {
  login: string;
  account: string;
  password: string;
}

export interface Netrc {
  /** Keyed by machine name, lower-cased. */
  machines: ReadonlyMap<string, NetrcEntry>;
  default: NetrcEntry | undefined;
}

export interface Credentials {
  username: string;
  password: string;
}

export interface LoadedNetrc {
  netrc: Netrc;
  path: string;
  /** Problems worth telling the user about (loose permissions, a parse error); never contains secrets. */
  warnings: string[];
}

export interface LoadNetrcOptions {
  /** An explicit file; default `$NETRC`, else `<home>/.netrc`. */
  path?: string;
  home?: string;
  env?: Readonly<Record<string, string | undefined>>;
}

export const EMPTY_NETRC: Netrc = Object.freeze({ machines: new Map<string, NetrcEntry>(), default: undefined });

/** Throws an AuroraConfigError with the line number on a malformed file; never echoes a token's value. */
export function parseNetrc(text: string, file = '.netrc'): Netrc {
  const lexer = new Lexer(text);
  const machines = new Map<string, NetrcEntry>();
  let fallback: NetrcEntry | undefined;
  const fail = (line: number, why: string): never => {
    throw new AuroraConfigError(`${file}:${line}: ${why}`);
  };
  for (let token = lexer.next(); token !== undefined; ) {
    const { value: keyword, line } = token;
    if (keyword.startsWith('#') && !token.quoted) {
      lexer.skipLine(line);
      token = lexer.next();
      continue;
    }
    let target: string | undefined;
    if (keyword === 'machine') {
      const name = lexer.next();
      if (name === undefined) fail(line, 'machine without a name');
      target = name!.value.toLowerCase();
    } else if (keyword === 'default') {
      target = undefined;
    } else if (keyword === 'macdef') {
      if (lexer.next() === undefined) fail(line, 'macdef without a name');
      lexer.skipMacro();
      token = lexer.next();
      continue;
    } else {
      fail(line, `expected machine, default or macdef, found an unexpected token`);
    }
    const entry: NetrcEntry = { login: '', account: '', password: '' };
    for (token = lexer.next(); token !== undefined; token = lexer.next()) {
      const t = token;
      if (t.value.startsWith('#') && !t.quoted) {
        lexer.skipLine(t.line);
        continue;
      }
      if (t.value === 'machine' || t.value === 'default' || t.value === 'macdef') break;
      const field = t.value === 'login' || t.value === 'user' ? 'login' : t.value === 'account' || t.value === 'password' ? t.value : undefined;
      if (field === undefined) fail(t.line, `unknown keyword in a machine entry (allowed: login, account, password)`);
      const value = lexer.next();
      if (value === undefined) fail(t.line, `${t.value} without a value`);
      entry[field!] = value!.value;
    }
    if (target === undefined) fallback = entry;
    else machines.set(target, entry);
  }
  return { machines, default: fallback };
}

/**
 * The credentials for `host` (a host name, no port), or undefined when neither it nor `default` is
 * listed; with `useDefault: false` only a `machine` entry naming the host counts.
 */
export function netrcCredentials(netrc: Netrc, host: string, options: { useDefault?: boolean } = {}): Credentials | undefined {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const entry = netrc.machines.get(bare) ?? netrc.machines.get(host.toLowerCase()) ?? (options.useDefault === false ? undefined : netrc.default);
  if (!entry) return undefined;
  const username = entry.login !== '' ? entry.login : entry.account;
  if (username === '' && entry.password === '') return undefined;
  return { username, password: entry.password };
}

/**
 * Reads the netrc file. A missing file gives undefined. A malformed one gives an empty netrc and a
 * warning, because `requests` ignores such a file too and most clusters need no credentials.
 */
export function loadNetrcSync(options: LoadNetrcOptions = {}): LoadedNetrc | undefined {
  const env = options.env ?? process.env;
  const path = options.path ?? (env.NETRC || join(options.home ?? homedir(), '.netrc'));
  // The usual case, no such file, costs a stat and no error: building the fs error and its
  // UserFileError (stack, redaction) took a CLI command about 1 ms. Anything else goes to the reader.
  if (statSync(path, { throwIfNoEntry: false }) === undefined) return undefined;
  let text: string;
  try {
    text = readUserFileSync(path, { what: 'netrc file', maxBytes: CONFIG_FILE_MAX_BYTES });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    const why = e instanceof UserFileError ? e.reason : `cannot read (${code ?? 'error'})`;
    return { netrc: EMPTY_NETRC, path, warnings: [`${path}: ${why}; no credentials taken from it`] };
  }
  const warnings: string[] = [];
  const permissions = permissionWarning(path);
  if (permissions) warnings.push(permissions);
  try {
    return { netrc: parseNetrc(text, path), path, warnings };
  } catch (e) {
    warnings.push(`${(e as Error).message}; no credentials taken from it`);
    return { netrc: EMPTY_NETRC, path, warnings };
  }
}

/** Async form of `loadNetrcSync` for callers that prefer it; the file is small. */
export async function loadNetrc(options: LoadNetrcOptions = {}): Promise<LoadedNetrc | undefined> {
  return loadNetrcSync(options);
}

/** A warning when others can read the file or someone else owns it (Python's netrc refuses those). */
export function permissionWarning(path: string): string | undefined {
  let mode: number;
  let uid: number;
  try {
    ({ mode, uid } = statSync(path));
  } catch {
    return undefined;
  }
  if (process.platform === 'win32') return undefined;
  if ((mode & 0o077) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(3, '0');
    return `${path} is accessible by other users (mode ${octal}); it holds passwords: run chmod 600 ${path}`;
  }
  if (typeof process.getuid === 'function' && uid !== process.getuid()) {
    return `${path} is owned by another user (uid ${uid}); it holds passwords: check who can change it`;
  }
  return undefined;
}

interface Token {
  value: string;
  line: number;
  quoted: boolean;
}

class Lexer {
  private i = 0;
  private line = 1;

  constructor(private readonly text: string) {}

  next(): Token | undefined {
    const { text } = this;
    while (this.i < text.length && /\s/.test(text[this.i]!)) {
      if (text[this.i] === '\n') this.line += 1;
      this.i += 1;
    }
    if (this.i >= text.length) return undefined;
    const line = this.line;
    if (text[this.i] === '"') {
      let value = '';
      this.i += 1;
      while (this.i < text.length && text[this.i] !== '"') {
        if (text[this.i] === '\\' && this.i + 1 < text.length) this.i += 1;
        if (text[this.i] === '\n') this.line += 1;
        value += text[this.i];
        this.i += 1;
      }
      this.i += 1; // closing quote (or end of text)
      return { value, line, quoted: true };
    }
    let value = '';
    while (this.i < text.length && !/\s/.test(text[this.i]!)) {
      if (text[this.i] === '\\' && this.i + 1 < text.length) this.i += 1;
      value += text[this.i];
      this.i += 1;
    }
    return { value, line, quoted: false };
  }

  /** Drops the rest of `line` if the lexer is still on it (a comment). */
  skipLine(line: number): void {
    if (this.line !== line) return;
    const end = this.text.indexOf('\n', this.i);
    this.i = end < 0 ? this.text.length : end;
  }

  /** Skips a macro body: the rest of the macdef line, then lines up to and including an empty one. */
  skipMacro(): void {
    const { text } = this;
    let end = text.indexOf('\n', this.i);
    while (end >= 0) {
      this.i = end + 1;
      this.line += 1;
      const next = text.indexOf('\n', this.i);
      const body = text.slice(this.i, next < 0 ? text.length : next);
      if (body.trim() === '') {
        this.i = next < 0 ? text.length : next;
        return;
      }
      end = next;
    }
    this.i = text.length;
  }
}
