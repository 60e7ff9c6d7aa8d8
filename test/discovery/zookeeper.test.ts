/**
 * Leader lookup against a real ZooKeeper: serverset nodes as Aurora's scheduler writes them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuroraDiscoveryError } from '../../src/errors.js';
import { findLeader, leaderOrder, memberUrl, parseServersetMember, ZooKeeperLeaderResolver } from '../../src/discovery/zookeeper.js';
import { connectZk, freePort, serversetJson, startZooKeeper, type ZkTestClient, type ZooKeeperServer } from '../support/zookeeper.js';

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

async function freshPath(): Promise<string> {
  n += 1;
  const path = `/aurora-ts/zk-${n}/scheduler`;
  await nodes.mkdirp(path);
  return path;
}

async function errorOf(promise: Promise<unknown>): Promise<AuroraDiscoveryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuroraDiscoveryError);
  return error as AuroraDiscoveryError;
}

describe('findLeader', () => {
  it('takes the first member_ node by sequence number', async () => {
    const path = await freshPath();
    await nodes.createMember(path, serversetJson('10.0.0.1', 8081));
    await nodes.createMember(path, serversetJson('10.0.0.2', 8081));
    const leader = await findLeader({ zk: zk.connectString, path });
    expect(leader.url).toBe('http://10.0.0.1:8081/api');
    expect(leader.member.node).toMatch(/^member_\d{10}$/);
  });

  it('appends zk_port to hosts that name none', async () => {
    const path = await freshPath();
    await nodes.createMember(path, serversetJson('10.0.0.9', 8081));
    const leader = await findLeader({ zk: '127.0.0.1', zkPort: zk.port, path });
    expect(leader.url).toBe('http://10.0.0.9:8081/api');
  });

  it('prefers the https endpoint, then http, then serviceEndpoint', async () => {
    const path = await freshPath();
    await nodes.createMember(path, {
      serviceEndpoint: { host: 'leader', port: 8081 },
      additionalEndpoints: { http: { host: 'leader', port: 8081 }, https: { host: 'leader.example.com', port: 8443 } },
      status: 'ALIVE',
    });
    expect((await findLeader({ zk: zk.connectString, path })).url).toBe('https://leader.example.com:8443/api');
    const plain = await freshPath();
    await nodes.createMember(plain, { serviceEndpoint: { host: 'h', port: 9000 }, additionalEndpoints: {}, status: 'ALIVE' });
    expect((await findLeader({ zk: zk.connectString, path: plain })).url).toBe('http://h:9000/api');
  });

  it('ignores Curator latch and lock nodes that sort before the members', async () => {
    const path = await freshPath();
    await nodes.createMember(path, 'not json', '_c_2f1e6e2a-latch-');
    await nodes.createMember(path, '', 'lock-');
    await nodes.createMember(path, serversetJson('10.0.0.3', 8081));
    expect((await findLeader({ zk: zk.connectString, path })).url).toBe('http://10.0.0.3:8081/api');
  });

  it('says there is no leader when the path has no member_ nodes', async () => {
    const path = await freshPath();
    await nodes.createMember(path, '', '_c_latch-');
    const error = await errorOf(findLeader({ zk: zk.connectString, path }));
    expect(error.message).toBe(`no leading scheduler: ${path} on ${zk.connectString} has no member_ nodes (only 1 other node(s))`);
    expect(error.retryable).toBe(true);
  });

  it('names the node whose payload is not a serverset member', async () => {
    const path = await freshPath();
    const node = await nodes.createMember(path, '{"serviceEndpoint": {"host": "h"');
    const error = await errorOf(findLeader({ zk: zk.connectString, path }));
    expect(error.message).toBe(`malformed serverset member ${node}: not JSON`);
    const other = await freshPath();
    const node2 = await nodes.createMember(other, { serviceEndpoint: { host: 'h', port: 'http' } });
    expect((await errorOf(findLeader({ zk: zk.connectString, path: other }))).message).toBe(
      `malformed serverset member ${node2}: serviceEndpoint.port must be a port number`,
    );
  });

  it('says which path is missing', async () => {
    const error = await errorOf(findLeader({ zk: zk.connectString, path: '/no/such/scheduler' }));
    expect(error.message).toBe(`ZooKeeper path /no/such/scheduler does not exist on ${zk.connectString}; check scheduler_zk_path`);
  });

  it('gives up on an unreachable ensemble within the timeout instead of hanging', async () => {
    const port = await freePort();
    const started = Date.now();
    const error = await errorOf(findLeader({ zk: `127.0.0.1:${port}`, path: '/aurora/scheduler', timeoutMs: 800 }));
    expect(error.message).toBe(`cannot reach ZooKeeper at 127.0.0.1:${port} within 800 ms`);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('ZooKeeperLeaderResolver', () => {
  it('notices a leader change through its watch', async () => {
    const path = await freshPath();
    const first = await nodes.createMember(path, serversetJson('10.0.1.1', 8081));
    const seen: Array<[string, string | undefined]> = [];
    const resolver = new ZooKeeperLeaderResolver({ zk: zk.connectString, path, onLeader: (url, previous) => seen.push([url, previous]) });
    try {
      expect((await resolver.resolve()).url).toBe('http://10.0.1.1:8081/api');
      // Cached while nothing changes.
      expect((await resolver.resolve()).url).toBe('http://10.0.1.1:8081/api');
      await nodes.remove(first);
      await nodes.createMember(path, serversetJson('10.0.1.2', 8081));
      await expect.poll(async () => (await resolver.resolve()).url, { timeout: 5000 }).toBe('http://10.0.1.2:8081/api');
      expect(seen).toEqual([
        ['http://10.0.1.1:8081/api', undefined],
        ['http://10.0.1.2:8081/api', 'http://10.0.1.1:8081/api'],
      ]);
    } finally {
      resolver.close();
    }
  });

  it('fails calls after close()', async () => {
    const path = await freshPath();
    await nodes.createMember(path, serversetJson('10.0.1.3', 8081));
    const resolver = new ZooKeeperLeaderResolver({ zk: zk.connectString, path });
    await resolver.resolve();
    resolver.close();
    expect((await errorOf(resolver.resolve())).message).toMatch(/was closed/);
  });

  it('rejects a relative path and an empty host list up front', () => {
    expect(() => new ZooKeeperLeaderResolver({ zk: 'zk1', path: 'aurora/scheduler' })).toThrow(/scheduler_zk_path: expected an absolute ZooKeeper path/);
    expect(() => new ZooKeeperLeaderResolver({ zk: ' , ', path: '/aurora' })).toThrow('zk: expected ZooKeeper hosts like zk1:2181,zk2:2181');
  });
});

describe('serverset helpers', () => {
  it('orders member_ nodes by sequence and drops the rest', () => {
    expect(leaderOrder(['member_0000000010', '_c_x-latch-0000000001', 'member_0000000002', 'lock'])).toEqual([
      'member_0000000002',
      'member_0000000010',
    ]);
  });

  it('brackets IPv6 hosts in the URL', () => {
    const member = parseServersetMember('member_1', JSON.stringify({ serviceEndpoint: { host: '::1', port: 8081 } }), '/a');
    expect(memberUrl(member)).toBe('http://[::1]:8081/api');
  });
});
