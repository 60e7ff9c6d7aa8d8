/**
 * `--task-user`: the local account task processes run as. Switching users needs root, so a scheduler
 * not running as root can only run tasks as itself (they are then not isolated from it).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { AuroraValidationError } from '../../errors.js';

export interface TaskUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** Looks the account up (NSS through `getent`, else /etc/passwd) and checks it can be switched to. */
export async function resolveTaskUser(name: string): Promise<TaskUser> {
  if (typeof name !== 'string' || !/^[A-Za-z0-9._][A-Za-z0-9._-]*\$?$/.test(name)) {
    throw new AuroraValidationError('taskUser', `must be a user name like "nobody", got ${JSON.stringify(name)}`);
  }
  const entry = (await getent(name)) ?? (await fromEtcPasswd(name));
  if (!entry) throw new AuroraValidationError('taskUser', `no user "${name}" on this machine (looked in getent passwd and /etc/passwd)`);
  const uid = process.getuid?.();
  if (uid !== 0 && uid !== entry.uid) {
    throw new AuroraValidationError('taskUser', `running tasks as "${name}" needs the scheduler to run as root (it runs as uid ${String(uid)})`);
  }
  return entry;
}

/** The account the scheduler itself runs as (what tasks run as without --task-user). */
export function schedulerUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'unknown');
  }
}

function parsePasswdLine(line: string, name: string): TaskUser | undefined {
  const [user, , uid, gid, , home] = line.split(':');
  if (user !== name || uid === undefined || gid === undefined) return undefined;
  const u = Number(uid);
  const g = Number(gid);
  if (!Number.isInteger(u) || !Number.isInteger(g)) return undefined;
  return { name, uid: u, gid: g, home: home || '/' };
}

function getent(name: string): Promise<TaskUser | undefined> {
  return new Promise((resolve) => {
    execFile('getent', ['passwd', name], { timeout: 5000 }, (error, stdout) => {
      resolve(error ? undefined : parsePasswdLine(stdout.trim().split('\n')[0] ?? '', name));
    });
  });
}

async function fromEtcPasswd(name: string): Promise<TaskUser | undefined> {
  const text = await readFile('/etc/passwd', 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const entry = parsePasswdLine(line, name);
    if (entry) return entry;
  }
  return undefined;
}
