import path from 'node:path';

/**
 * Lexical containment checks shared by the fetcher and the archive extractor. They reject before
 * anything touches the disk, so a hostile URI or archive never gets a partial write outside.
 */

/** True when a relative POSIX path stays inside its root after normalisation (no leading `..`). */
export function isContainedRelative(rel: string): boolean {
  if (rel === '' || path.posix.isAbsolute(rel) || /^[a-zA-Z]:[\\/]/.test(rel)) return false;
  const normal = path.posix.normalize(rel.replace(/\\/g, '/'));
  return normal !== '..' && !normal.startsWith('../') && normal !== '.';
}

/**
 * Resolves `rel` under `root`, or returns undefined when it is absolute, empty or climbs out.
 * `..` segments are refused outright even when they would land back inside: no legitimate
 * output_file or archive member needs them.
 */
export function resolveInside(root: string, rel: string): string | undefined {
  if (!isContainedRelative(rel)) return undefined;
  if (rel.replace(/\\/g, '/').split('/').includes('..')) return undefined;
  const full = path.resolve(root, rel);
  const back = path.relative(root, full);
  if (back === '' || back.startsWith('..') || path.isAbsolute(back)) return undefined;
  return full;
}

/** True when a symlink at `entryPath` (relative to the root) with `target` resolves inside the root. */
export function symlinkStaysInside(entryPath: string, target: string): boolean {
  if (target === '' || path.posix.isAbsolute(target)) return false;
  const joined = path.posix.normalize(path.posix.join(path.posix.dirname(entryPath.replace(/\\/g, '/')), target));
  return joined !== '..' && !joined.startsWith('../');
}

/** True when `child` is `parent` or below it (both absolute, already resolved). */
export function isWithin(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
