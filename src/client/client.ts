import { AuroraAbortError, AuroraError, AuroraProtocolError, AuroraValidationError, isAmbiguous, markAmbiguous } from '../errors.js';
import type { AuroraApi, AuroraMethod } from '../gen/api.js';
import { SCHEMA } from '../gen/schema.js';
import { ResponseCode, type Response } from '../gen/types.js';
import { decodeReply, encodeCall, prepareReply, TApplicationExceptionType, ThriftMessageError, type WireProtocol } from '../protocol/index.js';
import type { Transport } from '../transport/index.js';
import { isReadOnlyMethod } from '../transport/retry.js';
import { resolveTransport, type ConnectEvent, type ConnectOptions } from './connect.js';
import { AuroraResponseError, responseInfo, type ResponseInfo } from './errors.js';

/**
 * Where the scheduler is (one of `url`, `cluster`, or `zk` + `zkPath`) and how to talk to it. Calls
 * are retried by policy (reads on transient failures; writes only when surely not applied), and the
 * leader is looked up again after a connection failure. See ConnectOptions for every field.
 */
export interface AuroraClientOptions extends Omit<ConnectOptions, 'onEvent'> {
  /** Wire protocol; binary is the default because it is the smaller and faster of the two. */
  protocol?: WireProtocol;
  /** A ready transport instead of one built from the options (the seam tests use). */
  transport?: Transport;
  /** Debug events: requests, redirects, responses, retries, leader changes. Never carries credentials. */
  onEvent?: (event: ConnectEvent) => void;
}

/** Per-call options, passed as an extra last argument to any RPC method. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** Every RPC resolves to its payload, plus the reply's code and details under a non-enumerable `$response`. */
export type RpcOutput<T> = (T extends void ? {} : T) & { readonly $response: ResponseInfo };

/**
 * One method per RPC of the IDL, taking its arguments in order plus optional CallOptions. Mapped over
 * `keyof AuroraApi` itself (a homomorphic mapped type), so each method keeps its doc comment.
 */
export type RpcMethods = {
  [M in keyof AuroraApi]: (...args: [...AuroraApi[M]['args'], options?: CallOptions]) => Promise<RpcOutput<AuroraApi[M]['result']>>;
};

/** Anything that converts itself to the Thrift-shaped value an argument needs (the `Job` and `JobUpdate` builders). */
export interface ThriftValue<T> {
  toThrift(): T;
}

// Declaration merging: the class below gets one method per RPC, installed from the schema.
export interface AuroraClient extends RpcMethods {}

/**
 * A client for every RPC of Aurora's ReadOnlyScheduler, AuroraSchedulerManager and AuroraAdmin services.
 * Methods take the IDL's arguments in the IDL's order, as plain objects shaped like the IDL's structs,
 * and return the payload of the reply's `result`; any ResponseCode other than OK or WARNING throws an
 * AuroraResponseError. Safe to use from many concurrent callers.
 */
export class AuroraClient {
  readonly protocol: WireProtocol;
  readonly transport: Transport;
  private seqid = 0;

  constructor(options: AuroraClientOptions) {
    this.protocol = options.protocol ?? 'binary';
    if (this.protocol !== 'binary' && this.protocol !== 'json') {
      throw new AuroraValidationError('protocol', `expected "json" or "binary", got ${JSON.stringify(options.protocol)}`);
    }
    if (options.transport) {
      this.transport = options.transport;
    } else if (options.url || options.cluster || options.zk) {
      const { protocol: _protocol, transport: _transport, ...connect } = options;
      this.transport = resolveTransport(connect);
    } else {
      throw new AuroraValidationError('url', 'say where the scheduler is: url (e.g. http://127.0.0.1:8081), cluster, or zk and zkPath');
    }
  }

  /** The scheduler URL calls go to (without credentials). */
  get url(): string {
    return this.transport.url;
  }

  /**
   * Calls an RPC by name and returns the whole Response, without turning error codes into exceptions.
   * The typed methods are built on this; use it when the raw reply is what you need.
   */
  async callRaw(method: AuroraMethod, args: readonly unknown[], options: CallOptions = {}): Promise<Response> {
    const def = SCHEMA.methods[method];
    if (!def) throw new AuroraValidationError('method', `unknown RPC ${JSON.stringify(method)}`);
    if (args.length > def.args.length) {
      throw new AuroraValidationError(method, `takes ${def.args.length} argument(s) (${def.args.map((a) => a.name).join(', ') || 'none'}), got ${args.length}`);
    }
    const named: Record<string, unknown> = {};
    def.args.forEach((arg, i) => {
      named[arg.name] = toThrift(args[i]);
    });
    this.seqid = (this.seqid + 1) | 0;
    const body = encodeCall(this.protocol, method, this.seqid, named);
    // A signal aborted before the call means nothing is sent (the transport checks it first).
    const abortedBefore = options.signal?.aborted === true;
    try {
      const replied = this.transport.send({ method, body, protocol: this.protocol, signal: options.signal });
      prepareWhileWaiting(this.protocol, method);
      return decodeReply(this.protocol, method, await replied);
    } catch (error) {
      throw isReadOnlyMethod(method) ? error : writeFailure(error, abortedBefore);
    }
  }

  /** Calls an RPC and unwraps its reply: the payload on OK/WARNING, an AuroraResponseError otherwise. */
  async call<M extends AuroraMethod>(method: M, args: readonly unknown[], options?: CallOptions): Promise<RpcOutput<AuroraApi[M]['result']>> {
    const response = await this.callRaw(method, args, options);
    return unwrap(method, response) as RpcOutput<AuroraApi[M]['result']>;
  }

  close(): void {
    this.transport.close();
  }
}

const prepared = new Set<string>();

/**
 * The first reply of each method in a process builds its decoder (a few milliseconds: a CLI command's
 * whole call is one such reply). Build it while the scheduler works on the call instead: in the
 * event loop's check phase, after the poll phase has written the request. Once per method and protocol.
 */
function prepareWhileWaiting(protocol: WireProtocol, method: string): void {
  const key = `${protocol} ${method}`;
  if (prepared.has(key)) return;
  prepared.add(key);
  setImmediate(() => {
    try {
      prepareReply(protocol, method);
    } catch {
      // The reply's decoding reports the same fault, where the caller sees it.
    }
  });
}

/** Server exceptions that say the call was never dispatched: nothing ran. */
const NOT_RUN = new Set([TApplicationExceptionType.UNKNOWN_METHOD, TApplicationExceptionType.PROTOCOL_ERROR, TApplicationExceptionType.INVALID_PROTOCOL]);

/**
 * A write's failure, marked ambiguous when the write may have been applied: no answer after the
 * request may have gone out (isAmbiguous, or the caller aborting it in flight), or an answer that is
 * not a readable reply (the scheduler got the call; an INTERNAL_ERROR exception may come after the
 * handler changed state), unless the server's exception says it never dispatched the call.
 */
function writeFailure(error: unknown, abortedBefore: boolean): unknown {
  if (!(error instanceof AuroraError)) return error;
  const notRun = error instanceof ThriftMessageError && NOT_RUN.has(error.exceptionType);
  const unreadable = error instanceof AuroraProtocolError && !notRun;
  const abortedInFlight = error instanceof AuroraAbortError && !abortedBefore;
  return isAmbiguous(error) || unreadable || abortedInFlight ? markAmbiguous(error) : error;
}

/**
 * The one place a Response becomes a value or an error. An OK reply without the payload its method
 * always carries is an AuroraProtocolError: the output types promise it.
 */
export function unwrap(method: AuroraMethod, response: Response): RpcOutput<unknown> {
  const code = response.responseCode;
  if (code !== ResponseCode.OK && code !== ResponseCode.WARNING) {
    throw new AuroraResponseError(method, response);
  }
  const def = SCHEMA.methods[method];
  const field = def?.result;
  let payload: object = {};
  if (field !== undefined) {
    const value = (response.result as Record<string, object | undefined> | undefined)?.[field];
    if (value !== undefined) payload = value;
    else if (def?.resultOptional !== true) throw new AuroraProtocolError(`${method}: the reply (${ResponseCode[code]}) carries no result.${field}`, { method });
  }
  Object.defineProperty(payload, '$response', { value: responseInfo(response), enumerable: false });
  return payload as RpcOutput<unknown>;
}

function toThrift(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && typeof (value as Partial<ThriftValue<unknown>>).toThrift === 'function') {
    return (value as ThriftValue<unknown>).toThrift();
  }
  return value;
}

function isCallOptions(value: unknown): value is CallOptions {
  return value !== null && typeof value === 'object' && Object.keys(value).every((k) => k === 'signal');
}

for (const [name, def] of Object.entries(SCHEMA.methods)) {
  Object.defineProperty(AuroraClient.prototype, name, {
    configurable: true,
    writable: true,
    value(this: AuroraClient, ...args: unknown[]) {
      // A trailing `{ signal }` beyond the IDL's arguments is the per-call options object.
      const options = args.length > def.args.length && isCallOptions(args[args.length - 1]) ? (args.pop() as CallOptions) : undefined;
      return this.call(name as AuroraMethod, args, options);
    },
  });
}
