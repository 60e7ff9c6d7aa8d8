/**
 * The only module that decides HTTP (node-http.ts sends it). One POST per Thrift call over keep-alive agents; redirects are
 * followed here (not by fetch) so the same bytes are re-posted and credentials stay on their origin;
 * one deadline covers connect, redirects and the whole body, so no call can stay pending.
 */
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import type https from 'node:https';
import {
  AuroraAbortError,
  AuroraError,
  AuroraHttpError,
  AuroraProtocolError,
  AuroraTimeoutError,
  AuroraTransportError,
  AuroraValidationError,
} from '../errors.js';
import { authError, httpError, networkError, scrub, type FailureContext } from './failures.js';
import { nodeHttpFetch } from './node-http.js';
import type { FetchLike, FetchResponse, GetOptions, GetReply, HttpTransportOptions, Transport, TransportCall, TransportEvent, WireProtocol } from './types.js';
import { hostPort, parseSchedulerUrl, withoutUserinfo } from './url.js';

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_REDIRECTS = 3;
// 10,000 tasks are about 16 MB of TJSON; this leaves room for big clusters while bounding memory.
const DEFAULT_MAX_REPLY_BYTES = 256 * 1024 * 1024;
const REDIRECTS = new Set([301, 302, 307, 308]);
/** Headers that identify the caller: sent only to the origin (scheme, host, port) the user named. */
const SENSITIVE_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

/** Monotonic milliseconds, as `performance.now()` gives them, without loading node:perf_hooks (ten modules). */
const now = (): number => Number(process.hrtime.bigint()) / 1e6;

/** The headers that make the scheduler (TContentAwareServlet) pick the codec both ways. */
export function contentTypes(protocol: WireProtocol): { contentType: string; accept: string } {
  return protocol === 'binary'
    ? { contentType: 'application/vnd.apache.thrift.binary', accept: 'application/vnd.apache.thrift.binary' }
    : { contentType: 'application/x-thrift', accept: 'application/vnd.apache.thrift.json' };
}

let packageVersion: string | undefined;
function version(): string {
  if (packageVersion === undefined) {
    try {
      // src/transport and dist/transport both sit two levels below package.json.
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
      packageVersion = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
    } catch {
      packageVersion = '0.0.0';
    }
  }
  return packageVersion;
}

export function createHttpTransport(options: HttpTransportOptions): Transport {
  return new HttpTransport(options);
}

class HttpTransport implements Transport {
  readonly url: string;
  private readonly base: URL;
  private readonly timeoutMs: number;
  private readonly maxRedirects: number;
  private readonly maxReplyBytes: number;
  private readonly fetchImpl: FetchLike;
  private readonly username: string | undefined;
  private readonly secrets: string[];
  private readonly headers: Record<string, string>;
  private readonly userAgent: string | undefined;
  private readonly onEvent: ((e: TransportEvent) => void) | undefined;
  private readonly redirectAuth: HttpTransportOptions['redirectAuth'];
  private readonly peer: string | undefined;
  // Made on first use: loading node:https (tls, crypto) costs an SDK import about 10 ms.
  private httpAgent: http.Agent | undefined;
  private httpsAgent: https.Agent | undefined;
  private readonly tlsAgentOptions: https.AgentOptions;
  private closed = false;

  constructor(options: HttpTransportOptions) {
    if (typeof options?.url !== 'string' || options.url.trim() === '') {
      throw new AuroraValidationError('url', 'a scheduler URL is required, e.g. http://scheduler:8081');
    }
    const { url, credentials } = parseSchedulerUrl(options.url.trim());
    this.base = url;
    this.url = url.href;

    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isFinite(this.timeoutMs) || this.timeoutMs <= 0) {
      throw new AuroraValidationError('timeoutMs', `must be a positive number of milliseconds, got ${String(options.timeoutMs)}`);
    }
    this.maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
    if (!Number.isInteger(this.maxRedirects) || this.maxRedirects < 0) {
      throw new AuroraValidationError('maxRedirects', `must be a whole number >= 0, got ${String(options.maxRedirects)}`);
    }

    this.maxReplyBytes = options.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES;
    if (!Number.isInteger(this.maxReplyBytes) || this.maxReplyBytes <= 0) {
      throw new AuroraValidationError('maxReplyBytes', `must be a whole number > 0, got ${String(options.maxReplyBytes)}`);
    }

    const auth = options.auth ?? credentials;
    this.secrets = [];
    this.headers = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (typeof value !== 'string') throw new AuroraValidationError(`headers.${name}`, 'must be a string');
      this.headers[name.toLowerCase()] = value;
      if (SENSITIVE_HEADERS.has(name.toLowerCase())) this.secrets.push(value);
    }
    if (auth) {
      if (typeof auth.username !== 'string' || auth.username === '' || auth.username.includes(':')) {
        throw new AuroraValidationError('auth.username', 'must be a non-empty string without ":"');
      }
      if (typeof auth.password !== 'string') throw new AuroraValidationError('auth.password', 'must be a string');
      const token = Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64');
      this.headers.authorization = `Basic ${token}`;
      this.username = auth.username;
      this.secrets.push(auth.password, token, encodeURIComponent(auth.password));
    }

    const tls = options.tls ?? {};
    if ((tls.cert === undefined) !== (tls.key === undefined)) {
      throw new AuroraValidationError(tls.cert === undefined ? 'tls.cert' : 'tls.key', 'tls.cert and tls.key must be given together');
    }
    this.tlsAgentOptions = {
      keepAlive: true,
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      rejectUnauthorized: tls.insecure !== true,
    };
    this.fetchImpl = options.fetch ?? nodeHttpFetch;
    this.redirectAuth = options.redirectAuth;
    this.userAgent = options.userAgent;
    this.onEvent = options.onEvent;
    this.peer = options.peer;
  }

  close(): void {
    this.closed = true;
    this.httpAgent?.destroy();
    this.httpsAgent?.destroy();
  }

  async send(call: TransportCall): Promise<Buffer> {
    const { contentType, accept } = contentTypes(call.protocol);
    const body = Buffer.from(call.body.buffer, call.body.byteOffset, call.body.byteLength);
    return this.guarded(call.method, call.signal, async (signal, progress) => {
      const reply = await this.exchange({ label: call.method, verb: 'POST', url: this.base, body, contentType, accept, protocol: call.protocol }, signal, progress);
      const ctx = this.context(call.method, reply.url);
      if (reply.status === 200) {
        if (reply.body.byteLength === 0) {
          throw new AuroraProtocolError(`${call.method}: ${reply.url.href} answered HTTP 200 with an empty body`, { method: call.method });
        }
        return reply.body;
      }
      throw httpError(reply.status, reply.statusText, reply.body, ctx);
    });
  }

  async get(path: string, options: GetOptions = {}): Promise<GetReply> {
    let url: URL;
    try {
      url = new URL(path, this.base.origin);
    } catch {
      throw new AuroraValidationError('path', `${JSON.stringify(path)} is not a path on ${this.base.origin}`);
    }
    if (url.origin !== this.base.origin) throw new AuroraValidationError('path', `${JSON.stringify(path)} names another server than ${this.base.origin}`);
    const label = options.label ?? `GET ${url.pathname}`;
    const accept = options.accept ?? 'application/json, text/plain;q=0.9, */*;q=0.1';
    return this.guarded(label, options.signal, async (signal, progress) => {
      const reply = await this.exchange({ label, verb: 'GET', url, accept }, signal, progress);
      return { status: reply.status, url: reply.url.href, headers: reply.headers, body: reply.body };
    });
  }

  /** Runs one exchange under the transport's deadline and the caller's signal, turning any failure into an AuroraError. */
  private async guarded<T>(method: string, callerSignal: AbortSignal | undefined, run: (signal: AbortSignal, progress: Progress) => Promise<T>): Promise<T> {
    if (this.closed) {
      throw new AuroraTransportError(`${method}: the transport to ${this.url} is closed`, { method, code: 'ERR_TRANSPORT_CLOSED' });
    }
    if (callerSignal?.aborted) throw new AuroraAbortError(`${method}: aborted before it was sent`, { method });

    const started = now();
    const controller = new AbortController();
    let stop: 'timeout' | 'caller' | undefined;
    const progress: Progress = { url: this.base, phase: 'request' };
    // Rejects the moment the deadline passes or the caller aborts, whatever fetch is doing.
    const stopped = new Promise<never>((_resolve, reject) => {
      controller.signal.addEventListener('abort', () => reject(this.stopError(stop, method, progress)), { once: true });
    });
    stopped.catch(() => undefined);
    const timer = setTimeout(() => {
      stop ??= 'timeout';
      controller.abort();
    }, this.timeoutMs);
    const onCallerAbort = (): void => {
      stop ??= 'caller';
      controller.abort();
    };
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });

    let answered = false;
    try {
      const reply = await Promise.race([run(controller.signal, progress), stopped]);
      answered = true;
      return reply;
    } catch (error) {
      const failure = stop
        ? this.stopError(stop, method, progress)
        : error instanceof AuroraError
          ? error
          : networkError(error, this.context(method, progress.url), progress.phase);
      this.emit({
        type: 'error',
        method,
        url: progress.url.href,
        kind: failure.kind,
        code: (failure as { code?: string }).code,
        message: failure.message,
        ms: Math.round(now() - started),
      });
      throw failure;
    } finally {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
      // A failed exchange may leave fetch's listeners and a half-read body: aborting releases them. An
      // answered one has read its body to the end; aborting it anyway would cost every call a
      // DOMException and a rejected (stack-captured) stop error.
      if (!answered && !controller.signal.aborted) controller.abort();
    }
  }

  /** One request and its redirects; answers the first reply that is neither a redirect nor 401/403 (those throw). */
  private async exchange(x: Exchange, signal: AbortSignal, progress: Progress): Promise<Reply> {
    const method = x.label;
    let target = x.url;
    for (let hop = 0; ; hop += 1) {
      progress.url = target;
      progress.phase = 'request';
      const { headers, username } = this.headersFor(target, x.contentType, x.accept);
      if (x.protocol !== undefined) this.emit({ type: 'request', method, url: target.href, protocol: x.protocol, bytes: x.body?.byteLength ?? 0, hop });
      const sentAt = now();
      const response = await this.fetchImpl(target.href, {
        method: x.verb,
        ...(x.body !== undefined ? { body: x.body } : {}),
        headers,
        redirect: 'manual',
        signal,
        agent: (url: URL) => this.agentFor(url),
      });

      progress.phase = 'body';
      const payload = await readCapped(response, this.maxReplyBytes, this.context(method, target));
      const ms = Math.round(now() - sentAt);
      this.emit({ type: 'response', method, url: target.href, status: response.status, bytes: payload.byteLength, ms });
      const ctx = this.context(method, target);
      checkLength(response, payload, ctx);

      if (REDIRECTS.has(response.status)) {
        const next = this.redirectTarget(response, ctx);
        this.emit({ type: 'redirect', method, url: target.href, status: response.status, location: next.href, hop });
        if (hop >= this.maxRedirects) {
          throw new AuroraTransportError(
            `${method}: too many redirects (more than ${this.maxRedirects}) starting at ${x.url.href}; last Location was ${next.href}`,
            { method, code: 'ERR_TOO_MANY_REDIRECTS' },
          );
        }
        target = next;
        continue;
      }
      if (response.status === 401 || response.status === 403) {
        // Say so when this hop is a redirect the caller's credentials were kept from.
        const withheld = username === undefined && target.origin !== this.base.origin && carriesCredentials(this.headers) ? this.base : undefined;
        throw authError(response.status, response.headers.get('www-authenticate'), username, ctx, withheld);
      }
      return { status: response.status, statusText: response.statusText, url: target, headers: response.headers, body: payload };
    }
  }

  private agentFor(url: URL): http.Agent {
    if (url.protocol === 'https:') {
      this.httpsAgent ??= new (process.getBuiltinModule('node:https').Agent)(this.tlsAgentOptions);
      return this.httpsAgent;
    }
    this.httpAgent ??= new (process.getBuiltinModule('node:http').Agent)({ keepAlive: true });
    return this.httpAgent;
  }

  /**
   * Credentials go only to the origin the user named (scheme, host and port, as curl since
   * CVE-2022-27776 and the fetch standard): another port on the same host is another server. A
   * redirect elsewhere carries only what `redirectAuth` grants for that host (~/.netrc's entry), and
   * never goes from https down to http.
   */
  private headersFor(target: URL, contentType: string | undefined, accept: string): { headers: Record<string, string>; username: string | undefined } {
    const sameOrigin = target.origin === this.base.origin;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.headers)) {
      if (sameOrigin || !SENSITIVE_HEADERS.has(name)) headers[name] = value;
    }
    let username = sameOrigin && headers.authorization !== undefined ? (this.username ?? '(from headers)') : undefined;
    const downgrade = this.base.protocol === 'https:' && target.protocol === 'http:';
    const granted = !sameOrigin && !downgrade ? this.redirectAuth?.(target) : undefined;
    if (granted) {
      const token = Buffer.from(`${granted.username}:${granted.password}`, 'utf8').toString('base64');
      headers.authorization = `Basic ${token}`;
      username = granted.username;
      for (const secret of [granted.password, token, encodeURIComponent(granted.password)]) {
        if (!this.secrets.includes(secret)) this.secrets.push(secret);
      }
    }
    if (contentType !== undefined) headers['content-type'] = contentType;
    headers.accept = accept;
    headers['user-agent'] = this.userAgent ?? `aurora-ts/${version()} node/${process.version}`;
    return { headers, username };
  }

  private redirectTarget(response: FetchResponse, ctx: FailureContext): URL {
    const location = response.headers.get('location');
    if (!location) {
      throw new AuroraHttpError(response.status, `${ctx.method}: HTTP ${response.status} from ${ctx.url.href} without a Location header`, {
        method: ctx.method,
      });
    }
    let next: URL;
    try {
      next = new URL(location, ctx.url);
    } catch {
      throw new AuroraHttpError(response.status, scrub(`${ctx.method}: HTTP ${response.status} from ${ctx.url.href} with an invalid Location "${location}"`, this.secrets), {
        method: ctx.method,
      });
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      throw new AuroraHttpError(response.status, `${ctx.method}: redirect from ${ctx.url.href} to unsupported scheme ${next.protocol}`, {
        method: ctx.method,
      });
    }
    return withoutUserinfo(next);
  }

  private stopError(stop: 'timeout' | 'caller' | undefined, method: string, progress: Progress): AuroraError {
    if (stop === 'timeout') {
      const waiting = progress.phase === 'body' ? 'while reading the response' : 'waiting for a response';
      return new AuroraTimeoutError(`${method}: timed out after ${this.timeoutMs} ms ${waiting} from ${hostPort(progress.url)}`, {
        method,
        timeoutMs: this.timeoutMs,
      });
    }
    return new AuroraAbortError(`${method}: aborted`, { method });
  }

  private context(method: string, url: URL): FailureContext {
    return { method, url, secrets: this.secrets, peer: this.peer };
  }

  private emit(event: TransportEvent): void {
    if (!this.onEvent) return;
    try {
      this.onEvent(event);
    } catch {
      // A debug listener must not change the outcome of a call.
    }
  }
}

/** Whether the transport's own headers identify the caller (Basic auth, a cookie...). */
function carriesCredentials(headers: Record<string, string>): boolean {
  return Object.keys(headers).some((name) => SENSITIVE_HEADERS.has(name));
}

interface Progress {
  url: URL;
  phase: 'request' | 'body';
}

/** One HTTP exchange: a Thrift POST (`protocol` set) or a GET of another endpoint. */
interface Exchange {
  /** The RPC, or what the GET is for: names the call in errors and events. */
  label: string;
  verb: 'POST' | 'GET';
  url: URL;
  body?: Buffer;
  contentType?: string;
  accept: string;
  protocol?: WireProtocol;
}

interface Reply {
  status: number;
  statusText: string;
  url: URL;
  headers: FetchResponse['headers'];
  body: Buffer;
}

/** The reply body, refused as soon as it (or its Content-Length) passes `limit` rather than buffered whole. */
async function readCapped(response: FetchResponse, limit: number, ctx: FailureContext): Promise<Buffer> {
  const tooLarge = (size: string): AuroraTransportError =>
    new AuroraTransportError(`${ctx.method}: the reply from ${hostPort(ctx.url)} is larger than the ${limit}-byte limit (${size}); raise maxReplyBytes if it is expected`, {
      method: ctx.method,
      code: 'ERR_REPLY_TOO_LARGE',
    });
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > limit) throw tooLarge(`Content-Length ${declared}`);
  if (response.body === null) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    size += bytes.byteLength;
    if (size > limit) throw tooLarge(`more than ${limit} bytes arrived`);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, size);
}

/** Node's parser catches most short bodies; this catches the rest (e.g. a fake fetch, or a proxy). */
function checkLength(response: FetchResponse, payload: Buffer, ctx: FailureContext): void {
  const declared = response.headers.get('content-length');
  if (declared === null || response.headers.get('content-encoding') !== null) return;
  const expected = Number(declared);
  if (Number.isInteger(expected) && expected !== payload.byteLength) {
    throw new AuroraTransportError(
      `${ctx.method}: the response from ${hostPort(ctx.url)} was cut short: Content-Length ${expected} but ${payload.byteLength} bytes arrived`,
      { method: ctx.method, code: 'ERR_CONTENT_LENGTH_MISMATCH', retryable: true },
    );
  }
}
