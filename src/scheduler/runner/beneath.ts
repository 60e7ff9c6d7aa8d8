import { constants } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';

/**
 * Opening a file below a directory that someone else can write (a task's sandbox) without following
 * any symbolic link on the way. Checking a path first (realpath, stat) and opening it afterwards
 * races with a task that swaps a directory for a link in between; so the path is opened one
 * component at a time, each relative to the descriptor of the one before and with O_NOFOLLOW, and the
 * caller checks what it finally holds (fstat). Node has no openat(2): `/proc/self/fd/<fd>/<name>`
 * resolves `name` inside the directory that descriptor holds, whatever its path has become since.
 */

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = constants;

/** Why {@link openBeneath} refused a relative path before touching the disk. */
export class UnsafePathError extends Error {
  override name = 'UnsafePathError';
}

/** The components of `rel`, or throws UnsafePathError when one is empty, `.`, `..` or holds a NUL. */
export function pathParts(rel: string): string[] {
  const parts = rel.split('/');
  for (const part of parts) {
    if (part === '' || part === '.' || part === '..' || part.includes('\0')) {
      throw new UnsafePathError(`${JSON.stringify(rel)} must be a relative path of plain names (no empty, '.' or '..' parts)`);
    }
  }
  return parts;
}

/**
 * Opens `rel` below `root` for reading. `root` itself is trusted up to its last component, which must
 * be a real directory; no component of `rel` may be a symbolic link (ELOOP otherwise).
 * The last one is opened non-blocking, so a FIFO answers at once instead of holding a thread until
 * a writer appears; check the result with `stat()`. The caller owns (and closes) the returned handle.
 */
export async function openBeneath(root: string, rel: string): Promise<FileHandle> {
  const parts = pathParts(rel);
  let current = await fs.open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  try {
    for (const [index, name] of parts.entries()) {
      const last = index === parts.length - 1;
      const at = `/proc/self/fd/${current.fd}/${name}`;
      const next = await fs.open(at, O_RDONLY | O_NOFOLLOW | (last ? O_NONBLOCK : O_DIRECTORY)).catch(async (err: NodeJS.ErrnoException) => {
        // O_DIRECTORY | O_NOFOLLOW says ENOTDIR for a link and for a file alike: tell them apart.
        if (err.code === 'ENOTDIR' && (await fs.lstat(at).catch(() => undefined))?.isSymbolicLink()) err.code = 'ELOOP';
        throw err;
      });
      const parent = current;
      current = next;
      await parent.close();
    }
    return current;
  } catch (err) {
    await current.close().catch(() => undefined);
    throw err;
  }
}

/** True when {@link openBeneath} refused because a component is a symbolic link. */
export function isLinkRefusal(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ELOOP';
}
