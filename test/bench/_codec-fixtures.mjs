// Shared by test/protocol/*.test.ts and test/bench/codec.mjs: Apache Thrift's generated JS (the
// reference implementation), conversions between its objects and aurora-ts' idiomatic values, and
// a realistic getTasksStatus reply.
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, symlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(join(root, 'package.json'));

/**
 * Apache's `thrift --gen js:node,es6,ts` output for thrift/api.thrift, from src/gen/thrift/ (committed by
 * `npm run gen`). If that directory is absent (a fresh checkout mid-development) it is generated into a
 * temporary directory with the system thrift compiler, linked to this project's node_modules.
 */
export function loadApache() {
  let dir = join(root, 'src/gen/thrift');
  if (!existsSync(join(dir, 'api_types.js'))) {
    dir = mkdtempSync(join(tmpdir(), 'aurora-apache-'));
    const idl = join(root, 'thrift/api.thrift');
    const out = spawnSync('thrift', ['--gen', 'js:node,es6,ts', '-out', dir, idl], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`thrift compiler failed: ${out.stderr || out.error}`);
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  }
  const thrift = require('thrift');
  const load = (name) => createRequire(join(dir, 'x.js'))(join(dir, name));
  return {
    thrift,
    jsonParse: require('thrift/lib/nodejs/lib/thrift/json_parse.js'),
    ttypes: load('api_types.js'),
    services: {
      ReadOnlyScheduler: load('ReadOnlyScheduler.js'),
      AuroraSchedulerManager: load('AuroraSchedulerManager.js'),
      AuroraAdmin: load('AuroraAdmin.js'),
    },
  };
}

/** npm thrift protocol class for our protocol name. */
export function apacheProtocol(apache, protocol) {
  return protocol === 'binary' ? apache.thrift.TBinaryProtocol : apache.thrift.TJSONProtocol;
}

/** A write side: returns [protocol, () => bytes written so far (after flush)]. */
export function apacheWriter(apache, protocol) {
  let out = Buffer.alloc(0);
  const transport = new apache.thrift.TBufferedTransport(undefined, (buf) => {
    out = Buffer.concat([out, buf]);
  });
  const Proto = apacheProtocol(apache, protocol);
  return [new Proto(transport), () => out, transport];
}

/** A read side over `bytes`. For TJSON without an envelope, the parsed struct is placed where readStructBegin expects it. */
export function apacheReader(apache, protocol, bytes, bareStruct = false) {
  let transport;
  apache.thrift.TBufferedTransport.receiver((t) => {
    transport = t;
  })(Buffer.from(bytes));
  const Proto = apacheProtocol(apache, protocol);
  const p = new Proto(transport);
  if (bareStruct && protocol === 'json') {
    p.rstack = [apache.jsonParse(Buffer.from(bytes).toString('utf8'))];
    p.rpos = [];
  }
  return p;
}

// ---- conversions, driven by the schema

function isI64(v) {
  return v !== null && typeof v === 'object' && typeof v.toOctetString === 'function';
}

/** Idiomatic value → the objects Apache's generated constructors and writers expect. */
export function toApache(apache, schema, type, v) {
  if (v === undefined || v === null) return null;
  if (typeof type === 'string') {
    // Plain numbers, not Int64: npm thrift's TJSON writer prints a small negative Int64 with
    // leading zeros (-5 as -000000000005, invalid JSON); both its writers accept numbers.
    if (type === 'i64') return Number(v);
    return v;
  }
  if ('enum' in type) return v;
  if ('list' in type) return [...v].map((e) => toApache(apache, schema, type.list, e));
  if ('set' in type) return [...v].map((e) => toApache(apache, schema, type.set, e));
  if ('map' in type) {
    const out = {};
    for (const [k, e] of v instanceof Map ? v : Object.entries(v)) out[k] = toApache(apache, schema, type.map[1], e);
    return out;
  }
  const def = schema.structs[type.struct];
  const args = {};
  for (const f of def.fields) {
    const x = toApache(apache, schema, f.type, v[f.name]);
    if (x !== null) args[f.name] = x;
  }
  return new apache.ttypes[type.struct](args);
}

/** Apache's decoded objects → idiomatic values (null fields dropped, Int64 → number). */
export function fromApache(apache, schema, type, v) {
  if (v === undefined || v === null) return undefined;
  if (typeof type === 'string') {
    if (type === 'i64') {
      if (!isI64(v)) return v;
      const big = apache.thrift.toBigInt(v);
      return Number(big);
    }
    return v;
  }
  if ('enum' in type) return v;
  if ('list' in type) return v.map((e) => fromApache(apache, schema, type.list, e));
  if ('set' in type) return v.map((e) => fromApache(apache, schema, type.set, e));
  if ('map' in type) {
    const out = {};
    for (const [k, e] of Object.entries(v)) out[k] = fromApache(apache, schema, type.map[1], e);
    return out;
  }
  const def = schema.structs[type.struct];
  const out = {};
  for (const f of def.fields) {
    const x = fromApache(apache, schema, f.type, v[f.name]);
    if (x !== undefined) out[f.name] = x;
  }
  return out;
}

/** Drops undefined properties (our decoders give every field a slot) for strict comparisons. */
export function prune(v) {
  if (Array.isArray(v)) return v.map(prune);
  if (v instanceof Uint8Array || v === null || typeof v !== 'object') return v;
  const out = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = prune(x);
  return out;
}

// ---- a realistic reply: getTasksStatus for a large service job

const ScheduleStatus = { PENDING: 0, STARTING: 1, RUNNING: 2, ASSIGNED: 9 };

function uuid(i) {
  const h = (n) => ((n * 2654435761) >>> 0).toString(16).padStart(8, '0');
  return `${h(i)}-${h(i + 1).slice(0, 4)}-4${h(i + 2).slice(0, 3)}-a${h(i + 3).slice(0, 3)}-${h(i + 4)}${h(i + 5).slice(0, 4)}`;
}

function thermosPayload(i) {
  return JSON.stringify({
    environment: 'prod',
    name: 'hello',
    cluster: 'devcluster',
    task: {
      processes: [
        { name: 'hello', max_failures: 1, cmdline: `exec ./hello-${i % 7} --port={{thermos.ports[http]}}` },
      ],
      name: 'hello',
      resources: { disk: 4294967296, ram: 1073741824, cpu: 0.5 },
    },
    priority: 0,
    role: 'www-data',
  });
}

export function buildScheduledTask(i) {
  const base = 1_700_000_000_000 + i * 1000;
  const id = uuid(i);
  return {
    assignedTask: {
      taskId: `www-data-prod-hello-${i}-${id}`,
      slaveId: `${uuid(i % 97)}-S${i % 97}`,
      slaveHost: `agent-${i % 97}.dc1.example.com`,
      task: {
        job: { role: 'www-data', environment: 'prod', name: 'hello' },
        owner: { user: 'www-data' },
        isService: true,
        priority: 0,
        maxTaskFailures: 1,
        production: false,
        tier: 'preemptible',
        resources: [{ numCpus: 0.5 }, { ramMb: 1024 }, { diskMb: 4096 }, { namedPort: 'http' }, { namedPort: 'admin' }],
        constraints: [
          { name: 'host', constraint: { limit: { limit: 1 } } },
          { name: 'rack', constraint: { value: { negated: false, values: ['rack-1', 'rack-2', 'rack-3'] } } },
        ],
        contactEmail: 'hello-team@example.com',
        executorConfig: { name: 'AuroraExecutor', data: thermosPayload(i) },
        metadata: [{ key: 'org.apache.aurora.client.update_id', value: uuid(i >> 4) }],
        partitionPolicy: { reschedule: true, delaySecs: 60 },
        container: { mesos: {} },
      },
      assignedPorts: { http: 31000 + (i % 1000), admin: 32000 + (i % 1000) },
      instanceId: i,
    },
    status: ScheduleStatus.RUNNING,
    failureCount: i % 3,
    timesPartitioned: 0,
    taskEvents: [
      { timestamp: base, status: ScheduleStatus.PENDING, scheduler: 'aurora-scheduler-1' },
      { timestamp: base + 1200, status: ScheduleStatus.ASSIGNED },
      { timestamp: base + 3400, status: ScheduleStatus.STARTING, message: 'Initializing sandbox.' },
      { timestamp: base + 9100, status: ScheduleStatus.RUNNING },
    ],
    ancestorId: i % 5 === 0 ? `www-data-prod-hello-${i}-${uuid(i + 99991)}` : undefined,
  };
}

/** The Response a scheduler answers getTasksStatus with, for `n` running tasks. */
export function buildTasksResponse(n) {
  const tasks = [];
  for (let i = 0; i < n; i++) tasks.push(buildScheduledTask(i));
  return {
    responseCode: 1,
    serverInfo: { clusterName: 'devcluster', statsUrlPrefix: 'https://viz.example.com/' },
    result: { scheduleStatusResult: { tasks } },
    details: [],
  };
}
