import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { redact } from '../../errors.js';
import { archiveKind, extractArchive } from './extract.js';
import { resolveInside } from './paths.js';
import type { FetchUri } from './types.js';

/**
 * A local Mesos fetcher: every URI lands in the sandbox before the executor starts. Supported
 * sources are absolute paths, `file://` and `http(s)://` URLs; anything else is refused by name.
 */

export interface FetchOptions {
  sandboxDir: string;
  /** Cache root for `cache: true` URIs (default {@link defaultCacheDir}). */
  cacheDir?: string;
  signal?: AbortSignal;
  /**
   * The task's user, when it is not the scheduler's: local paths are then read with its rights, not the
   * scheduler's, so a job cannot fetch a file its task could not read itself (the sandbox becomes the
   * task's once fetched), and cache entries of local paths are kept per user.
   */
  readAs?: { uid: number; gid: number };
  /**
   * An HTTP download that receives nothing for this long fails (default {@link DEFAULT_STALL_TIMEOUT_MS},
   * Mesos's `--fetcher_stall_timeout`): the fetch holds one of the scheduler's few launch slots, and a
   * server that answers a byte now and then would otherwise hold it, and starve every other launch, forever.
   */
  stallTimeoutMs?: number;
  /** HTTP seam for tests and proxies; Node's global fetch by default. */
  fetch?: (url: string, init: { signal?: AbortSignal; redirect: 'follow' }) => Promise<HttpResponse>;
}

/** The subset of a fetch Response the fetcher reads. */
export interface HttpResponse {
  ok: boolean;
  status: number;
  statusText: string;
  body: NodeJS.ReadableStream | ReadableStream<Uint8Array> | null;
}

/** Thrown for any URI that cannot be fetched; `message` is one line naming the URI and the reason. */
export class FetchFailure extends Error {
  override name = 'FetchFailure';
}

export const DEFAULT_STALL_TIMEOUT_MS = 60_000;

export function defaultCacheDir(): string {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // no passwd entry (some containers): fall back to the uid-less name
  }
  return path.join(os.tmpdir(), `aurora-ts-fetcher-cache-${user}`);
}

/** Fetches every URI in order; throws FetchFailure on the first that fails. */
export async function fetchUris(uris: readonly FetchUri[], options: FetchOptions): Promise<void> {
  for (const [index, uri] of uris.entries()) {
    options.signal?.throwIfAborted();
    try {
      await fetchOne(uri, options);
    } catch (err) {
      if (options.signal?.aborted) throw err;
      const label = typeof uri?.value === 'string' ? redact(uri.value) : `uris[${index}]`;
      const reason = err instanceof Error ? err.message : String(err);
      throw new FetchFailure(`failed to fetch '${label}': ${redact(reason)}`, { cause: err });
    }
  }
}

type Source = { kind: 'local'; path: string } | { kind: 'http'; url: string };

function classify(value: string): Source {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    if (path.isAbsolute(value)) return { kind: 'local', path: value };
    throw new Error('a relative URI is not allowed; use an absolute path or a file://, http:// or https:// URL');
  }
  if (scheme === 'file') return { kind: 'local', path: fileURLToPath(value) };
  if (scheme === 'http' || scheme === 'https') return { kind: 'http', url: value };
  throw new Error(`unsupported URI scheme '${scheme}' (allowed: absolute path, file, http, https)`);
}

function basenameOf(source: Source): string {
  if (source.kind === 'local') return path.basename(source.path);
  const pathname = new URL(source.url).pathname;
  return decodeURIComponent(pathname.slice(pathname.lastIndexOf('/') + 1));
}

async function fetchOne(uri: FetchUri, options: FetchOptions): Promise<void> {
  if (typeof uri?.value !== 'string' || uri.value === '') throw new Error('value must be a non-empty string');
  const source = classify(uri.value);
  const name = uri.outputFile ?? basenameOf(source);
  if (name === '') throw new Error('the URI has no file name; set output_file');
  const dest = resolveInside(options.sandboxDir, name);
  if (dest === undefined) {
    throw new Error(`output_file '${name}' must be a relative path inside the sandbox (no '..', not absolute)`);
  }
  await fs.mkdir(path.dirname(dest), { recursive: true });

  if (uri.cache) {
    const cached = await ensureCached(uri.value, source, options);
    await fs.copyFile(cached, dest);
  } else {
    await download(source, dest, options);
  }

  if (uri.executable) {
    await fs.chmod(dest, 0o755);
    return;
  }
  const kind = uri.extract === false ? undefined : archiveKind(name);
  if (kind !== undefined) await extractArchive(dest, options.sandboxDir, kind);
}

async function ensureCached(value: string, source: Source, options: FetchOptions): Promise<string> {
  const root = options.cacheDir ?? defaultCacheDir();
  await fs.mkdir(root, { recursive: true, mode: 0o700 });
  await checkCacheDir(root);
  const owner = source.kind === 'local' && options.readAs ? `${options.readAs.uid}\0` : '';
  const key = createHash('sha256').update(owner + value).digest('hex');
  const cached = path.join(root, key);
  const stat = await fs.lstat(cached).catch(() => undefined);
  if (stat?.isFile()) return cached;
  // Download beside the entry and rename, so a concurrent reader never sees half a file.
  const partial = `${cached}.${process.pid}.${randomBytes(4).toString('hex')}.partial`;
  try {
    await download(source, partial, options);
    await fs.rename(partial, cached);
  } finally {
    await fs.rm(partial, { force: true });
  }
  return cached;
}

/** The reader run as the task's user: the same checks and messages as the scheduler's own copy. */
const READER = `const fs = require('node:fs');
const file = process.argv[1];
const fail = (m) => { process.stderr.write(m); process.exit(1); };
let info;
try { info = fs.statSync(file); } catch (e) { fail(e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.message); }
if (!info.isFile()) fail('not a regular file');
fs.createReadStream(file).on('error', (e) => fail(e.code === 'EACCES' ? 'permission denied' : e.message)).pipe(process.stdout);`;

async function copyAs(file: string, dest: string, user: { uid: number; gid: number }, signal: AbortSignal | undefined): Promise<void> {
  // cwd '/': the scheduler's own working directory may be closed to the task's user.
  const child = spawn(process.execPath, ['-e', READER, file], { cwd: '/', uid: user.uid, gid: user.gid, stdio: ['ignore', 'pipe', 'pipe'], signal });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 1000) stderr += d;
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  exited.catch(() => undefined); // awaited below, after the copy
  await pipeline(child.stdout, createWriteStream(dest));
  const code = await exited;
  if (code !== 0) throw new Error(stderr.trim() || `the reader exited with status ${code}`);
}

/**
 * The default cache sits in the shared temporary directory under a name anyone can guess: someone else
 * (another local user, a task running as the task user) may have made it first and filled it with their
 * own files, which later tasks would then run. Use it only when it is this process's own directory.
 */
async function checkCacheDir(root: string): Promise<void> {
  const info = await fs.lstat(root);
  if (!info.isDirectory()) throw new Error(`the fetcher cache ${root} is not a directory (a symbolic link?); remove it or choose another cache directory`);
  const uid = process.geteuid?.();
  if (uid !== undefined && info.uid !== uid) {
    throw new Error(`the fetcher cache ${root} belongs to uid ${info.uid}, not to this scheduler (uid ${uid}); remove it or choose another cache directory`);
  }
  if ((info.mode & 0o022) !== 0) {
    throw new Error(`the fetcher cache ${root} is writable by others (mode ${(info.mode & 0o777).toString(8)}); make it 700 or choose another cache directory`);
  }
}

async function download(source: Source, dest: string, options: FetchOptions): Promise<void> {
  if (source.kind === 'local' && options.readAs) {
    await copyAs(source.path, dest, options.readAs, options.signal);
    return;
  }
  if (source.kind === 'local') {
    const stat = await fs.stat(source.path).catch(() => undefined);
    if (stat === undefined) throw new Error('no such file');
    if (!stat.isFile()) throw new Error('not a regular file');
    await fs.copyFile(source.path, dest);
    return;
  }
  const doFetch = options.fetch ?? (globalThis.fetch as NonNullable<FetchOptions['fetch']>);
  const stallMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  const stall = new AbortController();
  let timer = setTimeout(() => stall.abort(), stallMs);
  const progress = () => {
    clearTimeout(timer);
    timer = setTimeout(() => stall.abort(), stallMs);
  };
  const signal = options.signal ? AbortSignal.any([options.signal, stall.signal]) : stall.signal;
  const stalled = (err: unknown): Error =>
    stall.signal.aborted && !options.signal?.aborted ? new Error(`the download stalled: nothing received for ${stallMs} ms`) : (err as Error);
  try {
    let response: HttpResponse;
    try {
      response = await doFetch(source.url, { signal, redirect: 'follow' });
    } catch (err) {
      throw stall.signal.aborted ? stalled(err) : new Error(`HTTP request failed: ${(err as Error).message}`);
    }
    if (!response.ok) {
      throw new Error(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
    }
    if (response.body === null) throw new Error('HTTP response has no body');
    const body =
      'getReader' in response.body
        ? Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>)
        : (response.body as NodeJS.ReadableStream);
    const watch = new Transform({
      transform(chunk, _encoding, done) {
        progress();
        done(null, chunk);
      },
    });
    await pipeline(body, watch, createWriteStream(dest), { signal }).catch((err: unknown) => {
      throw stalled(err);
    });
  } finally {
    clearTimeout(timer);
  }
}
