/**
 * Several local schedulers on one ZooKeeper path, against a real ZooKeeper: one leads and announces
 * itself with Aurora's serverset JSON, the others send callers to it (307) and take over when it goes.
 */
import zookeeper from 'node-zookeeper-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import type { Response } from '../../src/gen/types.js';
import { decodeReply, encodeCall } from '../../src/protocol/index.js';
import { startScheduler, type RunningScheduler } from '../../src/scheduler/index.js';
import { shellExecutor, startTestScheduler, testJob, waitFor, writeExecutorsFile } from '../support/scheduler.js';
import { startZooKeeper, type ZooKeeperServer } from '../support/zookeeper.js';

let zk: ZooKeeperServer;
let executors: string;
let reader: zookeeper.Client;
const started: RunningScheduler[] = [];

beforeAll(async () => {
  zk = await startZooKeeper();
  executors = writeExecutorsFile([shellExecutor('sleeper', 'exec sleep 60', 'sleep-')], 'aurora-ts-leader-');
  reader = zookeeper.createClient(zk.connectString, { sessionTimeout: 5000 });
  await new Promise<void>((resolve) => {
    reader.once('connected', () => resolve());
    reader.connect();
  });
}, 60_000);

afterAll(async () => {
  for (const s of started) await s.close();
  reader?.close();
  await zk?.stop();
});

async function scheduler(path: string, extra: { sessionTimeoutMs?: number; zkHosts?: string } = {}): Promise<RunningScheduler> {
  const { scheduler: s } = await startTestScheduler({
    executors,
    killGraceMs: 200,
    zk: { hosts: extra.zkHosts ?? zk.connectString, path, sessionTimeoutMs: extra.sessionTimeoutMs ?? 4000 },
  });
  started.push(s);
  return s;
}

function portOf(s: RunningScheduler): number {
  return Number(new URL(s.url).port);
}

function children(path: string): Promise<string[]> {
  return new Promise((resolve, reject) => reader.getChildren(path, (e, c) => (e ? reject(e) : resolve(c))));
}

function data(path: string): Promise<string> {
  return new Promise((resolve, reject) => reader.getData(path, (e, d) => (e ? reject(e) : resolve(d.toString('utf8')))));
}

async function members(path: string): Promise<Array<{ node: string; json: string }>> {
  const nodes = (await children(path)).filter((c) => c.startsWith('member_')).sort();
  return Promise.all(nodes.map(async (node) => ({ node, json: await data(`${path}/${node}`) })));
}

function announcement(port: number): string {
  return JSON.stringify({
    serviceEndpoint: { host: '127.0.0.1', port },
    additionalEndpoints: { http: { host: '127.0.0.1', port } },
    status: 'ALIVE',
  });
}

/** A raw getJobs POST, so the test sees the HTTP status and headers the scheduler answers with. */
async function rawGetJobs(url: string, headers: Record<string, string> = {}): Promise<{ status: number; location: string | null; response?: Response }> {
  const reply = await fetch(`${url}/api`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/vnd.apache.thrift.binary', accept: 'application/vnd.apache.thrift.binary', ...headers },
    body: encodeCall('binary', 'getJobs', 1, { ownerRole: 'www-data' }),
  });
  const body = Buffer.from(await reply.arrayBuffer());
  return {
    status: reply.status,
    location: reply.headers.get('location'),
    response: reply.status === 200 ? decodeReply('binary', 'getJobs', body) : undefined,
  };
}

describe('a single scheduler with --zk', () => {
  it("leads and announces itself with Aurora's serverset JSON under member_", async () => {
    const s = await scheduler('/aurora/single');
    expect(s.isLeader()).toBe(true);
    const announced = await members('/aurora/single');
    expect(announced).toHaveLength(1);
    expect(announced[0]?.json).toBe(announcement(portOf(s)));
    expect(JSON.parse(announced[0]?.json as string)).toEqual({
      serviceEndpoint: { host: '127.0.0.1', port: portOf(s) },
      additionalEndpoints: { http: { host: '127.0.0.1', port: portOf(s) } },
      status: 'ALIVE',
    });
    expect(s.leadership?.memberPath).toBe(`/aurora/single/${announced[0]?.node}`);
    // The election node is Curator's protected lock node, as Aurora's LeaderSelector makes.
    expect((await children('/aurora/single')).some((c) => /^_c_[0-9a-f-]{36}-lock-\d{10}$/.test(c))).toBe(true);
    const client = new AuroraClient({ url: s.url });
    expect((await client.getJobs('www-data')).configs).toEqual([]);

    await s.close();
    expect(await children('/aurora/single')).toEqual([]);
  });
});

describe('an announcement removed by hand', () => {
  it('is put back while the leader keeps its session', async () => {
    const s = await scheduler('/aurora/tampered');
    const before = s.leadership?.memberPath as string;
    await new Promise<void>((resolve, reject) => reader.remove(before, (e) => (e ? reject(e) : resolve())));
    await waitFor('a new announcement', async () => (await members('/aurora/tampered')).length === 1 && s.leadership?.memberPath !== before);
    expect((await members('/aurora/tampered')).map((m) => m.json)).toEqual([announcement(portOf(s))]);
    expect(s.isLeader()).toBe(true);
    await s.close();
  });
});

describe('two schedulers on one path', () => {
  const path = '/aurora/pair';
  let first: RunningScheduler;
  let second: RunningScheduler;

  beforeAll(async () => {
    first = await scheduler(path);
    second = await scheduler(path);
    await waitFor('the follower to see the leader', () => second.leadership?.leader() !== undefined);
  });

  it('only the leader announces itself', async () => {
    expect(first.isLeader()).toBe(true);
    expect(second.isLeader()).toBe(false);
    const announced = await members(path);
    expect(announced.map((m) => m.json)).toEqual([announcement(portOf(first))]);
    // Both queue in the election.
    expect((await children(path)).filter((c) => c.includes('-lock-'))).toHaveLength(2);
  });

  it('the follower answers 307 to the leader, and a client following it works', async () => {
    const raw = await rawGetJobs(second.url);
    expect(raw.status).toBe(307);
    expect(raw.location).toBe(`http://127.0.0.1:${portOf(first)}/api`);

    const viaFollower = new AuroraClient({ url: second.url, protocol: 'json' });
    await viaFollower.createJob(testJob({ name: 'redirected' }));
    const onLeader = await new AuroraClient({ url: first.url }).getJobs('www-data');
    expect(onLeader.configs.map((c) => c.key?.name)).toEqual(['redirected']);
    expect(second.core.lifecycle.store.active({ role: 'www-data', environment: 'devel', name: 'redirected' })).toHaveLength(0);
  });

  it('Bypass-Leader-Redirect is served by the follower itself', async () => {
    const raw = await rawGetJobs(second.url, { 'Bypass-Leader-Redirect': 'true' });
    expect(raw.status).toBe(200);
    expect(raw.response?.result?.getJobsResult?.configs).toEqual([]);
    // The sandbox pages are not /api and are never redirected.
    expect((await fetch(`${second.url}/nothing-here`)).status).toBe(404);
  });

  it('closing the leader hands over: its member node goes, the follower announces itself', async () => {
    const firstMember = first.leadership?.memberPath as string;
    expect(firstMember).toMatch(/\/member_\d{10}$/);
    await first.close();
    await waitFor('the follower to lead', () => second.isLeader());
    const announced = await members(path);
    expect(announced.map((m) => m.json)).toEqual([announcement(portOf(second))]);
    expect(announced.map((m) => `${path}/${m.node}`)).not.toContain(firstMember);
    const raw = await rawGetJobs(second.url);
    expect(raw.status).toBe(200);
  });
});

describe('a follower without a leader', () => {
  it('answers 503 while the serverset names no single leader', async () => {
    const path = '/aurora/headless';
    const leader = await scheduler(path);
    const follower = await scheduler(path);
    await waitFor('the follower to see the leader', () => follower.leadership?.leader() !== undefined);
    // A second, stale announcement (e.g. a crashed scheduler's) leaves no single leader: Aurora answers 503.
    const stale = await new Promise<string>((resolve, reject) =>
      reader.create(`${path}/member_`, Buffer.from(announcement(1)), zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL, (e, p) => (e ? reject(e) : resolve(p))),
    );
    await waitFor('the follower to see two members', () => follower.leadership?.leader() === undefined);
    const raw = await rawGetJobs(follower.url);
    expect(raw.status).toBe(503);
    await new Promise<void>((resolve, reject) => reader.remove(stale, (e) => (e ? reject(e) : resolve())));
    await waitFor('the redirect to come back', async () => (await rawGetJobs(follower.url)).status === 307);
    await leader.close();
    await follower.close();
  });
});

describe('losing the ZooKeeper session', () => {
  it('stops leading: /api answers 503 until re-elected', async () => {
    const own = await startZooKeeper();
    try {
      const s = await scheduler('/aurora/lossy', { zkHosts: own.connectString, sessionTimeoutMs: 1500 });
      expect(s.isLeader()).toBe(true);
      expect((await rawGetJobs(s.url)).status).toBe(200);
      await own.stop();
      await waitFor('leadership to end', () => !s.isLeader(), 10_000);
      const raw = await rawGetJobs(s.url);
      expect(raw.status).toBe(503);
      await s.close();
    } finally {
      await own.stop();
    }
  });
});

describe('start-up', () => {
  it('fails with one clear line when ZooKeeper cannot be reached', async () => {
    await expect(
      startScheduler({ port: 0, executors, zk: { hosts: '127.0.0.1:1', path: '/aurora/x', sessionTimeoutMs: 1000, connectTimeoutMs: 1500 } }).catch((e: Error) => {
        throw new Error(e.message);
      }),
    ).rejects.toThrow(/cannot join the scheduler election at ZooKeeper 127\.0\.0\.1:1\/aurora\/x/);
  }, 20_000);

  it('rejects a relative path', async () => {
    await expect(startScheduler({ port: 0, executors, zk: { hosts: zk.connectString, path: 'aurora' } })).rejects.toThrow(/zk\.path: must be an absolute ZooKeeper path/);
  });
});
