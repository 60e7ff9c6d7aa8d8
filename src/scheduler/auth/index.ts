/** Who may call the local scheduler (Basic auth + Shiro permissions) and whom its tasks run as. */
export { createBasicAuth, parseBasicAuthorization, REALM, type BasicAuth, type BasicAuthOptions } from './basic-auth.js';
export { hashPassword, isPasswordHash, verifyPassword } from './password.js';
export { WildcardPermission } from './permission.js';
export { resolveTaskUser, schedulerUser, type TaskUser } from './task-user.js';
export { loadUsersFile, parseUsersFile, type UserEntry, type UsersFile } from './users-file.js';

/** Whether `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1';
}

/** The warning to log when the API is reachable from other machines and anyone may write to it. */
export function exposureWarning(host: string, authenticated: boolean): string | undefined {
  if (authenticated || isLoopback(host)) return undefined;
  return `Warning: the scheduler API listens on ${host} without authentication: anyone who can reach it can create and kill jobs. Use --basic-auth-file, or bind to 127.0.0.1.`;
}
