// Decoders face bytes from the network: every failure must be a quick AuroraProtocolError (or
// AuroraRangeError for an oversized i64), never a hang, a stack overflow or a huge allocation.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuroraProtocolError, AuroraRangeError } from '../../src/errors.js';
import { decodeCall, decodeReply, decodeStruct, encodeCall, encodeReply } from '../../src/protocol/index.js';
import type { WireProtocol } from '../../src/protocol/index.js';
import { Sampler } from './samples.js';
import { SCHEMA } from '../../src/gen/schema.js';
import type { Response, ScheduledTask } from '../../src/gen/types.js';

const PROTOCOLS: WireProtocol[] = ['binary', 'json'];

function expectCleanFailure(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof AuroraProtocolError || e instanceof AuroraRangeError) return;
    throw new Error(`decoder threw ${String(e)} instead of AuroraProtocolError/AuroraRangeError`, { cause: e });
  }
}

/** How long `fn` takes once the codecs it uses are compiled (they compile on first use): it runs once untimed first. */
function timed(fn: () => void): number {
  fn();
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

function sampleReply(protocol: WireProtocol): Buffer {
  const sampler = new Sampler(SCHEMA);
  const response = sampler.structOf<Response>('Response');
  response.result = { scheduleStatusResult: { tasks: [new Sampler(SCHEMA).structOf<ScheduledTask>('ScheduledTask'), new Sampler(SCHEMA).structOf<ScheduledTask>('ScheduledTask')] } };
  return encodeReply(protocol, 'getTasksStatus', 1, response);
}

/** Binary header of a REPLY to getTasksStatus, up to where the result struct starts. */
function binaryReplyHead(): Buffer {
  const name = Buffer.from('getTasksStatus');
  const head = Buffer.alloc(8);
  head.writeInt32BE(0x80010002 | 0, 0);
  head.writeInt32BE(name.length, 4);
  return Buffer.concat([head, name, Buffer.from([0, 0, 0, 1])]);
}

describe.each(PROTOCOLS)('%s decoders on hostile input', (protocol) => {
  it('random bytes: only protocol/range errors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expectCleanFailure(() => decodeReply(protocol, 'getTasksStatus', bytes));
        expectCleanFailure(() => decodeCall(protocol, bytes));
        expectCleanFailure(() => decodeStruct(protocol, 'ScheduledTask', bytes));
      }),
      { numRuns: 1500 },
    );
  });

  it('random mutations of a valid reply: only protocol/range errors', () => {
    const valid = sampleReply(protocol);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (edits) => {
        const bytes = Buffer.from(valid);
        for (const [at, b] of edits) bytes[at] = b;
        expectCleanFailure(() => decodeReply(protocol, 'getTasksStatus', bytes));
      }),
      { numRuns: 1500 },
    );
  });

  it('every truncation of a valid reply fails cleanly', () => {
    const valid = sampleReply(protocol);
    for (let n = 0; n < valid.length; n++) {
      const cut = valid.subarray(0, n);
      let threw = false;
      try {
        decodeReply(protocol, 'getTasksStatus', cut);
      } catch (e) {
        threw = e instanceof AuroraProtocolError;
      }
      expect(threw, `truncated at ${n} of ${valid.length}`).toBe(true);
    }
  });

  it('a configurable depth limit applies to legitimate data too', () => {
    const valid = sampleReply(protocol);
    expect(() => decodeReply(protocol, 'getTasksStatus', valid, { maxDepth: 4 })).toThrow(/nesting deeper than the limit of 4/);
    expect(decodeReply(protocol, 'getTasksStatus', valid, { maxDepth: 64 }).result?.scheduleStatusResult?.tasks).toHaveLength(2);
  });
});

describe.each(PROTOCOLS)('%s: values a call may build are counted before they are built (maxValues)', (protocol) => {
  // getTasksWithoutConfigs(TaskQuery { jobKeys: set<JobKey> }): the args struct, the query, then one per key.
  const keysCall = (n: number): Buffer => encodeCall(protocol, 'getTasksWithoutConfigs', 1, { query: { jobKeys: Array.from({ length: n }, (_, i) => ({ role: `r${i}` })) } });

  it('a call at the limit is decoded; one more value is refused, naming the limit', () => {
    // Binary counts structs, and the elements of lists, sets and maps that are not structs (each key once).
    const limit = 1000;
    const slack = protocol === 'binary' ? 2 : 0;
    if (protocol === 'binary') {
      expect(decodeCall(protocol, keysCall(limit - slack), { maxValues: limit }).args).toMatchObject({ query: { jobKeys: expect.any(Array) } });
      expect(() => decodeCall(protocol, keysCall(limit - slack + 1), { maxValues: limit })).toThrow(/jobKeys: more values than the limit of 1000 \(structs, and the other elements of lists, sets and maps\)/);
      const ids = encodeCall(protocol, 'getTasksWithoutConfigs', 1, { query: { instanceIds: Array.from({ length: limit - 1 }, (_, i) => i) } });
      expect(() => decodeCall(protocol, ids, { maxValues: limit })).toThrow(/instanceIds: more values than the limit of 1000/);
    } else {
      // TJSON counts JSON values as its pre-scan sees them: each opening bracket and each comma.
      const small = keysCall(100);
      expect(decodeCall(protocol, small, { maxValues: 10_000 }).args).toMatchObject({ query: { jobKeys: expect.any(Array) } });
      expect(() => decodeCall(protocol, small, { maxValues: 100 })).toThrow(/more JSON values than the limit of 100 \(each opening bracket and comma counts one\)/);
    }
  });

  it('by default a call may hold 200,000 values, and a reply (from the scheduler the client chose) any number', () => {
    expect(() => decodeCall(protocol, keysCall(200_001))).toThrow(/more (JSON )?values than the limit of 200000/);
    expect(decodeCall(protocol, keysCall(1_000)).args).toMatchObject({ query: { jobKeys: expect.any(Array) } });
    const tasks = Array.from({ length: 2 }, () => new Sampler(SCHEMA).structOf<ScheduledTask>('ScheduledTask'));
    const big = encodeReply(protocol, 'getTasksStatus', 1, { responseCode: 1, details: [], result: { scheduleStatusResult: { tasks } } });
    expect(decodeReply(protocol, 'getTasksStatus', big).result?.scheduleStatusResult?.tasks).toHaveLength(2);
    // A limit given for replies applies to them.
    expect(() => decodeReply(protocol, 'getTasksStatus', big, { maxValues: 3 })).toThrow(/more (JSON )?values than the limit of 3/);
  });

  it('empty structs, one byte each in binary, are counted, so 16 MiB of them cost milliseconds', () => {
    // Before maxValues: a scheduler took 17 s and 2.9 GB on 16 MiB of empty JobKeys (binary), 1.8 s and 540 MB on `{},` (TJSON).
    let bytes: Buffer;
    if (protocol === 'binary') {
      const head = keysCall(0).subarray(0, -2); // up to the set's count (the query's and the args' stops follow)
      const at = head.length - 4;
      const n = 16 * 1024 * 1024;
      head.writeInt32BE(n, at);
      bytes = Buffer.concat([head, Buffer.alloc(n, 0), Buffer.from([0, 0])]);
    } else {
      bytes = Buffer.from(`[1,"getTasksWithoutConfigs",1,1,{"1":{"rec":{"11":{"set":["rec",5592400,${'{},'.repeat(5_592_399)}{}]}}}}]`);
    }
    const ms = timed(() => expect(() => decodeCall(protocol, bytes)).toThrow(/values than the limit of 200000/));
    expect(ms).toBeLessThan(500);
  });

  it('maxValues must be a positive integer', () => {
    expect(() => decodeCall(protocol, keysCall(1), { maxValues: 0 })).toThrow(RangeError);
    expect(() => decodeCall(protocol, keysCall(1), { maxValues: 1.5 })).toThrow(RangeError);
  });
});

describe('binary: crafted lengths and nesting', () => {
  it('a list claiming 2^31-1 (or 2^31, negative as i32) elements is rejected before allocating', () => {
    for (const count of [0x7fffffff, 0x80000000]) {
      // REPLY, result field 0 = Response (struct), Response.details (id 6) = list<struct> of `count`.
      const list = Buffer.from([12, 0, 0, 15, 0, 6, 12, 0, 0, 0, 0]);
      list.writeUInt32BE(count, 7);
      const bytes = Buffer.concat([binaryReplyHead(), list, Buffer.from([1, 0, 0])]);
      let err: unknown;
      const ms = timed(() => {
        try {
          decodeReply('binary', 'getTasksStatus', bytes);
        } catch (e) {
          err = e;
        }
      });
      expect(err).toBeInstanceOf(AuroraProtocolError);
      expect((err as Error).message).toMatch(/getTasksStatus\.success\.details: (element count|negative element count)/);
      expect(ms).toBeLessThan(50);
    }
  });

  it('a string claiming 100 MB is rejected before allocating', () => {
    const s = Buffer.from([11, 0, 1, 0, 0, 0, 0, 0x61, 0x62]);
    s.writeInt32BE(100 * 1024 * 1024, 3);
    let err: unknown;
    const ms = timed(() => {
      try {
        decodeStruct('binary', 'JobKey', s);
      } catch (e) {
        err = e;
      }
    });
    expect(err).toBeInstanceOf(AuroraProtocolError);
    expect((err as Error).message).toBe('JobKey.role: length 104857600 at offset 3 exceeds the 2 bytes left');
    expect(ms).toBeLessThan(50);
  });

  it('a map claiming 2^31-1 entries and a message name claiming 1 GB are rejected', () => {
    const map = Buffer.from([13, 0, 5, 11, 8, 0x7f, 0xff, 0xff, 0xff, 0]);
    expect(() => decodeStruct('binary', 'AssignedTask', map)).toThrow(/AssignedTask\.assignedPorts: element count 2147483647/);
    const name = Buffer.from([0x80, 1, 0, 1, 0x40, 0, 0, 0, 0x61]);
    expect(() => decodeCall('binary', name)).toThrow(AuroraProtocolError);
  });

  it('10,000-deep nesting in an unknown field stops at the depth limit', () => {
    // JobKey field 99 (unknown): struct { 1: struct { 1: struct ... } } 10,000 levels.
    const depth = 10_000;
    const open = Buffer.from([12, 0, 1]);
    const bytes = Buffer.concat([Buffer.from([12, 0, 99]), Buffer.alloc(open.length * depth, open), Buffer.alloc(depth + 2, 0)]);
    let err: unknown;
    const ms = timed(() => {
      try {
        decodeStruct('binary', 'JobKey', bytes);
      } catch (e) {
        err = e;
      }
    });
    expect(err).toBeInstanceOf(AuroraProtocolError);
    expect((err as Error).message).toMatch(/nesting deeper than the limit of 64/);
    expect(ms).toBeLessThan(100);
    // 10,000-deep lists of lists, too.
    const lists = Buffer.concat([Buffer.from([15, 0, 99]), Buffer.alloc(5 * depth, Buffer.from([15, 0, 0, 0, 1]))]);
    expect(() => decodeStruct('binary', 'JobKey', lists)).toThrow(/nesting deeper than the limit/);
  });

  it('invalid wire types and bad versions are protocol errors', () => {
    expect(() => decodeStruct('binary', 'JobKey', Buffer.from([99, 0, 1, 0]))).toThrow(/invalid wire type 99/);
    expect(() => decodeCall('binary', Buffer.from([0x80, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/bad binary protocol version/);
  });

  it('a union with no known member, or two, is rejected on decode', () => {
    expect(() => decodeStruct('binary', 'Resource', Buffer.from([0]))).toThrow('Resource: a union needs exactly one field, got none');
    const two = Buffer.from([4, 0, 1, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 11, 0, 4, 0, 0, 0, 1, 0x70, 0]);
    expect(() => decodeStruct('binary', 'Resource', two)).toThrow('Resource: a union needs exactly one field, got numCpus, namedPort');
  });

  it('a reply without a result is a protocol error', () => {
    expect(() => decodeReply('binary', 'getTasksStatus', Buffer.concat([binaryReplyHead(), Buffer.from([0])]))).toThrow(/carries no result/);
  });
});

describe('TJSON: crafted counts, shapes and nesting', () => {
  const reply = (body: string): Buffer => Buffer.from(`[1,"getTasksStatus",2,1,{"0":{"rec":${body}}}]`);

  it('a list whose count disagrees with its elements is rejected (2^31 claimed, 1 present)', () => {
    expect(() => decodeReply('json', 'getTasksStatus', reply('{"6":{"lst":["rec",2147483648,{}]}}'))).toThrow(
      /getTasksStatus\.success\.details: list claims 2147483648 elements but has 1/,
    );
    expect(() => decodeReply('json', 'getTasksStatus', reply('{"6":{"lst":["str",1,"x"]}}'))).toThrow(/expected "rec" elements/);
  });

  it('a map whose count disagrees with its entries is rejected', () => {
    expect(() => decodeStruct('json', 'AssignedTask', Buffer.from('{"5":{"map":["str","i32",5,{"a":1}]}}'))).toThrow(/map claims 5 entries but has 1/);
  });

  it('10,000-deep nesting where a struct is expected fails fast at the first wrong shape', () => {
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    const ms = timed(() => expect(() => decodeReply('json', 'getTasksStatus', reply(`{"6":{"lst":["rec",1,${deep}]}}`))).toThrow(AuroraProtocolError));
    expect(ms).toBeLessThan(200);
    // Where the schema wants a string, a mistyped struct under another tag is skipped unread (as Apache skips mistyped fields)...
    const shallow = '{"1":{"rec":'.repeat(20) + '{}' + '}}'.repeat(20);
    expect(decodeStruct('json', 'Response', Buffer.from(`{"5":{"rec":${shallow}}}`))).toMatchObject({ serverInfo: { clusterName: undefined } });
    // ...but brackets past the depth bound are refused before JSON.parse builds them, wherever they are.
    const structs = '{"1":{"rec":'.repeat(10_000) + '{}' + '}}'.repeat(10_000);
    expect(() => decodeStruct('json', 'Response', Buffer.from(`{"5":{"rec":${structs}}}`))).toThrow(/nesting deeper than the limit of 64/);
  });

  it('10,000-deep JSON in an unknown field is refused by the pre-scan, before JSON.parse, as binary refuses it in skip', () => {
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    const ms = timed(() => expect(() => decodeStruct('json', 'JobKey', Buffer.from(`{"1":{"str":"www"},"99":{"lst":${deep}}}`))).toThrow(/nesting deeper than the limit of 64/));
    expect(ms).toBeLessThan(200);
    // Brackets inside strings (escaped quotes included) are text, not nesting.
    const text = JSON.stringify(`\\"${'['.repeat(10_000)}`);
    expect(decodeStruct('json', 'JobKey', Buffer.from(`{"1":{"str":${text}}}`))).toMatchObject({ role: `\\"${'['.repeat(10_000)}` });
  });

  it('calls are pre-scanned for nesting; replies are not, and skip a deep unknown field unread as any unknown field', () => {
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    // The scheduler reads calls from anyone: refused before JSON.parse builds the tree.
    expect(() => decodeCall('json', Buffer.from(`[1,"getJobSummary",1,3,{"1":{"str":"r"},"99":{"lst":${deep}}}]`))).toThrow(/nesting deeper than the limit of 64/);
    // A reply comes from the scheduler the client chose (codec.ts parseJson says why that differs).
    const decoded = decodeReply('json', 'getTasksStatus', reply(`{"1":{"i32":0},"6":{"lst":["rec",0]},"99":{"lst":${deep}}}`));
    expect(decoded).toMatchObject({ responseCode: 0, details: [] });
    // Where a reply's value is read, the decoders' depth check still applies (as in the maxDepth test above).
    expect(() => decodeReply('json', 'getTasksStatus', reply('{"1":{"i32":0},"6":{"lst":["rec",1,{"1":{"str":"x"}}]}}'), { maxDepth: 2 })).toThrow(/nesting deeper than the limit of 2/);
  });

  it('non-JSON, wrong envelopes and wrong value types are protocol errors', () => {
    for (const text of ['', 'not json', '{}', '[2,"getTasksStatus",2,1,{}]', '[1,7,2,1,{}]', '[1,"getTasksStatus",2,1]', '[1,"getTasksStatus",2,1.5,{}]']) {
      expect(() => decodeReply('json', 'getTasksStatus', Buffer.from(text)), text).toThrow(AuroraProtocolError);
    }
    expect(() => decodeReply('json', 'getTasksStatus', reply('{"1":{"i32":"OK"}}'))).toThrow('getTasksStatus.success.responseCode: expected ResponseCode (an i32), got "OK"');
    expect(() => decodeReply('json', 'getTasksStatus', reply('{"1":5}'))).toThrow(/expected a \{"<type>": value\} field/);
    expect(() => decodeReply('json', 'getTasksStatus', reply('[]'))).toThrow(/expected a struct/);
    expect(() => decodeStruct('json', 'TaskConfig', Buffer.from('{"7":{"tf":2}}'))).toThrow(/expected a bool/);
  });

  it('a CALL with malformed arguments carries the method and seqid for the server to answer', () => {
    const bytes = Buffer.from('[1,"killTasks",1,17,{"4":{"rec":{"1":{"str":5}}}}]');
    expect(() => decodeCall('json', bytes)).toThrow(expect.objectContaining({ method: 'killTasks', seqid: 17, exceptionType: 7, message: 'killTasks.job.role: expected string, got 5' }));
    expect(decodeCall('json', encodeCall('json', 'killTasks', 17, { message: 'm' })).args).toMatchObject({ message: 'm' });
  });
});
