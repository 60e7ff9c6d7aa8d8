/**
 * Where a task's exit is recorded, for a scheduler that was not watching when it ended: the process
 * that stays the executor's parent (its owner, owner.ts; or, where no owner can run, the Node
 * supervisor, supervisor.ts) writes `<control>/exit.json` atomically (a temporary file, then a rename)
 * when the executor ends. A scheduler restarted after `kill -9` finds that process by pid and start
 * time and reads the record once it is gone. (Not fsynced: after a power cut the task is gone too, and
 * counts as LOST.)
 *
 * <control> is `<sandbox parent>/.supervisors/<sandbox name>`, beside the sandbox and not in it: the task
 * owns its sandbox and could put a link where the recorder (the scheduler's user) writes its exit, and
 * the sandbox's HTTP listing serves what is in it. The parent is the scheduler's own directory, which
 * tasks cannot write.
 */
import fs from 'node:fs/promises';
import { closeSync, constants as fsConstants, fstatSync, openSync, readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import path from 'node:path';

const CONTROL_DIR = '.supervisors';
export const EXIT_FILE = 'exit.json';

/** What the recorder reports: the executor's pid, then its exit (or why it did not start). */
export interface SupervisorReport {
  pid?: number;
  code?: number | null;
  /** A signal name; the owner records the number, which readExit turns into the name. */
  signal?: string | null;
  error?: string;
}

export function controlDir(sandbox: string): string {
  return path.join(path.dirname(sandbox), CONTROL_DIR, path.basename(sandbox));
}

/** The scheduler's own directory beside the sandbox, made afresh (0700) for this run of the task. */
export async function prepareControlDir(sandbox: string): Promise<string> {
  const dir = controlDir(sandbox);
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

const SIGNAL_NAMES = new Map<number, string>(Object.entries(osConstants.signals).map(([name, number]) => [number, name]));

/** A signal as Node names it: the owner (Perl, without modules) records its number. */
export function signalName(signal: unknown): string | null {
  if (typeof signal === 'number') return SIGNAL_NAMES.get(signal) ?? `SIG${signal}`;
  return typeof signal === 'string' ? signal : null;
}

/**
 * The exit record, read only from a control directory this process's user owns (opened without
 * following a link, then read through that descriptor), as a second guard beside its place outside the sandbox.
 */
export function readExitSync(sandbox: string): SupervisorReport | undefined {
  return readRecord(controlDir(sandbox));
}

/** The exit record in control directory `dir` (see readExitSync). */
export function readRecord(dir: string): SupervisorReport | undefined {
  let directory: number | undefined;
  try {
    directory = openSync(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY | fsConstants.O_NOFOLLOW);
    if (fstatSync(directory).uid !== process.getuid?.()) return undefined;
    const record = JSON.parse(readFileSync(`/proc/self/fd/${directory}/${EXIT_FILE}`, 'utf8')) as SupervisorReport & { signal?: unknown };
    return 'signal' in record ? { ...record, signal: signalName(record.signal) } : record;
  } catch {
    return undefined;
  } finally {
    if (directory !== undefined) closeSync(directory);
  }
}

/** The exit the task's owner (or supervisor) recorded, if it did. */
export async function readExit(sandbox: string): Promise<SupervisorReport | undefined> {
  return readExitSync(sandbox);
}
