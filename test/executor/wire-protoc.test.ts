/**
 * The kit's wire format checked by an implementation this project did not write: Debian's protoc
 * (protobuf-compiler) with the Mesos v1 .proto files Debian's golang-github-mesos-mesos-go-dev ships
 * (packages `mesos` and `mesos.executor`). A scripted agent in this file answers the kit's calls:
 * with protobuf, every Event it sends is encoded by `protoc --encode mesos.executor.Event` from
 * text format and every Call the kit sends is read by `protoc --decode mesos.executor.Call`; with
 * JSON, the Events are written by hand as Mesos documents them (docs/executor-http-api.md) and each
 * JSON Call must round-trip through a schema compiled by protoc from those same files (every name
 * one of Mesos' fields, snake_case) before protoc decodes it. The events: SUBSCRIBED, LAUNCH (with a
 * Thrift AssignedTask as data), ERROR, MESSAGE, KILL, ACKNOWLEDGED; mesos-go 0.0.6's files predate
 * HEARTBEAT, which the kit's own schema has and test/executor/kit-agent.test.ts sends.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import protobuf from 'protobufjs';
// Adds Root.fromDescriptor, which reads a descriptor set as protoc writes it.
import 'protobufjs/ext/descriptor.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeStruct } from '../../src/protocol/index.js';
import { waitFor } from '../support/scheduler.js';

const FIXTURE = resolve(import.meta.dirname, '../fixtures/kit-executor/executor.mjs');
const GOCODE = '/usr/share/gocode/src';
const EXECUTOR_PROTO = 'github.com/mesos/mesos-go/api/v1/lib/executor/executor.proto';

function protoc(args: string[], input: Buffer | string): Buffer {
  const r = spawnSync('protoc', [`-I${GOCODE}`, '-I/usr/include', ...args, EXECUTOR_PROTO], { input });
  if (r.status !== 0) throw new Error(`protoc ${args.join(' ')} failed (needs protobuf-compiler, libprotobuf-dev, golang-github-mesos-mesos-go-dev): ${r.error?.message ?? ''}${r.stderr}`);
  return r.stdout;
}

/** Bytes as a text-format string literal: every byte octal-escaped. */
const textBytes = (bytes: Uint8Array): string => `"${[...bytes].map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('')}"`;

/** A text-format string literal's bytes, as protoc prints them (C escapes). */
function parseTextBytes(literal: string): Buffer {
  const out: number[] = [];
  const simple: Record<string, number> = { n: 10, r: 13, t: 9, '"': 34, "'": 39, '\\': 92 };
  for (let i = 0; i < literal.length; i++) {
    if (literal[i] !== '\\') {
      out.push(literal.charCodeAt(i));
      continue;
    }
    const next = literal[++i]!;
    if (next in simple) out.push(simple[next]!);
    else {
      out.push(parseInt(literal.slice(i, i + 3), 8));
      i += 2;
    }
  }
  return Buffer.from(out);
}

const TASK_ID = 'task-wire';
const EXECUTOR_ID = 'kit-wire';
const FRAMEWORK_ID = 'framework-wire';
const ASSIGNED = { taskId: TASK_ID, instanceId: 3, task: { job: { role: 'www-data', environment: 'devel', name: 'wire' }, executorConfig: { name: 'kit', data: JSON.stringify({ cmd: 'exec sleep 600' }) } } };
const THRIFT = encodeStruct('binary', 'AssignedTask', ASSIGNED);

/** The same events, in text format (for protoc --encode) and as Mesos' JSON. */
const EVENTS = {
  subscribed: {
    text: `type: SUBSCRIBED subscribed { executor_info { executor_id { value: "${EXECUTOR_ID}" } framework_id { value: "${FRAMEWORK_ID}" } command { value: "node" } } framework_info { user: "tester" name: "Aurora" id { value: "${FRAMEWORK_ID}" } checkpoint: true } agent_info { hostname: "localhost" port: 5051 } container_id { value: "c-1" } }`,
    json: {
      type: 'SUBSCRIBED',
      subscribed: {
        executor_info: { executor_id: { value: EXECUTOR_ID }, framework_id: { value: FRAMEWORK_ID }, command: { value: 'node' } },
        framework_info: { user: 'tester', name: 'Aurora', id: { value: FRAMEWORK_ID }, checkpoint: true },
        agent_info: { hostname: 'localhost', port: 5051 },
        container_id: { value: 'c-1' },
      },
    },
  },
  launch: {
    text: `type: LAUNCH launch { task { name: "www-data/devel/wire" task_id { value: "${TASK_ID}" } agent_id { value: "agent-1" } resources { name: "cpus" type: SCALAR scalar { value: 0.5 } } kill_policy { grace_period { nanoseconds: 200000000 } } data: ${textBytes(THRIFT)} } }`,
    json: {
      type: 'LAUNCH',
      launch: {
        task: {
          name: 'www-data/devel/wire',
          task_id: { value: TASK_ID },
          agent_id: { value: 'agent-1' },
          resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 } }],
          kill_policy: { grace_period: { nanoseconds: 200000000 } },
          data: THRIFT.toString('base64'),
        },
      },
    },
  },
  error: { text: 'type: ERROR error { message: "boom" }', json: { type: 'ERROR', error: { message: 'boom' } } },
  message: { text: `type: MESSAGE message { data: ${textBytes(Buffer.from('hello'))} }`, json: { type: 'MESSAGE', message: { data: Buffer.from('hello').toString('base64') } } },
  kill: { text: `type: KILL kill { task_id { value: "${TASK_ID}" } }`, json: { type: 'KILL', kill: { task_id: { value: TASK_ID } } } },
};

function acknowledged(uuid: Buffer) {
  return {
    text: `type: ACKNOWLEDGED acknowledged { task_id { value: "${TASK_ID}" } uuid: ${textBytes(uuid)} }`,
    json: { type: 'ACKNOWLEDGED', acknowledged: { task_id: { value: TASK_ID }, uuid: uuid.toString('base64') } },
  };
}

/** Mesos' Call type compiled by protoc from Debian's files, loaded from its descriptor set. */
let debianCall: protobuf.Type;
beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'aurora-ts-protoc-'));
  try {
    protoc(['--include_imports', `--descriptor_set_out=${join(dir, 'set.pb')}`], '');
    debianCall = protobuf.Root.fromDescriptor(readFileSync(join(dir, 'set.pb')), { keepCase: true }).lookupType('mesos.executor.Call');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe.each(['protobuf', 'json'] as const)('the kit on the wire (%s), read and written by protoc', (media) => {
  const contentType = media === 'json' ? 'application/json' : 'application/x-protobuf';
  /** Calls as protoc prints them. */
  const calls: string[] = [];
  let stream: ServerResponse | undefined;
  let server: Server;
  let child: ChildProcess;
  let sandbox: string;
  let stdout = '';
  let stderr = '';
  let exited: Promise<number | null>;

  /** A Call's body as protoc's text: JSON first round-trips through Debian's schema, names and all. */
  function decodeCall(body: Buffer): string {
    if (media === 'protobuf') return protoc(['--decode=mesos.executor.Call'], body).toString();
    const json = JSON.parse(body.toString('utf8'));
    const message = debianCall.fromObject(json);
    expect(debianCall.toObject(message, { enums: String, longs: Number, bytes: String })).toEqual(json);
    return protoc(['--decode=mesos.executor.Call'], Buffer.from(debianCall.encode(message).finish())).toString();
  }

  function send(event: { text: string; json: object }): void {
    const bytes = media === 'json' ? Buffer.from(JSON.stringify(event.json)) : protoc(['--encode=mesos.executor.Event'], event.text);
    stream!.write(Buffer.concat([Buffer.from(`${bytes.length}\n`), bytes]));
  }

  const updateText = (state: string): string | undefined => calls.find((c) => /^type: UPDATE$/m.test(c) && c.includes(`state: ${state}`));
  const uuidOf = (text: string): Buffer => parseTextBytes(/uuid: "((?:[^"\\]|\\.)*)"/.exec(text)![1]!);

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        expect(req.headers['content-type']).toBe(contentType);
        const text = decodeCall(Buffer.concat(chunks));
        calls.push(text);
        if (/^type: SUBSCRIBE$/m.test(text)) {
          res.writeHead(200, { 'Content-Type': contentType });
          res.flushHeaders();
          stream = res;
        } else res.writeHead(202).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    sandbox = mkdtempSync(join(tmpdir(), 'aurora-ts-kit-wire-'));
    child = spawn(process.execPath, [FIXTURE, media, 'default'], {
      env: {
        PATH: process.env.PATH,
        MESOS_AGENT_ENDPOINT: `127.0.0.1:${(server.address() as AddressInfo).port}`,
        MESOS_FRAMEWORK_ID: FRAMEWORK_ID,
        MESOS_EXECUTOR_ID: EXECUTOR_ID,
        MESOS_SANDBOX: sandbox,
        MESOS_CHECKPOINT: '1',
        MESOS_SUBSCRIPTION_BACKOFF_MAX: '100ms',
        MESOS_RECOVERY_TIMEOUT: '10secs',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    exited = new Promise((r) => child.once('exit', (code) => r(code)));
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    rmSync(sandbox, { recursive: true, force: true });
  });

  it('SUBSCRIBE names the executor and framework', async () => {
    await waitFor('SUBSCRIBE', () => stream !== undefined);
    expect(calls[0]).toMatch(/^type: SUBSCRIBE$/m);
    expect(calls[0]).toContain(`executor_id {\n  value: "${EXECUTOR_ID}"\n}`);
    expect(calls[0]).toContain(`framework_id {\n  value: "${FRAMEWORK_ID}"\n}`);
    expect(calls[0]).toContain('subscribe {\n}');
  });

  it('decodes SUBSCRIBED, LAUNCH (the Thrift AssignedTask in data), ERROR and MESSAGE, and sends UPDATE TASK_RUNNING as Mesos defines it', async () => {
    send(EVENTS.subscribed);
    send(EVENTS.launch);
    send(EVENTS.error);
    const running = await waitFor('UPDATE TASK_RUNNING', () => updateText('TASK_RUNNING'));
    expect(running).toMatch(/^type: UPDATE$/m);
    expect(running).toContain(`task_id {\n      value: "${TASK_ID}"\n    }`);
    expect(running).toContain(`executor_id {\n      value: "${EXECUTOR_ID}"\n    }`);
    expect(running).toContain('source: SOURCE_EXECUTOR');
    expect(running).toMatch(/timestamp: \d/);
    expect(uuidOf(running)).toHaveLength(16);
    const launched = JSON.parse(readFileSync(join(sandbox, 'launched.json'), 'utf8'));
    expect(launched).toMatchObject({ taskId: TASK_ID, name: 'www-data/devel/wire', assignedTaskId: TASK_ID, config: { cmd: 'exec sleep 600' } });
    expect(stderr).toContain('executor: the agent reports an error: boom');
    send(EVENTS.message);
    await waitFor('the message', () => stdout.includes('message hello'));
  });

  it('KILL ends the command and sends TASK_KILLED', async () => {
    send(EVENTS.kill);
    const killed = await waitFor('UPDATE TASK_KILLED', () => updateText('TASK_KILLED'));
    expect(killed).toContain('message: "Killed by the executor"');
    expect(uuidOf(killed)).toHaveLength(16);
  });

  it('re-subscribes after the stream ends with both unacknowledged updates and the unacknowledged task, and exits 0 once ACKNOWLEDGED', async () => {
    const running = uuidOf(updateText('TASK_RUNNING')!);
    const killed = uuidOf(updateText('TASK_KILLED')!);
    const before = calls.length;
    stream!.end();
    stream = undefined;
    const again = await waitFor('SUBSCRIBE again', () => calls.slice(before).find((c) => /^type: SUBSCRIBE$/m.test(c)));
    const updates = again.split('unacknowledged_updates {').slice(1);
    expect(updates.map((u) => /state: (\w+)/.exec(u)![1])).toEqual(['TASK_RUNNING', 'TASK_KILLED']);
    expect(updates.map((u) => uuidOf(u).toString('hex'))).toEqual([running.toString('hex'), killed.toString('hex')]);
    expect(again).toContain('unacknowledged_tasks {\n    name: "www-data/devel/wire"');
    send(EVENTS.subscribed);
    send(acknowledged(running));
    send(acknowledged(killed));
    expect(await exited).toBe(0);
    expect(stdout).toContain('exit 0: every task has ended');
  });
});
