/**
 * resolveTransport end to end: real HTTP schedulers on 127.0.0.1, a real ZooKeeper, real
 * clusters.json and .netrc files. What a user sees: calls succeed through 503s, resets and leader
 * changes, and fail fast with one clear line when they cannot.
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { clusterClientOptions, peekResponseCode, resolveTransport, type ConnectEvent, type ConnectOptions } from '../../src/client/connect.js';
import { AuroraResponseError } from '../../src/client/errors.js';
import { loadClustersSync } from '../../src/discovery/clusters.js';
import { parseNetrc } from '../../src/discovery/netrc.js';
import { AuroraConfigError, AuroraDiscoveryError, AuroraHttpError, AuroraValidationError } from '../../src/errors.js';
import { ResponseCode } from '../../src/gen/types.js';
import { encodeReply } from '../../src/protocol/index.js';
import { connectZk, freePort, serversetJson, startZooKeeper, type ZkTestClient, type ZooKeeperServer } from '../support/zookeeper.js';
import { startFakeScheduler, type FakeScheduler } from './fake-scheduler.js';

const fast = { retries: 3, minDelayMs: 5, maxDelayMs: 20 };
const open: Array<{ close(): unknown }> = [];

function client(options: ConnectOptions, protocol: 'binary' | 'json' = 'binary'): { client: AuroraClient; events: ConnectEvent[] } {
  const events: ConnectEvent[] = [];
  const c = new AuroraClient({
    protocol,
    transport: resolveTransport({ netrc: false, retry: fast, timeoutMs: 3000, ...options, onEvent: (e) => events.push(e) }),
  });
  open.push(c);
  return { client: c, events };
}

async function scheduler(): Promise<FakeScheduler> {
  const s = await startFakeScheduler();
  open.push(s);
  return s;
}

afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

describe('retries against a direct URL', () => {
  it('gets through two 503s (no leader yet), reporting each retry', async () => {
    const s = await scheduler();
    s.fail503(2);
    const retried: number[] = [];
    const { client: c, events } = client({ url: s.url, onRetry: (info) => retried.push(info.attempt) });
    await expect(c.getJobs('www-data')).resolves.toMatchObject({ configs: [] });
    expect(retried).toEqual([1, 2]);
    expect(events.filter((e) => e.type === 'retry').map((e) => (e as { kind: string }).kind)).toEqual(['http', 'http']);
    expect(s.calls).toEqual(['getJobs']);
  });

  it('retries a write after 503: Aurora answers it before doing anything', async () => {
    const s = await scheduler();
    s.fail503(1);
    const { client: c } = client({ url: s.url });
    await c.createJob({ key: { role: 'r', environment: 'prod', name: 'j' }, instanceCount: 1, taskConfig: {} });
    expect(s.calls).toEqual(['createJob']);
  });

  it('retries a read whose connection was reset', async () => {
    const s = await scheduler();
    s.resetBefore(1);
    const { client: c } = client({ url: s.url });
    await expect(c.getJobs('r')).resolves.toBeDefined();
    expect(s.calls).toEqual(['getJobs']);
  });

  it('does not retry a write whose connection was reset: it may have been applied', async () => {
    const s = await scheduler();
    s.resetBefore(1);
    const { client: c } = client({ url: s.url });
    await expect(c.createJob({ key: { role: 'r', environment: 'prod', name: 'j' }, taskConfig: {} })).rejects.toMatchObject({ kind: 'transport' });
    expect(s.headers).toHaveLength(1);
  });

  it('gives up after 4 attempts with the last error', async () => {
    const s = await scheduler();
    s.fail503(10);
    const { client: c } = client({ url: s.url });
    const error = await c.getJobs('r').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuroraHttpError);
    expect((error as AuroraHttpError).message).toMatch(/^getJobs: HTTP 503 Service Unavailable from http:\/\/127\.0\.0\.1:\d+\/api: No leader found$/);
    expect(s.headers).toHaveLength(4);
  });

  it('never retries INVALID_REQUEST or a 4xx', async () => {
    const s = await scheduler();
    const { client: c } = client({ url: s.url });
    await c.createJob({ key: { role: 'r', environment: 'prod', name: 'j' }, taskConfig: {} });
    await expect(c.createJob({ key: { role: 'r', environment: 'prod', name: 'j' }, taskConfig: {} })).rejects.toBeInstanceOf(AuroraResponseError);
    expect(s.calls).toEqual(['createJob', 'createJob']);
    const { client: wrongPath } = client({ url: `${s.url}/nope` });
    await expect(wrongPath.getJobs('r')).rejects.toMatchObject({ status: 404 });
    expect(s.headers).toHaveLength(2); // the 404 path never reaches intercept
  });

  it.each(['binary', 'json'] as const)('sends again after ERROR_TRANSIENT (%s), even a write', async (protocol) => {
    const s = await scheduler();
    s.transient(2);
    const { client: c } = client({ url: s.url }, protocol);
    await c.createJob({ key: { role: 'r', environment: 'prod', name: 'j' }, instanceCount: 1, taskConfig: {} });
    expect(s.calls).toEqual(['createJob', 'createJob', 'createJob']);
    expect(s.jobs.size).toBe(1);
  });

  it('hands the caller the ERROR_TRANSIENT reply when retries run out', async () => {
    const s = await scheduler();
    s.transient(10);
    const { client: c } = client({ url: s.url });
    const error = await c.getJobs('r').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuroraResponseError);
    expect((error as AuroraResponseError).codeName).toBe('ERROR_TRANSIENT');
    expect(s.calls).toHaveLength(4);
  });

  it('reads the response code of both encodings without decoding them', () => {
    for (const protocol of ['binary', 'json'] as const) {
      const reply = encodeReply(protocol, 'getJobs', 7, { responseCode: ResponseCode.ERROR_TRANSIENT, details: [{ message: 'x' }] });
      expect(peekResponseCode(protocol, reply)).toBe(ResponseCode.ERROR_TRANSIENT);
    }
    expect(peekResponseCode('binary', Buffer.from('garbage'))).toBeUndefined();
  });
});

describe('credentials from .netrc', () => {
  it('sends the netrc login of the scheduler host, and never puts it in events', async () => {
    const s = await scheduler();
    const netrc = parseNetrc('machine 127.0.0.1 login sally password apple\n');
    const { client: c, events } = client({ url: s.url, netrc });
    await c.getJobs('r');
    expect(s.headers[0]!.authorization).toBe(`Basic ${Buffer.from('sally:apple').toString('base64')}`);
    expect(JSON.stringify(events)).not.toContain('apple');
  });

  it('reads ~/.netrc itself and passes its permission warning on as an event', async () => {
    const s = await scheduler();
    const home = mkdtempSync(join(tmpdir(), 'aurora-ts-home-'));
    writeFileSync(join(home, '.netrc'), 'default login bob password builder\n');
    chmodSync(join(home, '.netrc'), 0o644);
    const { client: c, events } = client({ url: s.url, home, netrc: undefined });
    await c.getJobs('r');
    expect(s.headers[0]!.authorization).toBe(`Basic ${Buffer.from('bob:builder').toString('base64')}`);
    expect(events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message)).toEqual([
      expect.stringMatching(/\.netrc is accessible by other users \(mode 644\)/),
    ]);
  });
});

describe('clusters', () => {
  it('connects to a scheduler_uri cluster by name, with /api joined on', async () => {
    const s = await scheduler();
    const root = mkdtempSync(join(tmpdir(), 'aurora-ts-cfg-'));
    writeFileSync(join(root, 'clusters.json'), JSON.stringify([{ name: 'devcluster', scheduler_uri: `${s.url}/` }]));
    const { client: c } = client({ cluster: 'devcluster', configRoot: root, home: root });
    expect(c.url).toBe(`${s.url}/api`);
    await c.getJobs('r');
    expect(s.calls).toEqual(['getJobs']);
  });

  it('fails at once, in one line, for an unknown cluster or one without zk and scheduler_uri', () => {
    const root = mkdtempSync(join(tmpdir(), 'aurora-ts-cfg-'));
    writeFileSync(join(root, 'clusters.json'), JSON.stringify([{ name: 'bare' }, { name: 'nozkpath', zk: 'zk1' }]));
    expect(() => resolveTransport({ cluster: 'nope', configRoot: root, home: root })).toThrow(AuroraConfigError);
    expect(() => resolveTransport({ cluster: 'bare', configRoot: root, home: root })).toThrow(/^cluster bare \(.*clusters\.json\) sets neither zk nor scheduler_uri$/);
    expect(() => resolveTransport({ cluster: 'nozkpath', configRoot: root, home: root })).toThrow(/zk is set but scheduler_zk_path is not/);
    expect(() => resolveTransport({})).toThrow(AuroraValidationError);
    expect(() => resolveTransport({ zk: 'zk1' })).toThrow('zkPath: the scheduler serverset path is required with zk, e.g. /aurora/scheduler');
  });

  it('gives the lead what a cluster means for a client', () => {
    const root = mkdtempSync(join(tmpdir(), 'aurora-ts-cfg-'));
    mkdirSync(join(root, 'etc'));
    writeFileSync(
      join(root, 'etc', 'clusters.json'),
      JSON.stringify({
        a: { name: 'a', scheduler_uri: 'https://aurora.example.com', custom_executor_config: '/etc/aurora/executors.json', policy: { allow_docker: true } },
        z: { name: 'z', zk: 'zk1,zk2', zk_port: 2182, scheduler_zk_path: '/aurora/scheduler', scheduler_uri: 'http://ignored' },
      }),
    );
    const clusters = loadClustersSync({ configRoot: join(root, 'etc'), home: root });
    expect(clusterClientOptions(clusters.get('a'), parseNetrc('machine aurora.example.com login u password p'))).toEqual({
      cluster: 'a',
      url: 'https://aurora.example.com/api',
      auth: { username: 'u', password: 'p' },
      authMechanism: 'UNAUTHENTICATED',
      customExecutorConfig: '/etc/aurora/executors.json',
      policy: { allowDocker: true },
    });
    expect(clusterClientOptions(clusters.get('z'))).toEqual({ cluster: 'z', zk: 'zk1:2182,zk2:2182', zkPath: '/aurora/scheduler', authMechanism: 'UNAUTHENTICATED' });
  });
});

describe('through ZooKeeper', () => {
  let zk: ZooKeeperServer;
  let nodes: ZkTestClient;
  let n = 0;

  beforeAll(async () => {
    zk = await startZooKeeper();
    nodes = await connectZk(zk.connectString);
  });

  afterAll(async () => {
    nodes?.close();
    await zk?.stop();
  });

  async function announce(s: FakeScheduler): Promise<{ path: string; node: string }> {
    n += 1;
    const path = `/aurora-ts/connect-${n}/scheduler`;
    await nodes.mkdirp(path);
    const port = Number(new URL(s.url).port);
    return { path, node: await nodes.createMember(path, serversetJson('127.0.0.1', port)) };
  }

  it('looks the leader up on the first call, not before', async () => {
    const s = await scheduler();
    const { path } = await announce(s);
    const { client: c, events } = client({ zk: zk.connectString, zkPath: path });
    expect(c.url).toBe(`zk://${zk.connectString}${path}`);
    await c.getJobs('r');
    expect(c.url).toBe(`${s.url}/api`);
    expect(events.find((e) => e.type === 'leader')).toEqual({ type: 'leader', url: `${s.url}/api`, previous: undefined });
  });

  it('follows a leader change while running, the caller seeing no error', async () => {
    const a = await scheduler();
    const b = await scheduler();
    const { path, node } = await announce(a);
    const { client: c } = client({ zk: zk.connectString, zkPath: path });
    await c.getJobs('r');
    await nodes.remove(node);
    await nodes.createMember(path, serversetJson('127.0.0.1', Number(new URL(b.url).port)));
    // The old leader still answers; the watch moves calls to the new one.
    await expect
      .poll(async () => {
        await c.getJobs('r');
        return b.calls.length;
      }, { timeout: 5000, interval: 50 })
      .toBeGreaterThan(0);
    expect(c.url).toBe(`${b.url}/api`);
  });

  it('re-resolves after the old leader refuses connections (no watch)', async () => {
    const a = await scheduler();
    const b = await scheduler();
    const { path, node } = await announce(a);
    const { client: c, events } = client({ zk: zk.connectString, zkPath: path, watch: false });
    await c.getJobs('r');
    await nodes.remove(node);
    await nodes.createMember(path, serversetJson('127.0.0.1', Number(new URL(b.url).port)));
    await a.close();
    // The pooled keep-alive socket to the old leader fails first (reset or refused); the read is retried on the new leader.
    await c.getJobs('r');
    expect(b.calls).toEqual(['getJobs']);
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'leader').map((e) => (e as { url: string }).url)).toEqual([`${a.url}/api`, `${b.url}/api`]);
    // Later writes go straight to the new leader.
    await c.createJob({ key: { role: 'r', environment: 'prod', name: 'j' }, instanceCount: 1, taskConfig: {} });
    expect(b.jobs.size).toBe(1);
  });

  it('takes the netrc credentials of the discovered leader host', async () => {
    const s = await scheduler();
    const { path } = await announce(s);
    const { client: c } = client({ zk: zk.connectString, zkPath: path, netrc: parseNetrc('machine 127.0.0.1 login zkuser password pw') });
    await c.getJobs('r');
    expect(s.headers[0]!.authorization).toBe(`Basic ${Buffer.from('zkuser:pw').toString('base64')}`);
  });

  it('fails with one clear line within the bound when ZooKeeper is down', async () => {
    const port = await freePort();
    const { client: c } = client({ zk: `127.0.0.1:${port}`, zkPath: '/aurora/scheduler', zkTimeoutMs: 500 });
    const started = Date.now();
    const error = await c.getJobs('r').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuroraDiscoveryError);
    expect((error as Error).message).toBe(`cannot reach ZooKeeper at 127.0.0.1:${port} within 500 ms`);
    // One bounded wait: every host was already tried, so the call is not retried.
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('keeps calling the known leader while ZooKeeper is down', async () => {
    const own = await startZooKeeper();
    try {
      const s = await scheduler();
      const z = await connectZk(own.connectString);
      await z.mkdirp('/aurora/scheduler');
      // Persistent, so the member outlives this test client's session.
      await z.create('/aurora/scheduler/member_0000000001', JSON.stringify(serversetJson('127.0.0.1', Number(new URL(s.url).port))));
      z.close();
      const { client: c } = client({ zk: own.connectString, zkPath: '/aurora/scheduler', zkTimeoutMs: 1000 });
      await c.getJobs('r');
      await own.stop();
      await c.getJobs('r');
      await c.getJobs('r');
      expect(s.calls).toEqual(['getJobs', 'getJobs', 'getJobs']);
    } finally {
      await own.stop();
    }
  });

  it('reports a path without members as no leader', async () => {
    n += 1;
    const path = `/aurora-ts/connect-${n}/empty`;
    await nodes.mkdirp(path);
    const { client: c } = client({ zk: zk.connectString, zkPath: path, retry: false });
    await expect(c.getJobs('r')).rejects.toThrow(`no leading scheduler: ${path} on ${zk.connectString} has no member_ nodes`);
  });
});
