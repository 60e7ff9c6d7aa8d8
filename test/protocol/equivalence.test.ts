// Equivalence with Apache Thrift's generated JS and the npm `thrift` runtime, the reference
// implementation: bytes either side writes, the other reads to the same values.
import { describe, expect, it } from 'vitest';
import { SCHEMA } from '../../src/gen/schema.js';
import { decodeCall, decodeReply, decodeStruct, encodeCall, encodeReply, encodeStruct } from '../../src/protocol/index.js';
import type { TypeRef, WireProtocol } from '../../src/protocol/index.js';
// @ts-ignore -- plain JS helpers shared with the benchmark
import { apacheProtocol, apacheReader, apacheWriter, fromApache, loadApache, toApache } from '../bench/_codec-fixtures.mjs';
import { normalize, Sampler } from './samples.js';

const apache = loadApache();
const PROTOCOLS: WireProtocol[] = ['binary', 'json'];
const structs = Object.keys(SCHEMA.structs);
const methods = Object.keys(SCHEMA.methods);
const struct = (name: string): TypeRef => ({ struct: name });

function samples(name: string): Record<string, unknown>[] {
  const def = SCHEMA.structs[name]!;
  const n = def.kind === 'union' ? def.fields.length : 1;
  return Array.from({ length: n }, (_, choice) => new Sampler(SCHEMA, { unionChoice: choice, setsAsSets: choice % 2 === 1 }).struct(name));
}

describe.each(PROTOCOLS)('%s: structs match Apache', (protocol) => {
  it.each(structs)('%s written by us is read by npm thrift', (name) => {
    for (const value of samples(name)) {
      const reader = apacheReader(apache, protocol, encodeStruct(protocol, name, value), true);
      const obj = new apache.ttypes[name]();
      obj.read(reader);
      expect(fromApache(apache, SCHEMA, struct(name), obj)).toEqual(normalize(value));
    }
  });

  it.each(structs)('%s written by npm thrift is read by us', (name) => {
    for (const value of samples(name)) {
      const [writer, bytes] = apacheWriter(apache, protocol);
      // npm's TJSON writer only works inside a message (a bare struct is flushed after its first
      // field), so the struct is written in one and taken out of the envelope afterwards.
      if (protocol === 'json') writer.writeMessageBegin('x', 1, 0);
      toApache(apache, SCHEMA, struct(name), value).write(writer);
      if (protocol === 'json') writer.writeMessageEnd();
      writer.flush();
      const out = protocol === 'json' ? Buffer.from(JSON.stringify(JSON.parse(bytes().toString())[4])) : bytes();
      expect(normalize(decodeStruct(protocol, name, out))).toEqual(normalize(value));
    }
  });
});

/** Apache's processor with a handler that records the arguments and answers `response`. */
async function apacheServe(protocol: WireProtocol, method: string, call: Uint8Array, response: unknown): Promise<{ args: unknown[]; reply: Buffer }> {
  let args: unknown[] = [];
  const arity = SCHEMA.methods[method]!.args.length;
  const fn = (...a: unknown[]) => {
    args = a;
    return response;
  };
  // The generated processor picks promise style when the handler declares every parameter.
  Object.defineProperty(fn, 'length', { value: arity });
  const processor = new apache.services.AuroraAdmin.Processor({ [method]: fn });
  const [output, bytes] = apacheWriter(apache, protocol);
  processor.process(apacheReader(apache, protocol, call), output);
  await new Promise((resolve) => setImmediate(resolve));
  return { args, reply: bytes() };
}

describe.each(PROTOCOLS)('%s: messages match Apache', (protocol) => {
  it.each(methods)('%s: our CALL served by the Apache processor, its REPLY read by us', async (method) => {
    const sampler = new Sampler(SCHEMA, { setsAsSets: true });
    const defs = SCHEMA.methods[method]!.args;
    const args: Record<string, unknown> = {};
    for (const a of defs) args[a.name] = sampler.value(a.type, 0);
    const response = sampler.response(method);

    const served = await apacheServe(protocol, method, encodeCall(protocol, method, 11, args), toApache(apache, SCHEMA, struct('Response'), response));
    const received = Object.fromEntries(defs.map((a, i) => [a.name, fromApache(apache, SCHEMA, a.type, served.args[i])]));
    expect(received).toEqual(normalize(args));
    expect(normalize(decodeReply(protocol, method, served.reply))).toEqual(normalize(response));
  });

  it.each(methods)('%s: the Apache client CALL read by us, our REPLY read by the Apache client', async (method) => {
    const sampler = new Sampler(SCHEMA);
    const defs = SCHEMA.methods[method]!.args;
    const args: Record<string, unknown> = {};
    for (const a of defs) args[a.name] = sampler.value(a.type, 0);

    let callBytes: Buffer = Buffer.alloc(0);
    const transport = new apache.thrift.TBufferedTransport(undefined, (buf: Buffer) => {
      callBytes = buf;
    });
    const client = new apache.services.AuroraAdmin.Client(transport, apacheProtocol(apache, protocol));
    client._seqid = 23;
    client[`send_${method}`](...defs.map((a) => toApache(apache, SCHEMA, a.type, args[a.name])));

    const call = decodeCall(protocol, callBytes);
    expect(call).toMatchObject({ method, seqid: 23, oneway: false });
    expect(normalize(call.args)).toEqual(normalize(args));

    const response = sampler.response(method);
    const reply = encodeReply(protocol, method, call.seqid, response);
    const input = apacheReader(apache, protocol, reply);
    const head = input.readMessageBegin();
    expect([head.fname, head.mtype, head.rseqid]).toEqual([method, 2, 23]);
    let got: unknown;
    client._reqs[23] = (err: unknown, r: unknown) => {
      if (err) throw err;
      got = r;
    };
    client[`recv_${method}`](input, head.mtype, head.rseqid);
    expect(fromApache(apache, SCHEMA, struct('Response'), got)).toEqual(normalize(response));
  });
});
