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
}

export class AuroraError extends Error {
  readonly kind: AuroraErrorKind;
  readonly method: string | undefined;
  readonly retryable: boolean;

  constructor(kind: AuroraErrorKind, message: string, options: AuroraErrorOptions = {}) {
    super(redact(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.kind = kind;
    this.method = options.method;
    this.retryable = options.retryable ?? false;
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

const USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+(?::[^/\s@]*)?@/gi;
const AUTH_HEADER = /(authorization\s*[:=]\s*)(basic|bearer|negotiate)?\s*[^\s,;"']+/gi;
const PASSWORD_FIELD = /("?(?:password|passwd|secret|token)"?\s*[:=]\s*)("[^"]*"|[^\s,;}]+)/gi;

/** Removes credentials from free text: URL userinfo, Authorization values, password fields. */
export function redact(text: string): string {
  return text
    .replace(USERINFO, '$1***@')
    .replace(AUTH_HEADER, (_m, head: string, scheme: string | undefined) => `${head}${scheme ? `${scheme} ` : ''}***`)
    .replace(PASSWORD_FIELD, '$1***');
}
