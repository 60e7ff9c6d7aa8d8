/**
 * Every error aurora-ts throws derives from AuroraError. Messages and fields never carry
 * credentials: constructors take only what is safe to print, and `redact()` is applied to any
 * text that came from outside (URLs, server bodies) before it is stored.
 */

export type AuroraErrorKind =
  | 'response' // the scheduler answered with a non-OK ResponseCode
  | 'http' // an HTTP status the API does not answer with (5xx, 404, 415, ...)
  | 'auth' // HTTP 401/403, or ResponseCode AUTH_FAILED
  | 'timeout' // no complete answer before the deadline
  | 'transport' // refused, reset, DNS, TLS, too many redirects
  | 'protocol' // bytes that are not a valid Thrift message
  | 'range' // an i64 that does not fit a JavaScript number exactly
  | 'validation' // bad input caught before anything was sent
  | 'discovery' // no leader, ZooKeeper unreachable (a bad clusters.json is 'validation': AuroraConfigError)
  | 'aborted'; // cancelled through an AbortSignal

export interface AuroraErrorOptions {
  cause?: unknown;
  /** The RPC that was being called, when there was one. */
  method?: string;
  /** Whether repeating the same call may succeed (used by retry policies). */
  retryable?: boolean;
  /** A write that failed after its request may have reached the scheduler: it may have been applied. */
  ambiguous?: boolean;
}

export class AuroraError extends Error {
  readonly kind: AuroraErrorKind;
  readonly method: string | undefined;
  /**
   * Whether sending the same call again may succeed. Always false when `ambiguous`: sending a write
   * again that may have been applied can apply it twice.
   */
  readonly retryable: boolean;
  /**
   * True for a write (any RPC but the read-only ones) that timed out, lost its connection or got an
   * unreadable reply after its request may have reached the scheduler: it may have been applied. Find
   * out (read the job, the update) before sending it again, or use createJobSafely /
   * startJobUpdateSafely, which do that.
   */
  readonly ambiguous: boolean;

  constructor(kind: AuroraErrorKind, message: string, options: AuroraErrorOptions = {}) {
    super(redact(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.kind = kind;
    this.method = options.method;
    this.ambiguous = options.ambiguous ?? false;
    this.retryable = !this.ambiguous && (options.retryable ?? false);
  }
}

/** HTTP status outside what the API answers with. */
export class AuroraHttpError extends AuroraError {
  readonly status: number;
  constructor(status: number, message: string, options: AuroraErrorOptions = {}) {
    super('http', message, { retryable: status === 502 || status === 503 || status === 504, ...options });
    this.status = status;
  }
}

/** 401/403 from the HTTP layer, or AUTH_FAILED from the scheduler. */
export class AuroraAuthError extends AuroraError {
  readonly status: number | undefined;
  constructor(message: string, options: AuroraErrorOptions & { status?: number } = {}) {
    super('auth', message, options);
    this.status = options.status;
  }
}

export class AuroraTimeoutError extends AuroraError {
  readonly timeoutMs: number | undefined;
  constructor(message: string, options: AuroraErrorOptions & { timeoutMs?: number } = {}) {
    super('timeout', message, { retryable: true, ...options });
    this.timeoutMs = options.timeoutMs;
  }
}

/** Connection refused/reset, DNS, TLS, redirect loops: the request may or may not have been seen. */
export class AuroraTransportError extends AuroraError {
  readonly code: string | undefined;
  constructor(message: string, options: AuroraErrorOptions & { code?: string } = {}) {
    super('transport', message, options);
    this.code = options.code;
  }
}

/** Bytes that do not decode as the expected Thrift message. */
export class AuroraProtocolError extends AuroraError {
  constructor(message: string, options: AuroraErrorOptions = {}) {
    super('protocol', message, options);
  }
}

/** An i64 outside Number.MIN_SAFE_INTEGER..Number.MAX_SAFE_INTEGER: never rounded silently. */
export class AuroraRangeError extends AuroraError {
  constructor(message: string, options: AuroraErrorOptions = {}) {
    super('range', message, options);
  }
}

/** Bad input found before anything was sent: names the field and what is allowed. */
export class AuroraValidationError extends AuroraError {
  /** Dotted path of the offending field, e.g. `resources.ramMb`; empty when it is the whole input. */
  readonly field: string;
  constructor(field: string, message: string, options: AuroraErrorOptions = {}) {
    super('validation', field ? `${field}: ${message}` : message, options);
    this.field = field;
  }
}

/**
 * A bad configuration file or entry: clusters.json (a field out of range, a cluster that is not an
 * object, an unknown cluster name), ~/.netrc, ZooKeeper settings. Bad input like any validation
 * error (the CLI exits 2, retries never repeat it), unlike AuroraDiscoveryError, which says the
 * cluster could not be reached.
 */
export class AuroraConfigError extends AuroraValidationError {
  constructor(message: string, options: AuroraErrorOptions = {}) {
    super('', message, options);
  }
}

/** The scheduler could not be found: ZooKeeper unreachable, no leader, a malformed serverset member. */
export class AuroraDiscoveryError extends AuroraError {
  constructor(message: string, options: AuroraErrorOptions = {}) {
    super('discovery', message, options);
  }
}

export class AuroraAbortError extends AuroraError {
  constructor(message = 'operation aborted', options: AuroraErrorOptions = {}) {
    super('aborted', message, options);
  }
}

/** Connection failures that prove the request never reached a scheduler that could act on it. */
export const NOT_DELIVERED: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN']);

/**
 * Whether a write that failed this way may have been applied although no answer came back: the
 * error says so (`ambiguous`), or it is a timeout, a connection lost after it was made, or a proxy's
 * 502/504 (which may come after the scheduler got the request; Aurora's own 503 means "not the
 * leader yet", nothing was run).
 */
export function isAmbiguous(error: unknown): boolean {
  if (!(error instanceof AuroraError)) return false;
  if (error.ambiguous || error instanceof AuroraTimeoutError) return true;
  if (error instanceof AuroraTransportError) return !NOT_DELIVERED.has(error.code ?? '') && error.retryable;
  return error instanceof AuroraHttpError && (error.status === 502 || error.status === 504);
}

/**
 * Marks the failure of a write as ambiguous (and so not retryable), saying so in its message. The
 * client calls it for every write whose failure `isAmbiguous`; the error was made for this call, so
 * changing it in place is safe.
 */
export function markAmbiguous(error: AuroraError): AuroraError {
  if (error.ambiguous) return error;
  const fields = error as { ambiguous: boolean; retryable: boolean; message: string };
  fields.ambiguous = true;
  fields.retryable = false;
  fields.message = `${error.message} (the write may have been applied: check before sending it again)`;
  return error;
}

const USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+(?::[^/\s@]*)?@/gi;
const AUTH_HEADER = /(authorization\s*[:=]\s*)(basic|bearer|negotiate)?\s*[^\s,;"']+/gi;
// A password field: a quoted key that is one word ending in the name (`"password": "x"`, `"db_password": "x"`,
// `"api-token": "x"`) or the bare name (`password=x`, `DB_PASSWORD=x`, `client_secret: x`). A quoted text
// that merely ends in the name (a path such as `".../etc/passwd": the path leads outside`) is not a key.
const PASSWORD_FIELD = /("[\w-]*(?:password|passwd|secret|token)"\s*[:=]\s*|(?:password|passwd|secret|token)\s*[:=]\s*)("[^"]*"|[^\s,;}]+)/gi;

/** Removes credentials from free text: URL userinfo, Authorization values, password fields. */
export function redact(text: string): string {
  return text
    .replace(USERINFO, '$1***@')
    .replace(AUTH_HEADER, (_m, head: string, scheme: string | undefined) => `${head}${scheme ? `${scheme} ` : ''}***`)
    .replace(PASSWORD_FIELD, '$1***');
}
