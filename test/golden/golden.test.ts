/**
 * Cross-implementation golden tests: bytes written by Apache Thrift's Python implementation (from
 * Aurora's own IDL, see README.md) decode with aurora-ts to the expected idiomatic values, and what
 * aurora-ts encodes from those values decodes with python3-thrift back to the same values.
 */
import { readFileSync, rmSync, writeFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobConfiguration, Response, ScheduledTask, TaskQuery } from '../../src/gen/types.js';
import { ResponseCode, ScheduleStatus } from '../../src/gen/types.js';
import {
  decodeCall,
  decodeReply,
  decodeStruct,
  encodeCall,
  encodeReply,
  encodeStruct,
  type WireProtocol,
} from '../../src/protocol/index.js';
import { API_THRIFT, GOLDEN_DIR, argsUnordered, requirePythonThrift, runPython, structUnordered } from './python.js';

interface Fixture {
  name: string;
  kind: 'struct' | 'call' | 'reply';
  type?: string;
  method?: string;
  seqid?: number;
  value: Record<string, unknown>;
}

const FIXTURES = join(GOLDEN_DIR, 'fixtures');
const EXPECTED: Fixture[] = (JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as { fixtures: Fixture[] }).fixtures;
const PROTOCOLS: Array<{ protocol: WireProtocol; ext: string }> = [
  { protocol: 'binary', ext: 'tbinary' },
  { protocol: 'json', ext: 'tjson' },
];

const temp = mkdtempSync(join(tmpdir(), 'aurora-ts-golden-'));

beforeAll(() => {
  requirePythonThrift();
});
afterAll(() => rmSync(temp, { recursive: true, force: true }));

function bytes(name: string, ext: string): Buffer {
  return readFileSync(join(FIXTURES, `${name}.${ext}`));
}

/** The value in the form compared: sets sorted (Python writes them in hash order). */
function comparable(f: Fixture, value: Record<string, unknown>): Record<string, unknown> {
  if (f.kind === 'struct') return structUnordered(f.type!, value);
  if (f.kind === 'call') return argsUnordered(f.method!, value);
  return structUnordered('Response', value);
}

function expectedOf(name: string): Fixture {
  const f = EXPECTED.find((x) => x.name === name);
  if (f === undefined) throw new Error(`no fixture ${name}`);
  return f;
}

describe('the committed fixtures', () => {
  it('cover what the brief asks for, in both protocols', () => {
    const names = EXPECTED.map((f) => f.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'job-custom-executor',
        'response-scheduled-tasks',
        'update-request-queue',
        'update-request-batch',
        'update-request-varbatch',
        'task-query',
        'call-killTasks',
        'call-restartShards',
        'reply-getJobSummary',
      ]),
    );
    const codes = EXPECTED.filter((f) => f.type === 'Response' && f.name !== 'response-scheduled-tasks').map((f) => f.value.responseCode);
    expect(codes.sort()).toEqual(Object.values(ResponseCode).filter((v) => typeof v === 'number').sort());
    const files = readdirSync(FIXTURES);
    for (const f of EXPECTED) for (const { ext } of PROTOCOLS) expect(files).toContain(`${f.name}.${ext}`);
  });

  it('are exactly what make_fixtures.py writes (from thrift/api.thrift, wire-identical to Aurora\'s IDL)', () => {
    const out = join(temp, 'regenerated');
    runPython('make_fixtures.py', [API_THRIFT, out]);
    for (const file of readdirSync(FIXTURES)) {
      expect(readFileSync(join(out, file)), file).toEqual(readFileSync(join(FIXTURES, file)));
    }
    expect(readdirSync(out).sort()).toEqual(readdirSync(FIXTURES).sort());
  });
});

describe.each(PROTOCOLS)('python3-thrift → aurora-ts ($protocol)', ({ protocol, ext }) => {
  it.each(EXPECTED.map((f) => [f.name, f] as const))('%s decodes to the expected value', (_name, f) => {
    const data = bytes(f.name, ext);
    if (f.kind === 'struct') {
      expect(structUnordered(f.type!, decodeStruct(protocol, f.type!, data))).toEqual(comparable(f, f.value));
    } else if (f.kind === 'call') {
      const call = decodeCall(protocol, data);
      expect({ method: call.method, seqid: call.seqid, oneway: call.oneway }).toEqual({ method: f.method, seqid: f.seqid, oneway: false });
      expect(argsUnordered(f.method!, call.args)).toEqual(comparable(f, f.value));
    } else {
      const response = decodeReply(protocol, f.method!, data);
      expect(structUnordered('Response', response as unknown as Record<string, unknown>)).toEqual(comparable(f, f.value));
    }
  });

  it('gives the values a user reads: i64 as exact numbers, sets as arrays, enums as numbers, unset fields absent', () => {
    const job = decodeStruct<JobConfiguration>(protocol, 'JobConfiguration', bytes('job-custom-executor', ext));
    expect(job.taskConfig?.executorConfig?.name).toBe('my-executor');
    expect(JSON.parse(job.taskConfig!.executorConfig!.data!)).toEqual({ cmd: 'serve --port {{http}}', note: 'ünïcødé ✓ 𝄞 "quoted"\n' });
    expect(Array.isArray(job.taskConfig?.resources)).toBe(true);
    expect(job.taskConfig?.resources).toEqual(
      expect.arrayContaining([{ numCpus: 0.25 }, { ramMb: 128 }, { diskMb: 2 ** 53 - 1 }, { namedPort: 'http' }, { namedPort: 'admin' }, { numGpus: 1 }]),
    );
    expect(job.taskConfig?.constraints).toEqual(
      expect.arrayContaining([{ name: 'host', constraint: { limit: { limit: 1 } } }]),
    );
    expect(job.taskConfig?.container).toEqual({
      mesos: { image: { docker: { name: 'library/busybox', tag: '1.36' } }, volumes: [{ containerPath: '/data', hostPath: '/srv/data', mode: 2 }] },
    });
    // Unset fields read as undefined (the decoder keeps every field key so objects share one shape)
    // and vanish from JSON.
    expect(job.cronSchedule).toBeUndefined();
    expect(JSON.parse(JSON.stringify(job))).not.toHaveProperty('cronCollisionPolicy');

    const cron = decodeStruct<JobConfiguration>(protocol, 'JobConfiguration', bytes('job-cron', ext));
    expect(cron.taskConfig?.container).toEqual({ mesos: {} });
    expect(cron.taskConfig?.constraints).toEqual([]);
    expect(cron.taskConfig?.metadata).toBeUndefined();

    const reply = decodeStruct<Response>(protocol, 'Response', bytes('response-scheduled-tasks', ext));
    const tasks: ScheduledTask[] = reply.result?.scheduleStatusResult?.tasks ?? [];
    expect(tasks.map((t) => t.status)).toEqual([ScheduleStatus.RUNNING, ScheduleStatus.KILLED]);
    expect(tasks[0]!.taskEvents!.map((e) => e.timestamp)).toEqual([1_700_000_000_123, 2 ** 53 - 2, Number.MAX_SAFE_INTEGER]);
    expect(tasks[1]!.taskEvents!.map((e) => e.timestamp)).toEqual([-1, Number.MIN_SAFE_INTEGER, 0]);
    expect(tasks[0]!.assignedTask?.assignedPorts).toEqual({ http: 31000, admin: 32000 });
    expect(tasks[0]!.taskEvents![0]!.message).toBeUndefined();

    const query = decodeStruct<TaskQuery>(protocol, 'TaskQuery', bytes('task-query', ext));
    expect([...(query.statuses ?? [])].sort()).toEqual([ScheduleStatus.PENDING, ScheduleStatus.RUNNING, ScheduleStatus.THROTTLED, ScheduleStatus.PARTITIONED].sort());
    expect(query.jobKeys).toHaveLength(3);
    expect(query.jobName).toBeUndefined();
  });
});

describe('aurora-ts → python3-thrift', () => {
  it('every expected value, encoded by aurora-ts in both protocols, decodes with python3-thrift to the same value', () => {
    const manifest: Array<Record<string, unknown>> = [];
    for (const f of EXPECTED) {
      for (const { protocol, ext } of PROTOCOLS) {
        let data: Buffer;
        if (f.kind === 'struct') data = encodeStruct(protocol, f.type!, f.value);
        else if (f.kind === 'call') data = encodeCall(protocol, f.method!, f.seqid!, f.value);
        // A reply fixture's value is a Response (read as JSON; the decode test above compares it with one).
        else data = encodeReply(protocol, f.method!, f.seqid!, f.value as unknown as Response);
        const file = join(temp, `${f.name}.${ext}`);
        writeFileSync(file, data);
        manifest.push({ name: f.name, kind: f.kind, type: f.type, protocol, file });
      }
    }
    const manifestFile = join(temp, 'manifest.json');
    writeFileSync(manifestFile, JSON.stringify(manifest));
    const { results } = JSON.parse(runPython('decode.py', [API_THRIFT, manifestFile])) as {
      results: Array<{ name: string; protocol: string; value?: Record<string, unknown>; method?: string; messageType?: number; seqid?: number; error?: string }>;
    };
    expect(results).toHaveLength(EXPECTED.length * PROTOCOLS.length);
    for (const r of results) {
      const f = expectedOf(r.name);
      const label = `${r.name} (${r.protocol})`;
      expect(r.error, label).toBeUndefined();
      expect(comparable(f, r.value!), label).toEqual(comparable(f, f.value));
      if (f.kind !== 'struct') {
        expect({ method: r.method, seqid: r.seqid, messageType: r.messageType }, label).toEqual({
          method: f.method,
          seqid: f.seqid,
          messageType: f.kind === 'call' ? 1 : 2,
        });
      }
    }
  });
});
