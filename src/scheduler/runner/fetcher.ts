import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
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
  const key = createHash('sha256').update(value).digest('hex');
  const cached = path.join(root, key);
  try {
    const stat = await fs.stat(cached);
    if (stat.isFile()) return cached;
  } catch {
    // miss
  }
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

async function download(source: Source, dest: string, options: FetchOptions): Promise<void> {
  if (source.kind === 'local') {
    const stat = await fs.stat(source.path).catch(() => undefined);
    if (stat === undefined) throw new Error('no such file');
    if (!stat.isFile()) throw new Error('not a regular file');
    await fs.copyFile(source.path, dest);
    return;
  }
  const doFetch = options.fetch ?? (globalThis.fetch as NonNullable<FetchOptions['fetch']>);
  let response: HttpResponse;
  try {
    response = await doFetch(source.url, { signal: options.signal, redirect: 'follow' });
  } catch (err) {
    throw new Error(`HTTP request failed: ${(err as Error).message}`);
  }
  if (!response.ok) {
    throw new Error(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
  }
  if (response.body === null) throw new Error('HTTP response has no body');
  const body =
    'getReader' in response.body
      ? Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>)
      : (response.body as NodeJS.ReadableStream);
  await pipeline(body, createWriteStream(dest), { signal: options.signal });
}
