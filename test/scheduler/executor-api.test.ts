/**
 * Mesos' v1 executor HTTP API as the local agent serves it, through a real HTTP client in both media
 * types: SUBSCRIBE and its RecordIO event stream, LAUNCH, UPDATE acknowledged once stored, and the
 * statuses and texts Mesos' `Http::executor` answers bad calls with.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  APPLICATION_JSON,
  APPLICATION_PROTOBUF,
  CallType,
  encodeMessage,
  ExecutorApi,
  mesosRoot,
  type MediaType,
  type MesosJson,
} from '../../src/scheduler/agents/executor-api/index.js';
import { ExecutorClient, updateCall, uuidBytes } from '../support/executor-client.js';

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
  client = new ExecutorClient(`127.0.0.1:${port}`);
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

let client: ExecutorClient;
const post = (body: Buffer | string, headers: Record<string, string>, method?: string, path?: string) => client.post(body, headers, method, path);
const call = (value: MesosJson, media: MediaType) => client.call(value, media);
const subscribe = (executorId: string, media: MediaType, accept?: string, extra?: MesosJson) => client.subscribe({ executorId, frameworkId: FRAMEWORK }, media, accept, extra);
const update = (executorId: string, state: string, uuid: Buffer, more?: MesosJson) => updateCall({ executorId, frameworkId: FRAMEWORK }, 'task-1', state, uuid, more);

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

describe.each([APPLICATION_JSON, APPLICATION_PROTOBUF] as const)('executor API in %s: what a body may build is counted before it is decoded', (media) => {
  // A SUBSCRIBE whose one unacknowledged task has `n` empty command arguments: two bytes each in
  // protobuf, three in JSON, an array slot each once decoded.
  const withArguments = (n: number): Buffer =>
    encodeMessage(
      CallType,
      {
        type: 'SUBSCRIBE',
        executor_id: { value: 'exec-values' },
        framework_id: { value: FRAMEWORK },
        subscribe: { unacknowledged_tasks: [{ name: 't', task_id: { value: 't' }, agent_id: { value: 'a' }, command: { arguments: Array<string>(n).fill('') } }] },
      },
      media,
    );

  it('refuses a body of more than 200,000 values with 400 before decoding it, and decodes one of fewer', async () => {
    const over = await post(withArguments(200_001), { 'Content-Type': media });
    expect(over).toMatchObject({ status: 400, text: 'Failed to parse body into Call: more than 200000 values' });
    const under = await post(withArguments(1_000), { 'Content-Type': media });
    expect(under.text).not.toMatch(/values/);
    // 16 MiB of empty arguments: refused in milliseconds, not decoded into millions of slots.
    const t0 = performance.now();
    const flood = await post(withArguments(media === APPLICATION_PROTOBUF ? 8_000_000 : 5_500_000), { 'Content-Type': media });
    expect(flood.status).toBe(400);
    expect(performance.now() - t0).toBeLessThan(1_500);
  }, 30_000);
});

describe('executor API with --authenticate_http_executors', () => {
  let authServer: Server;
  let authApi: ExecutorApi;
  let endpoint: string;
  const secret = Buffer.from('a test key of thirty-two bytes!!');
  beforeAll(async () => {
    authApi = new ExecutorApi(
      { frameworkInfo: { user: 'aurora', name: 'Aurora', id: { value: FRAMEWORK } }, agentInfo: () => ({ hostname: 'agent-a' }), executorSecret: secret },
      { update: async () => undefined },
    );
    authServer = createServer((req, res) => void authApi.handle(req, res));
    await new Promise<void>((resolve) => authServer.listen(0, '127.0.0.1', resolve));
    endpoint = `127.0.0.1:${(authServer.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    authApi.closeAll();
    authServer.closeAllConnections();
    await new Promise((resolve) => authServer.close(resolve));
  });

  it('gives each executor a JWT with its fid, eid and cid claims and refuses calls without it: 401 as JWTAuthenticator, 403 as verifyExecutorClaims', async () => {
    const register = (id: string) => authApi.register({ executor_id: { value: id }, framework_id: { value: FRAMEWORK }, name: 'probe', command: { value: '/bin/true' } });
    register('exec-a');
    register('exec-b');
    const token = authApi.tokenFor('exec-a')!;
    const [header, payload, signature] = token.split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    expect(claims).toMatchObject({ fid: FRAMEWORK, eid: 'exec-a' });
    expect(signature).toBe(createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url'));

    const ids = { executorId: 'exec-a', frameworkId: FRAMEWORK };
    const anonymous = await new ExecutorClient(endpoint).subscribe(ids, APPLICATION_JSON);
    expect(anonymous.status).toBe(401);
    expect(anonymous.text).toBe('401 Unauthorized.');
    const refused = await new ExecutorClient(endpoint).post(JSON.stringify({}), { 'Content-Type': APPLICATION_JSON });
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="mesos-agent-executor"');
    const withHeader = async (value: string) => (await new ExecutorClient(endpoint, { Authorization: value }).post('{}', { 'Content-Type': APPLICATION_JSON })).headers['www-authenticate'];
    const invalid = (description: string) => `Bearer realm="mesos-agent-executor", error="invalid_token", error_description="${description}"`;
    expect(await withHeader('Basic dXNlcjpwYXNz')).toBe(invalid("Scheme 'Basic' unsupported"));
    expect(await withHeader(`Bearer ${token} extra`)).toBe(invalid("Malformed 'Authorization' header"));
    expect(await withHeader(`Bearer ${header}.${payload}.${Buffer.from('forged').toString('base64url')}`)).toBe(invalid('Invalid JWT: Token signature does not match'));

    // Exec-a's token on exec-b's calls: authenticated, but not as exec-b.
    const asA = new ExecutorClient(endpoint, { Authorization: `Bearer ${token}` });
    const wrong = await asA.call({ type: 'SUBSCRIBE', executor_id: { value: 'exec-b' }, framework_id: { value: FRAMEWORK }, subscribe: {} }, APPLICATION_JSON);
    expect(wrong.status).toBe(403);
    expect(wrong.text).toMatch(/^Authenticated principal '\{"claims":\{.*\}\}' does not contain an 'eid' claim with the executor ID exec-b, which is set in the call$/);

    const sub = await asA.subscribe(ids, APPLICATION_PROTOBUF, APPLICATION_PROTOBUF);
    expect(sub.status).toBe(200);
    const subscribed = await sub.next();
    expect(subscribed.type).toBe('SUBSCRIBED');
    // The token's cid is the container SUBSCRIBED names.
    expect(claims.cid).toBe(((subscribed.subscribed as MesosJson).container_id as MesosJson).value);
    expect((await asA.call(updateCall(ids, 'task-1', 'TASK_RUNNING', uuidBytes()), APPLICATION_PROTOBUF)).status).toBe(202);
    expect((await sub.next()).type).toBe('ACKNOWLEDGED');
    sub.close();
  });
});
