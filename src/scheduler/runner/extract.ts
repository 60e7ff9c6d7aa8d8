import { spawn } from 'node:child_process';
import { constants as fsConstants, createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type * as Tar from 'tar';
import type Yauzl from 'yauzl';
import { optionalPackage } from '../../util/optional-package.js';
import { isWithin, resolveInside, symlinkStaysInside } from './paths.js';

/**
 * Archive extraction for the fetcher, with the Mesos fetcher's list of extensions. Every archive is
 * listed and checked first and only then unpacked, so a hostile member (`../x`, `/etc/x`, a symlink
 * pointing out of the sandbox: "zip slip") fails the fetch without writing anything.
 *
 * npm `tar` reads plain and gzip tarballs itself; it has no bzip2 or xz, so those are decompressed by
 * the system `bzip2` / `xz` binaries and the stream goes through the same npm `tar` checks.
 */

// Optional peer dependencies: only archive URIs need them.
const tarLib = (): typeof Tar => optionalPackage<typeof Tar>('tar', 'uris', 'extracting a tar archive');
const zipLib = (): typeof Yauzl => optionalPackage<typeof Yauzl>('yauzl', 'uris', 'extracting a zip archive');

export type ArchiveKind = 'tar' | 'tar.gz' | 'tar.bz2' | 'tar.xz' | 'zip';

const SUFFIXES: ReadonlyArray<[string, ArchiveKind]> = [
  ['.tar.gz', 'tar.gz'],
  ['.tgz', 'tar.gz'],
  ['.tar.bz2', 'tar.bz2'],
  ['.tbz2', 'tar.bz2'],
  ['.tar.xz', 'tar.xz'],
  ['.txz', 'tar.xz'],
  ['.tar', 'tar'],
  ['.zip', 'zip'],
];

/** The archive kind a file name announces, or undefined when the fetcher should leave it alone. */
export function archiveKind(fileName: string): ArchiveKind | undefined {
  const lower = fileName.toLowerCase();
  return SUFFIXES.find(([suffix]) => lower.endsWith(suffix))?.[1];
}

/** Unpacks `file` into `destDir` after checking every member. Throws with a one-line reason. */
export async function extractArchive(file: string, destDir: string, kind: ArchiveKind): Promise<void> {
  if (kind === 'zip') await extractZip(file, destDir);
  else await extractTar(file, destDir, kind);
  await checkSymlinksAfterExtraction(destDir);
}

function describe(name: string): string {
  return JSON.stringify(name);
}

function checkMember(name: string, type: 'file' | 'dir' | 'symlink' | 'hardlink', linkTarget?: string): void {
  const clean = name.replace(/\/+$/, '');
  if (clean === '' || clean === '.') return;
  if (resolveInside('/sandbox', clean) === undefined) {
    throw new Error(`archive member ${describe(name)} escapes the sandbox`);
  }
  if (type === 'symlink' && !symlinkStaysInside(clean, linkTarget ?? '')) {
    throw new Error(`archive symlink ${describe(name)} -> ${describe(linkTarget ?? '')} points outside the sandbox`);
  }
  if (type === 'hardlink' && resolveInside('/sandbox', linkTarget ?? '') === undefined) {
    throw new Error(`archive hard link ${describe(name)} -> ${describe(linkTarget ?? '')} points outside the sandbox`);
  }
}

// ---------------------------------------------------------------- tar

function tarSource(file: string, kind: Exclude<ArchiveKind, 'zip'>): { stream: Readable; finished: Promise<void> } {
  if (kind === 'tar' || kind === 'tar.gz') {
    const stream = createReadStream(file);
    return { stream, finished: Promise.resolve() };
  }
  const tool = kind === 'tar.bz2' ? 'bzip2' : 'xz';
  const child = spawn(tool, ['-dc', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const finished = new Promise<void>((resolve, reject) => {
    child.on('error', (err) => reject(new Error(`cannot run ${tool} to decompress the archive: ${err.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${tool} could not decompress the archive: ${stderr.trim() || `exit status ${code}`}`));
    });
  });
  finished.catch(() => undefined);
  return { stream: child.stdout, finished };
}

async function runTarPass(
  file: string,
  kind: Exclude<ArchiveKind, 'zip'>,
  makeSink: (fail: (err: Error) => void) => NodeJS.EventEmitter & NodeJS.WritableStream,
): Promise<void> {
  const { stream, finished } = tarSource(file, kind);
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      stream.destroy();
      reject(err);
    };
    const sink = makeSink(fail);
    sink.on('error', (err: Error) => fail(err));
    sink.on('close', () => {
      if (!settled) {
        settled = true;
        resolve();
      }
    });
    stream.on('error', (err: Error) => fail(err));
    stream.pipe(sink);
  });
  await finished;
}

async function extractTar(file: string, destDir: string, kind: Exclude<ArchiveKind, 'zip'>): Promise<void> {
  // Pass 1: list and check every member (strict: a corrupt archive is an error, not a warning).
  let members = 0;
  await runTarPass(file, kind, (fail) =>
    tarLib().t({
      strict: true,
      onReadEntry: (entry) => {
        members += 1;
        const type =
          entry.type === 'SymbolicLink' ? 'symlink' : entry.type === 'Link' ? 'hardlink' : entry.type === 'Directory' ? 'dir' : 'file';
        try {
          checkMember(entry.path, type, entry.linkpath);
        } catch (err) {
          fail(err as Error);
        }
      },
    }) as unknown as NodeJS.EventEmitter & NodeJS.WritableStream,
  );
  if (members === 0) throw new Error('archive is empty or not a tar archive');
  // Pass 2: unpack. npm tar's own guards stay on (no absolute paths, no writes through symlinks).
  // As root npm tar would keep the archive's owners and its set-user-ID bits: a set-uid root program
  // from a download would then sit in a sandbox other users can reach (for good, if a later URI fails
  // and the sandbox is never handed to the task user). Members belong to the scheduler's user, with
  // permission bits only.
  await runTarPass(file, kind, (fail) => {
    const unpack = tarLib().x({
      cwd: destDir,
      strict: false,
      preservePaths: false,
      preserveOwner: false,
      filter: (_path, entry) => {
        if ('mode' in entry && typeof entry.mode === 'number') entry.mode &= 0o777;
        return true;
      },
    });
    unpack.on('warn', (code: string, message: string) => {
      if (code !== 'TAR_ENTRY_INFO') fail(new Error(`cannot extract archive: ${message}`));
    });
    return unpack as unknown as NodeJS.EventEmitter & NodeJS.WritableStream;
  });
}

// ---------------------------------------------------------------- zip

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;
/** Linux PATH_MAX. */
const MAX_LINK_TARGET = 4096;

function openZip(file: string): Promise<Yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    // decodeStrings makes yauzl itself refuse absolute and `..` names; we check again below.
    zipLib().open(file, { lazyEntries: true, autoClose: false, decodeStrings: true, validateEntrySizes: true }, (err, zip) => {
      if (err || !zip) reject(err ?? new Error('cannot open zip archive'));
      else resolve(zip);
    });
  });
}

function listZip(zip: Yauzl.ZipFile): Promise<Yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: Yauzl.Entry[] = [];
    zip.on('entry', (entry: Yauzl.Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.once('end', () => resolve(entries));
    zip.once('error', reject);
    zip.readEntry();
  });
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function extractZip(file: string, destDir: string): Promise<void> {
  let zip: Yauzl.ZipFile;
  try {
    zip = await openZip(file);
  } catch (err) {
    throw new Error(`not a valid zip archive: ${(err as Error).message}`);
  }
  try {
    const entries = await listZip(zip);
    const kindOf = (e: Yauzl.Entry): 'file' | 'dir' | 'symlink' => {
      const mode = (e.externalFileAttributes >>> 16) & S_IFMT;
      if (mode === S_IFLNK) return 'symlink';
      if (mode === S_IFDIR || e.fileName.endsWith('/')) return 'dir';
      return 'file';
    };
    // Check every member, symlink targets included, before writing anything.
    const linkTargets = new Map<Yauzl.Entry, string>();
    for (const entry of entries) {
      const kind = kindOf(entry);
      if (kind === 'symlink') {
        // A link's target is a path: past PATH_MAX it is not one, and reading it whole could take gigabytes.
        if (entry.uncompressedSize > MAX_LINK_TARGET) {
          throw new Error(`archive symlink ${describe(entry.fileName)} has a ${entry.uncompressedSize}-byte target (at most ${MAX_LINK_TARGET})`);
        }
        const linkTarget = await readAll(await zip.openReadStreamPromise(entry));
        checkMember(entry.fileName, 'symlink', linkTarget);
        linkTargets.set(entry, linkTarget);
      } else {
        checkMember(entry.fileName, kind);
      }
    }
    for (const entry of entries) {
      const kind = kindOf(entry);
      const name = entry.fileName.replace(/\/+$/, '');
      const target = resolveInside(destDir, name);
      if (target === undefined) continue; // the archive root itself
      await makeParents(destDir, name, kind === 'dir');
      if (kind === 'dir') continue;
      const existing = await fs.lstat(target).catch(() => undefined);
      if (existing?.isDirectory()) throw new Error(`archive member ${describe(name)} would replace the directory of that name`);
      // Never write through what is there: a link (from this archive or an earlier URI) is replaced, not followed.
      if (existing !== undefined) await fs.rm(target);
      if (kind === 'symlink') {
        const linkTarget = linkTargets.get(entry) as string;
        await fs.symlink(linkTarget, target);
        // Judged at once, on disk: a later member must not be able to use it before the final check.
        if (await linkEscapes(destDir, target)) {
          await fs.rm(target, { force: true });
          throw new Error(`archive symlink ${describe(name)} -> ${describe(linkTarget)} points outside the sandbox`);
        }
        continue;
      }
      const stream = await zip.openReadStreamPromise(entry);
      const mode = (entry.externalFileAttributes >>> 16) & 0o777;
      const out = await fs.open(target, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, mode || 0o644);
      await pipeline(stream, out.createWriteStream());
    }
  } finally {
    zip.close();
  }
}

/**
 * Creates the directories above member `name` (and `name` itself when `andSelf`) below `destDir`, one
 * at a time, refusing to pass through a symbolic link: a chain such as `a -> .` then `a/a/a/b -> ../../..`
 * looks inside as text at every step, and only the real directories on disk tell where a write lands.
 */
async function makeParents(destDir: string, name: string, andSelf: boolean): Promise<void> {
  const parts = name.split('/');
  const upTo = andSelf ? parts.length : parts.length - 1;
  let current = destDir;
  for (let index = 0; index < upTo; index += 1) {
    current = path.join(current, parts[index]!);
    const info = await fs.lstat(current).catch(() => undefined);
    if (info === undefined) {
      await fs.mkdir(current);
      continue;
    }
    const prefix = describe(parts.slice(0, index + 1).join('/'));
    if (info.isSymbolicLink()) throw new Error(`archive member ${describe(name)} passes through the symbolic link ${prefix}`);
    if (!info.isDirectory()) throw new Error(`archive member ${describe(name)} needs ${prefix} to be a directory, and it is a file`);
  }
}

// ---------------------------------------------------------------- after extraction

/** True when the symlink at `full` resolves (or, dangling, would resolve) outside `root`. */
async function linkEscapes(root: string, full: string): Promise<boolean> {
  const realRoot = await fs.realpath(root);
  let resolved: string;
  try {
    resolved = await fs.realpath(full);
  } catch {
    // Dangling: judge the link text against where it would point.
    resolved = path.resolve(await fs.realpath(path.dirname(full)), await fs.readlink(full));
  }
  return !isWithin(realRoot, resolved);
}

/**
 * Lexical checks cannot see through chains of symlinks (`a -> ..` inside `b/`); resolving every
 * symlink for real closes that gap. An escaping link is removed and fails the fetch.
 */
async function checkSymlinksAfterExtraction(destDir: string): Promise<void> {
  const root = await fs.realpath(destDir);
  const walk = async (dir: string): Promise<void> => {
    for (const dirent of await fs.readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, dirent.name);
      if (dirent.isSymbolicLink()) {
        if (await linkEscapes(root, full)) {
          await fs.rm(full, { force: true });
          throw new Error(`archive symlink ${describe(path.relative(root, full))} points outside the sandbox`);
        }
      } else if (dirent.isDirectory()) {
        await walk(full);
      }
    }
  };
  await walk(root);
}
