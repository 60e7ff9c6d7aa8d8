/**
 * The local scheduler's durable state (`--state-dir`): one SQLite database in WAL mode, written in
 * one transaction per RPC before its Response is sent, as Aurora acknowledges a write only once its
 * log holds it.
 *
 * Each part of the scheduler owns a section (tasks, task processes, updates, cron jobs, quotas,
 * maintenance) and reports the keys it changed; `flush()` reads the current value of every changed key
 * from its owner and writes them all in one transaction (a key whose value is gone is deleted).
 * Changes made outside an RPC (a task exiting, an update's timer) are flushed on the next turn of the
 * event loop.
 *
 * synchronous=FULL: in WAL mode NORMAL already survives a killed process, but a power cut or kernel
 * crash may roll back the last commits, which would un-acknowledge writes; FULL fsyncs the log on every
 * commit, one fsync per RPC, which a development scheduler can afford.
 */
import { chmodSync, closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type Database from 'better-sqlite3';
import { AuroraValidationError } from '../../errors.js';
import { optionalPackage } from '../../util/optional-package.js';
import { readUserFileSync } from '../../util/user-file.js';

export const DATABASE_FILE = 'scheduler.db';
export const LOCK_FILE = 'scheduler.lock';
export const BACKUP_DIR = 'backups';
const SCHEMA_VERSION = 1;

/** A stored value: Thrift-binary structs, or UTF-8 JSON for the scheduler's own records. */
export type StoredValue = Uint8Array | string;

export interface StateSection {
  /** Every stored key and value of the section (read once, at start-up). */
  load(): Array<[key: string, value: Buffer]>;
  /** The key's value changed (or is gone): it is written at the next flush. */
  changed(key: string): void;
}

export interface SchedulerStateOptions {
  /** Failures of background flushes, which no RPC can report. */
  onError?: (message: string) => void;
}

/** better-sqlite3, an optional peer dependency (a native module): only a state directory needs it. */
const sqlite = (): typeof Database => optionalPackage<typeof Database>('better-sqlite3', 'stateDir', 'a state directory (--state-dir)');

export class SchedulerState {
  readonly dir: string;
  readonly databasePath: string;
  readonly backupDir: string;
  private readonly db: Database.Database;
  private readonly lockPath: string;
  private readonly readers = new Map<string, (key: string) => StoredValue | undefined>();
  private readonly dirty = new Map<string, Set<string>>();
  private flushScheduled = false;
  private closed = false;
  private readonly upsert: Database.Statement<[string, string, Buffer]>;
  private readonly remove: Database.Statement<[string, string]>;
  private readonly select: Database.Statement<[string], { key: string; value: Buffer }>;

  constructor(
    dir: string,
    private readonly options: SchedulerStateOptions = {},
  ) {
    this.dir = dir;
    this.databasePath = join(dir, DATABASE_FILE);
    this.backupDir = join(dir, BACKUP_DIR);
    prepareSchedulerDir(dir, 'state');
    const existing = statSync(this.databasePath, { throwIfNoEntry: false });
    if (existing !== undefined && !existing.isFile()) {
      throw new StateDirError(dir, `${this.databasePath} is not a regular file; move it aside to start with empty state`);
    }
    this.lockPath = join(dir, LOCK_FILE);
    lockStateDir(this.lockPath);
    let db: Database.Database | undefined;
    try {
      db = this.db = new (sqlite())(this.databasePath);
      // Task configs may carry secrets; SQLite gives its WAL and shm files the database's mode.
      chmodSync(this.databasePath, 0o600);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      // A damaged file fails here, naming itself, rather than halfway through loading the state.
      const check = this.db.pragma('quick_check(1)', { simple: true });
      if (check !== 'ok') throw Object.assign(new Error(String(check)), { code: 'SQLITE_CORRUPT' });
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS state (
          kind TEXT NOT NULL,
          key TEXT NOT NULL,
          value BLOB NOT NULL,
          PRIMARY KEY (kind, key)
        ) WITHOUT ROWID;
      `);
      const version = this.db.prepare<[], { value: string }>("SELECT value FROM meta WHERE name = 'schema_version'").get();
      if (version === undefined) this.db.prepare("INSERT INTO meta (name, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
      else if (Number(version.value) !== SCHEMA_VERSION) {
        throw new StateDirError(
          dir,
          `holds schema version ${version.value}; this scheduler reads version ${SCHEMA_VERSION}: use the aurora-ts that wrote it, or another --state-dir`,
        );
      }
      this.upsert = this.db.prepare('INSERT INTO state (kind, key, value) VALUES (?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value');
      this.remove = this.db.prepare('DELETE FROM state WHERE kind = ? AND key = ?');
      this.select = this.db.prepare('SELECT key, value FROM state WHERE kind = ? ORDER BY key');
    } catch (error) {
      db?.close();
      rmSync(this.lockPath, { force: true });
      throw databaseError(dir, this.databasePath, this.backupDir, error);
    }
  }

  /** Registers a section; `read` answers a key's current value, undefined when it no longer exists. */
  section(kind: string, read: (key: string) => StoredValue | undefined): StateSection {
    if (this.readers.has(kind)) throw new Error(`state section ${kind} is already registered`);
    this.readers.set(kind, read);
    return {
      load: () => {
        try {
          return this.select.all(kind).map((row) => [row.key, row.value]);
        } catch (error) {
          throw databaseError(this.dir, this.databasePath, this.backupDir, error);
        }
      },
      changed: (key) => this.changed(kind, key),
    };
  }

  private changed(kind: string, key: string): void {
    if (this.closed) return;
    let keys = this.dirty.get(kind);
    if (!keys) this.dirty.set(kind, (keys = new Set()));
    keys.add(key);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        try {
          this.flush();
        } catch (error) {
          this.options.onError?.(`cannot store the scheduler's state: ${(error as Error).message}`);
        }
      });
    }
  }

  /** Writes every change so far in one transaction (synchronously: it is stored when this returns). */
  flush(): void {
    if (this.closed || this.dirty.size === 0) return;
    const batch = [...this.dirty].map(([kind, keys]) => [kind, [...keys]] as const);
    this.dirty.clear();
    const write = this.db.transaction(() => {
      for (const [kind, keys] of batch) {
        const read = this.readers.get(kind)!;
        for (const key of keys) {
          const value = read(key);
          if (value === undefined) this.remove.run(kind, key);
          else this.upsert.run(kind, key, typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value));
        }
      }
    });
    try {
      write();
    } catch (error) {
      // Keep the changes for the next attempt.
      for (const [kind, keys] of batch) for (const key of keys) this.changed(kind, key);
      throw error;
    }
  }

  /** Copies the database with SQLite's online backup API to `backups/<name>`; resolves once complete. */
  async backup(name: string): Promise<string> {
    if (!/^[\w.-]+$/.test(name)) throw new Error(`backup name ${JSON.stringify(name)} must match [\\w.-]+`);
    this.flush();
    mkdirSync(this.backupDir, { recursive: true, mode: 0o700 });
    const target = join(this.backupDir, name);
    const partial = `${target}.partial`;
    rmSync(partial, { force: true });
    await this.db.backup(partial);
    // The copy is one self-contained file: no WAL beside it for whoever opens it later.
    const copy = new (sqlite())(partial);
    try {
      copy.pragma('journal_mode = DELETE');
    } finally {
      copy.close();
    }
    renameSync(partial, target);
    return target;
  }

  /** Names of the backups in `backups/`, oldest name first. */
  listBackups(): string[] {
    try {
      return readdirSync(this.backupDir)
        .filter((name) => !/(\.partial|-wal|-shm|-journal)$/.test(name))
        .sort();
    } catch {
      return [];
    }
  }

  /** Flushes what is left and closes the database; later changes are ignored. */
  close(): void {
    if (this.closed) return;
    try {
      this.flush();
    } finally {
      this.closed = true;
      this.db.close();
      rmSync(this.lockPath, { force: true });
    }
  }
}

/**
 * A state (or work) directory the scheduler cannot use: not a directory, not writable, owned by
 * another user, locked by another scheduler, a database that is damaged or from another version.
 * Bad input, like a bad flag (`scheduler start` exits 2); the message names the path and what to do.
 */
export class StateDirError extends AuroraValidationError {
  readonly dir: string;
  constructor(dir: string, problem: string, options: { cause?: unknown; what?: 'state' | 'work' } = {}) {
    super('', `${options.what ?? 'state'} directory ${dir}: ${problem}`, options.cause === undefined ? {} : { cause: options.cause });
    this.dir = dir;
  }
}

/** The state directory's lock is held by a live scheduler (possibly one in this very process). */
export class StateDirInUseError extends StateDirError {
  override readonly name = 'StateDirInUseError';
}

/**
 * Creates `dir` (mode 0700) if missing and checks that this process can keep state in it: a
 * directory, writable, and for a state directory owned by this user (another user could swap the
 * database of a scheduler that runs as root). Throws StateDirError naming the path and what to do.
 */
export function prepareSchedulerDir(dir: string, what: 'state' | 'work'): void {
  const flag = what === 'state' ? '--state-dir' : '--work-dir';
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') throw new StateDirError(dir, `cannot create it (${errnoText(code)}); create it yourself or choose another ${flag}`, { cause: error, what });
  }
  const stats = statSync(dir, { throwIfNoEntry: false });
  if (!stats?.isDirectory()) throw new StateDirError(dir, `is not a directory; name a directory (it is created when missing) with ${flag}`, { what });
  const uid = process.getuid?.();
  // Only the state directory: its database says what to run, while a work directory may be shared (/tmp).
  if (what === 'state' && uid !== undefined && stats.uid !== uid) {
    throw new StateDirError(dir, `is owned by uid ${stats.uid}, not by this user (uid ${uid}); chown it, or choose a directory of your own with ${flag}`, { what });
  }
  // Writable by this process? Creating a file answers it on every file system (read-only mounts, ACLs, root).
  const probe = join(dir, `.write-test-${process.pid}`);
  try {
    closeSync(openSync(probe, 'wx', 0o600));
    rmSync(probe, { force: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new StateDirError(dir, `is not writable (${errnoText(code)}); make it writable for this user or choose another ${flag}`, { cause: error, what });
  }
}

function errnoText(code: string | undefined): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOTDIR':
      return 'a part of the path is a file';
    case 'EISDIR':
    case 'ERR_FS_EISDIR':
      return 'it is a directory';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    default:
      return code ?? 'unknown error';
  }
}

/** SQLite's failures at open, as one line naming the database file and what to do. */
function databaseError(dir: string, file: string, backups: string, error: unknown): unknown {
  if (error instanceof StateDirError) return error;
  const code = String((error as { code?: unknown }).code ?? '');
  // quick_check reports one problem per line; the error stays one line.
  const lines = String((error as Error).message).split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('***'));
  const joined = lines.join('; ');
  const detail = joined.length > 200 ? `${joined.slice(0, 197)}...` : joined;
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new StateDirError(
      dir,
      `the database ${file} is damaged (SQLite: ${detail}); move it aside (with its -wal and -shm files) to start with empty state, or copy a backup from ${backups} in its place`,
      { cause: error },
    );
  }
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_PERM')) {
    return new StateDirError(dir, `cannot open the database ${file} for writing (SQLite: ${detail}); make it and the directory writable for this user`, { cause: error });
  }
  if (code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR')) {
    return new StateDirError(dir, `cannot use the database ${file} (SQLite: ${detail}); check the disk holding it`, { cause: error });
  }
  return error;
}

export interface OpenStateOptions extends SchedulerStateOptions {
  /** How long to wait for a live holder to release the lock (default 0: fail at once). */
  waitMs?: number;
  /** How often to look again (default 100 ms). */
  pollMs?: number;
  /** Checked between attempts: true gives up at once (the scheduler is closing). */
  cancelled?: () => boolean;
}

/**
 * Opens the state directory, waiting up to `waitMs` for a live holder of its lock to let go (a
 * scheduler that just lost leadership is still detaching from its tasks); a dead holder's lock is
 * taken over at once.
 */
export async function openSchedulerState(dir: string, options: OpenStateOptions = {}): Promise<SchedulerState> {
  const deadline = Date.now() + (options.waitMs ?? 0);
  for (;;) {
    try {
      return new SchedulerState(dir, options);
    } catch (error) {
      if (!(error instanceof StateDirInUseError) || Date.now() >= deadline || options.cancelled?.()) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
    if (options.cancelled?.()) throw new Error(`gave up waiting for state directory ${dir}: the scheduler is closing`);
  }
}

/** /proc/<pid>/stat field 22 (start time), undefined when the process is gone. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[0] === 'Z' || rest[0] === 'X' ? undefined : rest[19];
  } catch {
    return undefined;
  }
}

/**
 * One scheduler per state directory: two would both adopt and launch the same tasks. The lock file
 * names its holder by pid and start time, so a lock left by a killed scheduler is taken over.
 */
function lockStateDir(lockPath: string): void {
  const mine = JSON.stringify({ pid: process.pid, startTime: startTimeOf(process.pid) });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      writeSync(fd, mine);
      closeSync(fd);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new StateDirError(dirname(lockPath), `cannot create its lock file (${errnoText(code)}); make the directory writable for this user`, { cause: error });
    }
    let holder: { pid?: number; startTime?: string } = {};
    try {
      holder = JSON.parse(readUserFileSync(lockPath, { what: 'lock file', maxBytes: 4096, pipeIdleMs: 0 })) as typeof holder;
    } catch {
      // Unreadable or half-written: treated as stale.
    }
    if (typeof holder.pid === 'number' && holder.startTime !== undefined && startTimeOf(holder.pid) === holder.startTime) {
      throw new StateDirInUseError(
        dirname(lockPath),
        `is in use by another scheduler (pid ${holder.pid}); stop that scheduler, or choose another --state-dir`,
      );
    }
    try {
      rmSync(lockPath, { force: true });
    } catch (error) {
      throw new StateDirError(dirname(lockPath), `cannot remove the stale lock ${lockPath} (${errnoText((error as NodeJS.ErrnoException).code)}); remove it yourself`, { cause: error });
    }
  }
  throw new StateDirError(dirname(lockPath), `cannot take its lock ${lockPath}; remove that file if no scheduler uses the directory`);
}
