/**
 * A codec bound to one schema: structs and Thrift messages (CALL / REPLY / EXCEPTION) in
 * TBinaryProtocol and TJSONProtocol, straight between idiomatic values and bytes. Each struct's
 * function, per protocol and direction, is compiled on first use (compile*.ts) and reused afterwards.
 */
import { AuroraProtocolError, type AuroraErrorOptions } from '../errors.js';
import type { ApiSchema, FieldDef, MethodDef, StructDef } from './schema.js';
import { JSON_SCAN_TOO_DEEP, JSON_SCAN_TOO_MANY, jsonPreScan } from '../util/json-scan.js';
import { BinaryReader, BinaryWriter, type ByteWriter, JsonWriter, protocolFault, toAuroraError } from './runtime.js';
import type { CompileInput, LazyCompiler } from './compile.js';
import { compileBinaryDecoders, compileBinaryEncoders, type BinaryDecoder, type BinaryEncoder } from './compile-binary.js';
import { compileJsonDecoders, compileJsonEncoders, type JsonDecoder, type JsonEncoder } from './compile-json.js';

export type WireProtocol = 'json' | 'binary';

export enum MessageType {
  CALL = 1,
  REPLY = 2,
  EXCEPTION = 3,
  ONEWAY = 4,
}

/** TApplicationException.type values (Apache Thrift). */
export enum TApplicationExceptionType {
  UNKNOWN = 0,
  UNKNOWN_METHOD = 1,
  INVALID_MESSAGE_TYPE = 2,
  WRONG_METHOD_NAME = 3,
  BAD_SEQUENCE_ID = 4,
  MISSING_RESULT = 5,
  INTERNAL_ERROR = 6,
  PROTOCOL_ERROR = 7,
  INVALID_TRANSFORM = 8,
  INVALID_PROTOCOL = 9,
  UNSUPPORTED_CLIENT_TYPE = 10,
}

export interface DecodeLimits {
  /** Deepest nesting of structs, lists, sets and maps accepted (default 64). */
  maxDepth?: number;
  /**
   * Most values a message may build, counted before they are built: in binary, each struct and each
   * other element of a list, set or map; in TJSON, JSON values (each opening bracket and comma; a
   * Thrift value costs one to four). Default DEFAULT_MAX_CALL_VALUES for calls, which a server reads from
   * anyone; no limit for replies and single structs unless given.
   */
  maxValues?: number;
}

export const DEFAULT_MAX_DEPTH = 64;

/**
 * The default maxValues of decodeCall. Aurora's calls hold a few hundred values (a createJob with its
 * TaskConfig), a few thousand with long instance or task id lists. At 200,000 the worst call measured
 * (199,990 empty JobKeys in a getTasksWithoutConfigs, binary) took the local scheduler 181 ms and
 * +57 MB, served; 16 MiB of them had taken 17 s and 2.9 GB (TJSON `{},`: 1.8 s and 540 MB).
 */
export const DEFAULT_MAX_CALL_VALUES = 200_000;

/**
 * A message whose envelope was readable but which cannot be served or used: an unknown method, a
 * malformed argument struct, a TApplicationException from the peer. Carries what a server needs to
 * answer with `encodeException(protocol, method, seqid, message, exceptionType)`.
 */
export class ThriftMessageError extends AuroraProtocolError {
  readonly seqid: number;
  readonly exceptionType: TApplicationExceptionType;
  constructor(message: string, method: string, seqid: number, exceptionType: TApplicationExceptionType, options: AuroraErrorOptions = {}) {
    super(message, { ...options, method });
    this.seqid = seqid;
    this.exceptionType = exceptionType;
  }
}

export interface DecodedCall {
  method: string;
  seqid: number;
  /** By IDL argument name; absent arguments are undefined. */
  args: Record<string, unknown>;
  /** ONEWAY calls expect no reply (Aurora declares none; accepted for completeness). */
  oneway: boolean;
}

export interface Codec {
  encodeStruct(protocol: WireProtocol, struct: string, value: unknown): Buffer;
  decodeStruct<T = unknown>(protocol: WireProtocol, struct: string, bytes: Uint8Array, limits?: DecodeLimits): T;
  encodeCall(protocol: WireProtocol, method: string, seqid: number, args: Record<string, unknown>): Buffer;
  decodeCall(protocol: WireProtocol, bytes: Uint8Array, limits?: DecodeLimits): DecodedCall;
  /**
   * `into`: a buffer (of an ArrayBuffer of its own, e.g. from Buffer.allocUnsafeSlow) to encode into,
   * so that a server can reuse a few warm buffers instead of allocating one per reply. The result is
   * then a view, from offset 0, of `into` or (when the message did not fit) of a larger buffer made
   * for it: the caller owns the whole ArrayBuffer behind it (`Buffer.from(result.buffer)`) and may
   * pass it as `into` again once the result has been sent, not before.
   */
  encodeReply(protocol: WireProtocol, method: string, seqid: number, response: unknown, into?: Buffer): Buffer;
  encodeException(protocol: WireProtocol, method: string, seqid: number, message: string, type: TApplicationExceptionType | number): Buffer;
  decodeReply<T = unknown>(protocol: WireProtocol, method: string, bytes: Uint8Array, limits?: DecodeLimits): T;
  /**
   * Builds the functions that decode `method`'s reply now instead of at the first reply: a caller
   * that just sent the call can do it while the server works on it. Returns whether there was
   * anything to build (false once built).
   */
  prepareReply(protocol: WireProtocol, method: string): boolean;
}

/** Internal struct keys: contain characters no IDL identifier can, so they never collide. */
const RESULT = '(result)';
const APP_EXCEPTION = '(TApplicationException)';
const argsKey = (method: string): string => `(args)${method}`;

const VERSION_1 = 0x80010000 | 0;

interface Envelope {
  name: string;
  type: number;
  seqid: number;
}

export function createCodec(schema: ApiSchema): Codec {
  const structs: Record<string, StructDef> = { ...schema.structs };
  for (const m of Object.values(schema.methods)) {
    structs[argsKey(m.name)] = { name: `${m.name}_args`, kind: 'struct', fields: m.args };
  }
  if (schema.structs.Response !== undefined) {
    const success: FieldDef = { id: 0, name: 'success', type: { struct: 'Response' }, req: 'optional' };
    structs[RESULT] = { name: 'result', kind: 'struct', fields: [success] };
  }
  structs[APP_EXCEPTION] = {
    name: 'TApplicationException',
    kind: 'struct',
    fields: [
      { id: 1, name: 'message', type: 'string', req: 'optional' },
      { id: 2, name: 'type', type: 'i32', req: 'optional' },
    ],
  };
  const input: CompileInput = { structs, enums: schema.enums };

  // Messages are encoded into one buffer kept from message to message, then copied out at their exact
  // size: a fresh 4 KiB buffer per message that doubles as it fills would allocate and copy a large
  // reply (a role's tasks) several times over. A buffer grown past KEEP_AT_MOST is not kept.
  let scratch: Buffer | undefined;
  const KEEP_AT_MOST = 4 * 1024 * 1024;
  const writer = <W extends ByteWriter>(Writer: new (start: Buffer) => W, into?: Buffer): W => new Writer(into ?? (scratch ??= Buffer.allocUnsafe(64 * 1024)));
  const finish = (w: ByteWriter, into?: Buffer): Buffer => {
    if (into !== undefined) {
      const own = w.buf.byteOffset === 0 && w.buf.buffer.byteLength === w.buf.length;
      if (w.buf === into || own) return w.buf.subarray(0, w.pos);
      const out = Buffer.allocUnsafeSlow(w.pos);
      w.buf.copy(out, 0, 0, w.pos);
      return out;
    }
    const out = w.copy();
    if (w.buf !== scratch && w.buf.length <= KEEP_AT_MOST) scratch = w.buf;
    return out;
  };

  let binEnc: LazyCompiler<BinaryEncoder> | undefined;
  let binDec: LazyCompiler<BinaryDecoder> | undefined;
  // Replies are decoded by their own functions, which also check the fields Aurora always sets there.
  let binDecReply: LazyCompiler<BinaryDecoder> | undefined;
  let jsonDecReply: LazyCompiler<JsonDecoder> | undefined;
  let jsonEnc: LazyCompiler<JsonEncoder> | undefined;
  let jsonDec: LazyCompiler<JsonDecoder> | undefined;

  function known(key: string, label: string): void {
    if (!Object.hasOwn(structs, key) || key.startsWith('(')) {
      throw new AuroraProtocolError(`unknown ${label} ${JSON.stringify(key)}`);
    }
  }

  function method(name: string): MethodDef {
    const m = schema.methods[name];
    if (m === undefined || !Object.hasOwn(schema.methods, name)) throw new AuroraProtocolError(`unknown method ${JSON.stringify(name)}`);
    return m;
  }

  function maxDepth(limits: DecodeLimits | undefined): number {
    const d = limits?.maxDepth ?? DEFAULT_MAX_DEPTH;
    if (!Number.isInteger(d) || d < 1) throw new RangeError(`maxDepth must be a positive integer, got ${d}`);
    return d;
  }

  function maxValues(limits: DecodeLimits | undefined, fallback: number): number {
    const v = limits?.maxValues ?? fallback;
    if (v !== Infinity && (!Number.isInteger(v) || v < 1)) throw new RangeError(`maxValues must be a positive integer, got ${v}`);
    return v;
  }

  // ---- binary

  function binEncode(w: BinaryWriter, key: string, value: unknown): void {
    binEnc ??= compileBinaryEncoders(input);
    binEnc.get(key)(w, value);
  }

  function binDecode(r: BinaryReader, key: string, reply = false): unknown {
    if (reply) return binReplyDecoders().get(key)(r, 1);
    return (binDec ??= compileBinaryDecoders(input)).get(key)(r, 1);
  }

  const binReplyDecoders = (): LazyCompiler<BinaryDecoder> => (binDecReply ??= compileBinaryDecoders(input, true));
  const jsonReplyDecoders = (): LazyCompiler<JsonDecoder> => (jsonDecReply ??= compileJsonDecoders(input, true));

  /** The struct a method's reply carries its payload in: Response.result's union member named by MethodDef.result. */
  function payloadStruct(m: MethodDef): string | undefined {
    const union = structs.Response?.fields.find((f) => f.name === 'result')?.type;
    const member = union !== undefined && typeof union === 'object' && 'struct' in union ? structs[union.struct]?.fields.find((f) => f.name === m.result)?.type : undefined;
    return member !== undefined && typeof member === 'object' && 'struct' in member ? member.struct : undefined;
  }

  function binWriteEnvelope(w: BinaryWriter, name: string, type: MessageType, seqid: number): void {
    w.i32(VERSION_1 | type);
    w.str(name);
    w.i32(seqid);
  }

  function binReadEnvelope(r: BinaryReader): Envelope {
    const head = r.i32();
    if (head < 0) {
      if ((head & 0xffff0000) !== VERSION_1) throw protocolFault(`bad binary protocol version 0x${(head >>> 0).toString(16)}`);
      const name = r.str();
      return { name, type: head & 0xff, seqid: r.i32() };
    }
    // Pre-versioned ("non-strict") envelope: name length first, then a type byte.
    r.pos -= 4;
    const name = r.str();
    const type = r.u8();
    return { name, type, seqid: r.i32() };
  }

  // ---- TJSON

  function jsonEncode(w: JsonWriter, key: string, value: unknown): void {
    jsonEnc ??= compileJsonEncoders(input);
    jsonEnc.get(key)(w, value);
  }

  function jsonDecode(key: string, tree: unknown, limit: number, reply = false): unknown {
    if (reply) return jsonReplyDecoders().get(key)(tree, 1, limit);
    return (jsonDec ??= compileJsonDecoders(input)).get(key)(tree, 1, limit);
  }

  /**
   * Each Thrift level costs TJSON at most two levels of brackets (a field's `{"rec": {...}}`, a map's
   * `["str","rec",n,{"k": {...}}]`), plus the message envelope: a tree deeper than this bound would
   * fail the decoders' depth check anyway, so with `preScan` it is refused before JSON.parse builds it;
   * so is a text of more JSON values than `values` (a finite `values` scans replies too).
   *
   * Calls and structs are pre-scanned: the scheduler reads them from anyone, before authentication
   * (16 MiB of `[` cost JSON.parse 2 s and 880 MB). Replies are not: they come from the scheduler the
   * client chose, whose reply of the same size can cost as much without nesting at all (16 MiB of
   * `[{},{},…]`: 1.8 s, 590 MB), so the scan (0.13× of JSON.parse) bounds nothing there; the client's
   * bound is its reply cap (the `maxReplyBytes` option, 256 MiB by default), and the decoders' depth
   * check still refuses a deep tree where a value is read. docs/reliability.md has the figures.
   */
  function parseJson(bytes: Uint8Array, limit: number, values: number, preScan: boolean): unknown {
    if (preScan || values !== Infinity) {
      const verdict = jsonPreScan(bytes, preScan ? 2 * limit + 4 : Infinity, values);
      if (verdict === JSON_SCAN_TOO_DEEP) throw protocolFault(`nesting deeper than the limit of ${limit}`);
      if (verdict === JSON_SCAN_TOO_MANY) throw protocolFault(`more JSON values than the limit of ${values} (each opening bracket and comma counts one)`);
    }
    const text = Buffer.isBuffer(bytes) ? bytes.toString('utf8') : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    try {
      return JSON.parse(text);
    } catch (e) {
      throw protocolFault(`not valid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
  }


  function jsonReadEnvelope(tree: unknown): Envelope & { body: unknown } {
    if (!Array.isArray(tree) || tree.length !== 5) throw protocolFault('expected a TJSON message [1, name, type, seqid, {...}]');
    const [version, name, type, seqid, body] = tree as unknown[];
    if (version !== 1) throw protocolFault(`unsupported TJSON version ${JSON.stringify(version)}`);
    if (typeof name !== 'string') throw protocolFault('TJSON message name is not a string');
    if (typeof type !== 'number' || (type | 0) !== type) throw protocolFault('TJSON message type is not an integer');
    if (typeof seqid !== 'number' || (seqid | 0) !== seqid) throw protocolFault('TJSON message seqid is not an i32');
    return { name, type, seqid, body };
  }

  // ---- shared message plumbing

  function checkSeqid(seqid: number): void {
    if ((seqid | 0) !== seqid) throw new RangeError(`seqid must be an i32, got ${seqid}`);
  }

  function encodeMessage(protocol: WireProtocol, name: string, type: MessageType, seqid: number, key: string, value: unknown, root: string, into?: Buffer): Buffer {
    checkSeqid(seqid);
    try {
      if (protocol === 'binary') {
        const w = writer(BinaryWriter, into);
        binWriteEnvelope(w, name, type, seqid);
        binEncode(w, key, value);
        return finish(w, into);
      }
      const w = writer(JsonWriter, into);
      w.raw('[1,');
      w.str(name);
      w.raw(`,${type},${seqid},`);
      jsonEncode(w, key, value);
      w.ch(0x5d);
      return finish(w, into);
    } catch (e) {
      throw toAuroraError(e, root, false, name);
    }
  }

  /** Reads the envelope, then hands the body to `body` with the right decoder bound (`reply`: the reply decoders). */
  function decodeMessage<R>(
    protocol: WireProtocol,
    bytes: Uint8Array,
    limits: DecodeLimits | undefined,
    reply: boolean,
    body: (env: Envelope, decode: (key: string) => unknown) => R,
  ): R {
    const limit = maxDepth(limits);
    const values = maxValues(limits, reply ? Infinity : DEFAULT_MAX_CALL_VALUES);
    let env: Envelope | undefined;
    try {
      if (protocol === 'binary') {
        const r = new BinaryReader(bytes, limit, values);
        env = binReadEnvelope(r);
        return body(env, (key) => binDecode(r, key, reply));
      }
      const msg = jsonReadEnvelope(parseJson(bytes, limit, values, !reply));
      env = msg;
      return body(env, (key) => jsonDecode(key, msg.body, limit, reply));
    } catch (e) {
      throw e instanceof ThriftMessageError ? e : toAuroraError(e, env?.name ?? '', true, env?.name);
    }
  }

  function appException(e: unknown, env: Envelope, root: string): ThriftMessageError {
    const err = toAuroraError(e, root, true, env.name);
    return new ThriftMessageError(err.message, env.name, env.seqid, TApplicationExceptionType.PROTOCOL_ERROR, { cause: err });
  }

  return {
    encodeStruct(protocol, struct, value) {
      known(struct, 'struct');
      try {
        if (protocol === 'binary') {
          const w = writer(BinaryWriter);
          binEncode(w, struct, value);
          return finish(w);
        }
        const w = writer(JsonWriter);
        jsonEncode(w, struct, value);
        return finish(w);
      } catch (e) {
        throw toAuroraError(e, struct, false);
      }
    },

    decodeStruct<T>(protocol: WireProtocol, struct: string, bytes: Uint8Array, limits?: DecodeLimits): T {
      known(struct, 'struct');
      const limit = maxDepth(limits);
      const values = maxValues(limits, Infinity);
      try {
        if (protocol === 'binary') return binDecode(new BinaryReader(bytes, limit, values), struct) as T;
        return jsonDecode(struct, parseJson(bytes, limit, values, true), limit) as T;
      } catch (e) {
        throw toAuroraError(e, struct, true);
      }
    },

    encodeCall(protocol, name, seqid, args) {
      method(name);
      return encodeMessage(protocol, name, MessageType.CALL, seqid, argsKey(name), args, name);
    },

    decodeCall(protocol, bytes, limits) {
      return decodeMessage(protocol, bytes, limits, false, (env, decode) => {
        if (env.type !== MessageType.CALL && env.type !== MessageType.ONEWAY) {
          throw new ThriftMessageError(`expected a CALL message, got type ${env.type}`, env.name, env.seqid, TApplicationExceptionType.INVALID_MESSAGE_TYPE);
        }
        const m = schema.methods[env.name];
        if (m === undefined || !Object.hasOwn(schema.methods, env.name)) {
          throw new ThriftMessageError(`Unknown function ${env.name}`, env.name, env.seqid, TApplicationExceptionType.UNKNOWN_METHOD);
        }
        let args: Record<string, unknown>;
        try {
          args = decode(argsKey(env.name)) as Record<string, unknown>;
        } catch (e) {
          throw appException(e, env, env.name);
        }
        return { method: env.name, seqid: env.seqid, args, oneway: env.type === MessageType.ONEWAY };
      });
    },

    encodeReply(protocol, name, seqid, response, into) {
      method(name);
      if (structs[RESULT] === undefined) throw new AuroraProtocolError('this schema has no Response struct to reply with');
      return encodeMessage(protocol, name, MessageType.REPLY, seqid, RESULT, { success: response }, name, into);
    },

    encodeException(protocol, name, seqid, message, type) {
      return encodeMessage(protocol, name, MessageType.EXCEPTION, seqid, APP_EXCEPTION, { message, type }, name);
    },

    decodeReply<T>(protocol: WireProtocol, name: string, bytes: Uint8Array, limits?: DecodeLimits): T {
      method(name);
      return decodeMessage(protocol, bytes, limits, true, (env, decode) => {
        if (env.type === MessageType.EXCEPTION) {
          const x = decode(APP_EXCEPTION) as { message?: string; type?: number };
          const type = x.type ?? TApplicationExceptionType.UNKNOWN;
          throw new ThriftMessageError(`${name}: the scheduler answered with an exception: ${x.message ?? '(no message)'}`, name, env.seqid, type);
        }
        if (env.type !== MessageType.REPLY) {
          throw new ThriftMessageError(`${name}: expected a REPLY message, got type ${env.type}`, name, env.seqid, TApplicationExceptionType.INVALID_MESSAGE_TYPE);
        }
        if (env.name !== name) {
          throw new ThriftMessageError(`${name}: the reply is for ${JSON.stringify(env.name)}`, name, env.seqid, TApplicationExceptionType.WRONG_METHOD_NAME);
        }
        const result = decode(RESULT) as { success?: T };
        if (result.success === undefined) {
          throw new ThriftMessageError(`${name}: the reply carries no result`, name, env.seqid, TApplicationExceptionType.MISSING_RESULT);
        }
        return result.success;
      });
    },

    prepareReply(protocol, name) {
      const decoders = protocol === 'binary' ? binReplyDecoders() : jsonReplyDecoders();
      // The envelope's struct (with Response), then the union member the method's payload comes in,
      // which Response's decoder would build at its first use.
      const keys = [RESULT, payloadStruct(method(name))].filter((key) => key !== undefined && !decoders.has(key)) as string[];
      for (const key of keys) decoders.get(key);
      return keys.length > 0;
    },
  };
}
