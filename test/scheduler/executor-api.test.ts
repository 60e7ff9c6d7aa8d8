/**
 * Mesos' v1 executor HTTP API as the local agent serves it, through a real HTTP client in both media
 * types: SUBSCRIBE and its RecordIO event stream, LAUNCH, UPDATE acknowledged once stored, and the
 * statuses and texts Mesos' `Http::executor` answers bad calls with.
 */
import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  APPLICATION_JSON,
  APPLICATION_PROTOBUF,
  CallType,
  decodeMessage,
  encodeMessage,
  EventType,
  ExecutorApi,
  mesosRoot,
  RecordIODecoder,
  type MediaType,
  type MesosJson,
} from '../../src/scheduler/agents/executor-api/index.js';

const FRAMEWORK = 'framework-1';
let server: Server;
let api: ExecutorApi;
let port: number;
const updates: { executorId: string; status: MesosJson }[] = [];
/** When set, the agent fails to store updates (so it must not acknowledge them). */
let storeFails = false;

beforeAll(async () => {
  api = new ExecutorApi(
    { frameworkInfo: { user: 'aurora', name: 'Aurora', id: { value: FRAMEWORK }, checkpoint: true }, agentInfo: () => ({ hostname: 'agent-a', port, id: { value: 'agent-a-id' } }) },
    {
      update: async (executorId, status) => {
        if (storeFails) throw new Error('disk full');
        updates.push({ executorId, status });
      },
    },
  );
  server = createServer((req, res) => {
    if (!api.handle(req, res)) {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  api.closeAll();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

afterEach(() => {
  storeFails = false;
  updates.length = 0;
});

function newExecutor(): string {
  const id = `exec-${randomUUID()}`;
  api.register({ executor_id: { value: id }, framework_id: { value: FRAMEWORK }, name: 'probe', command: { value: '/bin/true' } });
  return id;
}

interface Reply {
  status: number;
  headers: IncomingMessage['headers'];
  text: string;
}

/** POSTs raw bytes and reads the whole (non-streaming) answer. */
function post(body: Buffer | string, headers: Record<string, string>, method = 'POST', path = '/api/v1/executor'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function call(value: MesosJson, media: MediaType): Promise<Reply> {
  return post(encodeMessage(CallType, value, media), { 'Content-Type': media });
}

/** An open subscription: the events the agent streams, decoded as they arrive. */
interface Subscription {
  status: number;
  contentType: string | undefined;
  next(waitMs?: number): Promise<MesosJson>;
  close(): void;
}

function subscribe(executorId: string, media: MediaType, accept?: string, extra: MesosJson = {}): Promise<Subscription> {
  const body = encodeMessage(CallType, { type: 'SUBSCRIBE', executor_id: { value: executorId }, framework_id: { value: FRAMEWORK }, subscribe: extra }, media);
  const headers: Record<string, string> = { 'Content-Type': media };
  if (accept !== undefined) headers.Accept = accept;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/api/v1/executor', method: 'POST', headers }, (res) => {
      const decoder = new RecordIODecoder();
      const events: MesosJson[] = [];
      const waiting: ((e: MesosJson) => void)[] = [];
      const streamMedia = res.headers['content-type'] as MediaType;
      res.on('data', (chunk: Buffer) => {
        for (const record of decoder.push(chunk)) {
          const event = decodeMessage(EventType, record, streamMedia);
          const waiter = waiting.shift();
          if (waiter) waiter(event);
          else events.push(event);
        }
      });
      resolve({
        status: res.statusCode!,
        contentType: res.headers['content-type'],
        next: (waitMs = 5000) =>
          new Promise<MesosJson>((resolveEvent, rejectEvent) => {
            const ready = events.shift();
            if (ready) return resolveEvent(ready);
            const timer = setTimeout(() => rejectEvent(new Error(`no event within ${waitMs} ms`)), waitMs);
            waiting.push((e) => {
              clearTimeout(timer);
              resolveEvent(e);
            });
          }),
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

function uuidBytes(): Buffer {
  const hex = randomUUID().replace(/-/g, '');
  return Buffer.from(hex, 'hex');
}

function update(executorId: string, state: string, uuid: Buffer, more: MesosJson = {}): MesosJson {
  return {
    type: 'UPDATE',
    executor_id: { value: executorId },
    framework_id: { value: FRAMEWORK },
    update: { status: { task_id: { value: 'task-1' }, state, source: 'SOURCE_EXECUTOR', uuid: uuid.toString('base64'), ...more } },
  };
}

describe.each([APPLICATION_JSON, APPLICATION_PROTOBUF] as const)('executor API in %s', (media) => {
  it('SUBSCRIBE streams SUBSCRIBED, then LAUNCH with the task; an UPDATE is 202 and ACKNOWLEDGED by uuid once stored', async () => {
    const id = newExecutor();
    api.launch(id, { name: 'www-data/devel/hello', task_id: { value: 'task-1' }, agent_id: { value: 'agent-a-id' }, data: Buffer.from('payload').toString('base64') });
    const sub = await subscribe(id, media, media);
    expect(sub.status).toBe(200);
    expect(sub.contentType).toBe(media);
    const subscribed = await sub.next();
    expect(subscribed.type).toBe('SUBSCRIBED');
    const info = subscribed.subscribed as MesosJson;
    expect(info.executor_info).toMatchObject({ executor_id: { value: id }, name: 'probe' });
    expect(info.framework_info).toMatchObject({ id: { value: FRAMEWORK }, checkpoint: true });
    expect(info.agent_info).toMatchObject({ hostname: 'agent-a', port, id: { value: 'agent-a-id' } });
    expect((info.container_id as MesosJson).value).toMatch(/^[0-9a-f-]{36}$/);

    const launch = await sub.next();
    expect(launch.type).toBe('LAUNCH');
    const task = (launch.launch as MesosJson).task as MesosJson;
    expect(task.task_id).toEqual({ value: 'task-1' });
    expect(Buffer.from(task.data as string, 'base64').toString()).toBe('payload');

    const uuid = uuidBytes();
    const reply = await call(update(id, 'TASK_RUNNING', uuid, { message: 'up and serving' }), media);
    expect(reply.status).toBe(202);
    const ack = await sub.next();
    expect(ack).toEqual({ type: 'ACKNOWLEDGED', acknowledged: { task_id: { value: 'task-1' }, uuid: uuid.toString('base64') } });
    expect(updates).toEqual([{ executorId: id, status: expect.objectContaining({ state: 'TASK_RUNNING', message: 'up and serving' }) }]);

    // A retried update is acknowledged again but taken once.
    expect((await call(update(id, 'TASK_RUNNING', uuid), media)).status).toBe(202);
    expect((await sub.next()).type).toBe('ACKNOWLEDGED');
    expect(updates).toHaveLength(1);

    // KILL, MESSAGE and SHUTDOWN reach the executor on its stream.
    expect(api.kill(id, 'task-1')).toBe(true);
    expect(await sub.next()).toEqual({ type: 'KILL', kill: { task_id: { value: 'task-1' } } });
    api.message(id, Buffer.from('hi'));
    expect(await sub.next()).toEqual({ type: 'MESSAGE', message: { data: Buffer.from('hi').toString('base64') } });
    api.shutdown(id);
    expect(await sub.next()).toEqual({ type: 'SHUTDOWN' });
    sub.close();
  });

  it('an update the agent fails to store is not acknowledged; re-sent in a re-SUBSCRIBE it is taken once', async () => {
    const id = newExecutor();
    const first = await subscribe(id, media, media);
    expect((await first.next()).type).toBe('SUBSCRIBED');
    const uuid = uuidBytes();
    storeFails = true;
    expect((await call(update(id, 'TASK_FINISHED', uuid), media)).status).toBe(202);
    await expect(first.next(1000)).rejects.toThrow('no event');
    first.close();

    storeFails = false;
    const again = await subscribe(id, media, media, {
      unacknowledged_updates: [{ status: (update(id, 'TASK_FINISHED', uuid).update as MesosJson).status }, { status: (update(id, 'TASK_FINISHED', uuid).update as MesosJson).status }],
    });
    expect((await again.next()).type).toBe('SUBSCRIBED');
    expect((await again.next()).acknowledged).toEqual({ task_id: { value: 'task-1' }, uuid: uuid.toString('base64') });
    expect((await again.next()).type).toBe('ACKNOWLEDGED');
    expect(updates.map((u) => u.status.state)).toEqual(['TASK_FINISHED']);
    again.close();
  });

  it('refuses bad calls with the statuses and texts Mesos answers', async () => {
    const id = newExecutor();
    const base = { executor_id: { value: id }, framework_id: { value: FRAMEWORK } };
    // Before SUBSCRIBE, an UPDATE is forbidden.
    expect(await call(update(id, 'TASK_RUNNING', uuidBytes()), media)).toMatchObject({ status: 403, text: 'Executor is not subscribed' });
    const sub = await subscribe(id, media, media);
    await sub.next();

    expect(await call({ ...base, type: 'UPDATE' }, media)).toMatchObject({ status: 400, text: "Failed to validate Executor::Call: Expecting 'update' to be present" });
    expect(await call(update(id, 'TASK_RUNNING', Buffer.alloc(8, 1)), media)).toMatchObject({ status: 400, text: 'Failed to validate Executor::Call: Not a valid UUID' });
    expect(await call(update(id, 'TASK_STAGING', uuidBytes()), media)).toMatchObject({
      status: 400,
      text: `Failed to validate Executor::Call: Received TASK_STAGING from executor ${id} of framework ${FRAMEWORK} which is not allowed`,
    });
    expect(await call(update(id, 'TASK_RUNNING', uuidBytes(), { source: 'SOURCE_AGENT' }), media)).toMatchObject({ status: 400, text: expect.stringContaining("invalid source, expecting 'SOURCE_EXECUTOR'") });
    // A call without its required framework_id (built by hand: protobuf encoders refuse to).
    const executorIdBytes = Buffer.from(mesosRoot.lookupType('mesos.v1.ExecutorID').encode({ value: id }).finish());
    const noFramework =
      media === APPLICATION_JSON
        ? JSON.stringify({ type: 'MESSAGE', executor_id: { value: id }, message: { data: '' } })
        : Buffer.concat([Buffer.from([0x0a, executorIdBytes.length]), executorIdBytes, Buffer.from([0x18, 0x03, 0x32, 0x02, 0x12, 0x00])]);
    expect(await post(noFramework, { 'Content-Type': media })).toMatchObject({
      status: 400,
      text: media === APPLICATION_JSON ? 'Failed to convert JSON into Call protobuf: Missing required fields: framework_id' : 'Failed to parse body into Call protobuf',
    });
    expect(await call({ ...base, executor_id: { value: 'nobody' }, type: 'MESSAGE', message: { data: '' } }, media)).toMatchObject({ status: 400, text: 'Executor cannot be found' });
    expect(await call({ ...base, framework_id: { value: 'other' }, type: 'MESSAGE', message: { data: '' } }, media)).toMatchObject({ status: 400, text: 'Framework cannot be found' });
    expect(await call({ ...base, type: 'MESSAGE', message: { data: Buffer.from('x').toString('base64') } }, media)).toMatchObject({ status: 202 });
    expect(await call({ ...base, type: 'HEARTBEAT' }, media)).toMatchObject({ status: 202 });
    expect(await call({ ...base, type: 'UNKNOWN' }, media)).toMatchObject({ status: 501 });
    sub.close();
  });
});

describe('executor API: transport-level refusals', () => {
  it('answers 405, 400, 415, 406 and 503 as Mesos does, and serves the /slave(1) path too', async () => {
    const id = newExecutor();
    const subscribeJson = JSON.stringify({ type: 'SUBSCRIBE', executor_id: { value: id }, framework_id: { value: FRAMEWORK }, subscribe: {} });
    const get = await post('', {}, 'GET');
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    expect(await post(subscribeJson, {})).toMatchObject({ status: 400, text: "Expecting 'Content-Type' to be present" });
    expect(await post(subscribeJson, { 'Content-Type': 'application/json; charset=utf-8' })).toMatchObject({
      status: 415,
      text: "Expecting 'Content-Type' of application/json or application/x-protobuf",
    });
    expect(await post('{"type": ', { 'Content-Type': APPLICATION_JSON })).toMatchObject({ status: 400, text: expect.stringMatching(/^Failed to parse body into JSON: /) });
    expect(await post(Buffer.from([0xff, 0xff, 0xff]), { 'Content-Type': APPLICATION_PROTOBUF })).toMatchObject({ status: 400, text: 'Failed to parse body into Call protobuf' });
    expect(await post(subscribeJson, { 'Content-Type': APPLICATION_JSON, Accept: 'text/html' })).toMatchObject({
      status: 406,
      text: "Expecting 'Accept' to allow 'application/x-protobuf' or 'application/json'",
    });
    // No Accept header: JSON, as Mesos defaults.
    const plain = await subscribe(id, APPLICATION_PROTOBUF);
    expect(plain.contentType).toBe(APPLICATION_JSON);
    expect((await plain.next()).type).toBe('SUBSCRIBED');
    plain.close();
    const slavePath = await post(JSON.stringify({ type: 'HEARTBEAT', executor_id: { value: id }, framework_id: { value: FRAMEWORK } }), { 'Content-Type': APPLICATION_JSON }, 'POST', '/slave(1)/api/v1/executor');
    expect(slavePath.status).toBe(202);

    api.recovering = true;
    try {
      expect(await post(subscribeJson, { 'Content-Type': APPLICATION_JSON })).toMatchObject({ status: 503, text: 'Agent has not finished recovery' });
    } finally {
      api.recovering = false;
    }
  });
});
