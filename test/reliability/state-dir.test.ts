/**
 * State directories the scheduler cannot use: below a regular file, a regular file itself, read-only,
 * owned by another user, locked by another scheduler, holding a damaged database. `aurora-ts
 * scheduler start --state-dir` answers each with one line naming the path and what to do, exit 2;
 * startScheduler() rejects with a StateDirError. Before the fix these said `ENOTDIR: ... mkdir
 * '.../sandboxes'`, `.../sandboxes: no such file or directory` or `database disk image is malformed`
 * (exit 1), or started on a directory another user controls.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, openSync, closeSync, writeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startScheduler, StateDirError, type RunningScheduler } from '../../src/scheduler/index.js';
import { BIN, ROOT, cleanEnv, oneErrorLine, runBinary, tempDir, type CliResult } from '../cli/helpers.js';

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
// A start that wrongly succeeds serves until killed; the refusals take well under a second.
const LIMIT_MS = 8_000;

function start(stateDir: string, env = cleanEnv()): Promise<CliResult> {
  return runBinary(['scheduler', 'start', '--port', '0', '--state-dir', stateDir], { env, timeoutMs: LIMIT_MS });
}

/** Runs the CLI as `nobody` (root cannot be kept out of a directory by its mode). */
function startAsNobody(stateDir: string, home: string): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(
      'setpriv',
      [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, BIN, 'scheduler', 'start', '--port', '0', '--state-dir', stateDir],
      { cwd: ROOT, env: cleanEnv({ HOME: home, XDG_STATE_HOME: join(home, 'state') }), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

describe('scheduler start --state-dir with a directory it cannot use', () => {
  const dir = tempDir('aurora-ts-statedir-');
  // `nobody` must be able to reach the directories below.
  chmodSync(dir, 0o755);
  const file = join(dir, 'a-file');
  writeFileSync(file, 'not a directory\n');
  const running: RunningScheduler[] = [];
  afterAll(async () => {
    for (const s of running) await s.close();
  });

  it('a path below a regular file', async () => {
    const result = await start(join(file, 'state'));
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toBe(
      `aurora-ts: state directory ${join(file, 'state')}: cannot create it (a part of the path is a file); create it yourself or choose another --state-dir`,
    );
  });

  it('a regular file', async () => {
    const result = await start(file);
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toBe(`aurora-ts: state directory ${file}: is not a directory; name a directory (it is created when missing) with --state-dir`);
  });

  it('a read-only directory of this user', async () => {
    const readOnly = join(dir, 'read-only');
    mkdirSync(readOnly, { mode: 0o555 });
    chmodSync(readOnly, 0o555);
    let result: CliResult;
    if (isRoot) {
      // The mode does not stop root, so the CLI runs as nobody, which must be able to read this checkout.
      const readable = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(BIN)})`]);
      expect(readable.status, `nobody cannot run ${BIN}; put the checkout where other users can read it`).toBe(0);
      const home = join(dir, 'nobody-home');
      mkdirSync(home, { mode: 0o755 });
      chownSync(home, NOBODY, NOBODY);
      chownSync(readOnly, NOBODY, NOBODY);
      result = await startAsNobody(readOnly, home);
    } else {
      result = await start(readOnly);
    }
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toBe(
      `aurora-ts: state directory ${readOnly}: is not writable (permission denied); make it writable for this user or choose another --state-dir`,
    );
  });

  it("another user's directory", async () => {
    let foreign: string;
    let owner: number;
    if (isRoot) {
      foreign = join(dir, 'foreign');
      mkdirSync(foreign, { mode: 0o777 });
      chownSync(foreign, NOBODY, NOBODY);
      owner = NOBODY;
    } else {
      foreign = '/tmp';
      owner = 0;
    }
    const result = await start(foreign);
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toBe(
      `aurora-ts: state directory ${foreign}: is owned by uid ${owner}, not by this user (uid ${process.getuid!()}); chown it, or choose a directory of your own with --state-dir`,
    );
  });

  it('a directory another scheduler holds', async () => {
    const held = join(dir, 'held');
    running.push(await startScheduler({ port: 0, stateDir: held }));
    const result = await start(held);
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toBe(
      `aurora-ts: state directory ${held}: is in use by another scheduler (pid ${process.pid}); stop that scheduler, or choose another --state-dir`,
    );
  });

  it('a lock file or a database that is a directory', async () => {
    const lockDir = join(dir, 'lock-dir');
    mkdirSync(join(lockDir, 'scheduler.lock'), { recursive: true });
    const lock = await start(lockDir);
    expect(lock.code).toBe(2);
    expect(oneErrorLine(lock)).toBe(
      `aurora-ts: state directory ${lockDir}: cannot remove the stale lock ${join(lockDir, 'scheduler.lock')} (it is a directory); remove it yourself`,
    );
    const dbDir = join(dir, 'db-dir');
    mkdirSync(join(dbDir, 'scheduler.db'), { recursive: true });
    const db = await start(dbDir);
    expect(db.code).toBe(2);
    expect(oneErrorLine(db)).toBe(`aurora-ts: state directory ${dbDir}: ${join(dbDir, 'scheduler.db')} is not a regular file; move it aside to start with empty state`);
  });

  it('a database file that is not SQLite', async () => {
    const garbage = join(dir, 'garbage');
    mkdirSync(garbage, { mode: 0o700 });
    writeFileSync(join(garbage, 'scheduler.db'), Buffer.alloc(8192, 0x5a));
    const result = await start(garbage);
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toBe(
      `aurora-ts: state directory ${garbage}: the database ${join(garbage, 'scheduler.db')} is damaged (SQLite: file is not a database); move it aside (with its -wal and -shm files) to start with empty state, or copy a backup from ${join(garbage, 'backups')} in its place`,
    );
  });

  it("a scheduler's database with a damaged page: exit 2 from the CLI, a StateDirError from startScheduler()", async () => {
    const damaged = join(dir, 'damaged');
    const first = await startScheduler({ port: 0, stateDir: damaged });
    await first.close();
    // Page 2 (bytes 4096-8191 at SQLite's default page size) holds a table; overwrite it with junk.
    const fd = openSync(join(damaged, 'scheduler.db'), 'r+');
    writeSync(fd, Buffer.alloc(4096, 0xff), 0, 4096, 4096);
    closeSync(fd);

    const result = await start(damaged);
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toMatch(
      new RegExp(`^aurora-ts: state directory ${damaged}: the database ${join(damaged, 'scheduler.db')} is damaged \\(SQLite: .+\\); move it aside .*, or copy a backup from ${join(damaged, 'backups')} in its place$`),
    );

    const error = await startScheduler({ port: 0, stateDir: damaged }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateDirError);
    expect((error as StateDirError).dir).toBe(damaged);
  });
});
