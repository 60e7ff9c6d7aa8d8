import { describe, expect, it } from 'vitest';
import { SCHEMA } from '../../src/gen/schema.js';
import { createCodec, decodeCall, decodeReply, decodeStruct, encodeCall, encodeException, encodeReply, encodeStruct, MessageType, TApplicationExceptionType, ThriftMessageError } from '../../src/protocol/index.js';
import type { WireProtocol } from '../../src/protocol/index.js';
import { AuroraProtocolError } from '../../src/errors.js';
import { normalize, Sampler } from './samples.js';
import type { JobSummaryResult, Response } from '../../src/gen/types.js';

const PROTOCOLS: WireProtocol[] = ['binary', 'json'];
const structs = Object.keys(SCHEMA.structs);
const methods = Object.keys(SCHEMA.methods);

describe.each(PROTOCOLS)('%s round trip', (protocol) => {
  it.each(structs)('%s with every field populated', (name) => {
    const def = SCHEMA.structs[name]!;
    // Every member of a union, one at a time.
    const choices = def.kind === 'union' ? def.fields.length : 1;
    for (let choice = 0; choice < choices; choice++) {
      for (const setsAsSets of [false, true]) {
        const value = new Sampler(SCHEMA, { unionChoice: choice, setsAsSets }).struct(name);
        const bytes = encodeStruct(protocol, name, value);
        expect(normalize(decodeStruct(protocol, name, bytes))).toEqual(normalize(value));
      }
    }
  });

  it.each(methods)('CALL and REPLY of %s', (method) => {
    const sampler = new Sampler(SCHEMA, { setsAsSets: true });
    const args: Record<string, unknown> = {};
    for (const a of SCHEMA.methods[method]!.args) args[a.name] = sampler.value(a.type, 0);
    const call = decodeCall(protocol, encodeCall(protocol, method, 42, args));
    expect(call.method).toBe(method);
    expect(call.seqid).toBe(42);
    expect(call.oneway).toBe(false);
    expect(normalize(call.args)).toEqual(normalize(args));

    const response = sampler.response(method);
    expect(normalize(decodeReply(protocol, method, encodeReply(protocol, method, 7, response)))).toEqual(normalize(response));
  });

  it('prepareReply builds a method\'s reply decoder once, ahead of the reply, which then decodes as before', () => {
    const codec = createCodec(SCHEMA);
    const sampler = new Sampler(SCHEMA, { setsAsSets: true });
    const response: Response = { ...sampler.structOf<Response>('Response'), result: { jobSummaryResult: sampler.structOf<JobSummaryResult>('JobSummaryResult') } };
    const bytes = encodeReply(protocol, 'getJobSummary', 7, response);
    expect(codec.prepareReply(protocol, 'getJobSummary')).toBe(true);
    expect(codec.prepareReply(protocol, 'getJobSummary')).toBe(false);
    expect(normalize(codec.decodeReply(protocol, 'getJobSummary', bytes))).toEqual(normalize(response));
    // Another method shares the envelope's decoder and adds its own payload's; one without a payload has nothing left to build.
    expect(codec.prepareReply(protocol, 'getTasksWithoutConfigs')).toBe(true);
    expect(codec.prepareReply(protocol, 'killTasks')).toBe(false);
    expect(() => codec.prepareReply(protocol, 'noSuchMethod')).toThrow(AuroraProtocolError);
  });

  it('decodes an EXCEPTION reply into ThriftMessageError with the server message', () => {
    const bytes = encodeException(protocol, 'getJobSummary', 3, 'Internal error: db down', TApplicationExceptionType.INTERNAL_ERROR);
    let caught: unknown;
    try {
      decodeReply(protocol, 'getJobSummary', bytes);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ThriftMessageError);
    expect(caught).toBeInstanceOf(AuroraProtocolError);
    const err = caught as ThriftMessageError;
    expect(err.message).toContain('Internal error: db down');
    expect(err.exceptionType).toBe(TApplicationExceptionType.INTERNAL_ERROR);
    expect(err.seqid).toBe(3);
    expect(err.method).toBe('getJobSummary');
  });

  it('rejects a reply for another method, a CALL where a REPLY is due, and a reply without a result', () => {
    const ok = { responseCode: 1, details: [] };
    expect(() => decodeReply(protocol, 'getJobs', encodeReply(protocol, 'getQuota', 1, ok))).toThrow(/getQuota/);
    expect(() => decodeReply(protocol, 'getJobs', encodeCall(protocol, 'getJobs', 1, { ownerRole: 'www' }))).toThrow(ThriftMessageError);
    expect(() => decodeReply(protocol, 'getJobs', encodeCall(protocol, 'getJobs', 1, {}))).toThrow(/REPLY/);
  });

  it('answers an unknown method with what the server needs for UNKNOWN_METHOD', () => {
    const bytes = encodeCall(protocol, 'getJobs', 9, { ownerRole: 'www' });
    const renamed = Buffer.from(bytes.toString('latin1').replace('getJobs', 'getJabs'), 'latin1');
    let caught: unknown;
    try {
      decodeCall(protocol, renamed);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ThriftMessageError);
    const err = caught as ThriftMessageError;
    expect([err.method, err.seqid, err.exceptionType]).toEqual(['getJabs', 9, TApplicationExceptionType.UNKNOWN_METHOD]);
    // The server turns it into an EXCEPTION message the client reads back.
    const answer = encodeException(protocol, err.method!, err.seqid, err.message, err.exceptionType);
    expect(() => decodeReply(protocol, 'getJabs' as never, answer)).toThrow(/unknown method/);
  });

  it('rejects a REPLY given to decodeCall as INVALID_MESSAGE_TYPE', () => {
    const reply = encodeReply(protocol, 'getJobs', 4, { responseCode: 1, details: [] });
    expect(() => decodeCall(protocol, reply)).toThrow(expect.objectContaining({ exceptionType: TApplicationExceptionType.INVALID_MESSAGE_TYPE, seqid: 4 }));
  });
});

describe('message envelopes on the wire', () => {
  it('binary CALL is strict: 0x80010001, name, seqid', () => {
    const bytes = encodeCall('binary', 'getRoleSummary', 0x01020304, {});
    expect(bytes.subarray(0, 4).toString('hex')).toBe('80010001');
    expect(bytes.readInt32BE(4)).toBe('getRoleSummary'.length);
    expect(bytes.subarray(8, 8 + 14).toString()).toBe('getRoleSummary');
    expect(bytes.readInt32BE(22)).toBe(0x01020304);
    expect(bytes.subarray(26).toString('hex')).toBe('00'); // empty args struct
  });

  it('TJSON REPLY is [1,"name",2,seqid,{"0":{"rec":...}}]', () => {
    const bytes = encodeReply('json', 'getRoleSummary', 5, { responseCode: 1, details: [] });
    expect(JSON.parse(bytes.toString())).toEqual([1, 'getRoleSummary', MessageType.REPLY, 5, { 0: { rec: { 1: { i32: 1 }, 6: { lst: ['rec', 0] } } } }]);
  });

  it('TJSON EXCEPTION carries TApplicationException {1: message, 2: type}', () => {
    const bytes = encodeException('json', 'nope', 1, 'Unknown function nope', TApplicationExceptionType.UNKNOWN_METHOD);
    expect(JSON.parse(bytes.toString())).toEqual([1, 'nope', MessageType.EXCEPTION, 1, { 1: { str: 'Unknown function nope' }, 2: { i32: 1 } }]);
  });

  it('binary decodeCall accepts the old non-strict envelope (name length first, then a type byte)', () => {
    const strict = encodeCall('binary', 'getJobs', 77, { ownerRole: 'www' });
    const nameLen = strict.readInt32BE(4);
    const name = strict.subarray(8, 8 + nameLen);
    const rest = strict.subarray(8 + nameLen); // seqid + args
    const old = Buffer.concat([strict.subarray(4, 8), name, Buffer.from([1]), rest]);
    expect(decodeCall('binary', old)).toEqual({ method: 'getJobs', seqid: 77, args: { ownerRole: 'www' }, oneway: false });
  });
});
