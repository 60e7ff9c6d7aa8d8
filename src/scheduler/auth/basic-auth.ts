/**
 * HTTP Basic authentication and Shiro-style authorization of API calls, as Aurora's scheduler does
 * with `-http_authentication_mechanism=BASIC` and an INI realm:
 * - ReadOnlyScheduler RPCs are open; credentials on them are not even checked (Aurora's filter is
 *   permissive and only its write interceptors demand a subject).
 * - AuroraSchedulerManager and AuroraAdmin RPCs without valid credentials: HTTP 401 with the
 *   challenge `Basic realm="Apache Aurora Scheduler"`.
 * - An authenticated caller needs `thrift.AuroraSchedulerManager:<rpc>:<role>:<env>:<name>` for the
 *   job the call names (ShiroAuthorizingParamInterceptor) or `thrift.AuroraAdmin:<rpc>`
 *   (ShiroAuthorizingInterceptor); without it the call answers AUTH_FAILED.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AuroraMethod } from '../../gen/api.js';
import { SCHEMA } from '../../gen/schema.js';
import { ResponseCode, type Response } from '../../gen/types.js';
import type { CallFilter, HttpAnswer } from '../api-server.js';
import { clientOf } from '../client-address.js';
import { LoginGate, type LoginGateOptions, type Refusal } from './login-gate.js';
import { verifyPassword } from './password.js';
import { WildcardPermission } from './permission.js';
import type { UsersFile } from './users-file.js';

export const REALM = 'Apache Aurora Scheduler';
const GOOD_IDENTIFIER = /^[\w\-.]+$/;
/** Any valid hash: unknown users cost the same scrypt work as known ones, so timing names no users. */
const DUMMY_HASH = 'scrypt$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const MAX_REMEMBERED = 1024;
const REFUSAL_DELAY_MS = 1_000;

export interface BasicAuthOptions {
  users: UsersFile;
  /** Builds the Response for a refused call (with the scheduler's ServerInfo). */
  respond(code: ResponseCode, message: string): Response;
  /** Refused logins and permission failures, one line each; never a password. */
  onLog?: (message: string) => void;
  /** Limits on password checks (concurrency, per-client queue and failure back-off); see LoginGate. */
  gate?: LoginGateOptions;
}

export interface BasicAuth {
  /** The api-server filter that enforces all of the above. */
  readonly filter: CallFilter;
  /** The authenticated user of the call being handled (undefined outside an authenticated call). */
  caller(): string | undefined;
}

type JobKeyLike = { role?: unknown; environment?: unknown; name?: unknown };

const field = (value: unknown, name: string): unknown =>
  value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;

/** Where each AuroraSchedulerManager RPC carries the job it acts on (Aurora's @AuthorizingParam). */
const JOB_KEY_OF: Partial<Record<AuroraMethod, (args: Record<string, unknown>) => unknown>> = {
  createJob: (a) => field(a.description, 'key'),
  scheduleCronJob: (a) => field(a.description, 'key'),
  replaceCronTemplate: (a) => field(a.config, 'key'),
  descheduleCronJob: (a) => a.job,
  startCronJob: (a) => a.job,
  restartShards: (a) => a.job,
  killTasks: (a) => a.job,
  addInstances: (a) => field(a.key, 'jobKey'),
  startJobUpdate: (a) => field(field(a.request, 'taskConfig'), 'job'),
  pauseJobUpdate: (a) => field(a.key, 'job'),
  resumeJobUpdate: (a) => field(a.key, 'job'),
  abortJobUpdate: (a) => field(a.key, 'job'),
  rollbackJobUpdate: (a) => field(a.key, 'job'),
  pulseJobUpdate: (a) => field(a.key, 'job'),
};

function validJobKey(value: unknown): { role: string; environment: string; name: string } | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const { role, environment, name } = value as JobKeyLike;
  const ok = (s: unknown): s is string => typeof s === 'string' && GOOD_IDENTIFIER.test(s);
  return ok(role) && ok(environment) && ok(name) ? { role, environment, name } : undefined;
}

/** `Authorization: Basic <base64(user:password)>`, or undefined when absent or malformed. */
export function parseBasicAuthorization(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^\s*Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function createBasicAuth(options: BasicAuthOptions): BasicAuth {
  const { users, roles } = options.users;
  const callers = new AsyncLocalStorage<string>();
  const gate = new LoginGate({
    ...options.gate,
    // One line when a client is backed off, not one per refused guess.
    onBackoff: (client, ms) => log(`Authentication from ${client} backed off for ${Math.ceil(ms / 1000)} s after repeated failures.`),
  });
  // Digests of credentials already verified, so keep-alive clients do not pay scrypt on every call.
  const remembered = new Set<string>();
  const log = (message: string): void => {
    try {
      options.onLog?.(message);
    } catch {
      // A failing logger must not change how a call is answered.
    }
  };

  const challenge = (text: string): HttpAnswer => ({ status: 401, headers: { 'WWW-Authenticate': `Basic realm="${REALM}"` }, text });

  async function authenticate(request: IncomingMessage): Promise<string | undefined | Refusal> {
    const credentials = parseBasicAuthorization(request.headers.authorization);
    if (!credentials) return undefined;
    const user = users.get(credentials.username);
    const hash = user?.passwordHash ?? DUMMY_HASH;
    const digest = createHash('sha256').update(`${credentials.username}\0${hash}\0${credentials.password}`).digest('base64');
    if (user && remembered.has(digest)) return user.name;
    const ok = await gate.check(clientOf(request.socket.remoteAddress), async () => (await verifyPassword(credentials.password, hash)) && user !== undefined);
    if (typeof ok === 'object') {
      // Held a while before answering, so a client that re-sends at once cannot turn refusals into a request flood.
      await new Promise((resolve) => setTimeout(resolve, Math.min(ok.retryAfterMs, REFUSAL_DELAY_MS)));
      return ok;
    }
    if (!ok || user === undefined) {
      // The name is the caller's text (up to the 16 KiB header limit): quote only its start.
      const name = credentials.username.length > 64 ? `${credentials.username.slice(0, 64)}…` : credentials.username;
      log(`Authentication failed for user ${JSON.stringify(name)}.`);
      return undefined;
    }
    if (remembered.size >= MAX_REMEMBERED) remembered.clear();
    remembered.add(digest);
    return user.name;
  }

  function permitted(username: string, wanted: WildcardPermission): boolean {
    const user = users.get(username);
    return (user?.roles ?? []).some((role) => (roles.get(role) ?? []).some((granted) => granted.implies(wanted)));
  }

  const filter: CallFilter = async ({ method, args, request }, proceed) => {
    const service = SCHEMA.methods[method]?.service;
    if (service !== 'AuroraSchedulerManager' && service !== 'AuroraAdmin') return proceed();
    const username = await authenticate(request);
    if (typeof username === 'object') {
      const seconds = Math.max(1, Math.ceil(username.retryAfterMs / 1000));
      return { status: 429, headers: { 'Retry-After': String(seconds) }, text: `Too many authentication attempts from this client; retry in ${seconds} s.` };
    }
    if (username === undefined) {
      return challenge(request.headers.authorization ? 'Invalid credentials.' : `Authentication required: ${method} needs a user.`);
    }
    if (service === 'AuroraAdmin') {
      const wanted = new WildcardPermission(`thrift.AuroraAdmin:${method}`);
      if (!permitted(username, wanted)) {
        const message = `Subject ${username} lacks permission ${wanted}`;
        log(message);
        return options.respond(ResponseCode.AUTH_FAILED, message);
      }
    } else {
      const key = validJobKey(JOB_KEY_OF[method]?.(args));
      if (!key) return options.respond(ResponseCode.INVALID_REQUEST, 'Missing or invalid job key from request.');
      const wanted = new WildcardPermission(`thrift.AuroraSchedulerManager:${method}:${key.role}:${key.environment}:${key.name}`);
      if (!permitted(username, wanted)) {
        const message = `Subject ${username} is not permitted to ${wanted}.`;
        log(message);
        return options.respond(ResponseCode.AUTH_FAILED, message);
      }
    }
    return callers.run(username, proceed);
  };

  return { filter, caller: () => callers.getStore() };
}
