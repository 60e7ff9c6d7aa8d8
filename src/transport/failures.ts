import { AuroraAuthError, AuroraHttpError, AuroraTransportError, redact } from '../errors.js';
import { hostPort } from './url.js';

/** What the error builders need to know about the call that failed. */
export interface FailureContext {
  method: string;
  url: URL;
  /** Literal secrets (password, encoded Authorization) to blank out of anything echoed back. */
  secrets: readonly string[];
  /** What the server is, for messages. Default `the scheduler`. */
  peer?: string;
}

const RETRYABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_CONTENT_LENGTH_MISMATCH',
]);

/** Codes meaning no connection was made at all. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'ENOTFOUND', 'EAI_AGAIN']);

const DESCRIPTIONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  EPIPE: 'connection closed while the request was being sent',
  ETIMEDOUT: 'connection timed out',
  ECONNABORTED: 'connection aborted',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host name not found (DNS)',
  EAI_AGAIN: 'temporary DNS failure',
  ERR_STREAM_PREMATURE_CLOSE: 'connection closed before the response was complete',
};

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|ERR_OSSL_|CERT_|UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_|HOSTNAME_MISMATCH|INVALID_CA|INVALID_PURPOSE)/;

/** The system/TLS code of a network error, looking through fetch's wrappers. */
export function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The innermost human reason of a network error, without fetch's "request to URL failed" prefix. */
function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const at = message.lastIndexOf('reason: ');
  let tail = (at >= 0 ? message.slice(at + 'reason: '.length) : message).split('\n')[0].trim();
  // OpenSSL: "805C...:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:file:line:..."
  const openssl = /SSL routines:[^:]*:([^:]+)/.exec(tail);
  if (openssl) tail = openssl[1];
  return tail.length > 200 ? `${tail.slice(0, 200)}...` : tail;
}

/** What the user can change when a TLS handshake fails. */
function tlsHint(code: string): string {
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return 'connect with a host name the certificate lists, or set tls.insecure for test clusters';
  }
  if (/ALERT_(CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|HANDSHAKE_FAILURE|CERTIFICATE_UNKNOWN)/.test(code)) {
    return 'the server wants a client certificate it trusts: set tls.cert and tls.key';
  }
  return "trust the scheduler certificate's CA with tls.ca, or set tls.insecure for test clusters";
}

/** Refused, reset, DNS, TLS and cut-short bodies. */
export function networkError(error: unknown, ctx: FailureContext, phase: 'request' | 'body'): AuroraTransportError {
  const code = errorCode(error);
  const where = hostPort(ctx.url);
  const why = scrub((code && DESCRIPTIONS[code]) ?? reason(error), ctx.secrets);
  const coded = code ? `${why} (${code})` : why;
  let message: string;
  if (code && TLS_CODE.test(code)) {
    message =
      `${ctx.method}: TLS connection to ${where} failed: ${coded}; ${tlsHint(code)}`;
  } else if (phase === 'body') {
    message = `${ctx.method}: the response from ${where} was cut short: ${coded}`;
  } else if (code && UNREACHABLE.has(code)) {
    message = `${ctx.method}: cannot reach ${ctx.peer ?? 'the scheduler'} at ${where}: ${coded}`;
  } else {
    message = `${ctx.method}: request to ${where} failed: ${coded}`;
  }
  return new AuroraTransportError(message, {
    method: ctx.method,
    code,
    retryable: phase === 'body' || (code !== undefined && RETRYABLE_CODES.has(code)),
    cause: error,
  });
}

/** 401/403: names the URL and user, never the password. */
export function authError(
  status: number,
  challenge: string | null,
  username: string | undefined,
  ctx: FailureContext,
  withheldFrom?: URL,
): AuroraAuthError {
  const head = `${ctx.method}: HTTP ${status} from ${ctx.url.href}`;
  let detail: string;
  if (username === undefined) {
    const scheme = challenge ? challenge.trim().split(/\s+/)[0] : undefined;
    detail = `no credentials were sent${scheme ? `; ${ctx.peer ?? 'the scheduler'} asks for ${scheme} authentication` : ''}`;
    if (withheldFrom !== undefined) {
      detail += `; the credentials for ${withheldFrom.origin} are not sent to another origin a redirect names: call ${ctx.url.origin} directly, or list its host in ~/.netrc`;
    }
  } else if (status === 401) {
    detail = `${ctx.peer ?? 'the scheduler'} rejected the credentials of user "${username}"`;
  } else {
    detail = `user "${username}" is not allowed to call ${ctx.method}`;
  }
  return new AuroraAuthError(scrub(`${head}: ${detail}`, ctx.secrets), { method: ctx.method, status });
}

/** Any other status: the status and a short, redacted piece of the body. */
export function httpError(status: number, statusText: string, body: Buffer, ctx: FailureContext): AuroraHttpError {
  const snippet = bodySnippet(body, ctx.secrets);
  const text = statusText ? ` ${statusText}` : '';
  const message = `${ctx.method}: HTTP ${status}${text} from ${ctx.url.href}${snippet ? `: ${snippet}` : ''}`;
  return new AuroraHttpError(status, scrub(message, ctx.secrets), { method: ctx.method });
}

/** First 200 characters of a (likely HTML) error page, tags and whitespace squeezed out. */
export function bodySnippet(body: Buffer, secrets: readonly string[]): string {
  const text = body
    .subarray(0, 4096)
    .toString('utf8')
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const short = text.length > 200 ? `${text.slice(0, 200)}...` : text;
  return scrub(short, secrets);
}

/** `redact()` plus the literal secrets of this transport, in case a server echoes them. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = redact(text);
  for (const secret of secrets) {
    if (secret.length >= 3) out = out.split(secret).join('***');
  }
  return out;
}
