/**
 * Thrift codecs for Aurora's API, driven by the generated schema (src/gen/schema.ts): idiomatic
 * values (i64 as number, sets as arrays, maps as objects) to and from TBinaryProtocol or
 * TJSONProtocol bytes, for single structs and for whole messages. Both the client and the local
 * scheduler use these; `createCodec` binds the same machinery to another schema.
 */
import { SCHEMA } from '../gen/schema.js';
import type { Response } from '../gen/types.js';
import { createCodec, type DecodeLimits, type DecodedCall, type TApplicationExceptionType, type WireProtocol } from './codec.js';

export {
  createCodec,
  DEFAULT_MAX_CALL_VALUES,
  DEFAULT_MAX_DEPTH,
  MessageType,
  TApplicationExceptionType,
  ThriftMessageError,
  type Codec,
  type DecodeLimits,
  type DecodedCall,
  type WireProtocol,
} from './codec.js';
export { EncodedOnce } from './runtime.js';
export type { ApiSchema, FieldDef, MethodDef, PrimitiveType, Requiredness, ServiceDef, StructDef, TypeRef } from './schema.js';
export { typeName } from './schema.js';

/** The codec for Aurora's own API. */
export const auroraCodec = createCodec(SCHEMA);

/** Encodes one struct (or union) of the API, e.g. `encodeStruct('binary', 'AssignedTask', task)`. */
export function encodeStruct(protocol: WireProtocol, struct: string, value: unknown): Buffer {
  return auroraCodec.encodeStruct(protocol, struct, value);
}

export function decodeStruct<T = unknown>(protocol: WireProtocol, struct: string, bytes: Uint8Array, limits?: DecodeLimits): T {
  return auroraCodec.decodeStruct<T>(protocol, struct, bytes, limits);
}

/** A CALL message; `args` by IDL argument name (`{ job, instances, message }` for killTasks). */
export function encodeCall(protocol: WireProtocol, method: string, seqid: number, args: Record<string, unknown>): Buffer {
  return auroraCodec.encodeCall(protocol, method, seqid, args);
}

/**
 * Reads a CALL (the server side). An unknown method, a message that is not a call, or malformed
 * arguments throw ThriftMessageError carrying `method`, `seqid` and `exceptionType` to answer with.
 */
export function decodeCall(protocol: WireProtocol, bytes: Uint8Array, limits?: DecodeLimits): DecodedCall {
  return auroraCodec.decodeCall(protocol, bytes, limits);
}

/** A REPLY message: `<method>_result` with field 0 `success` holding the Response. */
export function encodeReply(protocol: WireProtocol, method: string, seqid: number, response: Response, into?: Buffer): Buffer {
  return auroraCodec.encodeReply(protocol, method, seqid, response, into);
}

/** An EXCEPTION message carrying a TApplicationException (e.g. UNKNOWN_METHOD for an unknown call). */
export function encodeException(
  protocol: WireProtocol,
  method: string,
  seqid: number,
  message: string,
  type: TApplicationExceptionType | number,
): Buffer {
  return auroraCodec.encodeException(protocol, method, seqid, message, type);
}

/**
 * Reads the reply to `method` (the client side). An EXCEPTION message, a reply for another method
 * or without a result throws ThriftMessageError (an AuroraProtocolError) with the server's message.
 */
export function decodeReply(protocol: WireProtocol, method: string, bytes: Uint8Array, limits?: DecodeLimits): Response {
  return auroraCodec.decodeReply<Response>(protocol, method, bytes, limits);
}

/** Builds the decoder of `method`'s reply ahead of the first reply (see Codec.prepareReply). */
export function prepareReply(protocol: WireProtocol, method: string): boolean {
  return auroraCodec.prepareReply(protocol, method);
}

/** The HTTP headers that make Aurora's TContentAwareServlet read and answer in each protocol. */
export const contentTypes: Readonly<Record<WireProtocol, { readonly contentType: string; readonly accept: string }>> = {
  json: { contentType: 'application/x-thrift', accept: 'application/vnd.apache.thrift.json' },
  binary: { contentType: 'application/vnd.apache.thrift.binary', accept: 'application/vnd.apache.thrift.binary' },
};

const JSON_TYPES = new Set(['application/x-thrift', 'application/json', 'application/vnd.apache.thrift.json']);

function mediaType(header: string): string {
  return header.split(';')[0]!.trim().toLowerCase();
}

/** Server side: the protocol of a request body by Content-Type as Aurora picks it; undefined means HTTP 415. */
export function requestProtocol(contentType: string | undefined): WireProtocol | undefined {
  if (contentType === undefined || contentType.trim() === '') return 'json';
  const type = mediaType(contentType);
  if (JSON_TYPES.has(type)) return 'json';
  if (type === 'application/vnd.apache.thrift.binary') return 'binary';
  return undefined;
}

/** Server side: binary only for exactly `application/vnd.apache.thrift.binary`, else TJSON. */
export function responseProtocol(accept: string | undefined): WireProtocol {
  return accept !== undefined && mediaType(accept) === 'application/vnd.apache.thrift.binary' ? 'binary' : 'json';
}
