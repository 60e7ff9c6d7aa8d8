// thrift/api.thrift must be wire-identical to Apache Aurora's api.thrift (as
// recorded in thrift/aurora-manifest.json), and the Apache Thrift output in
// src/gen/thrift must encode exactly the ids and types the manifest lists.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  addOptionalListSeparators,
  allMethods,
  diffManifests,
  manifestOf,
  manifestOfText,
} from '../../scripts/idl-manifest.mjs';
import { BinaryReader, type Manifest, sampleStruct, sampleValue, typeTree, walkStruct } from './thrift-wire.js';

const require = createRequire(import.meta.url);
const root = new URL('../../', import.meta.url);
const idlPath = new URL('thrift/api.thrift', root).pathname;

// Generated code and the npm runtime are CommonJS; load them untyped.
const thrift = require('thrift');
const ttypes = require('../../src/gen/thrift/api_types.js');
const generatedServices: Record<string, { Client: new (transport: unknown, protocol: unknown) => Record<string, unknown> }> = {
  ReadOnlyScheduler: require('../../src/gen/thrift/ReadOnlyScheduler.js'),
  AuroraSchedulerManager: require('../../src/gen/thrift/AuroraSchedulerManager.js'),
  AuroraAdmin: require('../../src/gen/thrift/AuroraAdmin.js'),
};

const aurora = JSON.parse(readFileSync(new URL('thrift/aurora-manifest.json', root), 'utf8')) as Manifest;
const ours = manifestOf(idlPath);
const makeI64 = (n: number): unknown => new thrift.Int64(n);

/** Bytes written through a TBufferedTransport by `write(protocol, transport)`. */
function encode(write: (protocol: unknown, transport: unknown) => void): Buffer {
  let bytes: Buffer | undefined;
  const transport = new thrift.TBufferedTransport(undefined, (msg: Buffer) => {
    bytes = msg;
  });
  write(new thrift.TBinaryProtocol(transport), transport);
  transport.flush();
  if (!bytes) throw new Error('nothing was written');
  return bytes;
}

describe('thrift/aurora-manifest.json (from Apache Aurora 11ebaee)', () => {
  it('records where it came from', () => {
    expect(aurora.source).toMatchObject({
      repo: 'apache/aurora',
      commit: expect.stringMatching(/^11ebaee[0-9a-f]{33}$/),
      path: 'api/src/main/thrift/org/apache/aurora/gen/api.thrift',
    });
  });

  it('has 3 services, each extending the previous, with 45 methods in all', () => {
    expect(Object.keys(aurora.services).sort()).toEqual(['AuroraAdmin', 'AuroraSchedulerManager', 'ReadOnlyScheduler']);
    expect(aurora.services.ReadOnlyScheduler.extends).toBeNull();
    expect(aurora.services.AuroraSchedulerManager.extends).toBe('ReadOnlyScheduler');
    expect(aurora.services.AuroraAdmin.extends).toBe('AuroraSchedulerManager');
    expect(Object.keys(aurora.services.ReadOnlyScheduler.methods)).toHaveLength(13);
    expect(Object.keys(aurora.services.AuroraSchedulerManager.methods)).toHaveLength(14);
    expect(Object.keys(aurora.services.AuroraAdmin.methods)).toHaveLength(18);
    expect(allMethods(aurora, 'AuroraAdmin')).toHaveLength(45);
    for (const [service, m] of allMethods(aurora, 'AuroraAdmin')) {
      expect(aurora.services[service].methods[m].returns, `${service}.${m}`).toBe('Response');
    }
  });

  it('keeps the ids that are not 1..n', () => {
    const args = (service: string, method: string): Array<[number, string, string]> =>
      aurora.services[service].methods[method].args.map((a) => [a.id, a.name, a.type]);
    expect(args('AuroraSchedulerManager', 'restartShards')).toEqual([
      [5, 'job', 'JobKey'],
      [3, 'shardIds', 'set<i32>'],
    ]);
    expect(args('AuroraSchedulerManager', 'killTasks')).toEqual([
      [4, 'job', 'JobKey'],
      [5, 'instances', 'set<i32>'],
      [6, 'message', 'string'],
    ]);
    expect(args('AuroraSchedulerManager', 'descheduleCronJob')).toEqual([[4, 'job', 'JobKey']]);
    expect(args('AuroraSchedulerManager', 'rollbackJobUpdate')).toEqual([
      [1, 'key', 'JobUpdateKey'],
      [2, 'message', 'string'],
    ]);
    const ids = (struct: string) => Object.fromEntries(aurora.structs[struct].fields.map((f) => [f.name, f.id]));
    expect(ids('JobConfiguration')).toEqual({
      key: 9,
      owner: 7,
      cronSchedule: 4,
      cronCollisionPolicy: 5,
      taskConfig: 6,
      instanceCount: 8,
    });
    expect(aurora.structs.Resource).toEqual({
      kind: 'union',
      fields: [
        // Union members are optional by definition.
        { id: 1, name: 'numCpus', type: 'double', requiredness: 'optional' },
        { id: 2, name: 'ramMb', type: 'i64', requiredness: 'optional' },
        { id: 3, name: 'diskMb', type: 'i64', requiredness: 'optional' },
        { id: 4, name: 'namedPort', type: 'string', requiredness: 'optional' },
        { id: 5, name: 'numGpus', type: 'i64', requiredness: 'optional' },
      ],
    });
    const taskConfig = aurora.structs.TaskConfig.fields;
    expect(taskConfig.find((f) => f.name === 'resources')).toMatchObject({ id: 32, type: 'set<Resource>' });
    expect(taskConfig.find((f) => f.name === 'container')).toMatchObject({ id: 29, default: { mesos: {} } });
    expect(aurora.structs.AssignedTask.fields.find((f) => f.name === 'assignedPorts')?.type).toBe('map<string,i32>');
  });

  it('resolves enums and constants to their values', () => {
    expect(aurora.enums.ResponseCode).toEqual({
      INVALID_REQUEST: 0,
      OK: 1,
      ERROR: 2,
      WARNING: 3,
      AUTH_FAILED: 4,
      JOB_UPDATING_ERROR: 5,
      ERROR_TRANSIENT: 6,
    });
    const s = aurora.enums.ScheduleStatus as Record<string, number>;
    // ACTIVE_STATES lacks a comma in Aurora's file; all ten members must still be there.
    expect(aurora.consts.ACTIVE_STATES).toEqual({
      type: 'set<ScheduleStatus>',
      value: [s.ASSIGNED, s.DRAINING, s.KILLING, s.PENDING, s.PREEMPTING, s.RESTARTING, s.RUNNING, s.STARTING, s.PARTITIONED, s.THROTTLED].sort((a, b) => a - b),
    });
    expect(aurora.consts.GOOD_IDENTIFIER_PATTERN.value).toBe('^[\\w\\-\\.]+$');
    expect(aurora.consts.GOOD_IDENTIFIER_PATTERN_JVM.value).toBe('^[\\w\\-\\.]+$');
    expect(aurora.consts.AURORA_EXECUTOR_NAME.value).toBe('AuroraExecutor');
    expect(aurora.consts.BYPASS_LEADER_REDIRECT_HEADER_NAME.value).toBe('Bypass-Leader-Redirect');
  });
});

describe('thrift/api.thrift', () => {
  it('is wire-identical to Aurora, entry by entry', () => {
    expect(diffManifests(aurora, ours)).toEqual([]);
  });

  it('parses as written with @creditkarma/thrift-parser (no separator fix-up needed)', () => {
    const parsed = require('@creditkarma/thrift-parser').parse(readFileSync(idlPath, 'utf8'));
    expect(parsed.type).toBe('ThriftDocument');
  });

  it('a drifted id, type or default is reported by name', () => {
    const drifted = readFileSync(idlPath, 'utf8')
      .replace('  7: bool isService', '  8: bool isService')
      .replace('restartShards(5: JobKey job', 'restartShards(4: JobKey job')
      .replace('  2: i64 ramMb', '  2: i32 ramMb')
      .replace('29: Container container = { "mesos": {} }', '29: optional Container container');
    expect(diffManifests(aurora, manifestOfText(drifted)).sort()).toEqual([
      'AuroraSchedulerManager.restartShards.arg 4 job: unexpected (JobKey job)',
      'AuroraSchedulerManager.restartShards.arg 5 job: missing (expected JobKey job)',
      'Resource.field 2 ramMb: expected optional i64 ramMb, got optional i32 ramMb',
      'TaskConfig.field 29 container: expected Container container = {"mesos":{}}, got optional Container container',
      'TaskConfig.field 7 isService: missing (expected bool isService)',
      'TaskConfig.field 8 isService: unexpected (bool isService)',
    ]);
  });

  it('list items separated only by whitespace parse like comma-separated ones', () => {
    const loose = 'enum E { A = 1, B = 2 }\nconst set<E> S = [E.A\n  // note\n  E.B]\nconst list<string> L = ["x" "y"]\n';
    expect(addOptionalListSeparators(loose)).toContain('// note\n  ,E.B]');
    expect(addOptionalListSeparators(loose)).toContain('["x" ,"y"]');
    expect(manifestOfText(loose).consts).toEqual({
      L: { type: 'list<string>', value: ['x', 'y'] },
      S: { type: 'set<E>', value: [1, 2] },
    });
  });
});

describe('Apache Thrift output in src/gen/thrift', () => {
  it('encodes every struct and union with the manifest ids and wire types', () => {
    const problems = new Set<string>();
    for (const [name, struct] of Object.entries(ours.structs)) {
      const Ctor = ttypes[name];
      expect(Ctor, `generated class ${name}`).toBeTypeOf('function');
      const bytes = encode((p) => new Ctor(sampleStruct(ours, name, makeI64)).write(p));
      const r = new BinaryReader(bytes);
      walkStruct(ours, r, name, struct.fields, problems);
      if (r.remaining !== 0) problems.add(`${name}: ${r.remaining} bytes left after the struct`);
    }
    expect([...problems]).toEqual([]);
  });

  it('the byte walker names a field whose id differs from the manifest', () => {
    const drifted = structuredClone(ours);
    const isService = drifted.structs.TaskConfig.fields.find((f) => f.name === 'isService');
    if (isService) isService.id = 8;
    const problems = new Set<string>();
    const bytes = encode((p) => new ttypes.TaskConfig(sampleStruct(ours, 'TaskConfig', makeI64)).write(p));
    walkStruct(drifted, new BinaryReader(bytes), 'TaskConfig', drifted.structs.TaskConfig.fields, problems);
    expect([...problems]).toEqual([
      'TaskConfig.field 7: written but not in the manifest',
      'TaskConfig.field 8 isService: set but not written',
    ]);
  });

  it('encodes every method call with the manifest argument ids and wire types', () => {
    const problems = new Set<string>();
    let calls = 0;
    for (const [service, def] of Object.entries(ours.services)) {
      for (const [method, m] of Object.entries(def.methods)) {
        const bytes = encode((_protocol, transport) => {
          const client = new generatedServices[service].Client(transport, thrift.TBinaryProtocol);
          const args = m.args.map((a) => sampleValue(ours, typeTree(a.type), makeI64));
          (client[`send_${method}`] as (...a: unknown[]) => void)(...args);
        });
        const r = new BinaryReader(bytes);
        const versionAndType = r.i32() >>> 0;
        expect(versionAndType, `${service}.${method} message header`).toBe(0x80010001); // strict, CALL
        expect(r.string(), 'method names go on the wire bare').toBe(method);
        r.i32(); // seqid
        walkStruct(ours, r, `${service}.${method}`, m.args, problems, 'arg');
        if (r.remaining !== 0) problems.add(`${service}.${method}: ${r.remaining} bytes left after the args`);
        calls += 1;
      }
    }
    expect([...problems]).toEqual([]);
    expect(calls).toBe(45);
  });

  it('service clients expose every method, inherited ones included', () => {
    for (const service of Object.keys(ours.services)) {
      const proto = generatedServices[service].Client.prototype as Record<string, unknown>;
      const missing = allMethods(ours, service)
        .map(([, m]) => m)
        .filter((m) => typeof proto[m] !== 'function' || typeof proto[`send_${m}`] !== 'function');
      expect(missing, `${service}.Client`).toEqual([]);
    }
    expect(allMethods(ours, 'AuroraAdmin')).toHaveLength(45);
  });

  it('exports the same enum numbers and constants', () => {
    for (const [name, values] of Object.entries(ours.enums)) {
      // The generated object also maps numbers back to names; compare names only.
      const byName = Object.fromEntries(Object.entries(ttypes[name] as object).filter(([k]) => !/^\d+$/.test(k)));
      expect(byName, `enum ${name}`).toEqual(values);
    }
    for (const [name, c] of Object.entries(ours.consts)) {
      const generated = ttypes[name];
      const value = c.type.startsWith('set<') ? [...(generated as number[])].sort((a, b) => a - b) : generated;
      expect(value, `const ${name}`).toEqual(c.value);
    }
  });
});
