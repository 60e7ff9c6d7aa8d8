/**
 * Reading a file a user named (a job file, clusters.json, an executor file, a users file, ~/.netrc):
 * the one way aurora-ts does it, so a path to `/dev/zero`, a directory or a FIFO nobody writes to
 * gets one clear error instead of filling memory or hanging.
 *
 * - The file is opened first and then checked through its descriptor (fstat), so what is checked
 *   is what is read. Regular files and pipes are read; directories, devices and sockets are refused.
 * - The size is capped while reading (a file may grow, /proc files claim size 0), not only by fstat.
 * - Pipes and FIFOs (`job inspect <(cat job.json)`, `mkfifo`) are opened with O_NONBLOCK, so opening
 *   a FIFO that has no writer does not block. They are read until the writer closes them. A pipe that
 *   stays silent for `pipeIdleMs` (default 10 s: no writer has opened it, or the writer sends
 *   nothing) fails with an error saying so, rather than hanging.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { AuroraValidationError } from '../errors.js';

const MiB = 1024 * 1024;
/** Job files: the scheduler takes requests up to 16 MiB, so a larger job could not be sent anyway. */
export const JOB_FILE_MAX_BYTES = 16 * MiB;
/** clusters.json, executor files, users files, ~/.netrc: hand-written settings, far below this. */
export const CONFIG_FILE_MAX_BYTES = 4 * MiB;
export const DEFAULT_PIPE_IDLE_MS = 10_000;

export interface UserFileOptions {
  /** What the file is, for messages: `job file`, `clusters.json`, `users file`. */
  what: string;
  maxBytes: number;
  /** How long a pipe may stay silent before the read fails (default 10 s). */
  pipeIdleMs?: number;
  /** Whether a pipe or FIFO may be read (default true; modules Node imports by path must be regular files). */
  allowPipe?: boolean;
}

/**
 * Why a user-named file could not be read: `code` is the errno (`ENOENT`, `EACCES`, ...) or one of
 * `ETOOBIG`, `ENOTREG` (a directory, device or socket), `ESILENT` (a pipe nobody wrote to in time).
 * `reason` is the message without the path.
 */
export class UserFileError extends AuroraValidationError {
  readonly path: string;
  readonly code: string;
  readonly reason: string;
  constructor(path: string, code: string, reason: string, cause?: unknown) {
    super('', `${path}: ${reason}`, cause === undefined ? {} : { cause });
    this.path = path;
    this.code = code;
    this.reason = reason;
  }
}

/** Reads `path` as UTF-8 text within the limits above; throws UserFileError. */
export async function readUserFile(path: string, options: UserFileOptions): Promise<string> {
  // node:fs/promises (with readline and fs watchers) loads on the first asynchronous read, not with
  // this module: the CLI imports it for its synchronous reads on every start.
  const handle = await process.getBuiltinModule('node:fs/promises').open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY).catch((e: unknown) => {
    throw openError(path, e, options);
  });
  try {
    const pipe = checkKind(path, await handle.stat(), options);
    const reader = new Reader(path, pipe, options);
    const buffer = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      let n: number | 'again';
      try {
        n = (await handle.read(buffer, 0, buffer.length, null)).bytesRead;
      } catch (e) {
        n = again(e, path);
      }
      const next = reader.take(buffer, n);
      if (next === 'done') return reader.text();
      if (next === 'wait') await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    await handle.close();
  }
}

/** Opens without blocking on a FIFO and without taking a terminal; an open failure is one line naming the file. */
function openSyncOrExplain(path: string, options: UserFileOptions): number {
  try {
    return openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    throw openError(path, e, options);
  }
}

/** The same as `readUserFile`, for callers that cannot wait (a client's constructor); a pipe is polled. */
export function readUserFileSync(path: string, options: UserFileOptions): string {
  const fd = openSyncOrExplain(path, options);
  try {
    const pipe = checkKind(path, fstatSync(fd), options);
    const reader = new Reader(path, pipe, options);
    const buffer = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      let n: number | 'again';
      try {
        n = readSync(fd, buffer, 0, buffer.length, null);
      } catch (e) {
        n = again(e, path);
      }
      const next = reader.take(buffer, n);
      if (next === 'done') return reader.text();
      if (next === 'wait') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, POLL_MS);
    }
  } finally {
    closeSync(fd);
  }
}

/** Opens and checks `path` without reading it: for files another loader reads (job modules). */
export function checkUserFileSync(path: string, options: UserFileOptions): void {
  const fd = openSyncOrExplain(path, options);
  try {
    const stats = fstatSync(fd);
    checkKind(path, stats, options);
    if (stats.size > options.maxBytes) throw tooBig(path, options);
  } finally {
    closeSync(fd);
  }
}

const POLL_MS = 10;

/** Collects chunks, enforcing the cap and a pipe's idle limit. */
class Reader {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  /** A pipe's writer has shown itself (data, or EAGAIN: open but nothing yet), so 0 bytes now means end. */
  private writerSeen = false;
  private idleSince = Date.now();

  constructor(
    private readonly path: string,
    private readonly pipe: boolean,
    private readonly options: UserFileOptions,
  ) {}

  take(buffer: Buffer, n: number | 'again'): 'more' | 'wait' | 'done' {
    if (n === 'again' || (n === 0 && this.pipe && !this.writerSeen)) {
      // O_NONBLOCK: EAGAIN is an open writer with nothing yet; 0 before any writer is a FIFO nobody opened.
      if (n === 'again') this.writerSeen = true;
      const idleMs = this.options.pipeIdleMs ?? DEFAULT_PIPE_IDLE_MS;
      if (Date.now() - this.idleSince > idleMs) {
        const what = this.size > 0 ? 'its writer stopped without closing it' : this.writerSeen ? 'its writer sent nothing' : 'no writer opened it';
        throw new UserFileError(this.path, 'ESILENT', `read nothing from this pipe for ${idleMs / 1000} s (${what}); write the ${this.options.what} to it, or name a regular file`);
      }
      return 'wait';
    }
    if (n === 0) return 'done';
    this.writerSeen = true;
    this.idleSince = Date.now();
    this.size += n;
    if (this.size > this.options.maxBytes) throw tooBig(this.path, this.options);
    this.chunks.push(Buffer.from(buffer.subarray(0, n)));
    return 'more';
  }

  text(): string {
    return Buffer.concat(this.chunks, this.size).toString('utf8');
  }
}

function again(e: unknown, path: string): 'again' {
  if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return 'again';
  const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
  throw new UserFileError(path, code, `cannot read: ${errnoText(code, e)}`, e);
}

/** Returns whether the file is a pipe; throws for anything but a regular file or a pipe. */
function checkKind(path: string, stats: Stats, options: UserFileOptions): boolean {
  if (stats.isFile()) {
    if (stats.size > options.maxBytes) throw tooBig(path, options);
    return false;
  }
  const allowPipe = options.allowPipe ?? true;
  if (stats.isFIFO() && allowPipe) return true;
  const kind = stats.isDirectory()
    ? 'a directory'
    : stats.isCharacterDevice()
      ? 'a character device'
      : stats.isBlockDevice()
        ? 'a block device'
        : stats.isFIFO()
          ? 'a pipe'
          : stats.isSocket()
            ? 'a socket'
            : 'not a regular file';
  const allowed = allowPipe ? 'a regular file or a pipe' : 'a regular file';
  throw new UserFileError(path, 'ENOTREG', `is ${kind}; a ${options.what} must be ${allowed}`);
}

function tooBig(path: string, options: UserFileOptions): UserFileError {
  return new UserFileError(path, 'ETOOBIG', `larger than the ${formatBytes(options.maxBytes)} allowed for a ${options.what}`);
}

function openError(path: string, e: unknown, options: UserFileOptions): UserFileError {
  const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
  // open() of a Unix socket fails with ENXIO.
  if (code === 'ENXIO') return new UserFileError(path, 'ENOTREG', `is a socket or a device with nothing behind it; a ${options.what} must be a regular file`, e);
  return new UserFileError(path, code, errnoText(code, e), e);
}

function errnoText(code: string, e: unknown): string {
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'ELOOP':
      return 'too many symbolic links';
    case 'EISDIR':
      return 'is a directory';
    default:
      return (e as Error).message ?? code;
  }
}

function formatBytes(n: number): string {
  return n % MiB === 0 ? `${n / MiB} MiB` : n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`;
}
