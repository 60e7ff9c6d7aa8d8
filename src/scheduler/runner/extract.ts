import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
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
  await runTarPass(file, kind, (fail) => {
    const unpack = tarLib().x({ cwd: destDir, strict: false, preservePaths: false });
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
        const linkTarget = await readAll(await zip.openReadStreamPromise(entry));
        checkMember(entry.fileName, 'symlink', linkTarget);
        linkTargets.set(entry, linkTarget);
      } else {
        checkMember(entry.fileName, kind);
      }
    }
    for (const entry of entries) {
      const kind = kindOf(entry);
      const target = resolveInside(destDir, entry.fileName.replace(/\/+$/, ''));
      if (target === undefined) continue; // the archive root itself
      if (kind === 'dir') {
        await fs.mkdir(target, { recursive: true });
        continue;
      }
      await fs.mkdir(path.dirname(target), { recursive: true });
      if (kind === 'symlink') {
        await fs.rm(target, { force: true });
        await fs.symlink(linkTargets.get(entry) as string, target);
        continue;
      }
      const stream = await zip.openReadStreamPromise(entry);
      const mode = (entry.externalFileAttributes >>> 16) & 0o777;
      await fs.rm(target, { force: true }); // never write through a pre-existing symlink
      await pipeline(stream, createWriteStream(target, { mode: mode || 0o644, flags: 'wx' }));
    }
  } finally {
    zip.close();
  }
}

// ---------------------------------------------------------------- after extraction

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
        let resolved: string;
        try {
          resolved = await fs.realpath(full);
        } catch {
          // Dangling: judge the link text against where it would point.
          resolved = path.resolve(path.dirname(full), await fs.readlink(full));
        }
        if (!isWithin(root, resolved)) {
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
