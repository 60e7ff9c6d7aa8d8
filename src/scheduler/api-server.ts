import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuroraError } from '../errors.js';
import type { AuroraMethod } from '../gen/api.js';
import { ResponseCode, type Response } from '../gen/types.js';
import { clientOf } from './client-address.js';
import {
  decodeCall,
  encodeException,
  encodeReply,
  requestProtocol,
  responseProtocol,
  TApplicationExceptionType,
  ThriftMessageError,
  type WireProtocol,
} from '../protocol/index.js';

/** One RPC's implementation: receives the arguments by IDL name, answers a Response. */
export type RpcImplementation = (args: Record<string, unknown>, context: RequestContext) => Response | Promise<Response>;
export type RpcHandlers = Partial<Record<AuroraMethod, RpcImplementation>>;

export interface RequestContext {
  readonly method: AuroraMethod;
  readonly request: IncomingMessage;
}

export interface DecodedCall {
  readonly method: AuroraMethod;
  readonly args: Record<string, unknown>;
  readonly request: IncomingMessage;
}

/** An answer outside Thrift, e.g. 401 with a WWW-Authenticate challenge. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly text: string;
}

export type CallFilter = (call: DecodedCall, proceed: () => Promise<Response>) => Promise<Response | HttpAnswer>;

function isHttpAnswer(value: Response | HttpAnswer): value is HttpAnswer {
  return typeof (value as HttpAnswer).status === 'number' && typeof (value as HttpAnswer).text === 'string';
}

export interface ApiServerOptions {
  handlers: RpcHandlers;
  /** Answer for RPCs without a handler (default: INVALID_REQUEST "<rpc> is not implemented ..."). */
  unimplemented?: (method: AuroraMethod) => Response;
  /** Largest accepted request body in bytes (default 16 MiB); larger bodies get HTTP 413. */
  maxBodyBytes?: number;
  /** Deepest accepted struct nesting (default 64). */
  maxDepth?: number;
  /** Most values a call may hold (DecodeLimits.maxValues; default DEFAULT_MAX_CALL_VALUES, 200,000). */
  maxValues?: number;
  /** A request body must arrive within this many ms (default 30 s); slower requests get HTTP 408. */
  bodyTimeoutMs?: number;
  /**
   * Most bytes of request bodies held at once, over all connections (default 64 MiB, and never less
   * than maxBodyBytes); a body that would pass it gets HTTP 503 with Retry-After, so many slow large
   * bodies cannot fill memory. One client (address, or IPv6 /64) may hold at most maxBodyBytes of it,
   * so a few slow connections cannot take it all. Small calls never come near it.
   */
  maxBufferedBytes?: number;
  /**
   * Most open connections (default 2048); further ones are closed at once, so a flood of idle or
   * slow-header connections cannot take every file descriptor the scheduler needs for tasks and state.
   */
  maxConnections?: number;
  /**
   * Runs before the body is read; return true when it answered the request itself
   * (leader redirects and authentication challenges hook in here).
   */
  intercept?: (request: IncomingMessage, response: ServerResponse) => boolean | Promise<boolean>;
  /**
   * Wraps every decoded call (authentication and authorization hook in here): run the handler with
   * `proceed`, or answer instead with a Response (AUTH_FAILED) or a bare HTTP answer (401 + challenge).
   */
  filter?: CallFilter;
  /** Other paths (e.g. sandbox files); return false to fall through to 404. */
  routes?: (request: IncomingMessage, response: ServerResponse) => boolean | Promise<boolean>;
}

/** Reply buffers: the size of a new one, how many are kept, and the largest kept (larger ones are dropped). */
const REPLY_BUFFER_BYTES = 64 * 1024;
const MAX_SPARE_BUFFERS = 16;
const MAX_SPARE_BUFFER_BYTES = 4 * 1024 * 1024;

function contentTypeOf(protocol: WireProtocol): string {
  return protocol === 'binary' ? 'application/vnd.apache.thrift.binary' : 'application/vnd.apache.thrift.json';
}

/** Serves Aurora's Thrift API at POST /api the way the real scheduler's servlet does. */
export function createApiServer(options: ApiServerOptions): Server {
  const maxBody = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const bodyTimeout = options.bodyTimeoutMs ?? 30_000;
  const maxBuffered = Math.max(options.maxBufferedBytes ?? 64 * 1024 * 1024, maxBody);
  let buffered = 0;
  const bufferedBy = new Map<string, number>();
  // Node checks request/header deadlines only every connectionsCheckingInterval (30 s by default), which
  // would let a slow client hold a socket far past bodyTimeoutMs: check often enough to honour it.
  const checkEvery = Math.min(1_000, Math.max(50, Math.floor(bodyTimeout / 4)));
  const server = createServer({ connectionsCheckingInterval: checkEvery }, (request, response) => {
    handle(request, response).catch((error: unknown) => {
      // Only reached for failures outside an RPC (a broken socket): never leave the request hanging.
      if (!response.headersSent) plain(response, 500, `internal error: ${error instanceof Error ? error.message : String(error)}`);
      else response.destroy();
    });
  });
  server.requestTimeout = bodyTimeout;
  server.headersTimeout = Math.min(bodyTimeout, 60_000);
  server.keepAliveTimeout = 5_000;
  server.maxConnections = options.maxConnections ?? 2048;

  // Replies are encoded straight into one of a few kept buffers, each back here once its reply is
  // written: a fresh buffer per reply (a role's jobs or tasks are tens of KB) costs an allocation of
  // cold memory, a copy and garbage collection, more than the bare server's whole answer.
  const spareBuffers: Buffer[] = [];
  const takeBuffer = (): Buffer => spareBuffers.pop() ?? Buffer.allocUnsafeSlow(REPLY_BUFFER_BYTES);
  const giveBack = (buffer: Buffer): void => {
    if (spareBuffers.length < MAX_SPARE_BUFFERS && buffer.length <= MAX_SPARE_BUFFER_BYTES) spareBuffers.push(buffer);
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/api') {
      if (options.routes && (await options.routes(request, response))) return;
      plain(response, 404, 'not found');
      return;
    }
    if (options.intercept && (await options.intercept(request, response))) return;
    if (request.method !== 'POST') {
      response.setHeader('Allow', 'POST');
      plain(response, 405, 'POST a Thrift message to /api');
      return;
    }
    const inProtocol = requestProtocol(request.headers['content-type']);
    if (!inProtocol) {
      request.resume();
      plain(response, 415, `unsupported Content-Type ${request.headers['content-type']}`);
      return;
    }
    const outProtocol = responseProtocol(request.headers.accept);
    const read = await readBody(request, maxBody);
    if (read === 'too-large') {
      plain(response, 413, `request body exceeds ${maxBody} bytes`);
      return;
    }
    if (read === 'busy') {
      response.setHeader('Retry-After', '1');
      response.setHeader('Connection', 'close');
      plain(response, 503, `too many request body bytes are arriving at once (over ${maxBuffered} in all or ${maxBody} from one client); retry shortly`);
      return;
    }
    if (read === 'aborted') return;

    let call: ReturnType<typeof decodeCall>;
    try {
      // The body's bytes count against maxBuffered until decoded (after that only the call remains).
      try {
        call = decodeCall(inProtocol, read.body, { maxDepth: options.maxDepth ?? 64, maxValues: options.maxValues });
      } finally {
        read.release();
      }
    } catch (error) {
      // Bytes that are not a call we know: a TApplicationException, as Thrift servers answer.
      const e = error instanceof ThriftMessageError ? error : undefined;
      const message = error instanceof Error ? error.message : String(error);
      send(response, outProtocol, encodeException(outProtocol, e?.method ?? '', e?.seqid ?? 0, message, e?.exceptionType ?? TApplicationExceptionType.PROTOCOL_ERROR));
      return;
    }
    const method = call.method as AuroraMethod;
    const implementation = options.handlers[method];
    const failed = (error: unknown): Response => {
      // An RPC never answers HTTP 500: failures are Responses, as in Aurora.
      const message = error instanceof AuroraError ? error.message : `Internal error in ${method}: ${error instanceof Error ? error.message : String(error)}`;
      return errorResponse(error instanceof AuroraError && error.kind === 'validation' ? ResponseCode.INVALID_REQUEST : ResponseCode.ERROR, message);
    };
    const invoke = async (): Promise<Response> => {
      try {
        return implementation
          ? await implementation(call.args, { method, request })
          : (options.unimplemented?.(method) ?? errorResponse(ResponseCode.INVALID_REQUEST, `${method} is not implemented by this scheduler.`));
      } catch (error) {
        return failed(error);
      }
    };
    const outcome = options.filter ? await options.filter({ method, args: call.args, request }, invoke).catch(failed) : await invoke();
    if (isHttpAnswer(outcome)) {
      response.writeHead(outcome.status, { ...outcome.headers, 'Content-Type': 'text/plain; charset=utf-8' });
      response.end(`${outcome.text}\n`);
      return;
    }
    const into = takeBuffer();
    let bytes: Buffer;
    try {
      bytes = encodeReply(outProtocol, method, call.seqid, outcome, into);
    } catch (error) {
      bytes = encodeReply(outProtocol, method, call.seqid, errorResponse(ResponseCode.ERROR, `Internal error encoding the ${method} reply: ${(error as Error).message}`), into);
    }
    // The buffer (or the larger one the reply needed) is reused once the reply has been written; a
    // reply that never finishes (the connection closed) leaves its buffer to the garbage collector.
    const owned = Buffer.from(bytes.buffer);
    if (owned.buffer !== into.buffer) giveBack(into);
    send(response, outProtocol, bytes, () => giveBack(owned));
  }

  /**
   * The whole body, counted against `maxBuffered` as it arrives ('busy' once it would pass it, its
   * bytes dropped at once); the caller calls `release` when done with it.
   */
  function readBody(request: IncomingMessage, limit: number): Promise<{ body: Buffer; release: () => void } | 'too-large' | 'busy' | 'aborted'> {
    return new Promise((resolve) => {
      const declared = Number(request.headers['content-length'] ?? NaN);
      if (declared > limit) {
        request.resume();
        resolve('too-large');
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let held = 0;
      const client = clientOf(request.socket.remoteAddress);
      const heldBy = (): number => bufferedBy.get(client) ?? 0;
      const hold = (bytes: number): void => {
        buffered += bytes;
        held += bytes;
        const next = heldBy() + bytes;
        if (next === 0) bufferedBy.delete(client);
        else bufferedBy.set(client, next);
      };
      const release = (): void => hold(-held);
      const over = (bytes: number): boolean => buffered + bytes > maxBuffered || heldBy() + bytes > maxBody;
      const refuse = (outcome: 'too-large' | 'busy' | 'aborted'): void => {
        release();
        chunks.length = 0;
        request.removeAllListeners('data');
        request.resume(); // drained, not kept: the socket ends at requestTimeout at the latest
        resolve(outcome);
      };
      if (declared > 0 && over(declared)) {
        refuse('busy');
        return;
      }
      request.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) return refuse('too-large');
        if (over(chunk.length)) return refuse('busy');
        hold(chunk.length);
        chunks.push(chunk);
      });
      request.on('end', () => resolve({ body: Buffer.concat(chunks), release }));
      request.on('aborted', () => refuse('aborted'));
      request.on('error', () => refuse('aborted'));
    });
  }

  function send(response: ServerResponse, protocol: WireProtocol, bytes: Buffer, written?: () => void): void {
    response.writeHead(200, { 'Content-Type': contentTypeOf(protocol), 'Content-Length': bytes.length });
    response.end(bytes, written);
  }

  return server;
}

export function errorResponse(code: ResponseCode, message: string): Response {
  return { responseCode: code, details: [{ message }] };
}

function plain(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  response.end(`${text}\n`);
}

/** Starts a server on host:port (port 0 = any free port) and returns its base URL. */
export async function listen(server: Server, host = '127.0.0.1', port = 0): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${shownHost}:${address.port}`;
}
