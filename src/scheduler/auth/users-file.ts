/**
 * The scheduler's users file (`--basic-auth-file`): Aurora's shiro.ini, the two sections its INI
 * realm reads, with hashed instead of plaintext passwords.
 *
 *     # comments start with # or ;
 *     [users]
 *     # name = <password hash>[, role ...]      (hashPassword() makes the hash)
 *     alice = scrypt$<salt>$<key>, admin
 *     deployer = scrypt$<salt>$<key>, deploy
 *
 *     [roles]
 *     # role = permission[, permission ...]     (quote a permission that itself contains commas)
 *     admin = *
 *     deploy = thrift.AuroraSchedulerManager:killTasks:www-data:*:*, "thrift.AuroraSchedulerManager:createJob,startJobUpdate:www-data"
 *
 * Permissions are Shiro wildcard permissions over `thrift.AuroraSchedulerManager:<rpc>:<role>:<env>:<name>`
 * and `thrift.AuroraAdmin:<rpc>` (see permission.ts). Read-only RPCs need no user at all.
 */
import { AuroraValidationError } from '../../errors.js';
import { CONFIG_FILE_MAX_BYTES, UserFileError, readUserFile } from '../../util/user-file.js';
import { isPasswordHash } from './password.js';
import { WildcardPermission } from './permission.js';

export interface UserEntry {
  readonly name: string;
  readonly passwordHash: string;
  readonly roles: readonly string[];
}

export interface UsersFile {
  readonly users: ReadonlyMap<string, UserEntry>;
  readonly roles: ReadonlyMap<string, readonly WildcardPermission[]>;
}

const SECTIONS = new Set(['users', 'roles']);

export async function loadUsersFile(file: string): Promise<UsersFile> {
  let text: string;
  try {
    text = await readUserFile(file, { what: 'users file', maxBytes: CONFIG_FILE_MAX_BYTES });
  } catch (error) {
    const why = error instanceof UserFileError ? error.reason : ((error as NodeJS.ErrnoException).code ?? (error as Error).message);
    throw new AuroraValidationError('basicAuthFile', `cannot read ${file}: ${why}`, { cause: error });
  }
  return parseUsersFile(text, file);
}

/** Parses the file's text; every problem is one AuroraValidationError naming the line (never a password). */
export function parseUsersFile(text: string, source = 'users file'): UsersFile {
  const users = new Map<string, UserEntry>();
  const roles = new Map<string, WildcardPermission[]>();
  const seen = new Set<string>();
  let section: string | undefined;
  const fail = (line: number, message: string): never => {
    throw new AuroraValidationError('basicAuthFile', `${source} line ${line}: ${message}`);
  };

  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    const header = /^\[\s*([^\]]*?)\s*\]$/.exec(trimmed);
    if (header) {
      const name = (header[1] as string).toLowerCase();
      if (!SECTIONS.has(name)) fail(line, `section [${header[1]}] is not allowed; only [users] and [roles] are`);
      section = name;
      seen.add(name);
      return;
    }
    if (section === undefined) fail(line, 'expected a [users] or [roles] section header first');
    const eq = trimmed.indexOf('=');
    if (eq <= 0) fail(line, `expected "name = value" in [${section}]`);
    const key = trimmed.slice(0, eq).trim();
    const value = trimmed.slice(eq + 1).trim();
    if (section === 'users') {
      if (users.has(key)) fail(line, `user "${key}" is defined twice`);
      if (key.includes(':')) fail(line, `user name "${key}" may not contain ":" (HTTP Basic credentials could not carry it)`);
      const [hash = '', ...userRoles] = value.split(',').map((s) => s.trim());
      if (!isPasswordHash(hash)) {
        fail(line, `the password of user "${key}" must be a hash "scrypt$<salt>$<key>" (make one with hashPassword()); plaintext passwords are not accepted`);
      }
      if (userRoles.some((r) => r === '')) fail(line, `user "${key}" has an empty role name`);
      users.set(key, { name: key, passwordHash: hash, roles: userRoles });
    } else {
      if (roles.has(key)) fail(line, `role "${key}" is defined twice`);
      const permissions: WildcardPermission[] = [];
      for (const text of splitQuoted(value)) {
        try {
          permissions.push(new WildcardPermission(text));
        } catch (error) {
          fail(line, `role "${key}": ${(error as Error).message}`);
        }
      }
      roles.set(key, permissions);
    }
  });

  if (seen.size === 0) throw new AuroraValidationError('basicAuthFile', `${source}: no sections; expected [users] and [roles]`);
  if (users.size === 0) throw new AuroraValidationError('basicAuthFile', `${source}: [users] names no user, so nobody could make a write call`);
  for (const user of users.values()) {
    for (const role of user.roles) {
      if (!roles.has(role)) throw new AuroraValidationError('basicAuthFile', `${source}: user "${user.name}" has role "${role}", which [roles] does not define`);
    }
  }
  return { users, roles };
}

/** Shiro's split of a role's permission list: commas separate, double quotes protect commas inside one. */
function splitQuoted(value: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  out.push(current);
  return out.map((s) => s.trim()).filter((s) => s !== '');
}
