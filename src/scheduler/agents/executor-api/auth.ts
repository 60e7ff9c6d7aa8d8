/**
 * Executor authentication as a Mesos agent does it with `--authenticate_http_executors`: each
 * executor is given a token in MESOS_EXECUTOR_AUTHENTICATION_TOKEN, a JWT (HS256, signed with the
 * agent's secret key) whose claims are `fid`, `eid` and `cid` (JWTSecretGenerator in
 * src/authentication/executor/), and every call must carry it as `Authorization: Bearer <token>`.
 * The checks and texts are libprocess' JWTAuthenticator (401, realm `mesos-agent-executor`) and
 * `verifyExecutorClaims` in src/slave/http.cpp (403). Tokens and the key are never written anywhere
 * but the executor's environment.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** EXECUTOR_HTTP_AUTHENTICATION_REALM in Mesos' src/slave/constants.hpp. */
export const EXECUTOR_AUTHENTICATION_REALM = 'mesos-agent-executor';

export interface ExecutorClaims {
  fid: string;
  eid: string;
  cid: string;
}

/** A refusal: the status, the WWW-Authenticate challenge (401 only) and the body. */
export interface AuthRefusal {
  status: 401 | 403;
  challenge?: string;
  text: string;
}

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/** The token Mesos' JWTSecretGenerator makes for these claims. */
export function signExecutorToken(claims: ExecutorClaims, secret: Buffer): string {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(JSON.stringify(claims));
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

function unauthorized(error?: string): AuthRefusal {
  const realm = `Bearer realm="${EXECUTOR_AUTHENTICATION_REALM}"`;
  // Without any credentials the challenge carries no error (RFC 6750, 3.1), as libprocess does.
  return { status: 401, challenge: error === undefined ? realm : `${realm}, error="invalid_token", error_description="${error}"`, text: '401 Unauthorized.' };
}

/**
 * The claims of a valid `Authorization` header, or the refusal JWTAuthenticator answers. `header`
 * is the raw header value (undefined when absent).
 */
export function authenticateExecutor(header: string | undefined, secret: Buffer): Record<string, string> | AuthRefusal {
  if (header === undefined) return unauthorized();
  const parts = header.split(' ');
  if (parts.length !== 2) return unauthorized("Malformed 'Authorization' header");
  if (parts[0] !== 'Bearer') return unauthorized(`Scheme '${parts[0]}' unsupported`);
  const components = parts[1]!.split('.');
  if (components.length !== 3) return unauthorized(`Invalid JWT: Expected 3 components in token, got ${components.length}`);
  const [headerPart, payloadPart, signaturePart] = components as [string, string, string];
  const decoded = (part: string, what: string): Record<string, unknown> | string => {
    try {
      const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return `Failed to decode token ${what}: not a JSON object`;
      return value as Record<string, unknown>;
    } catch (error) {
      return `Failed to decode token ${what}: ${(error as Error).message}`;
    }
  };
  const jwtHeader = decoded(headerPart, 'header');
  if (typeof jwtHeader === 'string') return unauthorized(`Invalid JWT: ${jwtHeader}`);
  if (jwtHeader.alg !== 'HS256') return unauthorized(`Invalid JWT: Token 'alg' value "${String(jwtHeader.alg)}" does not match, expected "HS256"`);
  const payload = decoded(payloadPart, 'payload');
  if (typeof payload === 'string') return unauthorized(`Invalid JWT: ${payload}`);
  const expected = createHmac('sha256', secret).update(`${headerPart}.${payloadPart}`).digest();
  const given = Buffer.from(signaturePart, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return unauthorized('Invalid JWT: Token signature does not match');
  if (Object.keys(payload).length === 0) return unauthorized('JWT claims missing');
  return Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
}

export function isRefusal(result: Record<string, string> | AuthRefusal): result is AuthRefusal {
  return typeof (result as AuthRefusal).status === 'number' && typeof (result as AuthRefusal).text === 'string';
}

/** `verifyExecutorClaims`: the principal must name the call's framework, executor and container. */
export function verifyExecutorClaims(claims: Record<string, string>, expected: ExecutorClaims): AuthRefusal | undefined {
  const principal = JSON.stringify({ claims });
  if (claims.fid !== expected.fid) {
    return { status: 403, text: `Authenticated principal '${principal}' does not contain an 'fid' claim with the framework ID ${expected.fid}, which is set in the call` };
  }
  if (claims.eid !== expected.eid) {
    return { status: 403, text: `Authenticated principal '${principal}' does not contain an 'eid' claim with the executor ID ${expected.eid}, which is set in the call` };
  }
  if (claims.cid !== expected.cid) {
    return { status: 403, text: `Authenticated principal '${principal}' does not contain a 'cid' claim with the correct active ContainerID` };
  }
  return undefined;
}
