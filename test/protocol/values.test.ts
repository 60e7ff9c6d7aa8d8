import { describe, expect, it } from 'vitest';
import { AuroraProtocolError, AuroraRangeError, AuroraValidationError } from '../../src/errors.js';
import {
  contentTypes,
  createCodec,
  decodeCall,
  decodeStruct,
  encodeCall,
  encodeStruct,
  requestProtocol,
  responseProtocol,
} from '../../src/protocol/index.js';
import type { ApiSchema, WireProtocol } from '../../src/protocol/index.js';
import type { JobConfiguration, ScheduledTaskInput, TaskConfig, TaskConfigInput } from '../../src/gen/types.js';

const PROTOCOLS: WireProtocol[] = ['binary', 'json'];

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

/** A ScheduledTask whose resources carry `ramMb`, to plant an i64 deep inside. */
function taskWithRam(ramMb: number): ScheduledTaskInput {
  return { assignedTask: { taskId: 't', task: { resources: [{ numCpus: 1 }, { ramMb }] } }, status: 2 };
}

describe('i64 as JavaScript number', () => {
  it.each(PROTOCOLS)('%s: 2^53-1, -(2^53-1), negatives and timestamps come back exactly', (protocol) => {
    for (const timestamp of [2 ** 53 - 1, -(2 ** 53 - 1), -1, 0, 1_700_000_000_123, -1_700_000_000_123]) {
      const bytes = encodeStruct(protocol, 'TaskEvent', { timestamp, status: 2 });
      expect(decodeStruct(protocol, 'TaskEvent', bytes)).toMatchObject({ timestamp, status: 2 });
    }
  });

  it('binary: 2^53+1 on the wire is an AuroraRangeError naming the field path, not a rounded number', () => {
    const bytes = encodeStruct('binary', 'ScheduledTask', taskWithRam(123456789));
    // Patch the 8 bytes of ramMb (123456789 = 0x075bcd15) with 2^53+1.
    const at = bytes.indexOf(Buffer.from('00000000075bcd15', 'hex'));
    expect(at).toBeGreaterThan(0);
    bytes.writeBigInt64BE(2n ** 53n + 1n, at);
    const err = errorOf(() => decodeStruct('binary', 'ScheduledTask', bytes));
    expect(err).toBeInstanceOf(AuroraRangeError);
    expect(err.message).toContain('ScheduledTask.assignedTask.task.resources.ramMb');
    expect(err.message).toContain('9007199254740993');
  });

  it('binary: -(2^53) is out of range too, -(2^53-1) is not', () => {
    const bytes = encodeStruct('binary', 'TaskEvent', { timestamp: -(2 ** 53 - 1) });
    bytes.writeBigInt64BE(-(2n ** 53n), 3);
    expect(() => decodeStruct('binary', 'TaskEvent', bytes)).toThrow(AuroraRangeError);
  });

  it('TJSON: 2^53+1 as text is an AuroraRangeError naming the field path', () => {
    const text = encodeStruct('json', 'ScheduledTask', taskWithRam(123456789)).toString().replace('123456789', '9007199254740993');
    const err = errorOf(() => decodeStruct('json', 'ScheduledTask', Buffer.from(text)));
    expect(err).toBeInstanceOf(AuroraRangeError);
    expect(err.message).toMatch(/^ScheduledTask\.assignedTask\.task\.resources\.ramMb: i64 value/);
  });

  it('TJSON: a fractional i64 is a protocol error', () => {
    const text = encodeStruct('json', 'TaskEvent', { timestamp: 5 }).toString().replace('5', '5.5');
    expect(() => decodeStruct('json', 'TaskEvent', Buffer.from(text))).toThrow(AuroraProtocolError);
  });

  it.each(PROTOCOLS)('%s: encoding refuses fractions and unsafe numbers, accepts in-range bigints', (protocol) => {
    expect(errorOf(() => encodeStruct(protocol, 'TaskEvent', { timestamp: 1.5 }))).toBeInstanceOf(AuroraValidationError);
    const unsafe = errorOf(() => encodeStruct(protocol, 'TaskEvent', { timestamp: 2 ** 53 }));
    expect(unsafe).toBeInstanceOf(AuroraRangeError);
    expect(unsafe.message).toContain('TaskEvent.timestamp');
    expect(errorOf(() => encodeStruct(protocol, 'TaskEvent', { timestamp: 2n ** 64n }))).toBeInstanceOf(AuroraRangeError);
    expect(errorOf(() => encodeStruct(protocol, 'TaskEvent', { timestamp: '5' }))).toBeInstanceOf(AuroraValidationError);
    const fromBig = decodeStruct(protocol, 'TaskEvent', encodeStruct(protocol, 'TaskEvent', { timestamp: -(2n ** 40n) }));
    expect(fromBig).toMatchObject({ timestamp: -(2 ** 40) });
    // A bigint beyond 2^53 is sent faithfully; reading it back refuses to round.
    const big = encodeStruct(protocol, 'TaskEvent', { timestamp: 2n ** 60n });
    expect(() => decodeStruct(protocol, 'TaskEvent', big)).toThrow(AuroraRangeError);
  });
});

describe('sets, maps, absent fields and defaults', () => {
  it.each(PROTOCOLS)('%s: a JS Set of structs is sent whole (Apache sends it empty) and decodes as an array', (protocol) => {
    const resources = [{ numCpus: 0.5 }, { ramMb: 256 }, { diskMb: 1024 }, { namedPort: 'http' }];
    const config: TaskConfigInput = { resources: new Set(resources) };
    const decoded = decodeStruct<TaskConfig>(protocol, 'TaskConfig', encodeStruct(protocol, 'TaskConfig', config));
    expect(Array.isArray(decoded.resources)).toBe(true);
    expect(decoded.resources).toEqual(resources);
    expect(encodeStruct(protocol, 'TaskConfig', config)).toEqual(encodeStruct(protocol, 'TaskConfig', { resources }));
  });

  it.each(PROTOCOLS)('%s: maps accept objects or Maps and decode as plain objects; "__proto__" stays data', (protocol) => {
    const fromMap = encodeStruct(protocol, 'AssignedTask', { assignedPorts: new Map([['http', 31000], ['admin', 31001]]) });
    const fromObject = encodeStruct(protocol, 'AssignedTask', { assignedPorts: { http: 31000, admin: 31001 } });
    expect(fromMap).toEqual(fromObject);
    expect(decodeStruct(protocol, 'AssignedTask', fromMap)).toMatchObject({ assignedPorts: { http: 31000, admin: 31001 } });
    const tricky = JSON.parse('{"__proto__": "x", "constructor": "y"}') as Record<string, string>;
    const decoded = decodeStruct<{ settings: Record<string, string> }>(protocol, 'TierConfig', encodeStruct(protocol, 'TierConfig', { settings: tricky }));
    expect(Object.getPrototypeOf(decoded.settings)).toBe(Object.prototype);
    expect(Object.entries(decoded.settings)).toEqual([['__proto__', 'x'], ['constructor', 'y']]);
  });

  it.each(PROTOCOLS)('%s: null and undefined are omitted; absent fields decode as undefined, never null', (protocol) => {
    const bytes = encodeStruct(protocol, 'JobKey', { role: 'www', environment: null, name: undefined });
    expect(bytes).toEqual(encodeStruct(protocol, 'JobKey', { role: 'www' }));
    const decoded = decodeStruct<Record<string, unknown>>(protocol, 'JobKey', bytes);
    expect(decoded.role).toBe('www');
    expect(decoded.environment).toBeUndefined();
    expect(decoded.name).toBeUndefined();
    expect(Object.values(decoded)).not.toContain(null);
  });

  it.each(PROTOCOLS)('%s: an absent TaskConfig.container decodes as its IDL default {mesos: {}}, a fresh copy each time', (protocol) => {
    const bytes = encodeStruct(protocol, 'TaskConfig', { isService: true });
    const a = decodeStruct<TaskConfig>(protocol, 'TaskConfig', bytes);
    const b = decodeStruct<TaskConfig>(protocol, 'TaskConfig', bytes);
    expect(a.container).toEqual({ mesos: {} });
    expect(a.container).not.toBe(b.container);
    const docker = decodeStruct<TaskConfig>(protocol, 'TaskConfig', encodeStruct(protocol, 'TaskConfig', { container: { docker: { image: 'busybox' } } }));
    expect(docker.container).toMatchObject({ docker: { image: 'busybox' } });
  });
});

describe('validation on encode', () => {
  it.each(PROTOCOLS)('%s: unions need exactly one field', (protocol) => {
    const two = errorOf(() => encodeStruct(protocol, 'Resource', { numCpus: 1, ramMb: 2 }));
    expect(two).toBeInstanceOf(AuroraValidationError);
    expect(two.message).toBe('Resource: a union needs exactly one field, got numCpus, ramMb');
    const none = errorOf(() => encodeStruct(protocol, 'Resource', { numCPUs: 1 }));
    expect(none.message).toContain('got none');
    expect(none.message).toContain('numCPUs');
    const nested = errorOf(() => encodeStruct(protocol, 'JobConfiguration', { taskConfig: { resources: [{ numCpus: 1 }, {}] } }));
    expect((nested as AuroraValidationError).field).toBe('JobConfiguration.taskConfig.resources');
    for (const name of ['TaskConstraint', 'LockKey', 'Image', 'Container', 'SlaPolicy', 'JobUpdateStrategy', 'Result']) {
      expect(() => encodeStruct(protocol, name, {})).toThrow(AuroraValidationError);
    }
  });

  it.each(PROTOCOLS)('%s: a wrong JS type names the path and the expected type', (protocol) => {
    const cases: [unknown, string][] = [
      [{ instanceCount: 'three' }, 'JobConfiguration.instanceCount: expected i32, got "three"'],
      [{ instanceCount: 2 ** 31 }, 'JobConfiguration.instanceCount: expected i32, got 2147483648'],
      [{ key: { role: 5 } }, 'JobConfiguration.key.role: expected string, got 5'],
      [{ key: 'www/prod/hello' }, 'JobConfiguration.key: expected JobKey (an object), got "www/prod/hello"'],
      [{ taskConfig: { isService: 'yes' } }, 'JobConfiguration.taskConfig.isService: expected bool, got "yes"'],
      [{ taskConfig: { constraints: 'none' } }, 'JobConfiguration.taskConfig.constraints: expected set<Constraint> (an array or Set), got "none"'],
      [{ taskConfig: { resources: [{ numCpus: '1' }] } }, 'JobConfiguration.taskConfig.resources.numCpus: expected double, got "1"'],
      [{ taskConfig: { taskLinks: ['a'] } }, 'JobConfiguration.taskConfig.taskLinks: expected map<string,string> (an object or Map), got an array'],
    ];
    for (const [value, message] of cases) {
      const err = errorOf(() => encodeStruct(protocol, 'JobConfiguration', value as JobConfiguration));
      expect(err).toBeInstanceOf(AuroraValidationError);
      expect(err.message).toBe(message);
    }
    const badEnum = errorOf(() => encodeStruct(protocol, 'JobConfiguration', { cronCollisionPolicy: 'KILL_EXISTING' }));
    expect(badEnum.message).toMatch(/^JobConfiguration\.cronCollisionPolicy: expected CronCollisionPolicy \(one of KILL_EXISTING=0, CANCEL_NEW=1, RUN_OVERLAP=2\), got "KILL_EXISTING"$/);
    expect(() => encodeStruct(protocol, 'JobConfiguration', { cronCollisionPolicy: 7 })).toThrow(AuroraValidationError);
    expect(() => encodeStruct(protocol, 'NoSuchStruct', {})).toThrow(/unknown struct/);
    expect(() => encodeCall(protocol, 'noSuchMethod', 1, {})).toThrow(/unknown method/);
    expect(errorOf(() => encodeCall(protocol, 'killTasks', 1, { instances: [1, 'two'] })).message).toBe('killTasks.instances: expected i32, got "two"');
  });
});

describe('field ids on the wire come from the IDL, not from positions', () => {
  /** Field ids of a binary struct's top level, in order. */
  function binaryFieldIds(bytes: Buffer, start: number): number[] {
    const ids: number[] = [];
    let p = start;
    const skip: Record<number, (at: number) => number> = {
      8: (at) => at + 4,
      11: (at) => at + 4 + bytes.readInt32BE(at),
      14: (at) => at + 5 + 4 * bytes.readInt32BE(at + 1), // set<i32>
      12: (at) => {
        let q = at;
        for (;;) {
          const t = bytes[q]!;
          if (t === 0) return q + 1;
          q = skip[t]!(q + 3);
        }
      },
    };
    for (;;) {
      const t = bytes[p]!;
      if (t === 0) return ids;
      ids.push(bytes.readInt16BE(p + 1));
      p = skip[t]!(p + 3);
    }
  }

  const job = { role: 'www', environment: 'prod', name: 'hello' };

  it('restartShards: 5 job, 3 shardIds; killTasks: 4 job, 5 instances, 6 message', () => {
    const restart = encodeCall('binary', 'restartShards', 1, { job, shardIds: [0, 1] });
    expect(binaryFieldIds(restart, 4 + 4 + 'restartShards'.length + 4)).toEqual([5, 3]);
    const kill = encodeCall('binary', 'killTasks', 1, { job, instances: new Set([2]), message: 'bye' });
    expect(binaryFieldIds(kill, 4 + 4 + 'killTasks'.length + 4)).toEqual([4, 5, 6]);
    expect(Object.keys(JSON.parse(encodeCall('json', 'killTasks', 1, { job, instances: [2], message: 'bye' }).toString())[4])).toEqual(['4', '5', '6']);
    expect(Object.keys(JSON.parse(encodeCall('json', 'restartShards', 1, { job, shardIds: [1] }).toString())[4])).toEqual(['3', '5']);
  });

  it('JobConfiguration: 9 key, 7 owner, 4 cronSchedule, 5 cronCollisionPolicy, 6 taskConfig, 8 instanceCount', () => {
    const config = { key: job, owner: { user: 'www' }, cronSchedule: '* * * * *', cronCollisionPolicy: 0, taskConfig: { isService: false }, instanceCount: 2 };
    // TaskConfig has a bool (type 2) and a default container: give binaryFieldIds a skipper for it.
    const bytes = encodeStruct('binary', 'JobConfiguration', { ...config, taskConfig: { priority: 1 } });
    expect(binaryFieldIds(bytes, 0)).toEqual([9, 7, 4, 5, 6, 8]);
    const tjson = JSON.parse(encodeStruct('json', 'JobConfiguration', config).toString()) as Record<string, Record<string, unknown>>;
    expect(tjson).toMatchObject({ 9: { rec: {} }, 7: { rec: {} }, 4: { str: '* * * * *' }, 5: { i32: 0 }, 6: { rec: { 7: { tf: 0 } } }, 8: { i32: 2 } });
    expect(decodeCall('json', encodeCall('json', 'killTasks', 3, { job, instances: [1], message: 'm' })).args).toMatchObject({ job, instances: [1], message: 'm' });
  });
});

// A schema of our own for what Aurora's IDL does not use: required fields, byte, i16, binary, int map keys.
const TEST_SCHEMA: ApiSchema = {
  structs: {
    Thing: {
      name: 'Thing',
      kind: 'struct',
      fields: [
        { id: 1, name: 'must', type: 'string', req: 'required' },
        { id: 2, name: 'small', type: 'byte', req: 'optional' },
        { id: 3, name: 'medium', type: 'i16', req: 'optional' },
        { id: 4, name: 'blob', type: 'binary', req: 'optional' },
        { id: 5, name: 'ratio', type: 'double', req: 'optional' },
        { id: 6, name: 'byId', type: { map: ['i32', 'string'] }, req: 'optional' },
        { id: 7, name: 'nested', type: { list: { list: 'i64' } }, req: 'optional' },
        { id: 8, name: 'flags', type: { map: ['bool', { set: 'string' }] }, req: 'optional' },
      ],
    },
    /** Thing as a newer peer knows it: two more fields. */
    ThingV2: {
      name: 'ThingV2',
      kind: 'struct',
      fields: [
        { id: 1, name: 'must', type: 'string', req: 'required' },
        { id: 50, name: 'extra', type: { list: { struct: 'ThingV2' } }, req: 'optional' },
        { id: 51, name: 'note', type: 'string', req: 'optional' },
      ],
    },
  },
  enums: {},
  methods: {},
  services: [],
};

describe('createCodec with another schema', () => {
  const codec = createCodec(TEST_SCHEMA);

  it.each(PROTOCOLS)('%s: byte, i16, binary, doubles (NaN, ±Infinity), int and bool map keys, nested lists round trip', (protocol) => {
    for (const ratio of [NaN, Infinity, -Infinity, -0.5]) {
      const value = {
        must: 'yes',
        small: -128,
        medium: 32767,
        blob: Buffer.from([0, 255, 1, 2]),
        ratio,
        byId: { 1: 'one', '-7': 'minus seven' },
        nested: [[1, -2], [], [2 ** 53 - 1]],
        flags: { true: ['a'], false: [] },
      };
      const decoded = codec.decodeStruct<typeof value>(protocol, 'Thing', codec.encodeStruct(protocol, 'Thing', value));
      expect(decoded).toEqual({ ...value, blob: Buffer.from([0, 255, 1, 2]) });
    }
    expect(() => codec.encodeStruct(protocol, 'Thing', { must: 'x', small: 128 })).toThrow('Thing.small: expected byte (-128..127), got 128');
    expect(() => codec.encodeStruct(protocol, 'Thing', { must: 'x', byId: { one: 'x' } })).toThrow(AuroraValidationError);
    expect(() => codec.encodeStruct(protocol, 'Thing', { must: 'x', blob: 'text' })).toThrow(/expected binary/);
  });

  it.each(PROTOCOLS)('%s: a missing required field names struct.field on encode and fails decoding', (protocol) => {
    const err = errorOf(() => codec.encodeStruct(protocol, 'Thing', { small: 1 }));
    expect(err).toBeInstanceOf(AuroraValidationError);
    expect(err.message).toBe('Thing.must: required field is missing');
    const withoutMust = protocol === 'binary' ? Buffer.from([0]) : Buffer.from('{}');
    expect(() => codec.decodeStruct(protocol, 'Thing', withoutMust)).toThrow(/Thing\.must: required field is missing/);
  });

  it.each(PROTOCOLS)('%s: unknown field ids are skipped (forward compatibility)', (protocol) => {
    const newer = codec.encodeStruct(protocol, 'ThingV2', { must: 'ok', extra: [{ must: 'inner', note: 'n' }], note: 'hello' });
    expect(codec.decodeStruct(protocol, 'Thing', newer)).toMatchObject({ must: 'ok' });
  });

  it.each(PROTOCOLS)('%s: a known field with another wire type is skipped, as Apache-generated code does', (protocol) => {
    const bytes =
      protocol === 'binary'
        ? Buffer.from([11, 0, 1, 0, 0, 0, 1, 0x78, 8, 0, 3, 0, 0, 0, 5, 0]) // must="x", medium sent as i32
        : Buffer.from('{"1":{"str":"x"},"3":{"i32":5}}');
    expect(codec.decodeStruct(protocol, 'Thing', bytes)).toMatchObject({ must: 'x', medium: undefined });
  });
});

describe('HTTP content types', () => {
  it('names the headers for each protocol', () => {
    expect(contentTypes.json).toEqual({ contentType: 'application/x-thrift', accept: 'application/vnd.apache.thrift.json' });
    expect(contentTypes.binary).toEqual({ contentType: 'application/vnd.apache.thrift.binary', accept: 'application/vnd.apache.thrift.binary' });
  });

  it('picks the request and response protocol the way Aurora does', () => {
    expect(requestProtocol(undefined)).toBe('json');
    expect(requestProtocol('application/json; charset=utf-8')).toBe('json');
    expect(requestProtocol('application/vnd.apache.thrift.json')).toBe('json');
    expect(requestProtocol('application/x-thrift')).toBe('json');
    expect(requestProtocol('application/vnd.apache.thrift.binary')).toBe('binary');
    expect(requestProtocol('text/plain')).toBeUndefined();
    expect(responseProtocol('application/vnd.apache.thrift.binary')).toBe('binary');
    expect(responseProtocol('application/vnd.apache.thrift.json')).toBe('json');
    expect(responseProtocol(undefined)).toBe('json');
    expect(responseProtocol('*/*')).toBe('json');
  });
});
